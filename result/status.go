package result

import (
	"fmt"
	"strings"
)

// Run statuses: findings.json run.status and manifest.json status.
const (
	// RunComplete: every account the source listed was audited.
	RunComplete = "complete"
	// RunPartial: the source listed every account, and some of them
	// failed on their own (an unreadable report, a role that cannot be
	// assumed).
	RunPartial = "partial"
	// RunIncomplete: the run was interrupted (cancelled, SIGTERM, run
	// timeout), the source failed before or while listing the accounts
	// (credentials rejected, endpoint unreachable, listing stopped), or
	// its findings could not be compared with earlier runs (NotCompared).
	RunIncomplete = "incomplete"
)

// NotCompared starts the error of a run whose findings could not be
// compared with earlier runs (their store was unavailable): its findings
// are all reported new and first seen in it, so the run is incomplete
// and never the baseline of a later run, which compares with the earlier
// runs again.
const NotCompared = "findings not compared with earlier runs"

// SetStatus sets r.Run.Status from the run's error and its accounts:
// incomplete when the run stopped early (r.Run.Error), partial when some
// account failed, else complete.
func (r *Run) SetStatus() {
	failed := false
	for _, a := range r.Accounts {
		failed = failed || a.Status == StatusFailed
	}
	switch {
	case r.Run.Error != "":
		r.Run.Status = RunIncomplete
	case failed:
		r.Run.Status = RunPartial
	default:
		r.Run.Status = RunComplete
	}
}

// StatusOf returns a run's status as recorded, or for runs written before
// statuses were recorded, as derived from its error and summary.
func StatusOf(status, runErr string, s *Summary) string {
	switch {
	case status != "":
		return status
	case runErr != "":
		return RunIncomplete
	case s != nil && s.AccountsFailed > 0:
		return RunPartial
	}
	return RunComplete
}

// Failed reports whether a run with this status and summary is no audit
// result: it is incomplete, or it audited no account. Such a run leads
// every report with its failure, exits with its own status, is never the
// previous run of a comparison and does not count as a period's audit.
// A nil summary (a manifest written before summaries) is not failed by
// itself.
func Failed(status string, s *Summary) bool {
	return status == RunIncomplete || (s != nil && s.AccountsAudited == 0)
}

// Failed reports whether r is no audit result (see the function Failed).
func (r *Run) Failed() bool {
	return Failed(StatusOf(r.Run.Status, r.Run.Error, &r.Summary), &r.Summary)
}

// Failure returns the sentence that leads every report of a failed run
// ("Audit FAILED: no account could be audited: …" or "Audit INCOMPLETE:
// …"), or "" when the run is an audit result.
func (r *Run) Failure() string {
	if !r.Failed() {
		return ""
	}
	return FailureText(r.Run.Error, r.Summary)
}

// FailureText words the failure of a run that stopped with runErr (empty
// if it did not) and audited what s counts; s may be one team's part of
// the run.
func FailureText(runErr string, s Summary) string {
	audited, expected := s.Coverage()
	if audited == 0 {
		var why string
		switch {
		case runErr != "":
			why = runErr
		case s.AccountsFailed > 0:
			why = fmt.Sprintf("all %d accounts failed", s.AccountsFailed)
		default:
			why = "the source listed no account to audit"
		}
		return "Audit FAILED: no account could be audited: " + strings.TrimSuffix(why, ".") + "."
	}
	if strings.HasPrefix(runErr, NotCompared) {
		// The collection finished: what failed is the comparison.
		return fmt.Sprintf("Audit INCOMPLETE: %s.", strings.TrimSuffix(runErr, "."))
	}
	return fmt.Sprintf("Audit INCOMPLETE: %s. Only the %d of %d accounts audited before it stopped are covered; the others were not checked.",
		strings.TrimSuffix(runErr, "."), audited, expected)
}
