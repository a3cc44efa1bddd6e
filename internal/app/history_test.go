package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/runfolder"
)

// TestRunOverRun runs twice over a changing organization: the second run
// marks findings new, persisting and resolved, carries first_seen forward,
// applies exceptions and calls out an account that failed.
func TestRunOverRun(t *testing.T) {
	dir := copySample(t)
	out := t.TempDir()
	run := func(asOf time.Time, excs []audit.Exception) *Result { return runDirAt(t, dir, out, asOf, excs) }
	first := run(time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC), nil)
	if first.Run.Changes != nil {
		t.Fatalf("first run has changes %+v", first.Run.Changes)
	}

	// Between runs: svc-legacy-etl is deleted from acme-prod, acme-sandbox's
	// report breaks, and an exception covers deploy-bot's old key.
	prod := filepath.Join(dir, "222222222222.csv")
	data, _ := os.ReadFile(prod)
	var kept []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "svc-legacy-etl,") {
			kept = append(kept, line)
		}
	}
	os.WriteFile(prod, []byte(strings.Join(kept, "\n")), 0o644)
	os.WriteFile(filepath.Join(dir, "444444444444.csv"), []byte("<html>oops</html>"), 0o644)
	excData := `exceptions:
  - account: "222222222222"
    principal: deploy-*
    check: access-key-not-rotated
    reason: vendor integration, rotation planned for Q1
    owner: platform@example.com
    approved_by: ciso@example.com
    expires: 2027-01-31
  - account: "*"
    principal: nobody
    check: console-mfa-missing
    reason: stale entry
    owner: iam@example.com
    approved_by: ciso@example.com
    expires: 2027-01-31
`
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	excs, err := exceptions.Parse([]byte(excData), "exceptions.yaml", asOf, exceptions.DefaultMaxDays)
	if err != nil {
		t.Fatal(err)
	}
	second := run(asOf, excs)
	r := second.Run

	if r.Changes == nil || r.Changes.PreviousRunID != first.Run.Run.ID {
		t.Fatalf("Changes = %+v, want a comparison with %s", r.Changes, first.Run.Run.ID)
	}
	if len(r.Changes.NewlyFailedAccounts) != 1 || r.Changes.NewlyFailedAccounts[0].ID != "444444444444" {
		t.Errorf("NewlyFailedAccounts = %+v, want acme-sandbox", r.Changes.NewlyFailedAccounts)
	}
	var resolved []string
	for _, f := range r.Resolved {
		resolved = append(resolved, f.Principal+"/"+f.Check)
		// Run 1 wrote a due date and a remediation for it; resolved now,
		// it keeps only its ID.
		if f.ID != f.Key().ID() || !f.Due.IsZero() || f.OverdueDays.Valid || f.Remediation != "" {
			t.Errorf("resolved finding %s/%s: ID %q, due %v, overdue %+v, remediation %q; want its ID only", f.Principal, f.Check, f.ID, f.Due, f.OverdueDays, f.Remediation)
		}
		if f.AccountID == "444444444444" {
			t.Errorf("finding of the failed account reported resolved: %+v", f)
		}
	}
	if got := strings.Join(resolved, " "); got != "svc-legacy-etl/access-key-not-rotated svc-legacy-etl/access-key-unused svc-legacy-etl/user-inactive" {
		t.Errorf("resolved = %s", got)
	}
	byKey := map[string]audit.Finding{}
	r.EachFinding(func(f *audit.Finding) error {
		byKey[f.AccountID+"/"+f.Principal+"/"+f.Check] = *f
		return nil
	})
	bob := byKey["222222222222/bob.martin/user-inactive"]
	if bob.Status != audit.StatusPersisting || !bob.FirstSeen.Equal(first.Run.Run.AsOf) {
		t.Errorf("bob.martin user-inactive = %s first seen %v, want persisting since the first run", bob.Status, bob.FirstSeen)
	}
	deploy := byKey["222222222222/deploy-bot/access-key-not-rotated"]
	if deploy.Open() || deploy.Exception.Owner != "platform@example.com" {
		t.Errorf("deploy-bot finding not excepted: %+v", deploy)
	}
	if !deploy.Due.IsZero() || deploy.OverdueDays.Valid || deploy.ID == "" || !strings.Contains(deploy.Remediation, "--user-name deploy-bot") {
		t.Errorf("excepted deploy-bot finding: due %v, overdue %+v, ID %q, remediation %q; want an ID and a remediation, no due date",
			deploy.Due, deploy.OverdueDays, deploy.ID, deploy.Remediation)
	}
	// bob.martin's medium finding was first seen on 2026-10-01: due 90 days later.
	if want := time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC); !bob.Due.Equal(want) || bob.OverdueDays != audit.DaysOf(0) {
		t.Errorf("bob.martin user-inactive due %v, %+v days late; want %v, 0", bob.Due, bob.OverdueDays, want)
	}
	if r.Summary.Excepted != 1 || r.Summary.Resolved != 3 || r.Summary.Open != r.Summary.Findings-1 {
		t.Errorf("Summary = %+v", r.Summary)
	}
	statuses := []string{}
	for _, u := range r.Exceptions {
		statuses = append(statuses, u.Status)
	}
	if strings.Join(statuses, ",") != "active,stale" {
		t.Errorf("exception statuses = %v, want active,stale", statuses)
	}
	if len(r.Trend) != 2 || r.Trend[0].RunID != first.Run.Run.ID {
		t.Errorf("Trend = %+v, want the first run then this one", r.Trend)
	}

	md, _ := os.ReadFile(filepath.Join(second.Dir, "audit.md"))
	for _, want := range []string{"**3 resolved**", "Accounts audited last time but not now", "Stale exceptions", "vendor integration, rotation planned for Q1",
		"Every account audited is compared with the previous run, `" + first.Run.Run.ID + "`", "### New findings", "### Resolved findings",
		"| medium | acme-prod (222222222222) | `svc-legacy-etl` | `access-key-not-rotated` |", "1 finding is covered by 1 exception in force."} {
		if !strings.Contains(string(md), want) {
			t.Errorf("audit.md lacks %q", want)
		}
	}
	doc, _ := os.ReadFile(filepath.Join(second.Dir, "findings.json"))
	for _, want := range []string{`"status": "persisting"`, `"first_seen": "2026-10-01T06:00:00Z"`, `"resolved": [`, `"previous_run_id"`,
		`"id": "` + bob.ID + `"`, `"due": "2026-12-30T00:00:00Z"`, `"sla_days": {`, `"doc_url": "https://docs.aws.amazon.com/`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("findings.json lacks %s", want)
		}
	}
	checkWorkbook(t, filepath.Join(second.Dir, "audit.xlsx"), r)
	if problems, err := runfolder.VerifyDir(second.Dir); err != nil || len(problems) > 0 {
		t.Errorf("VerifyDir() = %v, %v", problems, err)
	}
}
