package markdown

import (
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/mdcheck"
	"github.com/reporter-dev/reporter/result"
)

// TestActionable: audit.md says how many open findings are overdue by
// severity, lists each finding's due date, lateness, ID and owner (the
// Owner column only when some finding has one), and how to fix each check
// with open findings, and nothing of checks with none.
func TestActionable(t *testing.T) {
	const hostileOwner = "<img src=x onerror=alert(1)> [x](https://evil.example) | col"
	build := func(owner string) *result.Run {
		alice := finding("111111111111", "alice", audit.ConsoleMFAMissing, audit.High, audit.StatusPersisting)
		alice.Owner = owner
		bob := finding("111111111111", "bob", audit.AccessKeyUnused, audit.Medium, audit.StatusNew)
		carol := finding("111111111111", "carol", audit.MultipleActiveAccessKeys, audit.Low, audit.StatusNew)
		carol.Exception = &audit.Exception{Account: "*", Principal: "carol", Check: carol.Check, Reason: "migration", Owner: "ops", ApprovedBy: "ciso", Expires: asOf.AddDate(0, 1, 0)}
		fs := []audit.Finding{alice, bob, carol}
		sla := audit.DefaultSLA()
		for i := range fs {
			fs[i].FirstSeen = asOf.AddDate(0, 0, -33) // high: due 3 days ago
			sla.SetActionable(&fs[i], asOf)
		}
		return &result.Run{
			Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "complete", SLADays: sla},
			Accounts: []result.Account{collected("111111111111", "20261001T060000Z")},
			Changes:  &result.Changes{PreviousRunID: "20261001T060000Z", PreviousAsOf: asOf.AddDate(0, -1, 0)},
			Findings: sortFindings(fs),
		}
	}

	r := build(hostileOwner)
	md := render(t, r, DefaultLimits)
	alice := r.Findings.(result.Findings)[0]
	if alice.Principal != "alice" || alice.OverdueDays.N != 3 {
		t.Fatalf("test setup: %+v", alice)
	}
	for _, want := range []string{
		"**1 open finding is overdue** (0 critical, 1 high, 0 medium, 0 low)",
		"| high | 1 | 1 | 30 |", "| medium | 1 | 0 | 90 |",
		"| Severity | Principal | Check | Credential | Age (days) | Status | Due | Owner | ID | Detail |",
		"| " + alice.Due.Format("2006-01-02") + " (**3 days overdue**) | \\<img src=x onerror=alert(1)\\> \\[x\\](https\\://evil.example) \\| col | `" + alice.ID + "` |",
		"### `console-mfa-missing` — Console user without MFA (1 open finding)",
		"```sh\naws iam delete-login-profile --user-name <user>\n",
		"### `access-key-unused` — Active access key unused (1 open finding)",
		"Documentation: <https://docs.aws.amazon.com/IAM/latest/UserGuide/access-keys-admin-managed.html>",
		"| migration | ops | ciso |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("audit.md lacks %q", want)
		}
	}
	if fix := section(md, "## How to fix"); strings.Contains(fix, audit.MultipleActiveAccessKeys) {
		t.Errorf("How to fix covers %s, whose only finding is excepted", audit.MultipleActiveAccessKeys)
	}
	if active := mdcheck.ActiveExcept([]byte(md), docURLs()); len(active) > 0 {
		t.Errorf("audit.md renders %v", active)
	}
	cells, err := mdcheck.Texts([]byte(md), "td")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cells {
		found = found || c == hostileOwner
	}
	if !found {
		t.Errorf("no table cell reads the owner %q back", hostileOwner)
	}

	// Without owners, no Owner column.
	md = render(t, build(""), DefaultLimits)
	if strings.Contains(md, "| Owner | ID |") || !strings.Contains(md, "| Status | Due | ID | Detail |") {
		t.Errorf("audit.md without owners has an Owner column:\n%s", section(md, "## Open findings by account"))
	}
}
