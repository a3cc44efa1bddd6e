package slack

import (
	"testing"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// TestRunChangesAndExceptedFindings: the digest's "new" counts open
// findings, as the Summary sheet and audit.md do (it used to count the
// excepted new one too); excepted new findings are counted apart, and
// never listed as needing action.
func TestRunChangesAndExceptedFindings(t *testing.T) {
	run := &result.Run{
		Changes: &result.Changes{PreviousRunID: "prev"},
		Findings: result.Findings{
			{AccountID: "A", Principal: "new-open", Check: audit.UserInactive, Severity: audit.High, Status: audit.StatusNew},
			{AccountID: "B", Principal: "new-other-scope", Check: audit.UserInactive, Severity: audit.High, Status: audit.StatusNew},
			{AccountID: "A", Principal: "old", Check: audit.UserInactive, Severity: audit.High, Status: audit.StatusPersisting},
			{AccountID: "A", Principal: "accepted", Check: audit.RootMFADisabled, Severity: audit.Critical, Status: audit.StatusPersisting,
				Exception: &audit.Exception{Reason: "accepted"}},
			{AccountID: "A", Principal: "new-accepted", Check: audit.UserInactive, Severity: audit.High, Status: audit.StatusNew,
				Exception: &audit.Exception{Reason: "accepted"}},
		},
		Resolved: []audit.Finding{{AccountID: "A"}, {AccountID: "B"}, {AccountID: "B"}},
	}
	inA := func(id string) bool { return id == "A" }
	tests := []struct {
		name   string
		run    *result.Run
		scope  func(string) bool
		want   Changes
		wantOK bool
	}{
		{"org-wide", run, func(string) bool { return true }, Changes{New: 2, NewExcepted: 1, Resolved: 3}, true},
		{"scoped to account A", run, inA, Changes{New: 1, NewExcepted: 1, Resolved: 1}, true},
		{"first run: nothing to compare", &result.Run{}, inA, Changes{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RunChanges(tt.run, tt.scope)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("RunChanges() = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
	top, _, _, err := rank(run.FindingSet(), run.Findings.Len())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range top {
		if !f.Open() {
			t.Errorf("rank() lists the excepted finding %s as needing action", f.Principal)
		}
	}
}
