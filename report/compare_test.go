package report

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/findingstore"
)

func TestCompare(t *testing.T) {
	t1 := time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	t3 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	f := func(acct, principal, check string, firstSeen time.Time) audit.Finding {
		return audit.Finding{AccountID: acct, Principal: principal, Check: check, Credential: "user", Severity: audit.Medium, FirstSeen: firstSeen}
	}
	accounts := func(statuses ...string) []Account {
		var as []Account
		for i, s := range statuses {
			as = append(as, Account{ID: []string{"A", "B", "C"}[i], Status: s})
		}
		return as
	}
	prev := &Run{
		Run:      RunInfo{ID: "prev", AsOf: t2},
		Accounts: accounts(StatusCollected, StatusCollected, StatusFailed),
		Findings: []audit.Finding{
			f("A", "alice", audit.UserInactive, t1),        // persists, first seen carried forward
			f("A", "bob", audit.UserInactive, time.Time{}), // resolved; older file without first_seen
			f("B", "carol", audit.UserInactive, t2),        // B fails now: neither resolved nor carried
		},
	}
	cur := &Run{
		Run:      RunInfo{ID: "cur", AsOf: t3},
		Accounts: accounts(StatusCollected, StatusFailed, StatusCollected),
		Findings: []audit.Finding{
			f("A", "alice", audit.UserInactive, time.Time{}),
			f("A", "dave", audit.UserInactive, time.Time{}),
			f("C", "erin", audit.ConsoleMFAMissing, time.Time{}),
		},
	}
	if err := Compare(cur, asJSON(t, prev)); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		status    string
		firstSeen time.Time
	}{{audit.StatusPersisting, t1}, {audit.StatusNew, t3}, {audit.StatusNew, t3}}
	for i, w := range want {
		got := cur.Findings[i]
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
	cur := &Run{Run: RunInfo{AsOf: asOf}, Findings: []audit.Finding{{AccountID: "A", Check: audit.UserInactive, Severity: audit.Low}}}
	if err := Compare(cur, nil); err != nil {
		t.Fatal(err)
	}
	if f := cur.Findings[0]; f.Status != audit.StatusNew || !f.FirstSeen.Equal(asOf) || cur.Changes != nil {
		t.Errorf("first run: %+v, changes %+v", f, cur.Changes)
	}
	if cur.Summary.New != 0 {
		t.Errorf("Summary.New = %d on a first run, want 0 (nothing to compare with)", cur.Summary.New)
	}
}

func TestSummarizeCountsOpenFindings(t *testing.T) {
	r := &Run{Findings: []audit.Finding{
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
	r := &Run{Store: store}
	if err := r.Summarize(); err == nil || !strings.Contains(err.Error(), "summarizing the findings") {
		t.Errorf("Summarize = %v, want an error about the findings", err)
	}
	if err := Compare(r, nil); err == nil {
		t.Error("Compare succeeded over unreadable findings")
	}
}

func TestFormatInt(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1412: "1,412", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := formatInt(n); got != want {
			t.Errorf("formatInt(%d) = %s, want %s", n, got, want)
		}
	}
}

// asJSON renders r as its findings.json.
func asJSON(t *testing.T, r *Run) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestCompareRejectsUnsortedPrevious(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	prev := &Run{Run: RunInfo{ID: "prev", AsOf: asOf.AddDate(0, -1, 0)}, Findings: []audit.Finding{
		{AccountID: "B", Check: audit.UserInactive, Severity: audit.Low}, {AccountID: "A", Check: audit.UserInactive, Severity: audit.Low},
	}}
	cur := &Run{Run: RunInfo{AsOf: asOf}, Findings: []audit.Finding{{AccountID: "A", Check: audit.UserInactive, Severity: audit.Low}}}
	err := Compare(cur, asJSON(t, prev))
	if !errors.Is(err, ErrUnsorted) {
		t.Fatalf("Compare() = %v, want ErrUnsorted", err)
	}
	if cur.Changes != nil || cur.Findings[0].Status != audit.StatusNew {
		t.Errorf("after an error the run must read as a first run: %+v", cur.Findings[0])
	}
}

func TestCompareRejectsGarbage(t *testing.T) {
	cur := &Run{Findings: []audit.Finding{{AccountID: "A", Check: audit.UserInactive, Severity: audit.Low}}}
	if err := Compare(cur, strings.NewReader(`{"run": {"id": "x"}, "findings": [{"severity": "catastrophic"}]}`)); err == nil {
		t.Error("Compare() accepted an unknown severity")
	}
}
