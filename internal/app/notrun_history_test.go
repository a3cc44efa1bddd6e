package app

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

// TestChecksNotRunKeepHistory runs three times over the sample: in the
// second run acme-root's authorization details cannot be read, so its
// permission checks do not run. Their findings are then unknown, not
// resolved; the third run, with the details back, finds them persisting
// since the first run, so their due dates did not move.
func TestChecksNotRunKeepHistory(t *testing.T) {
	dir := copySample(t)
	out := t.TempDir()
	run := func(asOf time.Time) *Result { return runDirAt(t, dir, out, asOf, nil) }
	const acct = "111111111111"
	permission := []string{audit.UserPolicyAttached, audit.PolicyFullAdmin, audit.RoleUnused}
	details := filepath.Join(dir, acct+".authorization-details.json")
	oct := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	run(oct)

	data, err := os.ReadFile(details)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(details, []byte(`{"UserDetailList": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	second := run(time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC))
	for _, f := range second.Run.Resolved {
		if f.AccountID == acct && slices.Contains(permission, f.Check) {
			t.Errorf("%s %s reported resolved though its check did not run", f.Principal, f.Check)
		}
	}
	notRun := false
	for _, a := range second.Run.Accounts {
		for _, n := range a.ChecksNotRun {
			notRun = notRun || (a.ID == acct && slices.Contains(n.Checks, audit.PolicyFullAdmin) && n.Failed)
		}
	}
	if !notRun {
		t.Fatalf("account %s: the permission checks are not listed as not run", acct)
	}

	if err := os.WriteFile(details, data, 0o644); err != nil {
		t.Fatal(err)
	}
	third := run(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC))
	seen := 0
	err = third.Run.EachFinding(func(f *audit.Finding) error {
		if f.AccountID != acct || !slices.Contains(permission, f.Check) {
			return nil
		}
		seen++
		if f.Status != audit.StatusPersisting || !f.FirstSeen.Equal(oct) {
			t.Errorf("%s %s: %s first seen %s, want persisting since %s", f.Principal, f.Check, f.Status, f.FirstSeen, oct)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 3 {
		t.Errorf("%d permission findings in account %s, want 3", seen, acct)
	}
}
