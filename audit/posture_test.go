package audit

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/collect/posture"
)

const acctID = "111122223333"

// daysAgo is the time exactly n days (plus extra) before asOf.
func daysAgo(n int, extra ...time.Duration) time.Time {
	return ago(n, extra...).Time
}

func ptr[T any](v T) *T { return &v }

// adminDoc is a full-admin policy document in one of its spellings.
const adminDoc = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`

// readOnly is a policy document that is not full admin.
const readOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*"],"Resource":"*"}]}`

func TestFullAdmin(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		admin bool
		bad   bool
	}{
		{"statement, action and resource as values", adminDoc, true, false},
		{"all as lists", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","*"],"Resource":["arn:aws:s3:::b","*"]}]}`, true, false},
		{"action list, resource value", `{"Statement":[{"Effect":"Allow","Action":["*"],"Resource":"*"}]}`, true, false},
		{"second statement is admin, with Sid", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"God","Effect":"Allow","Action":"*","Resource":["*"]}]}`, true, false},
		{"a condition does not exempt", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`, true, false},
		{"deny is not admin", `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, false, false},
		{"service wildcard is not full admin", `{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`, false, false},
		{"all actions on one resource", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}}`, false, false},
		{"NotAction is not Action", `{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`, false, false},
		{"read-only", readOnly, false, false},
		{"no statement", `{"Version":"2012-10-17"}`, false, false},
		{"not JSON (still URL-encoded)", url.PathEscape(adminDoc), false, true},
		{"statement of the wrong type", `{"Statement":42}`, false, true},
		{"action of the wrong type", `{"Statement":{"Effect":"Allow","Action":{"a":1},"Resource":"*"}}`, false, true},
		{"empty", ``, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			admin, where, err := FullAdmin(posture.Document(tt.doc))
			if (err != nil) != tt.bad || admin != tt.admin {
				t.Fatalf("FullAdmin(%s) = %v, %q, %v; want admin %v, error %v", tt.doc, admin, where, err, tt.admin, tt.bad)
			}
			if admin && !strings.HasPrefix(where, "statement ") {
				t.Errorf("FullAdmin where = %q, want the statement named", where)
			}
		})
	}
}

// details builds authorization details around one user, group, role and policy.
func details(mod func(d *posture.AuthorizationDetails)) *posture.Data {
	d := &posture.AuthorizationDetails{}
	mod(d)
	return &posture.Data{Details: d, Summary: &posture.AccountSummary{SummaryMap: map[string]int{"AccountMFAEnabled": 1}},
		VirtualMFA: &posture.VirtualMFADevices{}}
}

func role(name, path string, created time.Time, lastUsed *time.Time) posture.RoleDetail {
	r := posture.RoleDetail{RoleName: name, Path: path, Arn: "arn:aws:iam::" + acctID + ":role" + path + name, CreateDate: created}
	if lastUsed != nil {
		r.RoleLastUsed = &posture.RoleLastUsed{LastUsedDate: lastUsed, Region: "eu-west-1"}
	} else {
		r.RoleLastUsed = &posture.RoleLastUsed{} // <RoleLastUsed/>: nil date
	}
	return r
}

func managed(name string, attachments int, versions ...posture.PolicyVersion) posture.ManagedPolicy {
	return posture.ManagedPolicy{PolicyName: name, Arn: "arn:aws:iam::" + acctID + ":policy/" + name,
		AttachmentCount: attachments, PolicyVersionList: versions, DefaultVersionID: "v1"}
}

// got renders the findings as "check/principal/credential[/age]".
func gotPosture(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		s := f.Check + "/" + f.Principal + "/" + f.Credential
		if f.AgeDays.Valid {
			s += "/" + strconv.Itoa(f.AgeDays.N)
		}
		out = append(out, s)
	}
	return out
}

func TestAppendPosturePermissions(t *testing.T) {
	tests := []struct {
		name string
		data *posture.Data
		want []string
	}{
		{"user with an attached policy", details(func(d *posture.AuthorizationDetails) {
			d.UserDetailList = []posture.UserDetail{{UserName: "bob", Arn: "arn:aws:iam::" + acctID + ":user/bob",
				AttachedManagedPolicies: []posture.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}}
		}), []string{"user-policy-attached/bob/user"}},
		{"user with an inline policy and groups: one finding", details(func(d *posture.AuthorizationDetails) {
			d.UserDetailList = []posture.UserDetail{{UserName: "carol", GroupList: []string{"devs"},
				UserPolicyList: []posture.InlinePolicy{{PolicyName: "a", PolicyDocument: readOnly}, {PolicyName: "b", PolicyDocument: readOnly}}}}
		}), []string{"user-policy-attached/carol/user"}},
		{"user only in groups is fine", details(func(d *posture.AuthorizationDetails) {
			d.UserDetailList = []posture.UserDetail{{UserName: "dave", GroupList: []string{"devs"}}}
		}), nil},
		{"user's inline admin policy", details(func(d *posture.AuthorizationDetails) {
			d.UserDetailList = []posture.UserDetail{{UserName: "erin", UserPolicyList: []posture.InlinePolicy{{PolicyName: "god", PolicyDocument: adminDoc}}}}
		}), []string{"user-policy-attached/erin/user", "policy-full-admin/user/erin/inline:god"}},
		{"group and role inline admin policies", details(func(d *posture.AuthorizationDetails) {
			d.GroupDetailList = []posture.GroupDetail{{GroupName: "ops", GroupPolicyList: []posture.InlinePolicy{{PolicyName: "all", PolicyDocument: adminDoc}}}}
			r := role("deployer", "/", daysAgo(10), ptr(daysAgo(1)))
			r.RolePolicyList = []posture.InlinePolicy{{PolicyName: "all", PolicyDocument: adminDoc}, {PolicyName: "ro", PolicyDocument: readOnly}}
			d.RoleDetailList = []posture.RoleDetail{r}
		}), []string{"policy-full-admin/group/ops/inline:all", "policy-full-admin/role/deployer/inline:all"}},
		{"attached customer policy whose default (not first) version is admin", details(func(d *posture.AuthorizationDetails) {
			p := managed("Legacy", 2,
				posture.PolicyVersion{VersionID: "v1", Document: readOnly},
				posture.PolicyVersion{VersionID: "v2", Document: adminDoc, IsDefaultVersion: true})
			p.DefaultVersionID = "v2"
			d.Policies = []posture.ManagedPolicy{p}
		}), []string{"policy-full-admin/policy/Legacy/policy"}},
		{"first version admin but default is not", details(func(d *posture.AuthorizationDetails) {
			p := managed("Fixed", 2,
				posture.PolicyVersion{VersionID: "v1", Document: adminDoc},
				posture.PolicyVersion{VersionID: "v2", Document: readOnly, IsDefaultVersion: true})
			d.Policies = []posture.ManagedPolicy{p}
		}), nil},
		{"default found by DefaultVersionId alone", details(func(d *posture.AuthorizationDetails) {
			p := managed("ByID", 1, posture.PolicyVersion{VersionID: "v1", Document: readOnly}, posture.PolicyVersion{VersionID: "v3", Document: adminDoc})
			p.DefaultVersionID = "v3"
			d.Policies = []posture.ManagedPolicy{p}
		}), []string{"policy-full-admin/policy/ByID/policy"}},
		{"unattached admin policy is fine", details(func(d *posture.AuthorizationDetails) {
			d.Policies = []posture.ManagedPolicy{managed("Spare", 0, posture.PolicyVersion{VersionID: "v1", Document: adminDoc, IsDefaultVersion: true})}
		}), nil},
		{"AWS-managed AdministratorAccess is out of scope", details(func(d *posture.AuthorizationDetails) {
			p := managed("AdministratorAccess", 3, posture.PolicyVersion{VersionID: "v1", Document: adminDoc, IsDefaultVersion: true})
			p.Arn = "arn:aws:iam::aws:policy/AdministratorAccess"
			d.Policies = []posture.ManagedPolicy{p}
		}), nil},
		{"role unused: created and last used 91 days ago", details(func(d *posture.AuthorizationDetails) {
			d.RoleDetailList = []posture.RoleDetail{role("old", "/", daysAgo(91), ptr(daysAgo(91)))}
		}), []string{"role-unused/role/old/role/91"}},
		{"role used 90 days ago is fine", details(func(d *posture.AuthorizationDetails) {
			d.RoleDetailList = []posture.RoleDetail{role("edge", "/", daysAgo(400), ptr(daysAgo(90)))}
		}), nil},
		{"role never used, created 91 days ago", details(func(d *posture.AuthorizationDetails) {
			d.RoleDetailList = []posture.RoleDetail{role("never", "/app/", daysAgo(91), nil)}
		}), []string{"role-unused/role/never/role/91"}},
		{"role never used, created 90 days ago is fine", details(func(d *posture.AuthorizationDetails) {
			d.RoleDetailList = []posture.RoleDetail{role("young", "/", daysAgo(90), nil)}
		}), nil},
		{"role without RoleLastUsed element counts as never used", details(func(d *posture.AuthorizationDetails) {
			r := role("bare", "/", daysAgo(200), nil)
			r.RoleLastUsed = nil
			d.RoleDetailList = []posture.RoleDetail{r}
		}), []string{"role-unused/role/bare/role/200"}},
		{"service-linked role is left out", details(func(d *posture.AuthorizationDetails) {
			d.RoleDetailList = []posture.RoleDetail{role("AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/", daysAgo(900), nil)}
		}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluator{Thresholds: DefaultThresholds(), AsOf: asOf}
			fs, notRun := e.AppendPosture(nil, Account{ID: acctID, Name: "a"}, Root{HasCredentials: true}, tt.data)
			if len(notRun) > 0 {
				t.Errorf("not run: %v", notRun)
			}
			if g := gotPosture(fs); strings.Join(g, " ") != strings.Join(tt.want, " ") {
				t.Errorf("AppendPosture() = %v, want %v", g, tt.want)
			}
			for _, f := range fs {
				c, _ := LookupCheck(f.Check)
				if f.Detail == "" || f.Severity != c.Severity || f.CIS != c.CIS || f.AccountID != acctID {
					t.Errorf("finding %+v: want a detail and the catalog's severity and controls", f)
				}
			}
		})
	}
}

func TestRoleUnusedThreshold(t *testing.T) {
	e := Evaluator{Thresholds: DefaultThresholds(), AsOf: asOf}
	e.Thresholds.RoleUnusedDays = 30
	d := details(func(d *posture.AuthorizationDetails) {
		d.RoleDetailList = []posture.RoleDetail{role("r", "/", daysAgo(31), ptr(daysAgo(31)))}
	})
	fs, _ := e.AppendPosture(nil, Account{ID: acctID}, Root{}, d)
	if g := gotPosture(fs); len(g) != 1 || g[0] != "role-unused/role/r/role/31" || !strings.Contains(fs[0].Detail, "limit 30") {
		t.Errorf("with role_unused_days 30: %v", fs)
	}
}

func TestAppendPostureRootHardwareMFA(t *testing.T) {
	rootArn := "arn:aws:iam::" + acctID + ":root"
	dev := func(serial, arn string) posture.VirtualMFADevice {
		d := posture.VirtualMFADevice{SerialNumber: "arn:aws:iam::" + acctID + ":mfa/" + serial, EnableDate: ptr(daysAgo(30))}
		if arn != "" {
			d.User = &posture.MFAUser{Arn: arn}
		}
		return d
	}
	data := func(mfaEnabled *int, devs ...posture.VirtualMFADevice) *posture.Data {
		m := map[string]int{"Users": 3}
		if mfaEnabled != nil {
			m["AccountMFAEnabled"] = *mfaEnabled
		}
		return &posture.Data{Details: &posture.AuthorizationDetails{}, Summary: &posture.AccountSummary{SummaryMap: m},
			VirtualMFA: &posture.VirtualMFADevices{VirtualMFADevices: devs}}
	}
	withCreds := Root{ARN: rootArn, HasCredentials: true}
	tests := []struct {
		name string
		root Root
		data *posture.Data
		want []string
	}{
		{"root's virtual device, any serial", withCreds, data(ptr(1), dev("RootMFAdeviceName", rootArn)), []string{"root-hardware-mfa-missing/<root_account>/mfa/30"}},
		{"hardware only: no virtual device of root", withCreds, data(ptr(1), dev("alice", "arn:aws:iam::"+acctID+":user/alice")), nil},
		{"a user named rootbeer with a virtual device", withCreds, data(ptr(1), dev("rootbeer", "arn:aws:iam::"+acctID+":user/rootbeer")), nil},
		{"serial root-account-mfa-device assigned to a non-root user", withCreds,
			data(ptr(1), dev("root-account-mfa-device", "arn:aws:iam::"+acctID+":user/ops")), nil},
		{"root-named device without a User is unassigned", withCreds, data(ptr(1), dev("root-account-mfa-device", "")), nil},
		{"root's device beside a user's", withCreds, data(ptr(1), dev("alice", "arn:aws:iam::"+acctID+":user/alice"), dev("root-account-mfa-device", rootArn)),
			[]string{"root-hardware-mfa-missing/<root_account>/mfa/30"}},
		{"AccountMFAEnabled 0 is root-mfa-disabled's case", withCreds, data(ptr(0), dev("x", rootArn)), nil},
		{"AccountMFAEnabled missing reads 0", withCreds, data(nil, dev("x", rootArn)), nil},
		{"root without credentials is not applicable", Root{ARN: rootArn}, data(ptr(1), dev("x", rootArn)), nil},
		{"other partition", Root{ARN: "arn:aws-us-gov:iam::" + acctID + ":root", HasCredentials: true},
			data(ptr(1), dev("x", "arn:aws-us-gov:iam::"+acctID+":root")), []string{"root-hardware-mfa-missing/<root_account>/mfa/30"}},
		{"another account's root does not count", withCreds, data(ptr(1), dev("x", "arn:aws:iam::999999999999:root")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluator{Thresholds: DefaultThresholds(), AsOf: asOf}
			fs, notRun := e.AppendPosture(nil, Account{ID: acctID}, tt.root, tt.data)
			if len(notRun) > 0 {
				t.Errorf("not run: %v", notRun)
			}
			if g := gotPosture(fs); strings.Join(g, " ") != strings.Join(tt.want, " ") {
				t.Errorf("AppendPosture() = %v, want %v", g, tt.want)
			}
			for _, f := range fs {
				if f.SecurityHub != "IAM.6" || f.CIS != "1.6" || f.Severity != High || f.ARN != tt.root.ARN {
					t.Errorf("finding %+v: want IAM.6 / 1.6, high, root's ARN", f)
				}
			}
		})
	}
}

func TestAppendPostureNotRun(t *testing.T) {
	denied := errors.New("iam:GetAccountAuthorizationDetails: AccessDenied: not authorized")
	full := func() *posture.Data {
		return &posture.Data{Details: &posture.AuthorizationDetails{}, Summary: &posture.AccountSummary{SummaryMap: map[string]int{}},
			VirtualMFA: &posture.VirtualMFADevices{}}
	}
	tests := []struct {
		name   string
		data   func() *posture.Data
		want   []string // NotRun.String()s
		failed []bool
	}{
		{"everything collected", full, nil, nil},
		{"details denied", func() *posture.Data {
			d := full()
			d.Details = nil
			d.Fail(posture.AuthorizationDetailsInput, denied)
			return d
		}, []string{"user-policy-attached, policy-full-admin, role-unused: authorization details: " + denied.Error()}, []bool{true}},
		{"summary file missing", func() *posture.Data {
			d := full()
			d.Summary = nil
			d.Missing(posture.AccountSummaryInput, errors.New("no file 111122223333.account-summary.json"))
			return d
		}, []string{"root-hardware-mfa-missing: account summary: no file 111122223333.account-summary.json"}, []bool{false}},
		{"nothing collected and nothing said", func() *posture.Data { return &posture.Data{} }, []string{
			"root-hardware-mfa-missing: account summary: not collected; virtual MFA devices: not collected",
			"user-policy-attached, policy-full-admin, role-unused: authorization details: not collected",
		}, []bool{false, false}},
		{"an unreadable document", func() *posture.Data {
			d := full()
			d.Details.RoleDetailList = []posture.RoleDetail{{RoleName: "r", RolePolicyList: []posture.InlinePolicy{{PolicyName: "p", PolicyDocument: "{not json"}}}}
			return d
		}, []string{"policy-full-admin: not judged for these unreadable policy documents: role/r inline policy p: not a JSON policy document: invalid character 'n' looking for beginning of object key string"}, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Evaluator{Thresholds: DefaultThresholds(), AsOf: asOf}
			_, notRun := e.AppendPosture(nil, Account{ID: acctID}, Root{HasCredentials: true}, tt.data())
			var got []string
			var failed []bool
			for _, n := range notRun {
				got = append(got, n.String())
				failed = append(failed, n.Failed)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("not run = %q, want %q", got, tt.want)
			}
			for i := range failed {
				if i < len(tt.failed) && failed[i] != tt.failed[i] {
					t.Errorf("not run %d failed = %v, want %v", i, failed[i], tt.failed[i])
				}
			}
		})
	}
}

func TestControlMappings(t *testing.T) {
	unused := func(days int) credreport.Row {
		return user(func(r *credreport.Row) {
			r.UserCreationTime = ago(400)
			r.PasswordEnabled, r.MFAActive, r.PasswordLastUsed = yes, yes, ago(days)
			r.AccessKeys[0] = credreport.AccessKey{Active: yes, LastRotated: ago(days), LastUsed: ago(days)}
		})
	}
	for _, tt := range []struct {
		preset string
		days   int
		want   string
	}{{"default", 95, "IAM.8"}, {"cis", 50, "IAM.22"}, {"cis", 95, "IAM.22"}} {
		th, _ := Preset(tt.preset)
		e := Evaluator{Thresholds: th, AsOf: asOf}
		row := unused(tt.days)
		fs := e.AppendRow(nil, Account{ID: acctID}, &row)
		n := 0
		for _, f := range fs {
			if f.Check == ConsolePasswordUnused || f.Check == AccessKeyUnused {
				n++
				if f.SecurityHub != tt.want {
					t.Errorf("preset %s: %s carries %q, want %q", tt.preset, f.Check, f.SecurityHub, tt.want)
				}
			}
		}
		if n != 2 {
			t.Errorf("preset %s: %d unused-credential findings, want 2: %v", tt.preset, n, got(fs))
		}
	}
	e := Evaluator{Thresholds: DefaultThresholds(), AsOf: asOf}
	want := map[string]string{
		PasswordPolicyUppercase: "IAM.11", PasswordPolicyLowercase: "IAM.12", PasswordPolicySymbols: "IAM.13",
		PasswordPolicyNumbers: "IAM.14", PasswordPolicyMinLength: "IAM.15", PasswordPolicyReuse: "IAM.16", PasswordPolicyMaxAge: "IAM.17",
	}
	for _, f := range e.AppendPolicy(nil, Account{ID: acctID}, passwordpolicy.Result{State: passwordpolicy.Present}) {
		if f.SecurityHub != want[f.Check] {
			t.Errorf("%s carries %q, want %q", f.Check, f.SecurityHub, want[f.Check])
		}
		delete(want, f.Check)
	}
	if len(want) > 0 {
		t.Errorf("no finding of %v", want)
	}
}
