// Package markdown renders audit.md from the report templates, and loads
// those templates (templates.FS, or a folder that overrides them).
package markdown

import (
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/thousands"
	"github.com/reporter-dev/reporter/result"
	"github.com/reporter-dev/reporter/templates"
)

// TemplateName is the template file audit.md is rendered from.
const TemplateName = "audit.md.tmpl"

// Limits decide how long audit.md gets. A run with at most Findings
// findings (open and excepted) in at most Accounts accounts gets the full
// report: every open finding of every account, and every account. A
// larger run gets the short report: the summary, the per-check table,
// the changes (new and resolved findings, capped), the TopFindings most
// severe open findings of each of the TopAccounts accounts with the most
// severe findings, and pointers to audit.xlsx and findings.json, which
// hold everything. Rows caps every other list in both reports (new,
// resolved and excepted findings, accounts not audited, checks not run,
// files not used). A zero field takes its value from DefaultLimits.
type Limits struct {
	Findings    int
	Accounts    int
	Rows        int
	TopFindings int
	TopAccounts int
	// TextChars clips long texts (details, reasons, errors) of the
	// short report to that many characters and an ellipsis.
	TextChars int
}

// DefaultLimits keep audit.md readable on a wiki page, on GitHub and in a
// terminal: the full report has at most about 1,000 table rows, and the
// short one stays under 1 MB at 5,000 accounts (TestShortReportSize).
var DefaultLimits = Limits{Findings: 1000, Accounts: 50, Rows: 100, TopFindings: 10, TopAccounts: 200, TextChars: 200}

// withDefaults returns l with every zero field set from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	l.Findings = cmp.Or(l.Findings, d.Findings)
	l.Accounts = cmp.Or(l.Accounts, d.Accounts)
	l.Rows = cmp.Or(l.Rows, d.Rows)
	l.TopFindings = cmp.Or(l.TopFindings, d.TopFindings)
	l.TopAccounts = cmp.Or(l.TopAccounts, d.TopAccounts)
	l.TextChars = cmp.Or(l.TextChars, d.TextChars)
	return l
}

// Templates loads the report templates from dir, or the built-in ones when
// dir is empty. Unknown fields in a template are an error.
func Templates(dir string) (*template.Template, error) {
	var fsys fs.FS = templates.FS
	if dir != "" {
		fsys = os.DirFS(dir)
	}
	t, err := template.New("").Option("missingkey=error").Funcs(funcs).ParseFS(fsys, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return t, nil
}

var funcs = template.FuncMap{
	"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"num":      thousands.Format,
	"plural":   plural,
	"clip":     clip,
	"md":       escapeMarkdown,
	"code":     markdownCode,
	"principal": func(p string) string {
		if p == "" {
			return "(account)"
		}
		return markdownCode(p)
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(time.DateOnly)
	},
	"day": func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	"days": func(d audit.Days) string {
		if !d.Valid {
			return "—"
		}
		return strconv.Itoa(d.N)
	},
}

// plural returns n with the noun (or phrase) that goes with it: one when
// n is 1, many otherwise. {{plural 1 "finding is" "findings are"}} reads
// "1 finding is", {{plural 1412 "finding is" "findings are"}} "1,412
// findings are".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands.Format(n) + " " + many
}

// clip returns s cut to n characters followed by "…" when it is longer;
// s itself when n is 0.
func clip(n int, s string) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	i, chars := 0, 0
	for i = range s {
		if chars == n {
			return s[:i] + "…"
		}
		chars++
	}
	return s
}

// Write renders audit.md with tmpl.
func Write(w io.Writer, tmpl *template.Template, r *result.Run, limits Limits) error {
	v, err := newMarkdownView(r, limits.withDefaults())
	if err != nil {
		return err
	}
	return tmpl.ExecuteTemplate(w, TemplateName, v)
}

type markdownView struct {
	// Failure leads the report of a run that is no audit result
	// ("Audit FAILED: …", "Audit INCOMPLETE: …"); empty otherwise.
	Failure string
	Run     result.RunInfo
	Summary result.Summary
	Limits  Limits
	// Short is set when the run has more findings or accounts than
	// Limits allow in full: ByAccount then holds the most severe
	// accounts' most severe findings, and Accounts is empty.
	Short bool
	// Clip is Limits.TextChars in the short report, 0 (no clipping) in
	// the full one.
	Clip int
	// Changes is nil when there is no previous run.
	Changes  *changesView
	Audited  int
	Expected int
	// Severities count the open findings of each severity, with how
	// many are overdue and the days the run allowed them (sla_days).
	Severities []severityCount
	// Overdue counts the open findings past their due date.
	Overdue int
	Checks  []checkCount
	// Fixes say how to fix each check with open findings, in catalog
	// order.
	Fixes []fixView
	// Owners is set when a finding listed has an owner: the finding
	// tables then have an Owner column.
	Owners bool
	// Problems are the accounts not audited, capped at Rows.
	Problems        []result.Account
	ProblemsOmitted int
	// Accounts are every account, in the full report only.
	Accounts        []accountRow
	ByAccount       []accountFindings
	OmittedAccounts int
	// Excepted is capped at Rows.
	Excepted        []audit.Finding
	ExceptedOmitted int
	// ExpiredExceptions and StaleExceptions need someone's attention.
	ExpiredExceptions []audit.ExceptionUse
	StaleExceptions   []audit.ExceptionUse
	ActiveExceptions  int
	// UnusedFiles are capped at Rows.
	UnusedFiles   []result.UnusedFile
	UnusedOmitted int
	// TeamFailures are the teams whose own files were not written (one
	// per configured route channel at most, so not capped).
	TeamFailures []result.TeamFailure
	// NotRun are the audited accounts' checks that did not run, capped
	// at Rows.
	NotRun        []notRunRow
	NotRunOmitted int
}

// changesView is what changed since the previous run.
type changesView struct {
	// Changes holds the previous run and the newly failed accounts
	// (their errors without a repeated account ID), capped at Rows.
	result.Changes
	NewlyFailedOmitted int
	// Baselines are the earlier runs the accounts audited now were
	// compared with: the previous run first, then older runs, newest
	// first, then (RunID "") the accounts no earlier run audited.
	Baselines []baseline
	// Recovered are the accounts audited now that the previous run did
	// not audit, each with the run it was compared with.
	Recovered        []recoveredAccount
	RecoveredOmitted int
	// New are the open new findings, most severe first, capped at Rows;
	// NewExcepted counts the new findings covered by an exception.
	New         []audit.Finding
	NewOmitted  int
	NewExcepted int
	// Resolved are capped at Rows, most severe first.
	Resolved        []audit.Finding
	ResolvedOmitted int
}

// OnlyPrevious reports whether every account audited now was compared
// with the previous run.
func (c *changesView) OnlyPrevious() bool {
	return len(c.Baselines) == 0 || len(c.Baselines) == 1 && c.Baselines[0].Previous
}

// NewOpen counts the new findings not covered by an exception.
func (c *changesView) NewOpen() int { return len(c.New) + c.NewOmitted }

// baseline is an earlier run and the accounts compared with it.
type baseline struct {
	// RunID is empty for the accounts no earlier run audited.
	RunID string
	// Previous is set for the previous run (Changes.PreviousRunID).
	Previous bool
	Count    int
	// Accounts name the first baselineNames accounts, but for the
	// previous run, which most accounts are compared with.
	Accounts []result.AccountRef
	Omitted  int
}

// baselineNames is how many accounts a baseline names.
const baselineNames = 10

type recoveredAccount struct {
	ID, Name, PreviousRunID string
}

// notRunRow is one account's checks that did not run.
type notRunRow struct {
	ID, Name, Checks, Reason string
	Failed                   bool
}

type severityCount struct {
	Name  string
	Count int
	// Overdue and Days are set in markdownView.Severities only: the
	// open findings past their due date, and the days sla_days allowed
	// (0 when the run did not record them).
	Overdue, Days int
}

// fixView is how to fix a check that has open findings.
type fixView struct {
	audit.Check
	audit.Remediation
	Count int
}

type checkCount struct {
	audit.Check
	Count int
}

type accountRow struct {
	result.Account
	GeneratedAt                 string
	Critical, High, Medium, Low int
}

type accountFindings struct {
	ID, Name string
	// Open counts the account's open findings, BySeverity by severity.
	Open       int
	BySeverity []severityCount
	// Findings are the open findings listed, most severe first.
	Findings []audit.Finding
	Omitted  int
}

func newMarkdownView(r *result.Run, limits Limits) (markdownView, error) {
	v := markdownView{Failure: r.Failure(), Run: r.Run, Summary: r.Summary, Limits: limits}
	v.Short = r.FindingSet().Len() > limits.Findings || len(r.Accounts) > limits.Accounts
	if v.Short {
		v.Clip = limits.TextChars
	}
	v.Audited, v.Expected = r.Summary.Coverage()
	for _, s := range audit.Severities {
		v.Severities = append(v.Severities, severityCount{Name: s.String(), Count: r.Summary.BySeverity[s.String()], Days: r.Run.SLADays[s]})
	}
	for _, c := range audit.Checks {
		if n := r.Summary.ByCheck[c.ID]; n > 0 {
			v.Checks = append(v.Checks, checkCount{c, n})
			if fix, ok := audit.RemediationOf(c.ID); ok {
				v.Fixes = append(v.Fixes, fixView{c, fix, n})
			}
		}
	}
	overdue := map[audit.Severity]int{}
	names := map[string]string{}
	for _, a := range r.Accounts {
		names[a.ID] = cmp.Or(a.Name, a.ID)
	}
	if r.Changes != nil {
		v.Changes = newChangesView(r, limits.Rows)
	}
	// newBySeverity keeps the first Rows open new findings of each
	// severity, in report order.
	newBySeverity := map[audit.Severity][]audit.Finding{}
	counts := map[string][]severityCount{}
	top := topAccounts{n: limits.TopAccounts}
	err := r.FindingSet().EachAccount(func(group []audit.Finding) error {
		open := 0
		for i := range group {
			f := &group[i]
			if v.Changes != nil && f.Status == audit.StatusNew {
				switch {
				case !f.Open():
					v.Changes.NewExcepted++
				case len(newBySeverity[f.Severity]) < limits.Rows:
					newBySeverity[f.Severity] = append(newBySeverity[f.Severity], *f)
				}
			}
			if f.Open() {
				open++
				if f.OverdueDays.N > 0 {
					overdue[f.Severity]++
					v.Overdue++
				}
				continue
			}
			if len(v.Excepted) < limits.Rows {
				v.Excepted = append(v.Excepted, *f)
			} else {
				v.ExceptedOmitted++
			}
		}
		if open == 0 {
			return nil
		}
		id := group[0].AccountID
		g := accountFindings{ID: id, Name: cmp.Or(names[id], id), Open: open, BySeverity: openBySeverity(group)}
		if v.Short {
			top.add(g, group, limits.TopFindings)
			return nil
		}
		counts[strings.Clone(id)] = g.BySeverity
		g.Findings = bySeverity(group, open)
		v.ByAccount = append(v.ByAccount, g)
		return nil
	})
	if err != nil {
		return v, fmt.Errorf("read findings: %w", err)
	}
	for i, s := range audit.Severities {
		v.Severities[i].Overdue = overdue[s]
	}
	if v.Short {
		v.ByAccount, v.OmittedAccounts = top.accounts, top.omitted
	}
	if v.Changes != nil {
		var all []audit.Finding
		for _, s := range audit.Severities {
			all = append(all, newBySeverity[s]...)
		}
		v.Changes.New, _ = capList(all, limits.Rows)
		v.Changes.NewOmitted = r.Summary.NewOpen - len(v.Changes.New)
		v.Changes.Resolved, v.Changes.ResolvedOmitted = capList(bySeverity(r.Resolved, len(r.Resolved)), limits.Rows)
	}
	for _, a := range r.Accounts {
		if a.Status != result.StatusCollected {
			if len(v.Problems) == limits.Rows {
				v.ProblemsOmitted++
			} else {
				a.Error = withoutAccountPrefix(a.ID, a.Error)
				v.Problems = append(v.Problems, a)
			}
		}
		if v.Short {
			continue
		}
		c := map[string]int{}
		for _, s := range counts[a.ID] {
			c[s.Name] = s.Count
		}
		v.Accounts = append(v.Accounts, accountRow{
			Account: a, GeneratedAt: generatedAt(a),
			Critical: c["critical"], High: c["high"], Medium: c["medium"], Low: c["low"],
		})
	}
	for _, a := range r.Accounts {
		for _, n := range a.ChecksNotRun {
			if len(v.NotRun) == limits.Rows {
				v.NotRunOmitted++
				continue
			}
			v.NotRun = append(v.NotRun, notRunRow{ID: a.ID, Name: a.Name, Checks: strings.Join(n.Checks, ", "), Reason: n.Reason, Failed: n.Failed})
		}
	}
	v.Owners = anyOwner(v.Excepted) || anyOwner(r.Resolved)
	for _, a := range v.ByAccount {
		v.Owners = v.Owners || anyOwner(a.Findings)
	}
	if v.Changes != nil {
		v.Owners = v.Owners || anyOwner(v.Changes.New)
	}
	v.UnusedFiles = r.Run.UnusedFiles[:min(len(r.Run.UnusedFiles), limits.Rows)]
	v.UnusedOmitted = len(r.Run.UnusedFiles) - len(v.UnusedFiles)
	v.TeamFailures = r.Run.TeamFailures
	for _, u := range r.Exceptions {
		switch u.Status {
		case exceptions.Expired:
			v.ExpiredExceptions = append(v.ExpiredExceptions, u)
		case exceptions.Stale:
			v.StaleExceptions = append(v.StaleExceptions, u)
		default:
			v.ActiveExceptions++
		}
	}
	return v, nil
}

// newChangesView describes r.Changes and which earlier run each account
// audited now was compared with (accounts[].previous_run_id). The new
// and resolved findings are filled in by the caller.
func newChangesView(r *result.Run, rows int) *changesView {
	c := &changesView{Changes: *r.Changes}
	c.NewlyFailedAccounts = slices.Clone(c.NewlyFailedAccounts[:min(rows, len(c.NewlyFailedAccounts))])
	c.NewlyFailedOmitted = len(r.Changes.NewlyFailedAccounts) - len(c.NewlyFailedAccounts)
	for i := range c.NewlyFailedAccounts {
		a := &c.NewlyFailedAccounts[i]
		a.Error = withoutAccountPrefix(a.ID, a.Error)
	}
	byRun := map[string]*baseline{}
	previousRun := map[string]string{}
	for _, a := range r.Accounts {
		if a.Status != result.StatusCollected {
			continue
		}
		previousRun[a.ID] = a.PreviousRunID
		b := byRun[a.PreviousRunID]
		if b == nil {
			b = &baseline{RunID: a.PreviousRunID, Previous: a.PreviousRunID != "" && a.PreviousRunID == c.PreviousRunID}
			byRun[a.PreviousRunID] = b
		}
		b.Count++
		if b.Previous || len(b.Accounts) == baselineNames {
			continue
		}
		b.Accounts = append(b.Accounts, result.AccountRef{ID: a.ID, Name: cmp.Or(a.Name, a.ID)})
	}
	for _, b := range byRun {
		b.Omitted = b.Count - len(b.Accounts)
		if b.Previous {
			b.Omitted = 0
		}
		c.Baselines = append(c.Baselines, *b)
	}
	// The previous run first, then older runs newest first (run IDs
	// sort by time), then the accounts no run audited.
	slices.SortFunc(c.Baselines, func(a, b baseline) int {
		switch {
		case a.Previous != b.Previous:
			if a.Previous {
				return -1
			}
			return 1
		case (a.RunID == "") != (b.RunID == ""):
			if a.RunID == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(b.RunID, a.RunID)
	})
	for _, a := range c.RecoveredAccounts {
		if len(c.Recovered) == rows {
			c.RecoveredOmitted++
			continue
		}
		c.Recovered = append(c.Recovered, recoveredAccount{ID: a.ID, Name: a.Name, PreviousRunID: previousRun[a.ID]})
	}
	return c
}

// withoutAccountPrefix returns err without a leading "account <id>: ",
// which would repeat the account its row already names.
func withoutAccountPrefix(id, err string) string {
	return strings.TrimPrefix(err, "account "+id+": ")
}

// topAccounts keeps the n accounts with the most severe open findings
// (the most critical ones, then the most high ones, …; report order
// among equals), each with its most severe findings.
type topAccounts struct {
	n        int
	accounts []accountFindings
	omitted  int
}

// add offers g, whose findings are group, keeping perAccount of them.
func (t *topAccounts) add(g accountFindings, group []audit.Finding, perAccount int) {
	pos, _ := slices.BinarySearchFunc(t.accounts, g, func(have, offered accountFindings) int {
		if moreSevere(offered.BySeverity, have.BySeverity) {
			return 1
		}
		return -1
	})
	if pos == t.n {
		t.omitted++
		return
	}
	g.Findings = bySeverity(group, perAccount)
	g.Omitted = g.Open - len(g.Findings)
	t.accounts = slices.Insert(t.accounts, pos, g)
	if len(t.accounts) > t.n {
		t.accounts = t.accounts[:t.n]
		t.omitted++
	}
}

// moreSevere reports whether counts a (by audit.Severities) rank before
// b: more critical findings, or as many and more high ones, and so on.
func moreSevere(a, b []severityCount) bool {
	for i := range a {
		if a[i].Count != b[i].Count {
			return a[i].Count > b[i].Count
		}
	}
	return false
}

// anyOwner reports whether a finding of fs has an owner.
func anyOwner(fs []audit.Finding) bool {
	for i := range fs {
		if fs[i].Owner != "" {
			return true
		}
	}
	return false
}

func capList(fs []audit.Finding, n int) ([]audit.Finding, int) {
	if len(fs) > n {
		return fs[:n], len(fs) - n
	}
	return fs, 0
}

// openBySeverity counts the open findings of fs by severity, in the
// order of audit.Severities.
func openBySeverity(fs []audit.Finding) []severityCount {
	out := make([]severityCount, len(audit.Severities))
	for i, s := range audit.Severities {
		out[i].Name = s.String()
		for j := range fs {
			if fs[j].Severity == s && fs[j].Open() {
				out[i].Count++
			}
		}
	}
	return out
}

// bySeverity returns copies of at most n open findings of fs, most severe
// first, stable otherwise. (Resolved findings count as open here.)
func bySeverity(fs []audit.Finding, n int) []audit.Finding {
	out := make([]audit.Finding, 0, min(n, len(fs)))
	for _, s := range audit.Severities {
		for i := range fs {
			if len(out) == n {
				return out
			}
			if f := &fs[i]; f.Severity == s && f.Open() {
				out = append(out, *f)
			}
		}
	}
	return out
}

func generatedAt(a result.Account) string {
	if a.ReportGeneratedAt == nil {
		return "not recorded"
	}
	return a.ReportGeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
}
