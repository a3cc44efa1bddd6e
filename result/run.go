// Package result is the model of an audit run: its accounts, findings,
// summary, changes since earlier runs and where it was stored. It is what
// every renderer, the archive, the notifiers and the metrics share, and
// imports no project package but audit.
package result

import (
	"fmt"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

// Account statuses in reports.
const (
	StatusCollected = "collected"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
)

// RunInfo describes one audit run.
type RunInfo struct {
	ID         string           `json:"id"`
	AsOf       time.Time        `json:"as_of"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	Version    string           `json:"version"`
	Source     string           `json:"source"`
	Thresholds audit.Thresholds `json:"thresholds"`
	// SLADays are the days an open finding of each severity could stay
	// open before it was overdue in this run; absent in runs written
	// before due dates were kept.
	SLADays audit.SLA `json:"sla_days,omitempty"`
	// Checks is the check catalog the run applied, each check with how
	// to fix its findings; absent in runs written before it was kept.
	Checks []audit.CatalogEntry `json:"checks,omitempty"`
	// Status is RunComplete, RunPartial or RunIncomplete (see SetStatus);
	// empty in runs written before statuses were recorded (StatusOf).
	Status string `json:"status,omitempty"`
	// Error is set when the run could not complete (for example the
	// account list could not be read); the report then covers only what
	// was collected before.
	Error string `json:"error,omitempty"`
	// UnusedFiles are the entries of a dir: source's folder that were not
	// read, each with the reason; absent when there are none.
	UnusedFiles []UnusedFile `json:"unused_files,omitempty"`
	// TeamFailures are the teams whose own files (teams/<folder>/) could
	// not be written, each with the error; absent when there are none.
	// The rest of the run is written and archived without them.
	TeamFailures []TeamFailure `json:"team_failures,omitempty"`
}

// TeamFailure is a routed team whose own audit.xlsx and audit.md a run
// could not write.
type TeamFailure struct {
	// Team is the team's name; Folder its folder under teams/, empty when
	// the name gives no safe one.
	Team   string `json:"team"`
	Folder string `json:"folder,omitempty"`
	Error  string `json:"error"`
}

// UnusedFile is an entry of the source folder that the run did not read.
type UnusedFile struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Account is one account's collection outcome.
type Account struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error"`
	// Users counts IAM users in the report, the root user excluded.
	Users             int        `json:"users"`
	ReportGeneratedAt *time.Time `json:"report_generated_at"`
	// PasswordPolicy is "present", "absent" or "not collected".
	PasswordPolicy string `json:"password_policy"`
	// ChecksNotRun are the checks that did not run for this audited
	// account because an input they need is missing, with the reason;
	// absent when every check ran.
	ChecksNotRun []audit.NotRun `json:"checks_not_run,omitempty"`
	// OUs are the organizational units containing the account, innermost first.
	OUs []string `json:"ous,omitempty"`
	// Tags are the account's Organizations tags, when collected.
	Tags map[string]string `json:"tags,omitempty"`
	// PreviousRunID is the earlier run this account's findings were
	// compared with: the newest one that audited it, which is not always
	// the previous run (Changes). Empty when none did.
	PreviousRunID string `json:"previous_run_id,omitempty"`
}

// Summary holds the headline figures of a run.
type Summary struct {
	AccountsTotal   int `json:"accounts_total"`   // accounts considered, skipped ones included
	AccountsAudited int `json:"accounts_audited"` // status collected
	AccountsFailed  int `json:"accounts_failed"`
	AccountsSkipped int `json:"accounts_skipped"`
	Users           int `json:"users"`
	// Findings counts every finding; Open those not covered by an
	// exception, Excepted those covered.
	Findings int `json:"findings"`
	Open     int `json:"open"`
	Excepted int `json:"excepted"`
	// New and Resolved compare with the previous run; both are 0 when
	// there is none (see Run.Changes). New counts every new finding,
	// excepted ones included; NewOpen the open ones only, the figure
	// every report shows as "new".
	New      int `json:"new"`
	NewOpen  int `json:"new_open"`
	Resolved int `json:"resolved"`
	// BySeverity and ByCheck count open findings.
	BySeverity map[string]int `json:"by_severity"`
	ByCheck    map[string]int `json:"by_check"`
}

// Coverage is audited / (audited + failed): skipped accounts are not expected to be audited.
func (s Summary) Coverage() (audited, expected int) {
	return s.AccountsAudited, s.AccountsAudited + s.AccountsFailed
}

// Run is everything the renderers need: one audit run, as findings.json
// holds it.
type Run struct {
	Run      RunInfo   `json:"run"`
	Summary  Summary   `json:"summary"`
	Changes  *Changes  `json:"changes"` // null when there is no previous run
	Accounts []Account `json:"accounts"`
	// Findings are this run's findings, open and excepted: a Findings
	// slice when they are held in memory (a run read whole from
	// findings.json, or built in tests), a findingstore.Store when they
	// are kept on disk (a run being audited). nil means none. Read them
	// through FindingSet or EachFinding. findings.json writes them under
	// "findings" (see report/jsonfile).
	Findings FindingSet `json:"-"`
	// Resolved are the previous run's findings that are gone, in accounts
	// audited by this run.
	Resolved []audit.Finding `json:"resolved"`
	// Exceptions reports how every accepted risk applied.
	Exceptions []audit.ExceptionUse `json:"exceptions"`
	// Trend holds earlier runs' open findings, oldest first, this run last.
	Trend []TrendPoint `json:"-"`
}

// TrendPoint is one run's open findings by severity.
type TrendPoint struct {
	RunID      string
	AsOf       time.Time
	BySeverity map[string]int
	// Status is the run's status; Failed marks a run that is no audit
	// result (incomplete, or no account audited), whose figures are not
	// comparable with the others.
	Status string
	Failed bool
}

// Summarize computes r.Summary from the accounts and findings. If the
// findings cannot be read, the summary counts those read and the error
// says why.
func (r *Run) Summarize() error {
	s := Summary{BySeverity: map[string]int{}, ByCheck: map[string]int{}}
	for _, sev := range audit.Severities {
		s.BySeverity[sev.String()] = 0
	}
	for _, a := range r.Accounts {
		s.AccountsTotal++
		s.Users += a.Users
		switch a.Status {
		case StatusCollected:
			s.AccountsAudited++
		case StatusFailed:
			s.AccountsFailed++
		case StatusSkipped:
			s.AccountsSkipped++
		}
	}
	err := r.EachFinding(func(f *audit.Finding) error {
		s.Findings++
		if f.Status == audit.StatusNew && r.Changes != nil {
			s.New++
			if f.Open() {
				s.NewOpen++
			}
		}
		if !f.Open() {
			s.Excepted++
			return nil
		}
		s.Open++
		s.BySeverity[f.Severity.String()]++
		s.ByCheck[f.Check]++
		return nil
	})
	s.Resolved = len(r.Resolved)
	r.Summary = s
	if err != nil {
		return fmt.Errorf("summarizing the findings: %w", err)
	}
	return nil
}
