package xlsx

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// findingColumn is one column of a sheet of findings: a value, or a
// text (no cell when empty).
type findingColumn struct {
	column
	value func(w *workbook, f *audit.Finding) any
	text  func(f *audit.Finding) string
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

// The columns finding sheets are built from.
var (
	colSeverity    = col("Severity", 10, func(w *workbook, f *audit.Finding) any { return w.severityCell[f.Severity] })
	colAccountID   = textCol("Account ID", 15, func(f *audit.Finding) string { return f.AccountID })
	colAccountName = textCol("Account name", 22, func(f *audit.Finding) string { return f.AccountName })
	colPrincipal   = textCol("Principal", 24, func(f *audit.Finding) string { return cmp.Or(f.Principal, "(account)") })
	colCheck       = textCol("Check", 28, func(f *audit.Finding) string { return f.Check })
	colCredential  = textCol("Credential", 14, func(f *audit.Finding) string { return f.Credential })
	colAge         = col("Age (days)", 11, func(_ *workbook, f *audit.Finding) any {
		if !f.AgeDays.Valid {
			return nil
		}
		return f.AgeDays.N
	})
	colDetail      = textCol("Detail", 70, func(f *audit.Finding) string { return f.Detail })
	colCIS         = textCol("CIS v3.0.0", 10, func(f *audit.Finding) string { return f.CIS })
	colSecurityHub = textCol("Security Hub", 12, func(f *audit.Finding) string { return f.SecurityHub })
	colARN         = textCol("ARN", 50, func(f *audit.Finding) string { return f.ARN })
	colStatus      = textCol("Status", 11, func(f *audit.Finding) string { return f.Status })
	colFirstSeen   = col("First seen (UTC)", 18, func(w *workbook, f *audit.Finding) any { return w.dateCell(f.FirstSeen) })
	colReason      = textCol("Reason", 50, func(f *audit.Finding) string { return exc(f).Reason })
	colOwner       = textCol("Owner", 24, func(f *audit.Finding) string { return exc(f).Owner })
	colApprovedBy  = textCol("Approved by", 24, func(f *audit.Finding) string { return exc(f).ApprovedBy })
	colExpires     = col("Expires", 12, func(w *workbook, f *audit.Finding) any { return w.dayCell(exc(f).Expires) })
	colExceptionAt = textCol("Exception entry", 22, func(f *audit.Finding) string { return exc(f).Source })
)

// colSince is the date a finding's age counts from, under a sheet's own name.
func colSince(name string) findingColumn {
	return col(name, 18, func(w *workbook, f *audit.Finding) any { return w.dateCell(f.Since) })
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

// familySheet is the sheet of a family: the open findings of its checks.
func familySheet(name, table string, checks []string, columns ...findingColumn) findingSheet {
	return findingSheet{name: name, table: table, include: openIn(checks...), family: true,
		checks: strings.Join(checks, ", "), columns: columns}
}

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

// findingSheetList lists the sheets of findings, in workbook order.
var findingSheetList = []findingSheet{
	{name: "Findings", table: "OpenFindings", include: open, columns: []findingColumn{
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colAge, colDetail,
		colStatus, colFirstSeen, colCIS, colSecurityHub, colARN}},
	{name: "Excepted", table: "Excepted", include: func(f *audit.Finding) bool { return !f.Open() }, columns: []findingColumn{
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colAge, colDetail,
		colReason, colOwner, colApprovedBy, colExpires, colExceptionAt, colFirstSeen}},
	{name: "Resolved", table: "Resolved", resolved: true, include: func(*audit.Finding) bool { return true }, columns: []findingColumn{
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colDetail, colFirstSeen}},
	familySheet("Inactive users", "InactiveUsers", []string{audit.UserInactive, audit.ConsolePasswordUnused},
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colSince("Last activity (UTC)"), colAge, colDetail, colStatus, colFirstSeen, colARN),
	familySheet("Unrotated keys", "UnrotatedKeys", []string{audit.AccessKeyNotRotated, audit.AccessKeyUnused, audit.MultipleActiveAccessKeys, audit.InitialAccessKeyUnused},
		colSeverity, colAccountID, colAccountName, colPrincipal, colCredential, colCheck, colSince("Rotated / last used (UTC)"), colAge, colDetail, colStatus, colFirstSeen, colARN),
	familySheet("MFA gaps", "MFAGaps", []string{audit.ConsoleMFAMissing, audit.RootMFADisabled},
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colDetail, colStatus, colFirstSeen, colARN),
	familySheet("Root account", "RootAccount", []string{audit.RootAccessKeyActive, audit.RootMFADisabled, audit.RootUsedRecently, audit.RootAccessKeyInactive, audit.RootHardwareMFAMissing},
		colSeverity, colAccountID, colAccountName, colCheck, colCredential, colSince("Since (UTC)"), colAge, colDetail, colStatus, colFirstSeen),
	familySheet("Permissions", "Permissions", []string{audit.UserPolicyAttached, audit.PolicyFullAdmin, audit.RoleUnused},
		colSeverity, colAccountID, colAccountName, colPrincipal, colCheck, colCredential, colSince("Since (UTC)"), colAge, colDetail, colStatus, colFirstSeen, colARN),
	{name: "Password policy", table: "PasswordPolicy", family: true, checks: strings.Join([]string{
		audit.PasswordPolicyMissing, audit.PasswordPolicyMinLength, audit.PasswordPolicyReuse, audit.PasswordPolicySymbols,
		audit.PasswordPolicyNumbers, audit.PasswordPolicyUppercase, audit.PasswordPolicyLowercase, audit.PasswordPolicyMaxAge}, ", "), include: func(f *audit.Finding) bool {
		return f.Open() && f.Credential == "account"
	}, columns: []findingColumn{colSeverity, colAccountID, colAccountName, colCheck, colDetail, colStatus, colFirstSeen, colCIS, colSecurityHub}},
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
		t, err := w.openTable(sh.name, sh.table, cols)
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
