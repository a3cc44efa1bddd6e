package exceptions

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/reporter-dev/reporter/audit"
)

// maxPrincipalLen bounds an exception's principal, in bytes: the longest
// principal a finding names is "policy/" and a policy name of at most 128
// characters, so anything near the bound is a mistake, and the bound
// keeps a hostile file from compiling huge patterns.
const maxPrincipalLen = 1024

// bareKinds are the checks whose findings name a principal as KIND/NAME
// (user/maria, role/ci-deploy, group/admins, policy/AllAccess), with
// the kind a principal written without a slash names in them: a user,
// as the credential-report checks name users, or for role-unused, whose
// findings are all roles, a role. A check that starts naming principals
// by kind belongs here.
var bareKinds = map[string]string{
	audit.PolicyFullAdmin: "user/",
	audit.UnusedServices:  "user/",
	audit.RoleUnused:      "role/",
}

// matcher is one exception, ready to match findings.
type matcher struct {
	check, account string
	// literal is set when the principal has no wildcard: it matches
	// exact alone. Otherwise glob matches, and a zero matcher (a pattern
	// that did not compile) matches nothing.
	literal bool
	exact   string
	glob    *regexp.Regexp
	// bareKind is the kind a principal without a slash names in the
	// check (bareKinds); empty when the principal has a slash or the
	// check names principals without kinds.
	bareKind string
	// every is set for a principal of stars alone ("*"): every principal
	// of the check, whatever its kind.
	every bool
}

func newMatcher(e *audit.Exception) (matcher, error) {
	m := matcher{check: e.Check, account: e.Account, every: e.Principal != "" && strings.Trim(e.Principal, "*") == ""}
	if !strings.Contains(e.Principal, "/") {
		m.bareKind = bareKinds[e.Check]
	}
	re, err := compilePrincipal(e.Principal)
	if err != nil {
		return matcher{}, err
	}
	if re == nil {
		m.literal, m.exact = true, e.Principal
	}
	m.glob = re
	return m, nil
}

// matches reports whether the exception covers f, expiry aside.
func (m *matcher) matches(f *audit.Finding) bool {
	if m.check != f.Check || (m.account != "*" && m.account != f.AccountID) {
		return false
	}
	if m.bareKind == "" || m.every {
		return m.principal(f.Principal)
	}
	// A principal without a slash names a user of the check (bareKind):
	// matched against the user's name only, so that "*-admin" covers
	// user/ops-admin and never role/ops-admin or policy/x-admin.
	name, ok := strings.CutPrefix(f.Principal, m.bareKind)
	return ok && m.principal(name)
}

func (m *matcher) principal(s string) bool {
	if m.literal {
		return s == m.exact
	}
	return m.glob != nil && m.glob.MatchString(s)
}

// compilePrincipal compiles an exception's principal: the syntax of
// path.Match (*, ?, [classes], \ escapes), except that * and ? match
// any character, the slash included, so that "*" covers every principal
// of a check and "role/ci-*" every role whose name starts so. It returns
// nil for a principal without wildcards, which matches exactly. The
// regexp engine matches in time linear in the principal matched.
func compilePrincipal(p string) (*regexp.Regexp, error) {
	if len(p) > maxPrincipalLen {
		return nil, fmt.Errorf("%d bytes long, want at most %d (IAM names are at most 128 characters)", len(p), maxPrincipalLen)
	}
	// path.Match checks the whole pattern's syntax, even against "".
	if _, err := path.Match(p, ""); err != nil {
		return nil, err
	}
	if !strings.ContainsAny(p, `*?[\`) {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(`\A(?s:`)
	next := func() rune {
		r, n := utf8.DecodeRuneInString(p)
		p = p[n:]
		return r
	}
	// classChar reads one character of a class, escaped or not.
	classChar := func() rune {
		if r := next(); r != '\\' {
			return r
		}
		return next()
	}
	for p != "" {
		switch r := next(); r {
		case '*':
			b.WriteString(".*")
			for strings.HasPrefix(p, "*") {
				p = p[1:]
			}
		case '?':
			b.WriteString(".")
		case '\\':
			b.WriteString(regexp.QuoteMeta(string(next())))
		case '[':
			// path.Match accepted the class: it is not empty, and every
			// range is a character, or two joined by '-'.
			b.WriteByte('[')
			if strings.HasPrefix(p, "^") {
				b.WriteByte('^')
				p = p[1:]
			}
			for first := true; first || !strings.HasPrefix(p, "]"); first = false {
				lo := classChar()
				fmt.Fprintf(&b, `\x{%x}`, lo)
				if strings.HasPrefix(p, "-") {
					p = p[1:]
					hi := classChar()
					if hi < lo {
						return nil, fmt.Errorf("the range %q-%q is empty", lo, hi)
					}
					fmt.Fprintf(&b, `-\x{%x}`, hi)
				}
			}
			p = p[1:]
			b.WriteByte(']')
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`)\z`)
	return regexp.Compile(b.String())
}
