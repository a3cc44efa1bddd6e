package app

import (
	"archive/zip"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/internal/mdcheck"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

func TestAssignOwner(t *testing.T) {
	const acct = "arn:aws:iam::111122223333:"
	user := func(name string) audit.Finding {
		return audit.Finding{AccountID: "111122223333", Principal: name, ARN: acct + "user/" + name}
	}
	role := audit.Finding{AccountID: "111122223333", Principal: "alice", ARN: acct + "role/alice"}
	root := audit.Finding{AccountID: "111122223333", Principal: "<root_account>", ARN: acct + "root"}
	policy := audit.Finding{AccountID: "111122223333", Check: audit.PasswordPolicyMinLength}
	excepted := func(f audit.Finding, owner string) audit.Finding {
		f.Exception = &audit.Exception{Owner: owner}
		return f
	}
	tagged := &accountOwners{
		users:   map[string]tagOwner{"alice": {"alice@example.com", "owner"}, "svc": {"data", "team"}, "<root_account>": {"x", "owner"}},
		account: tagOwner{"payments", "team"}, route: "payments-route",
	}
	untagged := &accountOwners{route: "payments-route"}
	tests := []struct {
		name          string
		f             audit.Finding
		o             *accountOwners
		owner, source string
	}{
		{"the user's owner tag", user("alice"), tagged, "alice@example.com", "user-tag:owner"},
		{"the user's team tag", user("svc"), tagged, "data", "user-tag:team"},
		{"a user without tags: the account's", user("bob"), tagged, "payments", "account-tag:team"},
		{"a user in a path", audit.Finding{Principal: "alice", ARN: acct + "user/staff/alice"}, tagged, "alice@example.com", "user-tag:owner"},
		{"a role named like a tagged user: the account's", role, tagged, "payments", "account-tag:team"},
		{"root: the account's", root, tagged, "payments", "account-tag:team"},
		{"the password policy: the account's", policy, tagged, "payments", "account-tag:team"},
		{"a user tag beats the exception", excepted(user("alice"), "risk@example.com"), tagged, "alice@example.com", "user-tag:owner"},
		{"the exception's owner", excepted(user("bob"), "risk@example.com"), untagged, "risk@example.com", "exception"},
		{"an exception without owner: the route's", excepted(user("bob"), "  "), untagged, "payments-route", "route"},
		{"the route's", user("bob"), untagged, "payments-route", "route"},
		{"nothing: none, and an earlier owner is cleared", audit.Finding{Principal: "bob", ARN: acct + "user/bob", Owner: "old", OwnerSource: "route"},
			&accountOwners{}, "", ""},
		{"a GovCloud user", audit.Finding{Principal: "alice", ARN: "arn:aws-us-gov:iam::111122223333:user/alice"}, tagged, "alice@example.com", "user-tag:owner"},
		// The checks of the authorization details name a user "user/NAME".
		{"policy-full-admin of the user's inline policy", audit.Finding{Principal: "user/alice", ARN: acct + "user/alice", Check: audit.PolicyFullAdmin},
			tagged, "alice@example.com", "user-tag:owner"},
		{"unused-services of a user in a path", audit.Finding{Principal: "user/svc", ARN: acct + "user/ci/svc", Check: audit.UnusedServices},
			tagged, "data", "user-tag:team"},
		{"unused-services of a role named like a tagged user: the account's", audit.Finding{Principal: "role/alice", ARN: acct + "role/alice", Check: audit.UnusedServices},
			tagged, "payments", "account-tag:team"},
		{"a user ARN without a name: the account's", audit.Finding{Principal: "user/", ARN: acct + "user/staff/"}, tagged, "payments", "account-tag:team"},
		{"the ARN names the user, not the principal", audit.Finding{Principal: "alice", ARN: acct + "user/bob"}, tagged, "payments", "account-tag:team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			assignOwner(&f, tt.o)
			if f.Owner != tt.owner || f.OwnerSource != tt.source {
				t.Errorf("assignOwner() = %q, %q; want %q, %q", f.Owner, f.OwnerSource, tt.owner, tt.source)
			}
		})
	}
}

func TestCleanOwner(t *testing.T) {
	long := strings.Repeat("é", maxOwnerLen+10)
	tests := []struct{ in, want string }{
		{"  alice@example.com ", "alice@example.com"},
		{"team\r\n# injected\x00", "team  # injected"},
		{"<!channel> [x](javascript:alert(1))", "<!channel> [x](javascript:alert(1))"}, // escaping is the outputs' job
		{long, long[:2*maxOwnerLen]},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"\t\n", ""},
		{"alice\u202Emoc.elpmaxe@", "alice\uFFFDmoc.elpmaxe@"},
		{"\u2066ops\u2069\u2028team", "\uFFFDops\uFFFD team"},
		{strings.Repeat("x", 10<<10), strings.Repeat("x", maxOwnerLen)},
	}
	for _, tt := range tests {
		if got := cleanOwner(tt.in); got != tt.want {
			t.Errorf("cleanOwner(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOwnersOf(t *testing.T) {
	const id = "111122223333"
	f := func(principal, kind string) audit.Finding {
		return audit.Finding{AccountID: id, Principal: principal, ARN: "arn:aws:iam::" + id + ":" + kind + "/" + principal}
	}
	findings := []audit.Finding{f("alice", "user"), f("bob", "user"), f("carol", "user"), f("dave", "user"), f("erin", "role"),
		// The checks of the authorization details name their user
		// "user/NAME"; its tags are looked up by NAME.
		{AccountID: id, Principal: "user/gina", ARN: "arn:aws:iam::" + id + ":user/staff/gina", Check: audit.PolicyFullAdmin},
		{AccountID: id, Principal: "user/hank", ARN: "arn:aws:iam::" + id + ":user/hank", Check: audit.UnusedServices}}
	res := &collect.AccountResult{
		Posture: posture.Data{Details: &posture.AuthorizationDetails{UserDetailList: []posture.UserDetail{
			{UserName: "alice", Tags: []posture.Tag{{Key: "team", Value: "web"}, {Key: "owner", Value: "alice@example.com"}}},
			{UserName: "bob", Tags: []posture.Tag{{Key: "owner", Value: "from-details"}}},
			{UserName: "carol", Tags: []posture.Tag{{Key: "owner", Value: " "}, {Key: "team", Value: "data"}}},
			{UserName: "erin", Tags: []posture.Tag{{Key: "owner", Value: "a role's namesake"}}},
			{UserName: "frank", Tags: []posture.Tag{{Key: "owner", Value: "no findings"}}},
			{UserName: "gina", Tags: []posture.Tag{{Key: "owner", Value: "gina@example.com"}}},
			{UserName: "user/hank", Tags: []posture.Tag{{Key: "owner", Value: "the principal, not the name"}}},
		}}},
		UserTags: collect.UserTags{Tags: map[string]map[string]string{
			"bob":  {"owner": "from-file"},
			"dave": {"cost-center": "7"},
			"hank": {"team": "hank-team"},
		}},
	}
	acct := &result.Account{ID: id, Tags: map[string]string{"team": "platform"}, OUs: []string{"ou-a"}}
	opts := &OwnerOptions{TagKeys: []string{"owner", "team"}, Routes: []RouteOwner{
		{Owner: "nobody", Covers: func(a *result.Account) bool { return false }},
		{Owner: "  ", Covers: func(a *result.Account) bool { return true }},
		{Owner: "ou-a-team", Covers: func(a *result.Account) bool { return slices.Contains(a.OUs, "ou-a") }},
		{Owner: "later", Covers: func(a *result.Account) bool { return true }},
	}}
	got := ownersOf(findings, res, acct, opts)
	want := map[string]tagOwner{"alice": {"alice@example.com", "owner"}, "bob": {"from-file", "owner"}, "carol": {"data", "team"},
		"gina": {"gina@example.com", "owner"}, "hank": {"hank-team", "team"}}
	if !maps.Equal(got.users, want) {
		t.Errorf("users = %v, want %v", got.users, want)
	}
	if got.account != (tagOwner{"platform", "team"}) || got.route != "ou-a-team" {
		t.Errorf("account %v, route %q; want platform (team), ou-a-team", got.account, got.route)
	}
	// No keys: no owner from any tag.
	none := ownersOf(findings, res, acct, &OwnerOptions{})
	if len(none.users) != 0 || none.account.owner != "" {
		t.Errorf("without tag keys: %+v, want no tag owners", none)
	}
}

func TestUsersWithFindings(t *testing.T) {
	const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
	report := header +
		"<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2026-10-30T00:00:00+00:00,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"clean,arn:aws:iam::111122223333:user/clean,2026-10-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"nomfa,arn:aws:iam::111122223333:user/nomfa,2026-10-01T00:00:00+00:00,true,2026-10-30T00:00:00+00:00,2026-10-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"staff,arn:aws:iam::111122223333:user/it/staff,2026-10-01T00:00:00+00:00,true,2026-10-30T00:00:00+00:00,2026-10-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"notauser,arn:aws:iam::111122223333:role/notauser,2026-10-01T00:00:00+00:00,true,2026-10-30T00:00:00+00:00,2026-10-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	sel := usersWithFindings(audit.Evaluator{Thresholds: audit.DefaultThresholds(), AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	got := sel(&collect.AccountResult{Account: collect.Account{ID: "111122223333"}, Report: []byte(report)})
	// The bare names iam:ListUserTags takes (no path), and only of rows
	// whose ARN is a user's: assignOwner would not use the others' tags.
	if !slices.Equal(got, []string{"nomfa", "staff"}) {
		t.Errorf("usersWithFindings() = %q, want [nomfa staff]: only users the checks find something about", got)
	}
	if got := sel(&collect.AccountResult{Report: []byte("<html>")}); len(got) != 0 {
		t.Errorf("usersWithFindings(malformed) = %q, want none", got)
	}
}

// ownerOptions are the defaults of owner_tag_keys.
var ownerOptions = OwnerOptions{TagKeys: []string{"owner", "team"}}

// TestRunOnceOwners runs the sample: owners come from the users' tags
// (authorization details, acme-dev's user tags file), then the accounts'
// team tags; with only the owner key, from the exception, then a route.
func TestRunOnceOwners(t *testing.T) {
	exc := audit.Exception{Account: "222222222222", Principal: "bob.martin", Check: audit.UserInactive, Reason: "leaving", Owner: "risk-office@example.com",
		ApprovedBy: "ciso", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:1"}
	route := RouteOwner{Owner: "platform-route", Covers: func(a *result.Account) bool { return a.Tags["team"] == "platform" }}
	tests := []struct {
		name  string
		owner OwnerOptions
		// want maps "account/principal" (every finding of the principal)
		// or "account/principal/check" to "owner (source)".
		want map[string]string
	}{
		{"owner then team", ownerOptions, map[string]string{
			"111111111111/maria.admin":            "maria.admin@example.com (user-tag:owner)",
			"111111111111/<root_account>":         "security (account-tag:team)",
			"222222222222/":                       "payments (account-tag:team)",
			"222222222222/alice.chen":             "alice.chen@example.com (user-tag:owner)",
			"222222222222/ci-runner":              "platform (user-tag:team)",
			"222222222222/deploy-bot":             "platform-oncall@example.com (user-tag:owner)",
			"222222222222/bob.martin":             "payments (account-tag:team)",
			"222222222222/role/app-server":        "payments (account-tag:team)",
			"111111111111/policy/BreakGlassAdmin": "security (account-tag:team)",
			"333333333333/new.hire":               "it-onboarding@example.com (user-tag:owner)",
			"333333333333/pat,obrien":             "vendor-management@example.com (user-tag:owner)",
			"333333333333/old.intern":             "platform (account-tag:team)",
		}},
		{"owner only: exceptions and routes next", OwnerOptions{TagKeys: []string{"owner"}, Routes: []RouteOwner{route}}, map[string]string{
			"222222222222/alice.chen":                         "alice.chen@example.com (user-tag:owner)",
			"222222222222/ci-runner":                          " ()",
			"222222222222/bob.martin/user-inactive":           "risk-office@example.com (exception)",
			"222222222222/bob.martin/console-password-unused": " ()",
			"333333333333/old.intern":                         "platform-route (route)",
			"444444444444/dev.sam":                            "platform-route (route)",
		}},
		{"no keys, no routes: no owners", OwnerOptions{}, map[string]string{
			"222222222222/alice.chen": " ()", "222222222222/bob.martin/user-inactive": "risk-office@example.com (exception)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := sampleOptions(t, mustSample())
			opts.Owners, opts.Exceptions = tt.owner, []audit.Exception{exc}
			res, err := RunOnce(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			got := map[string]map[string]bool{}
			must(t, res.Run.EachFinding(func(f *audit.Finding) error {
				for _, k := range []string{f.AccountID + "/" + f.Principal, f.AccountID + "/" + f.Principal + "/" + f.Check} {
					if got[k] == nil {
						got[k] = map[string]bool{}
					}
					got[k][f.Owner+" ("+f.OwnerSource+")"] = true
				}
				return nil
			}))
			for k, want := range tt.want {
				if !maps.Equal(got[k], map[string]bool{want: true}) {
					t.Errorf("%s: owners %v, want %q", k, slices.Sorted(maps.Keys(got[k])), want)
				}
			}
			// findings.json carries them.
			run := readFindingsJSON(t, res.Dir)
			n := 0
			must(t, run.EachFinding(func(f *audit.Finding) error {
				w, ok := tt.want[f.AccountID+"/"+f.Principal+"/"+f.Check]
				if !ok {
					w = tt.want[f.AccountID+"/"+f.Principal]
				}
				if w != "" && w != f.Owner+" ("+f.OwnerSource+")" {
					t.Errorf("findings.json: %s/%s owner %q (%s), want %s", f.AccountID, f.Principal, f.Owner, f.OwnerSource, w)
				}
				n++
				return nil
			}))
			if n != res.Run.Summary.Findings {
				t.Errorf("findings.json holds %d findings, want %d", n, res.Run.Summary.Findings)
			}
		})
	}
}

// TestRunOnceUserTagsFileMalformed: a malformed user tags file is
// reported for its account, whose checks all still run, and its users'
// findings take the account's owner.
func TestRunOnceUserTagsFileMalformed(t *testing.T) {
	dir := copySample(t)
	must(t, os.WriteFile(filepath.Join(dir, "333333333333.user-tags.json"), []byte("{\n  \"new.hire\": {\"Tags\": [}\n"), 0o644))
	res := runDir(t, dir, func(o *Options) { o.Owners = ownerOptions })
	var acct *result.Account
	for i := range res.Run.Accounts {
		if res.Run.Accounts[i].ID == "333333333333" {
			acct = &res.Run.Accounts[i]
		}
	}
	if acct == nil || acct.Status != result.StatusCollected {
		t.Fatalf("account 333333333333: %+v, want collected", acct)
	}
	var notRun *audit.NotRun
	for i, n := range acct.ChecksNotRun {
		if slices.Contains(n.Checks, OwnerLookup) {
			notRun = &acct.ChecksNotRun[i]
		}
	}
	if notRun == nil || !notRun.Failed || !strings.Contains(notRun.Reason, "333333333333.user-tags.json: line 2, column 25") {
		t.Fatalf("checks not run %+v, want the user tags file's failure, located", acct.ChecksNotRun)
	}
	fired := 0
	must(t, res.Run.EachFinding(func(f *audit.Finding) error {
		if f.AccountID != "333333333333" {
			return nil
		}
		fired++
		if f.Owner != "platform" || f.OwnerSource != "account-tag:team" {
			t.Errorf("%s %s: owner %q (%s), want the account's", f.Principal, f.Check, f.Owner, f.OwnerSource)
		}
		return nil
	}))
	if fired == 0 {
		t.Error("account 333333333333 has no findings: its credential checks must still stand")
	}
}

// readFindingsJSON reads the run folder's findings.json back.
func readFindingsJSON(t *testing.T, dir string) *result.Run {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := jsonfile.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestRunOnceHostileOwners: owners come from tags anyone with
// iam:TagUser (or a dir: folder) can set. They must stay inert: never a
// Slack mention, a link or HTML in audit.md, kept as data in
// findings.json.
func TestRunOnceHostileOwners(t *testing.T) {
	hostile := map[string]string{
		"alice.chen": "<!channel>",
		"ci-runner":  "[x](javascript:alert(1))",
		"bob.martin": "<https://evil.example|click> <@U024BE7LH> <img src=x onerror=alert(1)>",
		// A right-to-left override would show "alice@example.com" to a
		// reader of any output; a 10 KB value would swell every row.
		"deploy-bot":     "moc.elpmaxe@\u202Ealice\u202C",
		"svc-legacy-etl": strings.Repeat("10kB ", 2<<10),
	}
	// cleaned are the owners as stored, where they differ from the tag.
	cleaned := map[string]string{
		"deploy-bot":     "moc.elpmaxe@\uFFFDalice\uFFFD",
		"svc-legacy-etl": strings.TrimSpace(strings.Repeat("10kB ", 2<<10)[:maxOwnerLen]),
	}
	dir := copySample(t)
	doc := "{"
	for i, user := range slices.Sorted(maps.Keys(hostile)) {
		if i > 0 {
			doc += ","
		}
		doc += `"` + user + `": {"Tags": [{"Key": "owner", "Value": ` + strconv.Quote(hostile[user]) + `}]}`
	}
	must(t, os.WriteFile(filepath.Join(dir, "222222222222.user-tags.json"), []byte(doc+"}"), 0o644))
	res := runDir(t, dir, nil)

	seen := map[string]bool{}
	for _, f := range readFindingsJSON(t, res.Dir).FindingSet().(result.Findings) {
		if want, ok := hostile[f.Principal]; ok && f.AccountID == "222222222222" {
			seen[f.Principal] = true
			if c, ok := cleaned[f.Principal]; ok {
				want = c
			}
			if f.Owner != want || f.OwnerSource != "user-tag:owner" {
				t.Errorf("findings.json: %s owner %q (%s), want %q from its tag, as data", f.Principal, f.Owner, f.OwnerSource, want)
			}
		}
	}
	if len(seen) != len(hostile) {
		t.Fatalf("findings.json: owners of %v only, want %d users", slices.Sorted(maps.Keys(seen)), len(hostile))
	}
	raw, err := os.ReadFile(filepath.Join(res.Dir, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string][]byte{"findings.json": raw, "audit.md": md}
	zr, err := zip.OpenReader(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		outputs["audit.xlsx:"+f.Name] = b
	}
	for name, data := range outputs {
		for i, s := range []string{"<!channel>", "<@U024BE7LH>", "<https://evil.example", "<img", "\u202E", "\u202C", strings.Repeat("10kB ", 60)} {
			if i < 4 && name == "audit.md" {
				continue // shown escaped (\<img): checked as rendered below
			}
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds %q as is: a reader that renders it (Slack, a Markdown viewer) would act on it", name, s)
			}
		}
	}
	// audit.md shows the owners, escaped: as text, never live.
	if !strings.Contains(string(md), `\<!channel\>`) {
		t.Errorf("audit.md does not show the owner <!channel> escaped")
	}
	if active := mdcheck.ActiveExcept(md, docURLs()); len(active) > 0 {
		t.Errorf("audit.md renders an owner as %s", strings.Join(active, "; "))
	}
}

// TestRunOnceOwnerOfUserPolicies: the findings of the authorization
// details about a user ("user/NAME": policy-full-admin of an inline
// policy) get the user's owner tag, as its credential findings do.
func TestRunOnceOwnerOfUserPolicies(t *testing.T) {
	dir := copySample(t)
	path := filepath.Join(dir, "222222222222.authorization-details.json")
	data, err := os.ReadFile(path)
	must(t, err)
	admin := `"UserPolicyList": [{"PolicyName": "admin", "PolicyDocument": "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}}"}], `
	for _, user := range []string{`"UserName": "alice.chen",`, `"UserName": "ci-runner",`, `"UserName": "bob.martin",`} {
		if !strings.Contains(string(data), user) {
			t.Fatalf("the sample has no %s", user)
		}
		data = []byte(strings.Replace(string(data), user, user+admin, 1))
	}
	must(t, os.WriteFile(path, data, 0o644))
	res := runDir(t, dir, nil)
	want := map[string]string{
		"user/alice.chen": "alice.chen@example.com (user-tag:owner)",
		"user/ci-runner":  "platform (user-tag:team)", // in the path /automation/
		"user/bob.martin": "payments (account-tag:team)",
	}
	got := map[string]string{}
	for _, f := range readFindingsJSON(t, res.Dir).FindingSet().(result.Findings) {
		if f.AccountID == "222222222222" && f.Check == audit.PolicyFullAdmin && strings.HasPrefix(f.Principal, "user/") {
			got[f.Principal] = f.Owner + " (" + f.OwnerSource + ")"
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("findings.json: owners of the users' full-admin policies %v, want %v", got, want)
	}
}
