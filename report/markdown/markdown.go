// Package markdown renders audit.md from the report templates, and loads
// those templates (templates.FS, or a folder that overrides them).
package markdown

import (
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"os"
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

// Limits cap the long tables of audit.md; the workbook has all rows.
type Limits struct {
	FindingsPerAccount int
	Accounts           int
}

// DefaultLimits keep audit.md readable on GitHub and in a terminal.
var DefaultLimits = Limits{FindingsPerAccount: 50, Accounts: 100}

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

// Write renders audit.md with tmpl.
func Write(w io.Writer, tmpl *template.Template, r *result.Run, limits Limits) error {
	v, err := newMarkdownView(r, limits)
	if err != nil {
		return err
	}
	return tmpl.ExecuteTemplate(w, TemplateName, v)
}

type markdownView struct {
	// Failure leads the report of a run that is no audit result
	// ("Audit FAILED: …", "Audit INCOMPLETE: …"); empty otherwise.
	Failure         string
	Run             result.RunInfo
	Summary         result.Summary
	Changes         *result.Changes
	Audited         int
	Expected        int
	Severities      []severityCount
	Checks          []checkCount
	Problems        []result.Account
	Accounts        []accountRow
	ByAccount       []accountFindings
	OmittedAccounts int
	// Excepted and Resolved are capped at FindingsPerAccount rows.
	Excepted        []audit.Finding
	ExceptedOmitted int
	Resolved        []audit.Finding
	ResolvedOmitted int
	// ExpiredExceptions and StaleExceptions need someone's attention.
	ExpiredExceptions []audit.ExceptionUse
	StaleExceptions   []audit.ExceptionUse
	ActiveExceptions  int
	// UnusedFiles are capped at FindingsPerAccount rows.
	UnusedFiles   []result.UnusedFile
	UnusedOmitted int
	// NotRun are the audited accounts' checks that did not run, capped
	// at FindingsPerAccount rows.
	NotRun        []notRunRow
	NotRunOmitted int
}

// notRunRow is one account's checks that did not run.
type notRunRow struct {
	ID, Name, Checks, Reason string
	Failed                   bool
}

type severityCount struct {
	Name  string
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
	Findings []audit.Finding
	Omitted  int
}

func newMarkdownView(r *result.Run, limits Limits) (markdownView, error) {
	v := markdownView{Failure: r.Failure(), Run: r.Run, Summary: r.Summary, Changes: r.Changes}
	v.Audited, v.Expected = r.Summary.Coverage()
	for _, s := range audit.Severities {
		v.Severities = append(v.Severities, severityCount{s.String(), r.Summary.BySeverity[s.String()]})
	}
	for _, c := range audit.Checks {
		if n := r.Summary.ByCheck[c.ID]; n > 0 {
			v.Checks = append(v.Checks, checkCount{c, n})
		}
	}
	names := map[string]string{}
	for _, a := range r.Accounts {
		names[a.ID] = cmp.Or(a.Name, a.ID)
	}
	counts := map[string]map[audit.Severity]int{}
	err := r.FindingSet().EachAccount(func(group []audit.Finding) error {
		open := 0
		for i := range group {
			f := &group[i]
			if f.Open() {
				open++
				continue
			}
			if len(v.Excepted) < limits.FindingsPerAccount {
				v.Excepted = append(v.Excepted, *f)
			} else {
				v.ExceptedOmitted++
			}
		}
		if open == 0 {
			return nil
		}
		counts[strings.Clone(group[0].AccountID)] = openBySeverity(group)
		if len(v.ByAccount) == limits.Accounts {
			v.OmittedAccounts++
			return nil
		}
		g := accountFindings{ID: group[0].AccountID, Name: cmp.Or(names[group[0].AccountID], group[0].AccountID)}
		g.Findings = bySeverity(group, limits.FindingsPerAccount)
		g.Omitted = open - len(g.Findings)
		v.ByAccount = append(v.ByAccount, g)
		return nil
	})
	if err != nil {
		return v, fmt.Errorf("read findings: %w", err)
	}
	for _, a := range r.Accounts {
		if a.Status != result.StatusCollected {
			v.Problems = append(v.Problems, a)
		}
		c := counts[a.ID]
		v.Accounts = append(v.Accounts, accountRow{
			Account: a, GeneratedAt: generatedAt(a),
			Critical: c[audit.Critical], High: c[audit.High], Medium: c[audit.Medium], Low: c[audit.Low],
		})
	}
	v.Resolved, v.ResolvedOmitted = capList(bySeverity(r.Resolved, len(r.Resolved)), limits.FindingsPerAccount)
	for _, a := range r.Accounts {
		for _, n := range a.ChecksNotRun {
			if len(v.NotRun) == limits.FindingsPerAccount {
				v.NotRunOmitted++
				continue
			}
			v.NotRun = append(v.NotRun, notRunRow{ID: a.ID, Name: a.Name, Checks: strings.Join(n.Checks, ", "), Reason: n.Reason, Failed: n.Failed})
		}
	}
	v.UnusedFiles = r.Run.UnusedFiles[:min(len(r.Run.UnusedFiles), limits.FindingsPerAccount)]
	v.UnusedOmitted = len(r.Run.UnusedFiles) - len(v.UnusedFiles)
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

func capList(fs []audit.Finding, n int) ([]audit.Finding, int) {
	if len(fs) > n {
		return fs[:n], len(fs) - n
	}
	return fs, 0
}

// openBySeverity counts the open findings of fs by severity.
func openBySeverity(fs []audit.Finding) map[audit.Severity]int {
	m := map[audit.Severity]int{}
	for i := range fs {
		if fs[i].Open() {
			m[fs[i].Severity]++
		}
	}
	return m
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
