package report

import (
	"time"

	"github.com/reporter-dev/reporter/audit"
)

// Changes summarises what changed since the previous run.
type Changes struct {
	PreviousRunID string    `json:"previous_run_id"`
	PreviousAsOf  time.Time `json:"previous_as_of"`
	// RecoveredAccounts failed (or were skipped) last time and are audited now.
	RecoveredAccounts []AccountRef `json:"recovered_accounts"`
	// NewlyFailedAccounts were audited last time and are not now; their
	// earlier findings are neither resolved nor carried forward.
	NewlyFailedAccounts []AccountRef `json:"newly_failed_accounts"`
}

// AccountRef names an account in a change list.
type AccountRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // status in this run
	Error  string `json:"error,omitempty"`
}

// Compare sets every finding's Status and FirstSeen against prev, fills
// cur.Resolved and cur.Changes, and recomputes the summary. With no
// previous run every finding is new and first seen now.
func Compare(cur, prev *Run) {
	asOf := cur.Run.AsOf
	if prev == nil {
		for i := range cur.Findings {
			cur.Findings[i].Status = audit.StatusNew
			cur.Findings[i].FirstSeen = asOf
		}
		cur.Changes, cur.Resolved = nil, nil
		cur.Summarize()
		return
	}
	before := make(map[audit.Key]*audit.Finding, len(prev.Findings))
	for i := range prev.Findings {
		f := &prev.Findings[i]
		before[f.Key()] = f
	}
	for i := range cur.Findings {
		f := &cur.Findings[i]
		old, ok := before[f.Key()]
		if !ok {
			f.Status, f.FirstSeen = audit.StatusNew, asOf
			continue
		}
		f.Status = audit.StatusPersisting
		f.FirstSeen = old.FirstSeen
		if f.FirstSeen.IsZero() {
			f.FirstSeen = prev.Run.AsOf
		}
		delete(before, f.Key())
	}

	statusNow := map[string]string{}
	for _, a := range cur.Accounts {
		statusNow[a.ID] = a.Status
	}
	cur.Resolved = nil
	for i := range prev.Findings {
		old := prev.Findings[i]
		if _, gone := before[old.Key()]; !gone || statusNow[old.AccountID] != StatusCollected {
			continue
		}
		old.Status, old.Exception = audit.StatusResolved, nil
		if old.FirstSeen.IsZero() {
			old.FirstSeen = prev.Run.AsOf
		}
		cur.Resolved = append(cur.Resolved, old)
	}

	ch := &Changes{PreviousRunID: prev.Run.ID, PreviousAsOf: prev.Run.AsOf}
	statusBefore := map[string]string{}
	for _, a := range prev.Accounts {
		statusBefore[a.ID] = a.Status
	}
	for _, a := range cur.Accounts {
		was, known := statusBefore[a.ID]
		switch {
		case !known:
		case a.Status == StatusCollected && was != StatusCollected:
			ch.RecoveredAccounts = append(ch.RecoveredAccounts, AccountRef{a.ID, a.Name, a.Status, ""})
		case a.Status != StatusCollected && was == StatusCollected:
			ch.NewlyFailedAccounts = append(ch.NewlyFailedAccounts, AccountRef{a.ID, a.Name, a.Status, a.Error})
		}
	}
	cur.Changes = ch
	cur.Summarize()
}
