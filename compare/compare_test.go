package compare

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

func TestCompare(t *testing.T) {
	t1 := time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	t3 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	f := func(acct, principal, check string, firstSeen time.Time) audit.Finding {
		return audit.Finding{AccountID: acct, Principal: principal, Check: check, Credential: "user", Severity: audit.Medium, FirstSeen: firstSeen}
	}
	accounts := func(statuses ...string) []result.Account {
		var as []result.Account
		for i, s := range statuses {
			as = append(as, result.Account{ID: []string{"A", "B", "C"}[i], Status: s})
		}
		return as
	}
	prev := &result.Run{
		Run:      result.RunInfo{ID: "prev", AsOf: t2},
		Accounts: accounts(result.StatusCollected, result.StatusCollected, result.StatusFailed),
		Findings: result.Findings{
			f("A", "alice", audit.UserInactive, t1),        // persists, first seen carried forward
			f("A", "bob", audit.UserInactive, time.Time{}), // resolved; older file without first_seen
			f("B", "carol", audit.UserInactive, t2),        // B fails now: neither resolved nor carried
		},
	}
	cur := &result.Run{
		Run:      result.RunInfo{ID: "cur", AsOf: t3},
		Accounts: accounts(result.StatusCollected, result.StatusFailed, result.StatusCollected),
		Findings: result.Findings{
			f("A", "alice", audit.UserInactive, time.Time{}),
			f("A", "dave", audit.UserInactive, time.Time{}),
			f("C", "erin", audit.ConsoleMFAMissing, time.Time{}),
		},
	}
	if err := Runs(cur, asJSON(t, prev)); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		status    string
		firstSeen time.Time
	}{{audit.StatusPersisting, t1}, {audit.StatusNew, t3}, {audit.StatusNew, t3}}
	for i, w := range want {
		got := cur.Findings.(result.Findings)[i]
		if got.Status != w.status || !got.FirstSeen.Equal(w.firstSeen) {
			t.Errorf("finding %s: status %s first seen %v, want %s %v", got.Principal, got.Status, got.FirstSeen, w.status, w.firstSeen)
		}
	}
	if len(cur.Resolved) != 1 || cur.Resolved[0].Principal != "bob" || cur.Resolved[0].Status != audit.StatusResolved ||
		!cur.Resolved[0].FirstSeen.Equal(t2) {
		t.Errorf("Resolved = %+v, want only bob, first seen at the previous as-of", cur.Resolved)
	}
	if cur.Changes == nil || cur.Changes.PreviousRunID != "prev" ||
		len(cur.Changes.RecoveredAccounts) != 1 || cur.Changes.RecoveredAccounts[0].ID != "C" ||
		len(cur.Changes.NewlyFailedAccounts) != 1 || cur.Changes.NewlyFailedAccounts[0].ID != "B" {
		t.Errorf("Changes = %+v", cur.Changes)
	}
	if cur.Summary.New != 2 || cur.Summary.Resolved != 1 || cur.Summary.Open != 3 {
		t.Errorf("Summary = %+v, want 2 new, 1 resolved, 3 open", cur.Summary)
	}
}

func TestCompareFirstRun(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	cur := &result.Run{Run: result.RunInfo{AsOf: asOf}, Findings: result.Findings{{AccountID: "A", Check: audit.UserInactive, Severity: audit.Low}}}
	if err := Runs(cur); err != nil {
		t.Fatal(err)
	}
	if f := cur.Findings.(result.Findings)[0]; f.Status != audit.StatusNew || !f.FirstSeen.Equal(asOf) || cur.Changes != nil {
		t.Errorf("first run: %+v, changes %+v", f, cur.Changes)
	}
	if cur.Summary.New != 0 {
		t.Errorf("Summary.New = %d on a first run, want 0 (nothing to compare with)", cur.Summary.New)
	}
}

func TestSummarizeCountsOpenFindings(t *testing.T) {
	r := &result.Run{Findings: result.Findings{
		{Check: audit.UserInactive, Severity: audit.Medium},
		{Check: audit.UserInactive, Severity: audit.Medium, Exception: &audit.Exception{Reason: "accepted"}},
	}}
	if err := r.Summarize(); err != nil {
		t.Fatal(err)
	}
	if s := r.Summary; s.Findings != 2 || s.Open != 1 || s.Excepted != 1 || s.BySeverity["medium"] != 1 || s.ByCheck[audit.UserInactive] != 1 {
		t.Errorf("Summary = %+v", s)
	}
}

// TestSummarizeReportsUnreadableFindings: findings that cannot be read
// back (here, from a closed store) make Summarize and Compare fail,
// saying so, rather than report partial counts as the whole.
func TestSummarizeReportsUnreadableFindings(t *testing.T) {
	store, err := findingstore.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Add([]audit.Finding{{AccountID: "111111111111", Check: audit.UserInactive, Severity: audit.Medium}}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	r := &result.Run{Findings: store}
	if err := r.Summarize(); err == nil || !strings.Contains(err.Error(), "summarizing the findings") {
		t.Errorf("Summarize = %v, want an error about the findings", err)
	}
	if err := Runs(r); err == nil {
		t.Error("Compare succeeded over unreadable findings")
	}
}

// asJSON renders r as its findings.json.
func asJSON(t *testing.T, r *result.Run) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	if err := jsonfile.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestCompareRejectsUnsortedPrevious(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	prev := &result.Run{Run: result.RunInfo{ID: "prev", AsOf: asOf.AddDate(0, -1, 0)}, Findings: result.Findings{
		{AccountID: "B", Check: audit.UserInactive, Severity: audit.Low}, {AccountID: "A", Check: audit.UserInactive, Severity: audit.Low},
	}}
	cur := &result.Run{Run: result.RunInfo{AsOf: asOf}, Findings: result.Findings{{AccountID: "A", Check: audit.UserInactive, Severity: audit.Low}}}
	err := Runs(cur, asJSON(t, prev))
	if !errors.Is(err, ErrUnsorted) {
		t.Fatalf("Runs() = %v, want ErrUnsorted", err)
	}
	if cur.Changes != nil || cur.Findings.(result.Findings)[0].Status != audit.StatusNew {
		t.Errorf("after an error the run must read as a first run: %+v", cur.Findings.(result.Findings)[0])
	}
}

func TestCompareRejectsGarbage(t *testing.T) {
	cur := &result.Run{Findings: result.Findings{{AccountID: "A", Check: audit.UserInactive, Severity: audit.Low}}}
	if err := Runs(cur, strings.NewReader(`{"run": {"id": "x"}, "findings": [{"severity": "catastrophic"}]}`)); err == nil {
		t.Error("Runs() accepted an unknown severity")
	}
}

// TestRunsPerAccount: each account is compared with the newest
// earlier run that audited it, in one pass over several runs.
func TestRunsPerAccount(t *testing.T) {
	t1 := time.Date(2026, 8, 1, 6, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	t3 := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	t4 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	f := func(acct, principal string, firstSeen time.Time) audit.Finding {
		return audit.Finding{AccountID: acct, Principal: principal, Check: audit.UserInactive, Credential: "user", Severity: audit.Medium, FirstSeen: firstSeen}
	}
	acct := func(id, status string) result.Account { return result.Account{ID: id, Status: status} }
	// r3 is the previous run: A audited, B and C failed.
	r3 := &result.Run{Run: result.RunInfo{ID: "r3", AsOf: t3},
		Accounts: []result.Account{acct("A", result.StatusCollected), acct("B", result.StatusFailed), acct("C", result.StatusFailed)},
		Findings: result.Findings{f("A", "alice", t1)}}
	// r2 audited A and B: only B is taken from it.
	r2 := &result.Run{Run: result.RunInfo{ID: "r2", AsOf: t2},
		Accounts: []result.Account{acct("A", result.StatusCollected), acct("B", result.StatusCollected), acct("C", result.StatusFailed)},
		Findings: result.Findings{f("A", "alice", t1), f("A", "old", t1), f("B", "bob", t1), f("B", "gone", t2)}}
	// r1 audited everything: only C is taken from it.
	r1 := &result.Run{Run: result.RunInfo{ID: "r1", AsOf: t1},
		Accounts: []result.Account{acct("A", result.StatusCollected), acct("B", result.StatusCollected), acct("C", result.StatusCollected)},
		Findings: result.Findings{f("A", "zed", t1), f("B", "bob", t1), f("C", "carol", time.Time{})}}
	cur := &result.Run{Run: result.RunInfo{ID: "cur", AsOf: t4},
		Accounts: []result.Account{acct("A", result.StatusCollected), acct("B", result.StatusCollected), acct("C", result.StatusCollected), acct("D", result.StatusCollected)},
		Findings: result.Findings{f("A", "alice", time.Time{}), f("B", "bob", time.Time{}), f("C", "carol", time.Time{}), f("D", "dan", time.Time{})}}
	if err := Runs(cur, asJSON(t, r3), asJSON(t, r2), asJSON(t, r1)); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status    string
		firstSeen time.Time
	}{
		"alice": {audit.StatusPersisting, t1},
		"bob":   {audit.StatusPersisting, t1}, // from r2, though B failed in r3
		"carol": {audit.StatusPersisting, t1}, // from r1: no first_seen, so r1's as-of
		"dan":   {audit.StatusNew, t4},        // never audited before
	}
	for _, got := range cur.Findings.(result.Findings) {
		w := want[got.Principal]
		if got.Status != w.status || !got.FirstSeen.Equal(w.firstSeen) {
			t.Errorf("%s: %s first seen %s, want %s %s", got.Principal, got.Status, got.FirstSeen, w.status, w.firstSeen)
		}
	}
	// gone is resolved against r2 (B's run); A's old and zed are not in
	// r3, the run A is compared with.
	var resolved []string
	for _, r := range cur.Resolved {
		resolved = append(resolved, r.Principal)
	}
	if strings.Join(resolved, " ") != "gone" {
		t.Errorf("Resolved = %v, want only gone", resolved)
	}
	prevOf := map[string]string{}
	for _, a := range cur.Accounts {
		prevOf[a.ID] = a.PreviousRunID
	}
	if prevOf["A"] != "r3" || prevOf["B"] != "r2" || prevOf["C"] != "r1" || prevOf["D"] != "" {
		t.Errorf("PreviousRunID = %v, want A r3, B r2, C r1, D none", prevOf)
	}
	if cur.Changes == nil || cur.Changes.PreviousRunID != "r3" || len(cur.Changes.RecoveredAccounts) != 2 {
		t.Errorf("Changes = %+v, want r3 with B and C recovered", cur.Changes)
	}

	// An older run out of order fails the whole comparison, as a single one does.
	bad := &result.Run{Run: result.RunInfo{ID: "bad", AsOf: t1}, Accounts: []result.Account{acct("B", result.StatusCollected)},
		Findings: result.Findings{f("B", "z", t1), f("B", "a", t1)}}
	cur2 := &result.Run{Run: result.RunInfo{ID: "cur", AsOf: t4}, Accounts: []result.Account{acct("B", result.StatusCollected)},
		Findings: result.Findings{f("B", "bob", time.Time{})}}
	if err := Runs(cur2, asJSON(t, r3), asJSON(t, bad)); !errors.Is(err, ErrUnsorted) || cur2.Changes != nil {
		t.Errorf("Runs(unsorted older run) = %v, changes %+v; want ErrUnsorted and a first run", err, cur2.Changes)
	}
}

// TestRunsBrokenEarlier: a finding that cannot be read in an
// older run fails the comparison with an error naming the run and
// locating the finding; the current run is left as a first run.
func TestRunsBrokenEarlier(t *testing.T) {
	t1 := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	accounts := []result.Account{{ID: "A", Status: result.StatusCollected}, {ID: "B", Status: result.StatusCollected}}
	prev := &result.Run{Run: result.RunInfo{ID: "r2", AsOf: t1}, Accounts: []result.Account{{ID: "A", Status: result.StatusCollected}, {ID: "B", Status: result.StatusFailed}},
		Findings: result.Findings{{AccountID: "A", Principal: "alice", Check: audit.UserInactive, Severity: audit.Low}}}
	older := `{"run": {"id": "r1", "as_of": "2026-09-01T06:00:00Z"}, "accounts": [{"id": "B", "status": "collected"}], "findings": [
	  {"account_id": "B", "principal": "bob", "check": "user_inactive", "severity": "low"},
	  {"account_id": "B", "principal": "carol", "check": "user_inactive", "severity": "low", "age_days": "ten"}]}`
	cur := &result.Run{Run: result.RunInfo{ID: "cur", AsOf: t2}, Accounts: accounts,
		Findings: result.Findings{{AccountID: "A", Principal: "alice", Check: audit.UserInactive, Severity: audit.Low}}}
	err := Runs(cur, asJSON(t, prev), strings.NewReader(older))
	var fe *jsonfile.FindingsError
	if !errors.As(err, &fe) || fe.Pointer != "/findings/1/age_days" || !strings.Contains(err.Error(), "earlier run 2 (r1): findings.json at byte") {
		t.Fatalf("Runs = %v; want earlier run 2 (r1) and /findings/1/age_days", err)
	}
	if ten := int64(strings.Index(older, `"ten"`)); fe.Offset < ten-len64(`"age_days": `) || fe.Offset > ten {
		t.Errorf("error at byte %d, want at the age_days of carol (byte %d)", fe.Offset, ten)
	}
	if cur.Changes != nil || cur.Findings.(result.Findings)[0].Status != audit.StatusNew {
		t.Errorf("after the error: changes %+v, status %s; want a first run", cur.Changes, cur.Findings.(result.Findings)[0].Status)
	}
}

func len64(s string) int64 { return int64(len(s)) }

// TestRunsThen: the hook sees every current finding once its status and
// first sighting are decided, in the store's own pass (what it sets is
// stored), and every resolved one; when the comparison fails it sees the
// findings again, marked new.
func TestRunsThen(t *testing.T) {
	t1 := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	f := func(principal string) audit.Finding {
		return audit.Finding{AccountID: "A", Principal: principal, Check: audit.UserInactive, Credential: "user", Severity: audit.Low}
	}
	accounts := []result.Account{{ID: "A", Status: result.StatusCollected}}
	prev := &result.Run{Run: result.RunInfo{ID: "prev", AsOf: t1}, Accounts: accounts,
		Findings: result.Findings{f("alice"), f("bob")}}
	// due marks what the hook saw: the day after FirstSeen, and the status
	// in the detail.
	due := func(f *audit.Finding) {
		f.Due, f.Detail = f.FirstSeen.AddDate(0, 0, 1), "seen as "+f.Status
	}
	tests := []struct {
		name    string
		earlier []io.Reader
		want    map[string]string // principal: status seen
		first   map[string]time.Time
	}{
		{"compared", []io.Reader{asJSON(t, prev)},
			map[string]string{"alice": audit.StatusPersisting, "carol": audit.StatusNew, "bob": audit.StatusResolved},
			map[string]time.Time{"alice": t1, "carol": t2, "bob": t1}},
		{"comparison failed", []io.Reader{strings.NewReader(`{"run": {"id": "x"}, "findings": [{"severity": "catastrophic"}]}`)},
			map[string]string{"alice": audit.StatusNew, "carol": audit.StatusNew},
			map[string]time.Time{"alice": t2, "carol": t2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := findingstore.Create(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if err := store.Add([]audit.Finding{f("alice"), f("carol")}); err != nil {
				t.Fatal(err)
			}
			cur := &result.Run{Run: result.RunInfo{ID: "cur", AsOf: t2}, Accounts: accounts, Findings: store}
			calls := 0
			err = RunsThen(cur, func(f *audit.Finding) { calls++; due(f) }, tt.earlier...)
			if (err != nil) != (tt.name == "comparison failed") {
				t.Fatalf("RunsThen = %v", err)
			}
			got := map[string]audit.Finding{}
			if err := store.EachAccount(func(fs []audit.Finding) error {
				for _, f := range fs {
					got[f.Principal] = f
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, f := range cur.Resolved {
				got[f.Principal] = f
			}
			if len(got) != len(tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
			for p, status := range tt.want {
				g := got[p]
				if g.Status != status || g.Detail != "seen as "+status || !g.FirstSeen.Equal(tt.first[p]) || !g.Due.Equal(tt.first[p].AddDate(0, 0, 1)) {
					t.Errorf("%s: status %q, detail %q, first seen %v, due %v; want %s seen by the hook, first seen %v",
						p, g.Status, g.Detail, g.FirstSeen, g.Due, status, tt.first[p])
				}
			}
			if min := len(tt.want); calls < min {
				t.Errorf("%d calls, want at least %d", calls, min)
			}
		})
	}
}
