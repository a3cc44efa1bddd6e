package app

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/result"
)

// OwnerOptions say where the owners of findings come from.
type OwnerOptions struct {
	// TagKeys are the tag keys that name an owner, in order: the first
	// present (with a value) on the IAM user wins, else the first on the
	// account. Empty: no owner from tags.
	TagKeys []string
	// Routes are the Slack routes that name an owner, in configuration
	// order: the first that covers an account owns the findings that no
	// tag and no exception gives an owner.
	Routes []RouteOwner
}

// RouteOwner is the owner a Slack route names and the accounts it covers.
type RouteOwner struct {
	Owner string
	// Covers reports whether the route covers the account.
	Covers func(a *result.Account) bool
}

// OwnerLookup names owner lookups in an account's checks not run: the
// users' tags that could not be read, and why.
const OwnerLookup = "owners from user tags"

// maxOwnerLen bounds an owner, in characters: IAM and Organizations tag
// values hold at most 256.
const maxOwnerLen = 256

// tagOwner is an owner read from a tag, and the tag's key.
type tagOwner struct{ owner, key string }

// accountOwners is what one account offers to name the owners of its
// findings.
type accountOwners struct {
	// users are the owners named by the tags of the users with findings.
	users   map[string]tagOwner
	account tagOwner
	// route is the owner of the first route covering the account.
	route string
}

// assignOwner sets f's Owner and OwnerSource: the owner tag of its IAM
// user (for every check about the user, see userName), else the account's owner tag, else the owner of the exception
// covering it, else the owner of the route covering the account, else
// none. Findings about other principals (root, roles, policies, the
// password policy) start from the account's tag.
func assignOwner(f *audit.Finding, o *accountOwners) {
	f.Owner, f.OwnerSource = "", ""
	if name, ok := userName(f); ok {
		if t, ok := o.users[name]; ok {
			f.Owner, f.OwnerSource = t.owner, audit.OwnerFromUserTag+t.key
			return
		}
	}
	if o.account.owner != "" {
		f.Owner, f.OwnerSource = o.account.owner, audit.OwnerFromAccountTag+o.account.key
		return
	}
	if f.Exception != nil {
		if owner := cleanOwner(f.Exception.Owner); owner != "" {
			f.Owner, f.OwnerSource = owner, audit.OwnerFromException
			return
		}
	}
	if o.route != "" {
		f.Owner, f.OwnerSource = o.route, audit.OwnerFromRoute
	}
}

// userName returns the name of the IAM user f is about, and whether it is
// about one: its ARN is a user's (arn:PARTITION:iam::ACCOUNT:user/PATH/NAME),
// which no role, policy, root or password policy ARN is. The name is the
// ARN's last part (an IAM user name holds no "/"), whatever f.Principal
// says: "alice" for the credential-report checks, "user/alice" for the
// checks of the authorization details (policy-full-admin of an inline
// policy, user-policy-attached, unused-services).
func userName(f *audit.Finding) (string, bool) {
	_, rest, ok := strings.Cut(f.ARN, ":iam::")
	if !ok {
		return "", false
	}
	_, resource, _ := strings.Cut(rest, ":")
	path, ok := strings.CutPrefix(resource, "user/")
	if !ok {
		return "", false
	}
	name := path[strings.LastIndexByte(path, '/')+1:]
	return name, name != ""
}

// tagged returns the owner named by the first of keys present in tags
// with a non-blank value.
func tagged(tags map[string]string, keys []string) (tagOwner, bool) {
	for _, k := range keys {
		if owner := cleanOwner(tags[k]); owner != "" {
			return tagOwner{owner: owner, key: k}, true
		}
	}
	return tagOwner{}, false
}

// cleanOwner trims an owner, turns control characters (line breaks
// that would break a table row) into spaces, bidirectional embeddings,
// overrides and isolates (which would reorder the text shown around
// them, in the workbook too) into U+FFFD, and cuts it to maxOwnerLen
// characters. Escaping for each output stays the renderers' job.
func cleanOwner(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return ' '
		case ('\u202A' <= r && r <= '\u202E') || ('\u2066' <= r && r <= '\u2069'):
			return '\uFFFD'
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxOwnerLen {
		s = string([]rune(s)[:maxOwnerLen])
	}
	return s
}

// ownersOf gathers what the account offers to name the owners of its
// findings: the owner tags of its users with findings, from the
// authorization details and then res.UserTags (which wins); its own tags;
// the first route covering it.
func ownersOf(findings []audit.Finding, res *collect.AccountResult, acct *result.Account, opts *OwnerOptions) *accountOwners {
	o := &accountOwners{}
	o.account, _ = tagged(acct.Tags, opts.TagKeys)
	for _, r := range opts.Routes {
		if owner := cleanOwner(r.Owner); owner != "" && r.Covers(acct) {
			o.route = owner
			break
		}
	}
	if len(opts.TagKeys) == 0 {
		return o
	}
	need := map[string]bool{}
	for i := range findings {
		if name, ok := userName(&findings[i]); ok {
			need[name] = true
		}
	}
	if len(need) == 0 {
		return o
	}
	o.users = map[string]tagOwner{}
	if d := res.Posture.Details; d != nil {
		for i := range d.UserDetailList {
			u := &d.UserDetailList[i]
			if !need[u.UserName] || len(u.Tags) == 0 {
				continue
			}
			tags := make(map[string]string, len(u.Tags))
			for _, t := range u.Tags {
				tags[t.Key] = t.Value
			}
			if t, ok := tagged(tags, opts.TagKeys); ok {
				o.users[strings.Clone(u.UserName)] = t
			}
		}
	}
	for user, tags := range res.UserTags.Tags {
		if t, ok := tagged(tags, opts.TagKeys); ok && need[user] {
			o.users[user] = t
		}
	}
	return o
}

// ownerLookupNotRun reports the users' tags an account could not read.
func ownerLookupNotRun(tags *collect.UserTags) (audit.NotRun, bool) {
	if tags.Err == nil {
		return audit.NotRun{}, false
	}
	return audit.NotRun{Checks: []string{OwnerLookup}, Reason: tags.Err.Error(), Failed: tags.Failed}, true
}

// usersWithFindings returns the function that names the users of an
// account's result that the credential-report checks find something
// about (by the bare name in their ARN, which iam:ListUserTags takes),
// so that a source looks up only their tags. It evaluates the
// report with eval, a copy: it may run in several goroutines at once.
func usersWithFindings(eval audit.Evaluator) func(res *collect.AccountResult) []string {
	return func(res *collect.AccountResult) []string {
		rd, err := credreport.NewReader(bytes.NewReader(res.Report), res.Account.ID)
		if err != nil {
			return nil
		}
		acct := audit.Account{ID: res.Account.ID, Name: res.Account.Name}
		var users []string
		var buf []audit.Finding
		for {
			row, err := rd.Next()
			if err != nil {
				return users // io.EOF, or a malformed row the audit reports
			}
			if row.IsRoot() {
				continue
			}
			if buf = eval.AppendRow(buf[:0], acct, &row); len(buf) > 0 {
				// The name assignOwner looks the tags up by: the one in
				// the row's ARN, bare (no "user/", no path).
				if name, ok := userName(&buf[0]); ok {
					users = append(users, strings.Clone(name))
				}
			}
		}
	}
}
