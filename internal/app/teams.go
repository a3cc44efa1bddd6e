package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/perm"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/markdown"
	"github.com/reporter-dev/reporter/report/xlsx"
	"github.com/reporter-dev/reporter/result"
)

// Team is one team's share of a run: its own audit.xlsx and audit.md,
// with the layout of the run's own but only its accounts, written to the
// run folder's teams/<Folder>/ (and so listed in the manifest and
// archived with the run).
type Team struct {
	// Name is the team's name, for logs.
	Name string
	// Folder is the team's folder name; runfolder.TeamFolder makes one.
	Folder string
	// Accounts are the IDs of the team's accounts.
	Accounts map[string]bool
}

// TeamsFunc returns the teams of a run once its accounts are known (a
// route matches accounts by their OUs and tags).
type TeamsFunc func(run *result.Run) []Team

// writeTeamReports writes the files of each team. The team's findings are
// read from the run's FindingSet through result.FilterAccounts: a
// findings store reads only the team's accounts, so memory follows the
// largest team, not the organization.
//
// A team whose files cannot be written (an unsafe or taken folder name,
// a full disk, an unwritable teams/ folder) loses its folder, so nothing
// half-written is listed in the manifest, and is returned among the
// failures; the other teams and the run go on. The error is only for a
// failed team folder that could not be removed.
func writeTeamReports(dir string, run *result.Run, teams []Team, evidence []xlsx.Evidence, tmpl *template.Template, wb xlsx.Options,
	write func(name string, render func(io.Writer) error) error) ([]result.TeamFailure, error) {
	var failures []result.TeamFailure
	seen := map[string]string{}
	for _, t := range teams {
		if t.Folder == "" || runfolder.TeamFolder(t.Folder) != t.Folder {
			failures = append(failures, result.TeamFailure{Team: t.Name,
				Error: fmt.Sprintf("folder name %q is not safe", t.Folder)})
			continue
		}
		if other, ok := seen[t.Folder]; ok {
			failures = append(failures, result.TeamFailure{Team: t.Name, Folder: t.Folder,
				Error: fmt.Sprintf("team %q already writes to %s", other, runfolder.TeamPath(t.Folder, ""))})
			continue
		}
		seen[t.Folder] = t.Name
		err := writeTeam(dir, run, t, evidence, tmpl, wb, write)
		if err == nil {
			continue
		}
		// Paths in the error are said relative to the run folder.
		msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
		failures = append(failures, result.TeamFailure{Team: t.Name, Folder: t.Folder, Error: msg})
		folder := filepath.Join(dir, runfolder.TeamsDir, t.Folder)
		if rerr := os.RemoveAll(folder); rerr != nil {
			return failures, fmt.Errorf("team %s: %w; its partly written folder %s could not be removed: %w", t.Name, err, folder, rerr)
		}
	}
	if len(failures) > 0 {
		// An empty teams/ folder left by the failures is no file of the
		// run; Remove keeps a teams/ folder that holds other teams.
		_ = os.Remove(filepath.Join(dir, runfolder.TeamsDir))
	}
	return failures, nil
}

// writeTeam writes one team's audit.md and audit.xlsx into its folder.
func writeTeam(dir string, run *result.Run, t Team, evidence []xlsx.Evidence, tmpl *template.Template, wb xlsx.Options,
	write func(name string, render func(io.Writer) error) error) error {
	sub, err := teamRun(run, t.Accounts)
	if err != nil {
		return err
	}
	if err := perm.MkdirAll(filepath.Join(dir, runfolder.TeamsDir, t.Folder)); err != nil {
		return err
	}
	md := runfolder.TeamPath(t.Folder, "audit.md")
	if err := write(filepath.FromSlash(md), func(w io.Writer) error {
		return markdown.Write(w, tmpl, sub, markdown.DefaultLimits)
	}); err != nil {
		return err
	}
	var ev []xlsx.Evidence
	for _, e := range evidence {
		if t.Accounts[e.AccountID] {
			ev = append(ev, e)
		}
	}
	wbPath := runfolder.TeamPath(t.Folder, "audit.xlsx")
	if err := xlsx.Write(filepath.Join(dir, filepath.FromSlash(wbPath)), sub, ev, wb); err != nil {
		return fmt.Errorf("render %s: %w", wbPath, err)
	}
	return nil
}

// teamRun returns the part of run in the accounts in, summarized: its
// accounts, findings, resolved findings, changes and the exceptions as
// they apply to them (teamExceptions); not the source's unused files. Earlier runs are not kept per team: the trend holds
// this run only.
func teamRun(run *result.Run, in map[string]bool) (*result.Run, error) {
	has := func(id string) bool { return in[id] }
	sub := &result.Run{Run: run.Run}
	// The source folder's unused files may name other teams' accounts
	// (777777777777.csv.bak): they are the run's own report's business.
	sub.Run.UnusedFiles = nil
	for _, a := range run.Accounts {
		if in[a.ID] {
			sub.Accounts = append(sub.Accounts, a)
		}
	}
	sub.Findings = result.FilterAccounts(run.FindingSet(), has)
	for _, f := range run.Resolved {
		if in[f.AccountID] {
			sub.Resolved = append(sub.Resolved, f)
		}
	}
	if run.Changes != nil {
		c := *run.Changes
		c.RecoveredAccounts = refsIn(c.RecoveredAccounts, in)
		c.NewlyFailedAccounts = refsIn(c.NewlyFailedAccounts, in)
		sub.Changes = &c
	}
	if err := sub.Summarize(); err != nil {
		return nil, err
	}
	uses, err := teamExceptions(run, sub.FindingSet(), in)
	if err != nil {
		return nil, err
	}
	sub.Exceptions = uses
	sub.Trend = []result.TrendPoint{{RunID: run.Run.ID, AsOf: run.Run.AsOf, BySeverity: sub.Summary.BySeverity, Status: run.Run.Status, Failed: sub.Failed()}}
	return sub, nil
}

// teamExceptions returns the run's exceptions as they apply to a team's
// findings: each one's match count and status (active or stale) are the
// team's, not the organization's, so a team's files tell nothing of other
// teams' findings. An exception naming one of the team's accounts is
// listed even when it matches nothing (it is stale there); one for every
// account ("*") only when it matches a finding of the team: a team has
// nothing to do about the rest. An expired exception stays expired.
func teamExceptions(run *result.Run, findings result.FindingSet, in map[string]bool) ([]audit.ExceptionUse, error) {
	var list []audit.Exception
	var expired []bool
	for _, u := range run.Exceptions {
		if u.Account == "*" || in[u.Account] {
			list = append(list, u.Exception)
			expired = append(expired, u.Status == exceptions.Expired)
		}
	}
	a := exceptions.NewApplier(list, run.Run.AsOf)
	if err := findings.EachAccount(func(fs []audit.Finding) error {
		a.Count(fs)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("counting the team's exception matches: %w", err)
	}
	out := []audit.ExceptionUse{}
	for i, u := range a.Uses() {
		// Expiry is the run's, as of its as-of.
		switch {
		case expired[i]:
			u.Status = exceptions.Expired
		case u.Matched > 0:
			u.Status = exceptions.Active
		default:
			u.Status = exceptions.Stale
		}
		if u.Account == "*" && u.Matched == 0 {
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

func refsIn(refs []result.AccountRef, in map[string]bool) []result.AccountRef {
	var out []result.AccountRef
	for _, r := range refs {
		if in[r.ID] {
			out = append(out, r)
		}
	}
	return out
}
