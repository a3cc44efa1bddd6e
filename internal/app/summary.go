package app

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
)

// WriteSummary writes what `reporter run` prints when a run is done: the
// run's failure if it is no audit result, the run ID and as-of, coverage
// and open findings by severity, the changes since the previous run,
// exceptions that are no longer active, failed accounts, teams whose
// files were not written, and where the reports are.
func (res *Result) WriteSummary(w io.Writer) {
	s := res.Run.Summary
	audited, expected := s.Coverage()
	if failure := res.Run.Failure(); failure != "" {
		fmt.Fprintln(w, failure)
	}
	fmt.Fprintf(w, "Run %s (as of %s)\n", res.Run.Run.ID, res.Run.Run.AsOf.Format(time.RFC3339))
	fmt.Fprintf(w, "Audited %d of %d accounts", audited, expected)
	if s.AccountsSkipped > 0 {
		fmt.Fprintf(w, " (%d skipped)", s.AccountsSkipped)
	}
	fmt.Fprintf(w, ", %d IAM users, %d open findings:", s.Users, s.Open)
	for _, sev := range audit.Severities {
		fmt.Fprintf(w, " %d %s", s.BySeverity[sev.String()], sev)
	}
	if s.Excepted > 0 {
		fmt.Fprintf(w, "; %d excepted", s.Excepted)
	}
	fmt.Fprintln(w)
	if ch := res.Run.Changes; ch != nil {
		fmt.Fprintf(w, "Since run %s: %d new", ch.PreviousRunID, s.NewOpen)
		if n := s.New - s.NewOpen; n > 0 {
			fmt.Fprintf(w, " (and %d excepted)", n)
		}
		fmt.Fprintf(w, ", %d resolved\n", s.Resolved)
	}
	for _, u := range res.Run.Exceptions {
		if u.Status != exceptions.Active {
			fmt.Fprintf(w, "Exception %s (%s %s in %s): %s\n", u.Source, u.Check, u.Principal, u.Account, strings.ToUpper(u.Status))
		}
	}
	for _, a := range res.Run.Accounts {
		if a.Status == "failed" {
			fmt.Fprintf(w, "FAILED %s (%s): %s\n", a.ID, a.Name, a.Error)
		}
	}
	for _, f := range res.Run.Run.TeamFailures {
		folder := "no folder"
		if f.Folder != "" {
			folder = "teams/" + f.Folder + "/"
		}
		fmt.Fprintf(w, "TEAM FILES NOT WRITTEN %s (%s): %s\n", f.Team, folder, f.Error)
	}
	fmt.Fprintf(w, "Reports: %s%c{audit.xlsx, audit.md, findings.json, manifest.json, evidence/}\n", res.Dir, os.PathSeparator)
	if res.Location.ArchiveURI != "" {
		fmt.Fprintln(w, "Archived:", res.Location.ArchiveURI)
	}
}
