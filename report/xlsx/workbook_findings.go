package xlsx

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// findingColumn is one column of a sheet of findings: a value, or a
// text (no cell when empty). wrap, number and flag lay it out (layout).
type findingColumn struct {
	column
	value  func(w *workbook, f *audit.Finding) any
	text   func(f *audit.Finding) string
	wrap   bool
	number bool
	flag   *flag // col is set by the sheet
}

// col is a column whose cells value computes, with the workbook's styles
// at hand.
func col(name string, width float64, value func(w *workbook, f *audit.Finding) any) findingColumn {
	return findingColumn{column: column{name, width}, value: value}
}

// textCol is a column of text; an empty text leaves the cell empty.
func textCol(name string, width float64, text func(f *audit.Finding) string) findingColumn {
	return findingColumn{column: column{name, width}, text: text}
}

// wrapCol is a column of text that wraps.
func wrapCol(name string, width float64, text func(f *audit.Finding) string) findingColumn {
	c := textCol(name, width, text)
	c.wrap = true
	return c
}

// numberCol is a column of whole numbers (or empty cells).
func numberCol(name string, width float64, value func(w *workbook, f *audit.Finding) any) findingColumn {
	c := col(name, width, value)
	c.number = true
	return c
}

// boxedText is the last text of a column and that text as a cell value.
// Consecutive findings often share a text (the account, the check, the
// status): reusing its value saves converting it again, an allocation
// per cell on sheets of millions of cells.
type boxedText struct {
	s string
	v any
}

// get returns s as a cell value: nil when empty.
func (b *boxedText) get(s string) any {
	if s == "" {
		return nil
	}
	if b.v == nil || s != b.s {
		b.s, b.v = s, s
	}
	return b.v
}

// days is a count of days as a cell: a number, or empty when not valid.
func days(d audit.Days) any {
	if !d.Valid {
		return nil
	}
	return d.N
}

// The columns finding sheets are built from. Widths leave every header
// whole (wrapped at its spaces at worst); units are in the headers.
var (
	colSeverity    = col("Severity", 9, func(w *workbook, f *audit.Finding) any { return w.severityCell[f.Severity] })
	colAccountID   = textCol("Account ID", 14, func(f *audit.Finding) string { return f.AccountID })
	colAccountName = textCol("Account name", 18, func(f *audit.Finding) string { return f.AccountName })
	colPrincipal   = textCol("Principal", 22, func(f *audit.Finding) string { return cmp.Or(f.Principal, "(account)") })
	colCheck       = textCol("Check", 27, func(f *audit.Finding) string { return f.Check })
	colCredential  = textCol("Credential", 13, func(f *audit.Finding) string { return f.Credential })
	colAge         = numberCol("Age (days)", 8, func(_ *workbook, f *audit.Finding) any { return days(f.AgeDays) })
	colDetail      = wrapCol("Detail", 46, func(f *audit.Finding) string { return f.Detail })
	colCIS         = textCol("CIS v3.0.0", 9, func(f *audit.Finding) string { return f.CIS })
	colSecurityHub = textCol("Security Hub", 10, func(f *audit.Finding) string { return f.SecurityHub })
	colARN         = wrapCol("ARN", 44, func(f *audit.Finding) string { return f.ARN })
	colStatus      = textCol("Status", 11, func(f *audit.Finding) string { return f.Status })
	colFirstSeen   = col("First seen (UTC)", 20, func(w *workbook, f *audit.Finding) any { return w.dateCell(f.FirstSeen) })
	colReason      = wrapCol("Reason", 40, func(f *audit.Finding) string { return exc(f).Reason })
	colExcOwner    = textCol("Exception owner", 20, func(f *audit.Finding) string { return exc(f).Owner })
	colApprovedBy  = textCol("Approved by", 20, func(f *audit.Finding) string { return exc(f).ApprovedBy })
	colExpires     = col("Expires", 12, func(w *workbook, f *audit.Finding) any { return w.dayCell(exc(f).Expires) })
	colExpiry      = func() findingColumn {
		c := numberCol("Days to expiry", 9, func(w *workbook, f *audit.Finding) any { return w.daysTo(exc(f).Expires) })
		c.flag = &flag{formula: "AND(ISNUMBER({}),{}<=30)", style: func(w *workbook) int { return w.warn }}
		return c
	}()
	colExceptionAt = textCol("Exception entry", 22, func(f *audit.Finding) string { return exc(f).Source })
	// Issue 14's columns: what a ticket needs.
	colFindingID = textCol("Finding ID", 24, func(f *audit.Finding) string { return f.ID })
	colOwner     = textCol("Owner", 24, func(f *audit.Finding) string { return f.Owner })
	colOwnerFrom = textCol("Owner source", 17, func(f *audit.Finding) string { return f.OwnerSource })
	colDue       = col("Due", 12, func(w *workbook, f *audit.Finding) any {
		if !f.Open() {
			return nil
		}
		return w.dayCell(f.Due)
	})
	colOverdue = func() findingColumn {
		c := numberCol("Overdue (days)", 9, func(_ *workbook, f *audit.Finding) any {
			if !f.Open() {
				return nil
			}
			return days(f.OverdueDays)
		})
		c.flag = &flag{formula: "AND(ISNUMBER({}),{}>0)", style: func(w *workbook) int { return w.alert }}
		return c
	}()
	colRemediation = func() findingColumn {
		c := col("Remediation", 46, func(w *workbook, f *audit.Finding) any {
			if w.familyNotes {
				return remediationElsewhere
			}
			if f.Remediation == "" {
				return nil
			}
			return f.Remediation
		})
		c.wrap = true
		return c
	}()
	// The Resolved sheet's: this run resolved them.
	colResolvedIn = col("Resolved in run", 18, func(w *workbook, _ *audit.Finding) any { return w.runIDCell() })
	colResolvedOn = col("Resolved on (UTC)", 20, func(w *workbook, _ *audit.Finding) any { return w.dateCell(w.run.AsOf) })
)

// remediationElsewhere is the Remediation cell of every finding of a
// run too large for the family sheets (workbook.max_family_rows). A
// finding's commands are ~300 characters: at 5,000 accounts (1.05
// million open findings, internal/bench/scale, one run each on a busy
// machine) repeating them made the workbook 0.25 GB instead of 0.21 GB
// and the run's CPU 60 s instead of 49 s. The Checks sheet has each check's commands,
// findings.json each finding's, and each team's own, smaller workbook
// has them in full. Short, to keep the row one line high.
var remediationElsewhere any = "See Checks sheet, findings.json"

// actionable are issue 14's columns of an open finding, after its
// age: when it is due, who owns it, how to fix it.
var actionable = []findingColumn{colDue, colOverdue, colOwner, colOwnerFrom, colRemediation}

// colSince is the date a finding's age counts from, under a name saying
// what that date is, for the findings of the given checks (for every
// finding when none are given): one meaning per column.
func colSince(name string, checks ...string) findingColumn {
	return col(name, 20, func(w *workbook, f *audit.Finding) any {
		if len(checks) > 0 && !slices.Contains(checks, f.Check) {
			return nil
		}
		return w.dateCell(f.Since)
	})
}

// exc is f's exception, or the zero Exception when f has none.
func exc(f *audit.Finding) audit.Exception {
	if f.Exception == nil {
		return audit.Exception{}
	}
	return *f.Exception
}

// findingSheet is a sheet listing the findings that pass a filter.
type findingSheet struct {
	name, table string
	columns     []findingColumn
	include     func(f *audit.Finding) bool
	resolved    bool // list r.Resolved instead of r.Findings
	// family marks a sheet that repeats some of the Findings sheet's
	// rows; above workbook.max_family_rows it holds a note instead.
	// checks tells a reader which of the Findings sheet's checks it
	// would hold.
	family bool
	checks string
}

// layout lays the sheet's columns out.
func (sh *findingSheet) layout() layout {
	lay := layout{empty: "No findings"}
	for i, c := range sh.columns {
		switch {
		case c.wrap:
			lay.wrap = append(lay.wrap, i)
		case c.number:
			lay.numbers = append(lay.numbers, i)
		}
		if c.flag != nil {
			fl := *c.flag
			fl.col = i
			lay.flags = append(lay.flags, fl)
		}
	}
	return lay
}

// familySheet is the sheet of a family: the open findings of its checks.
func familySheet(name, table string, checks []string, columns ...[]findingColumn) findingSheet {
	return findingSheet{name: name, table: table, include: openIn(checks...), family: true,
		checks: strings.Join(checks, ", "), columns: slices.Concat(columns...)}
}

// cols lists columns, for slices.Concat.
func cols(c ...findingColumn) []findingColumn { return c }

// open includes the findings that are not excepted.
func open(f *audit.Finding) bool { return f.Open() }

// openIn includes the open findings of the given checks.
func openIn(checks ...string) func(*audit.Finding) bool {
	return func(f *audit.Finding) bool {
		if !f.Open() {
			return false
		}
		for _, c := range checks {
			if f.Check == c {
				return true
			}
		}
		return false
	}
}

// The tail of every sheet of open findings: its status and reference.
var openTail = cols(colStatus, colFirstSeen, colFindingID)

// findingSheetList lists the sheets of findings, in workbook order.
var findingSheetList = []findingSheet{
	// The Findings sheet leaves out the CIS and Security Hub controls,
	// the same for every finding of a check (the Checks sheet and
	// findings.json have them): at a million rows each column costs
	// about a second of the run (BenchmarkWorkbookFindings).
	{name: "Findings", table: "OpenFindings", include: open, columns: slices.Concat(
		cols(colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colDetail, colAge),
		actionable, openTail, cols(colARN))},
	{name: "Excepted", table: "Excepted", include: func(f *audit.Finding) bool { return !f.Open() }, columns: cols(
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colDetail, colAge,
		colReason, colExcOwner, colApprovedBy, colExpires, colExpiry, colExceptionAt, colFirstSeen, colFindingID)},
	{name: "Resolved", table: "Resolved", resolved: true, include: func(*audit.Finding) bool { return true }, columns: cols(
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colDetail, colFirstSeen,
		colResolvedIn, colResolvedOn, colFindingID, colOwner)},
	familySheet("Inactive users", "InactiveUsers", []string{audit.UserInactive, audit.ConsolePasswordUnused},
		cols(colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colDetail, colSince("Inactive since (UTC)"), colAge),
		actionable, openTail, cols(colARN)),
	familySheet("Unrotated keys", "UnrotatedKeys", []string{audit.AccessKeyNotRotated, audit.AccessKeyUnused, audit.MultipleActiveAccessKeys, audit.InitialAccessKeyUnused},
		cols(colSeverity, colAccountID, colAccountName, colPrincipal, colCredential, colCheck, colDetail,
			colSince("Last rotated (UTC)", audit.AccessKeyNotRotated, audit.InitialAccessKeyUnused),
			colSince("Unused since (UTC)", audit.AccessKeyUnused), colAge),
		actionable, openTail, cols(colARN)),
	familySheet("MFA gaps", "MFAGaps", []string{audit.ConsoleMFAMissing, audit.RootMFADisabled},
		cols(colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colDetail),
		actionable, openTail, cols(colARN)),
	familySheet("Root account", "RootAccount", []string{audit.RootAccessKeyActive, audit.RootMFADisabled, audit.RootUsedRecently, audit.RootAccessKeyInactive, audit.RootHardwareMFAMissing},
		cols(colSeverity, colAccountID, colAccountName, colCheck, colCredential, colDetail,
			colSince("Key created (UTC)", audit.RootAccessKeyActive, audit.RootAccessKeyInactive),
			colSince("Last used (UTC)", audit.RootUsedRecently),
			colSince("MFA enabled (UTC)", audit.RootHardwareMFAMissing), colAge),
		actionable, openTail),
	familySheet("Permissions", "Permissions", []string{audit.UserPolicyAttached, audit.PolicyFullAdmin, audit.RoleUnused},
		cols(colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colDetail,
			colSince("Unused since (UTC)", audit.RoleUnused), colAge),
		actionable, openTail, cols(colARN)),
	{name: "Password policy", table: "PasswordPolicy", family: true, checks: strings.Join([]string{
		audit.PasswordPolicyMissing, audit.PasswordPolicyMinLength, audit.PasswordPolicyReuse, audit.PasswordPolicySymbols,
		audit.PasswordPolicyNumbers, audit.PasswordPolicyUppercase, audit.PasswordPolicyLowercase, audit.PasswordPolicyMaxAge}, ", "), include: func(f *audit.Finding) bool {
		return f.Open() && f.Credential == "account"
	}, columns: slices.Concat(cols(colSeverity, colAccountID, colAccountName, colCheck, colDetail), actionable, openTail, cols(colCIS, colSecurityHub))},
}

// findingSheets writes every sheet of findings, most severe first. The
// sheets are written side by side, in one pass over the findings per
// severity. It also counts the open findings for the Accounts sheet.
// When the run has more open findings than w.maxFamilyRows, the family
// sheets are notes instead (familyNotes), written last.
func (w *workbook) findingSheets(r *result.Run) error {
	if err := w.reserveFindingSheets(r); err != nil {
		return err
	}
	tables := make([]*table, len(findingSheetList))
	rows := make([][]any, len(findingSheetList))
	boxes := make([][]boxedText, len(findingSheetList))
	var streamed []int // the sheets whose rows are written, in list order
	for i, sh := range findingSheetList {
		if sh.family && w.familyNotes {
			continue
		}
		streamed = append(streamed, i)
		cols := make([]column, len(sh.columns))
		for j, c := range sh.columns {
			cols[j] = c.column
		}
		t, err := w.openLaidOut(sh.name, sh.table, cols, sh.layout())
		if err != nil {
			return err
		}
		tables[i], rows[i], boxes[i] = t, make([]any, len(cols)), make([]boxedText, len(cols))
	}
	add := func(i int, f *audit.Finding) error {
		row := rows[i]
		for j, c := range findingSheetList[i].columns {
			if c.text != nil {
				row[j] = boxes[i][j].get(c.text(f))
			} else {
				row[j] = c.value(w, f)
			}
		}
		if err := tables[i].add(row); err != nil {
			return fmt.Errorf("sheet %s: %w", tables[i].sheetName(), err)
		}
		return nil
	}
	for _, sev := range audit.Severities {
		err := r.FindingSet().EachSeverity(sev, func(fs []audit.Finding) error {
			for k := range fs {
				f := &fs[k]
				for _, i := range streamed {
					if sh := &findingSheetList[i]; sh.resolved || !sh.include(f) {
						continue
					}
					if err := add(i, f); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, i := range streamed {
			sh := &findingSheetList[i]
			if !sh.resolved {
				continue
			}
			for k := range r.Resolved {
				if f := &r.Resolved[k]; f.Severity == sev && sh.include(f) {
					if err := add(i, f); err != nil {
						return err
					}
				}
			}
		}
	}
	for _, i := range streamed {
		if err := tables[i].close(); err != nil {
			return err
		}
	}
	if w.familyNotes {
		for i, sh := range findingSheetList {
			if sh.family {
				if err := w.familyNote(sh, w.familyRows[i]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reserveFindingSheets counts the rows of every sheet of findings and
// reserves the sheets they need, in workbook order. It also counts the
// open findings for the Accounts sheet, and decides whether the family
// sheets hold their rows or a note (w.maxFamilyRows).
func (w *workbook) reserveFindingSheets(r *result.Run) error {
	w.openCounts = map[string]map[audit.Severity]int{}
	rows := make([]int, len(findingSheetList))
	openCount := 0
	err := r.EachFinding(func(f *audit.Finding) error {
		w.countSummary(f, r.Changes != nil)
		if f.Open() {
			w.countOpen(f)
			openCount++
		}
		for i, sh := range findingSheetList {
			if !sh.resolved && sh.include(f) {
				rows[i]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.familyRows = rows
	w.openFindings = openCount
	w.familyNotes = w.openFindings > w.maxFamilyRows
	for i, sh := range findingSheetList {
		if sh.resolved {
			rows[i] = len(r.Resolved)
		}
		if sh.family && w.familyNotes {
			// The note's sheet, in its place among the others.
			if err := w.reserveSheets(sh.name, 0); err != nil {
				return err
			}
			continue
		}
		if err := w.reserveSheets(sh.name, rows[i]); err != nil {
			return err
		}
	}
	return nil
}

// countOpen counts an open finding for the Accounts sheet.
func (w *workbook) countOpen(f *audit.Finding) {
	c := w.openCounts[f.AccountID]
	if c == nil {
		c = map[audit.Severity]int{}
		// A stored finding's strings share its block's memory; a copy of
		// the key keeps the block from being retained.
		w.openCounts[strings.Clone(f.AccountID)] = c
	}
	c[f.Severity]++
}

// runIDCell is the run's ID as a cell value, boxed once.
func (w *workbook) runIDCell() any {
	if w.runID == nil && w.run.ID != "" {
		w.runID = w.run.ID
	}
	return w.runID
}

// daysTo is the number of days from the run's as-of day to day t (UTC):
// 0 on the day itself, negative once past; empty when t is unset.
func (w *workbook) daysTo(t time.Time) any {
	if t.IsZero() || w.run.AsOf.IsZero() {
		return nil
	}
	asOf := w.run.AsOf.UTC()
	from := time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	t = t.UTC()
	to := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int(to.Sub(from).Hours()) / 24
}
