package result

import "time"

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
