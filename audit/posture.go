package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/collect/posture"
)

// NotRun names checks that did not run for an account, and why. Failed
// is true when reading their input failed (an API error, a malformed
// file); false when the input was not there (no file of a dir: source).
type NotRun struct {
	Checks []string `json:"checks"`
	Reason string   `json:"reason"`
	Failed bool     `json:"failed"`
	// Partial is true when the checks did run for the account, except
	// for the Principals named; false when they did not run for it.
	Partial bool `json:"partial,omitempty"`
	// Principals are the principals a partial entry's checks did not
	// judge at all (user/alice, role/ops), as findings name them.
	Principals []string `json:"principals,omitempty"`
	// NotJudged are single findings' subjects a partial entry's checks
	// did not judge: a principal's one credential (the inline policy
	// inline:X of user/alice) while its others were judged.
	NotJudged []Subject `json:"not_judged,omitempty"`
}

// Subject is what one finding is about within its account and check: a
// principal and a credential, as the finding names them.
type Subject struct {
	Principal  string `json:"principal"`
	Credential string `json:"credential"`
}

// partialReasons begin the reasons of the partial entries that runs
// wrote before NotRun had Partial: read from such a run, an entry with
// one of them is partial, with nothing named as not judged.
var partialReasons = []string{
	"not judged for these unreadable policy documents: ",
	"last-accessed data missing for ",
	"no last-accessed data for ",
}

// IsPartial reports whether n is a partial entry, also when an older run
// wrote it without Partial.
func (n *NotRun) IsPartial() bool {
	if n.Partial {
		return true
	}
	for _, p := range partialReasons {
		if strings.HasPrefix(n.Reason, p) {
			return true
		}
	}
	// "3 principals not asked about: …", "2 last-accessed entries refused: …"
	_, rest, ok := strings.Cut(n.Reason, " ")
	return ok && (strings.HasPrefix(rest, "principal not asked about: ") || strings.HasPrefix(rest, "principals not asked about: ") ||
		strings.HasPrefix(rest, "last-accessed entry refused: ") || strings.HasPrefix(rest, "last-accessed entries refused: "))
}

// Judged reports whether check judged a finding's subject (principal and
// credential) in an account whose checks not run are notRun: false when
// an entry says the check did not run for the account, or did not judge
// that principal, or that credential of it. A run's comparison neither
// resolves an earlier finding that was not judged nor takes the run as
// its baseline.
func Judged(notRun []NotRun, check, principal, credential string) bool {
	for i := range notRun {
		n := &notRun[i]
		if !slices.Contains(n.Checks, check) {
			continue
		}
		if !n.IsPartial() || slices.Contains(n.Principals, principal) ||
			slices.Contains(n.NotJudged, Subject{Principal: principal, Credential: credential}) {
			return false
		}
	}
	return true
}

// JudgedAnything reports whether check ran for the account at all (for
// every principal or some) when its checks not run are notRun.
func JudgedAnything(notRun []NotRun, check string) bool {
	for i := range notRun {
		if n := &notRun[i]; slices.Contains(n.Checks, check) && !n.IsPartial() {
			return false
		}
	}
	return true
}

// String renders "user-policy-attached, policy-full-admin: REASON".
func (n NotRun) String() string { return strings.Join(n.Checks, ", ") + ": " + n.Reason }

// The checks each posture input feeds.
var (
	detailsChecks     = []string{UserPolicyAttached, PolicyFullAdmin, RoleUnused}
	hardwareMFAChecks = []string{RootHardwareMFAMissing}
)

// Root is what the posture checks need to know of the credential report's
// root row.
type Root struct {
	// ARN is the root user's ARN, arn:<partition>:iam::<account>:root.
	ARN string
	// HasCredentials is false when root has neither a password nor an
	// active access key (as root-mfa-disabled judges it).
	HasCredentials bool
}

// RootOf reads a root row of a credential report.
func RootOf(r *credreport.Row) Root {
	anyKeyActive := r.AccessKeys[0].Active.True() || r.AccessKeys[1].Active.True()
	return Root{ARN: strings.Clone(r.ARN), HasCredentials: !(r.PasswordEnabled.False() && !anyKeyActive)}
}

// rootARN returns root.ARN, or builds it for account in the aws partition.
func rootARN(root Root, account string) string {
	if strings.HasSuffix(root.ARN, ":iam::"+account+":root") {
		return root.ARN
	}
	return "arn:aws:iam::" + account + ":root"
}

// AppendPosture appends the findings of the posture checks (permissions,
// unused roles, root hardware MFA) to dst, and returns the checks that
// could not run for the account with the reason. Nothing of d is kept.
func (e *Evaluator) AppendPosture(dst []Finding, acct Account, root Root, d *posture.Data) ([]Finding, []NotRun) {
	var notRun []NotRun
	skip := func(checks []string, in ...posture.Input) bool {
		var reasons []string
		failed := false
		for _, i := range in {
			if d.Has(i) {
				continue
			}
			p, ok := d.Problem(i)
			switch {
			case ok:
				reasons = append(reasons, p.Error())
				failed = failed || p.Failed
			default:
				reasons = append(reasons, string(i)+": not collected")
			}
		}
		if len(reasons) == 0 {
			return false
		}
		notRun = append(notRun, NotRun{Checks: checks, Reason: strings.Join(reasons, "; "), Failed: failed})
		return true
	}
	if !skip(hardwareMFAChecks, posture.AccountSummaryInput, posture.VirtualMFADevicesInput) {
		dst = e.appendHardwareMFA(dst, acct, root, d.Summary, d.VirtualMFA)
	}
	if !skip(detailsChecks, posture.AuthorizationDetailsInput) {
		var bad []string
		var unjudged []Subject
		dst, bad, unjudged = e.appendPermissions(dst, acct, d.Details)
		if len(bad) > 0 {
			notRun = append(notRun, NotRun{Checks: []string{PolicyFullAdmin}, Failed: true, Partial: true, NotJudged: unjudged,
				Reason: "not judged for these unreadable policy documents: " + strings.Join(bad, "; ")})
		}
	}
	return dst, notRun
}

// appendHardwareMFA applies root-hardware-mfa-missing: root has
// credentials, some MFA (AccountMFAEnabled 1), and an assigned virtual
// device whose User.Arn is root's. The device's serial is not looked at:
// it can have any name, and a user can be named like root.
func (e *Evaluator) appendHardwareMFA(dst []Finding, acct Account, root Root, sum *posture.AccountSummary, mfa *posture.VirtualMFADevices) []Finding {
	if !root.HasCredentials || sum.SummaryMap[posture.AccountMFAEnabledKey] != 1 {
		return dst // no credentials: not applicable; no MFA: root-mfa-disabled
	}
	arn := rootARN(root, acct.ID)
	for _, dev := range mfa.VirtualMFADevices {
		if dev.User == nil || dev.User.Arn != arn {
			continue
		}
		f := e.posture(acct, RootHardwareMFAMissing, credreport.RootUser, arn, "mfa",
			"root signs in with the virtual MFA device "+dev.SerialNumber+", not a hardware device")
		if dev.EnableDate != nil {
			f.Since = dev.EnableDate.UTC()
			f.AgeDays = DaysOf(e.AgeDays(f.Since))
			f.Detail += ", enabled " + day(f.Since)
		}
		return append(dst, f)
	}
	return dst
}

// appendPermissions applies user-policy-attached, policy-full-admin and
// role-unused. It returns the policies whose documents could not be read,
// and what policy-full-admin therefore did not judge: the findings it
// could have made of them.
func (e *Evaluator) appendPermissions(dst []Finding, acct Account, d *posture.AuthorizationDetails) ([]Finding, []string, []Subject) {
	var bad []string
	var unjudged []Subject
	unreadable := func(principal, credential, why string) {
		bad = append(bad, why)
		unjudged = append(unjudged, Subject{Principal: principal, Credential: credential})
	}
	inline := func(kind, name, arn string, list []posture.InlinePolicy) {
		for _, p := range list {
			admin, where, err := FullAdmin(p.PolicyDocument)
			if err != nil {
				unreadable(kind+"/"+name, "inline:"+p.PolicyName, fmt.Sprintf("%s/%s inline policy %s: %v", kind, name, p.PolicyName, err))
				continue
			}
			if admin {
				dst = append(dst, e.posture(acct, PolicyFullAdmin, kind+"/"+name, arn, "inline:"+p.PolicyName,
					fmt.Sprintf("inline policy %s of %s %s allows * on * (%s)", p.PolicyName, kind, name, where)))
			}
		}
	}
	for i := range d.UserDetailList {
		u := &d.UserDetailList[i]
		if len(u.AttachedManagedPolicies) > 0 || len(u.UserPolicyList) > 0 {
			dst = append(dst, e.posture(acct, UserPolicyAttached, u.UserName, u.Arn, "user", userPolicies(u)))
		}
		inline("user", u.UserName, u.Arn, u.UserPolicyList)
	}
	for i := range d.GroupDetailList {
		g := &d.GroupDetailList[i]
		inline("group", g.GroupName, g.Arn, g.GroupPolicyList)
	}
	for i := range d.RoleDetailList {
		r := &d.RoleDetailList[i]
		inline("role", r.RoleName, r.Arn, r.RolePolicyList)
		if f, ok := e.roleUnused(acct, r); ok {
			dst = append(dst, f)
		}
	}
	for i := range d.Policies {
		p := &d.Policies[i]
		if AWSManaged(p.Arn) || p.AttachmentCount <= 0 {
			continue
		}
		v, ok := p.DefaultVersion()
		if !ok {
			unreadable("policy/"+p.PolicyName, "policy", fmt.Sprintf("policy/%s: no default version among %d", p.PolicyName, len(p.PolicyVersionList)))
			continue
		}
		admin, where, err := FullAdmin(v.Document)
		if err != nil {
			unreadable("policy/"+p.PolicyName, "policy", fmt.Sprintf("policy/%s version %s: %v", p.PolicyName, v.VersionID, err))
			continue
		}
		if admin {
			dst = append(dst, e.posture(acct, PolicyFullAdmin, "policy/"+p.PolicyName, p.Arn, "policy",
				fmt.Sprintf("default version %s allows * on * (%s); attached to %d principals", v.VersionID, where, p.AttachmentCount)))
		}
	}
	return dst, bad, unjudged
}

// serviceRolePath is the path of every service-linked role.
const serviceRolePath = "/aws-service-role/"

// roleUnused applies role-unused to r: a role that is not service-linked,
// was created more than the limit ago, and was not used within it (or
// never within IAM's 400-day tracking period).
func (e *Evaluator) roleUnused(acct Account, r *posture.RoleDetail) (Finding, bool) {
	limit := e.Thresholds.RoleUnusedDays
	if strings.HasPrefix(r.Path, serviceRolePath) || r.CreateDate.IsZero() {
		return Finding{}, false
	}
	created := e.AgeDays(r.CreateDate)
	if created <= limit {
		return Finding{}, false
	}
	since, what := r.CreateDate.UTC(), "not used in IAM's tracking period (400 days); created"
	if r.RoleLastUsed != nil && r.RoleLastUsed.LastUsedDate != nil {
		since, what = r.RoleLastUsed.LastUsedDate.UTC(), "last used"
	}
	age := e.AgeDays(since)
	if age <= limit {
		return Finding{}, false
	}
	detail := ageDetail("role", what, since, age, limit)
	if r.RoleLastUsed != nil && r.RoleLastUsed.LastUsedDate != nil && r.RoleLastUsed.Region != "" {
		detail += ", in " + r.RoleLastUsed.Region
	}
	f := e.posture(acct, RoleUnused, "role/"+r.RoleName, r.Arn, "role", detail)
	f.AgeDays, f.Since = DaysOf(age), since
	return f, true
}

// userPolicies lists a user's attached and inline policies.
func userPolicies(u *posture.UserDetail) string {
	var parts []string
	if n := len(u.AttachedManagedPolicies); n > 0 {
		names := make([]string, n)
		for i, p := range u.AttachedManagedPolicies {
			names[i] = p.PolicyName
		}
		parts = append(parts, "attached: "+strings.Join(names, ", "))
	}
	if n := len(u.UserPolicyList); n > 0 {
		names := make([]string, n)
		for i, p := range u.UserPolicyList {
			names[i] = p.PolicyName
		}
		parts = append(parts, "inline: "+strings.Join(names, ", "))
	}
	return "permissions granted to the user directly, not through a group; " + strings.Join(parts, "; ")
}

// AWSManaged reports whether arn is an AWS-managed policy
// (arn:<partition>:iam::aws:policy/…).
func AWSManaged(arn string) bool { return strings.Contains(arn, ":iam::aws:policy/") }

func (e *Evaluator) posture(acct Account, check, principal, arn, credential, detail string) Finding {
	c := checksByID[check]
	return Finding{
		AccountID: acct.ID, AccountName: acct.Name, Principal: principal, ARN: arn,
		Check: check, Severity: c.Severity, Credential: credential, Detail: detail,
		CIS: c.CIS, SecurityHub: c.SecurityHub,
	}
}

// FullAdmin reports whether a policy document has a statement with
// Effect Allow, "*" among its Action(s) and "*" among its Resource(s).
// Statement, Action and Resource may each be a value or a list.
// Conditions do not exempt a statement. where names the statement.
func FullAdmin(doc posture.Document) (admin bool, where string, err error) {
	if doc == "" {
		return false, "", errors.New("empty document")
	}
	var top struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &top); err != nil {
		return false, "", fmt.Errorf("not a JSON policy document: %w", err)
	}
	stmts, err := oneOrMany[statement](top.Statement)
	if err != nil {
		return false, "", fmt.Errorf("policy element Statement: %w", err)
	}
	for i, s := range stmts {
		actions, err := oneOrMany[string](s.Action)
		if err != nil {
			return false, "", fmt.Errorf("statement %d: Action: %w", i+1, err)
		}
		resources, err := oneOrMany[string](s.Resource)
		if err != nil {
			return false, "", fmt.Errorf("statement %d: Resource: %w", i+1, err)
		}
		if s.Effect == "Allow" && slices.Contains(actions, "*") && slices.Contains(resources, "*") {
			where = fmt.Sprintf("statement %d", i+1)
			if s.Sid != "" {
				where += " " + s.Sid
			}
			if len(s.Condition) > 0 && string(s.Condition) != "null" {
				where += ", with a condition"
			}
			return true, where, nil
		}
	}
	return false, "", nil
}

// statement is the part of a policy statement FullAdmin reads.
type statement struct {
	Sid       string
	Effect    string
	Action    json.RawMessage
	Resource  json.RawMessage
	Condition json.RawMessage
}

// oneOrMany reads a JSON value that is a T or a list of T; absent is none.
func oneOrMany[T any](raw json.RawMessage) ([]T, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []T
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one T
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}
