package xlsx

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/thousands"
	"github.com/reporter-dev/reporter/result"
)

// dateCell renders a time as an Excel date, or an empty cell.
func (w *workbook) dateCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return excelize.Cell{StyleID: w.cellDate, Value: w.dateValue(t)}
}

// dayCell renders a date without a time.
func (w *workbook) dayCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return excelize.Cell{StyleID: w.cellDay, Value: w.dateValue(t)}
}

// Excel's 1900 date system counts days from 1899-12-30 for every date
// from 1900-03-01 on (before that it counts a 29 February 1900 that never
// was).
var (
	excelDayZero    = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC).Unix()
	excelSerialFrom = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC)
)

// dateValue is t (in UTC) as the number Excel stores for a date: days
// since its day zero, the time of day as the fraction, a whole number at
// midnight. It is what excelize writes for a time.Time, computed without
// its per-cell conversion, which costs a noticeable part of a workbook of
// millions of dates. Times excelize treats otherwise (before 1900-03-01)
// and the CSV rendering get the time itself.
//
// A time of day is written half a millisecond late (dateBias): the
// nearest double to a whole second is as often just below it, and
// LibreOffice (7.4) cuts the seconds it shows instead of rounding them,
// showing 12:11:07 for 12:11:08 for about a third of the times (measured
// on 200 times); Excel rounds, and shows the same second either way.
func (w *workbook) dateValue(t time.Time) any {
	t = t.UTC()
	if w.csv != nil || t.Before(excelSerialFrom) {
		return t
	}
	secs := t.Unix() - excelDayZero
	if secs%86400 == 0 && t.Nanosecond() == 0 {
		return secs / 86400
	}
	return float64(secs)/86400 + (float64(t.Nanosecond())+dateBias)/86400e9
}

// dateBias is what dateValue adds to a time of day, in nanoseconds.
const dateBias = 500_000

func (w *workbook) exceptions(r *result.Run) error {
	cols := []column{{"Status", 10}, {"Matched findings", 10}, {"Account", 15}, {"Principal", 20}, {"Check", 27},
		{"Reason", 40}, {"Owner", 22}, {"Approved by", 22}, {"Expires", 11}, {"Days to expiry", 9}, {"Entry", 22}}
	// Expired entries (they cover nothing any more) in red, stale ones
	// (unexpired, matching nothing) in amber, whole rows.
	lay := layout{wrap: []int{5}, numbers: []int{1, 9}, empty: "No exceptions", flags: []flag{
		{row: true, formula: `$A2="` + exceptions.Expired + `"`, style: func(w *workbook) int { return w.expired }},
		{row: true, formula: `$A2="` + exceptions.Stale + `"`, style: func(w *workbook) int { return w.warn }},
	}}
	return w.streamLaidOut("Exceptions", "Exceptions", cols, lay, func(add func([]any) error) error {
		for _, u := range r.Exceptions {
			if err := add([]any{u.Status, u.Matched, u.Account, u.Principal, u.Check, u.Reason, u.Owner,
				u.ApprovedBy, w.dayCell(u.Expires), w.daysTo(u.Expires), u.Source}); err != nil {
				return err
			}
		}
		return nil
	})
}

// trend writes the Trend sheet: open findings by severity over the last
// runs, oldest first, this run last.
func (w *workbook) trend(r *result.Run) error {
	cols := []column{{"Run", 30}, {"As of (UTC)", 18}}
	for _, s := range audit.Severities {
		cols = append(cols, column{s.String(), 10})
	}
	cols = append(cols, column{"Status", 40}, column{"Date", 22})
	labels := trendLabels(r.Trend)
	return w.streamTable("Trend", "Trend", cols, func(add func([]any) error) error {
		for i, p := range r.Trend {
			// The Run column names the run, the Date column the trend
			// chart's point: a run that is no audit result is marked in
			// both.
			label, status := p.RunID, p.Status
			if p.Failed {
				label += " (FAILED)"
				status += ": no audit result, not comparable"
			}
			row := []any{label, w.dateCell(p.AsOf)}
			for _, s := range audit.Severities {
				row = append(row, p.BySeverity[s.String()])
			}
			row = append(row, status, labels[i])
			if err := add(row); err != nil {
				return err
			}
		}
		return nil
	})
}

// trendLabels names each trend point by its as-of date (UTC), with the
// time when another point falls on the same day, and "(FAILED)" after a
// run that is no audit result. They are text, so that every spreadsheet
// program spaces the points evenly, one per run, rather than on a time
// scale where runs of one day would stand on top of each other.
func trendLabels(points []result.TrendPoint) []string {
	days := map[string]int{}
	for _, p := range points {
		days[p.AsOf.UTC().Format(time.DateOnly)]++
	}
	labels := make([]string, len(points))
	for i, p := range points {
		label := p.AsOf.UTC().Format(time.DateOnly)
		if days[label] > 1 {
			label = p.AsOf.UTC().Format("2006-01-02 15:04")
		}
		if p.Failed {
			label += " (FAILED)"
		}
		labels[i] = label
	}
	return labels
}

// summarySheet is the name of the first sheet.
const summarySheet = "Summary"

// The Summary's layout. The first look (rows 1 to firstLookEnd, columns
// A to F, with the chart of open findings by check to their right) fits
// a laptop's screen at 100 % zoom; the table of checks and the trend chart
// follow, and the run's details start a printed page of their own.
const (
	sevHeaderRow = 5  // Severity, Open, Change, New, Resolved, Overdue
	sevFirstRow  = 6  // one row per severity, the total, two notes
	coverageRow  = 14 // coverage, failed accounts, exceptions
	sheetsRow    = 20 // "Sheets", then the links, linksPerRow a row
	linksPerRow  = 3
	trendRow     = 27 // the trend chart, below the first look
	checksRow    = 46 // the table of open findings by check
	// firstLookWidth is the width of column A and of each of B to F.
	firstLookWidth, countWidth = 42, 9
)

// summaryFigures are the Summary's counts that need every finding, taken
// in the workbook's one counting pass (reserveFindingSheets): the Summary
// then costs no pass of its own over the findings.
type summaryFigures struct {
	// newOpen counts open findings new since the previous run, overdue
	// open findings past their due date, by severity.
	newOpen, overdue [audit.Critical + 1]int
	// due counts the findings that have a due date.
	due int
}

// countSummary counts f for the Summary; compared says whether the run
// was compared with a previous one (else no finding counts as new).
func (w *workbook) countSummary(f *audit.Finding, compared bool) {
	if !f.Due.IsZero() {
		w.figures.due++
	}
	if !f.Open() || f.Severity > audit.Critical {
		return
	}
	if compared && f.Status == audit.StatusNew {
		w.figures.newOpen[f.Severity]++
	}
	if f.OverdueDays.Valid && f.OverdueDays.N > 0 {
		w.figures.overdue[f.Severity]++
	}
}

// summaryStyles are the Summary sheet's own styles.
type summaryStyles struct {
	status                      map[string]int // the headline, by run status
	percent, change, link, note int
	total, label, section, wrap int
	// countHeader, totalCount and text align counts' headers and totals
	// right, and set text off the figure before it; dateLeft is a date
	// aligned with the text below and above it.
	countHeader, totalCount, changeTotal, text, dateLeft int
}

func (w *workbook) newSummaryStyles() (summaryStyles, error) {
	var err error
	style := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = w.f.NewStyle(s)
		return id
	}
	headline := func(fill, font string) int {
		return style(&excelize.Style{
			Font:      &excelize.Font{Bold: true, Size: 12, Color: font},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
			Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		})
	}
	s := summaryStyles{status: map[string]int{
		result.RunComplete: headline("E2EFDA", "000000"),
		result.RunPartial:  headline(severityColors[audit.High][0], severityColors[audit.High][1]),
		"failed":           headline(severityColors[audit.Critical][0], severityColors[audit.Critical][1]),
	}}
	s.percent = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}, CustomNumFmt: ptr("0.0%"), Alignment: &excelize.Alignment{Horizontal: "right"}})
	s.change = style(&excelize.Style{CustomNumFmt: ptr("+0;-0;0")})
	s.link = style(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}})
	s.note = style(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "404040"}})
	s.total = style(&excelize.Style{Font: &excelize.Font{Bold: true},
		Border: []excelize.Border{{Type: "top", Color: "000000", Style: 1}}})
	s.label = style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	s.countHeader = style(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F3864"}},
		Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"},
	})
	s.totalCount = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "right"},
		Border: []excelize.Border{{Type: "top", Color: "000000", Style: 1}}})
	s.changeTotal = style(&excelize.Style{Font: &excelize.Font{Bold: true}, CustomNumFmt: ptr("+0;-0;0"),
		Border: []excelize.Border{{Type: "top", Color: "000000", Style: 1}}})
	s.text = style(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Indent: 1}})
	s.dateLeft = style(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss"), Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.wrap = style(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.section = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12, Color: "1F3864"}})
	return s, err
}

// cells writes a sheet's cells one at a time, keeping the first error.
type cells struct {
	f     *excelize.File
	sheet string
	err   error
}

// set writes v (unless nil) to ref and gives it style (unless 0).
func (c *cells) set(ref string, v any, style int) {
	if c.err == nil && v != nil {
		c.err = c.f.SetCellValue(c.sheet, ref, cellValue(v))
	}
	if c.err == nil && style != 0 {
		c.err = c.f.SetCellStyle(c.sheet, ref, ref, style)
	}
}

// link makes ref a link to the first cell of another sheet.
func (c *cells) link(ref, sheet string) {
	if c.err == nil {
		c.err = c.f.SetCellHyperLink(c.sheet, ref, sheetLocation(sheet), "Location")
	}
}

// merge merges the cells from..to.
func (c *cells) merge(from, to string) {
	if c.err == nil {
		c.err = c.f.MergeCell(c.sheet, from, to)
	}
}

// sheetLocation is the address of a sheet's first cell: 'Name'!A1.
func sheetLocation(sheet string) string {
	return "'" + strings.ReplaceAll(sheet, "'", "''") + "'!A1"
}

// ref names the cell of a column and a row.
func ref(col string, row int) string { return col + strconv.Itoa(row) }

// summary fills the first sheet. The top-left screen is the first look: a
// headline (run status, open findings), open findings by severity with
// the change since the previous run, new, resolved and overdue ones,
// coverage with the failed accounts named, exceptions that need someone,
// and links to every sheet; the chart of open findings by check stands to
// its right. Below come the table behind that chart, the trend chart and
// the run's details. Every figure comes from the run's summary and
// w.figures: the Summary reads no finding itself.
func (w *workbook) summary(r *result.Run) error {
	const sheet = summarySheet
	f := w.f
	if err := w.printLayout(sheet); err != nil {
		return err
	}
	if err := f.SetSheetView(sheet, 0, &excelize.ViewOptions{ShowGridLines: ptr(false)}); err != nil {
		return err
	}
	st, err := w.newSummaryStyles()
	if err != nil {
		return err
	}
	for _, cw := range []struct {
		cols  string
		width float64
	}{{"A", firstLookWidth}, {"B", countWidth}, {"C", countWidth}, {"D", countWidth}, {"E", countWidth}, {"F", countWidth}} {
		if err := f.SetColWidth(sheet, cw.cols, cw.cols, cw.width); err != nil {
			return err
		}
	}
	c := &cells{f: f, sheet: sheet}
	s := r.Summary

	// Headline: the run's status and its open findings.
	c.set("A1", "IAM credential audit", w.title)
	headline, status := summaryHeadline(r)
	c.merge("A2", "F2")
	c.set("A2", headline, st.status[status])
	if err := f.SetRowHeight(sheet, 2, headlineHeight(headline)); err != nil {
		return err
	}
	c.set("A3", summaryContext(r), st.note)

	// Open findings by severity, with the change since the previous run.
	previous, hasPrevious := previousCounts(r)
	for i, h := range []string{"Severity", "Open", "Change", "New", "Resolved", "Overdue"} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		style := st.countHeader
		if i == 0 {
			style = w.header
		}
		c.set(ref(col, sevHeaderRow), h, style)
	}
	var resolved [audit.Critical + 1]int
	for i := range r.Resolved {
		if sev := r.Resolved[i].Severity; sev <= audit.Critical {
			resolved[sev]++
		}
	}
	dueSet := w.figures.due > 0
	var totalOverdue, totalNew int
	for i, sev := range audit.Severities {
		row := sevFirstRow + i
		open := s.BySeverity[sev.String()]
		c.set(ref("A", row), sev.String(), w.severity[sev])
		c.set(ref("B", row), open, st.label)
		if hasPrevious {
			c.set(ref("C", row), open-previous[sev.String()], st.change)
		}
		if r.Changes != nil {
			c.set(ref("D", row), w.figures.newOpen[sev], 0)
			c.set(ref("E", row), resolved[sev], 0)
		}
		if dueSet {
			c.set(ref("F", row), w.figures.overdue[sev], 0)
		}
		totalOverdue += w.figures.overdue[sev]
		totalNew += w.figures.newOpen[sev]
	}
	totalRow := sevFirstRow + len(audit.Severities)
	c.set(ref("A", totalRow), "Total", st.total)
	c.set(ref("B", totalRow), s.Open, st.totalCount)
	c.set(ref("C", totalRow), nil, st.totalCount)
	c.set(ref("D", totalRow), nil, st.totalCount)
	c.set(ref("E", totalRow), nil, st.totalCount)
	c.set(ref("F", totalRow), nil, st.totalCount)
	if hasPrevious {
		prevTotal := 0
		for _, n := range previous {
			prevTotal += n
		}
		c.set(ref("C", totalRow), s.Open-prevTotal, st.changeTotal)
	}
	if r.Changes != nil {
		c.set(ref("D", totalRow), totalNew, 0)
		c.set(ref("E", totalRow), s.Resolved, 0)
	}
	if dueSet {
		c.set(ref("F", totalRow), totalOverdue, 0)
	} else {
		c.set(ref("F", totalRow), "not set", 0)
	}
	for i, note := range severityNotes(r, hasPrevious, dueSet) {
		c.set(ref("A", totalRow+1+i), note, st.note)
	}

	// Coverage, failed accounts, exceptions that need someone.
	audited, expected := s.Coverage()
	row := coverageRow
	c.set(ref("A", row), "Coverage", st.label)
	if expected > 0 {
		// Rounded down: 1,999 of 2,000 accounts is 99.9 %, never 100 %.
		c.set(ref("B", row), math.Floor(float64(audited)*1000/float64(expected))/1000, st.percent)
	} else {
		c.set(ref("B", row), "none", st.label)
	}
	c.set(ref("C", row), fmt.Sprintf("%s of %s audited, %s failed, %s skipped", thousands.Format(audited),
		thousands.Format(expected), thousands.Format(s.AccountsFailed), thousands.Format(s.AccountsSkipped)), st.text)
	row++
	c.set(ref("A", row), "Failed accounts", st.label)
	c.set(ref("B", row), failedAccounts(r.Accounts, s.AccountsFailed), 0)
	if s.AccountsFailed > 0 {
		c.link(ref("B", row), "Accounts")
		c.set(ref("B", row), nil, st.link)
	}
	expired, stale := exceptionCounts(r.Exceptions)
	row++
	for _, line := range []struct {
		label, sheet string
		n, style     int
		note         string
	}{
		{"Excepted findings", "Excepted", s.Excepted, 0, "covered by an active exception"},
		{"Expired exceptions", "Exceptions", expired, w.severity[audit.High], "their findings are open again: renew or fix"},
		{"Stale exceptions", "Exceptions", stale, w.severity[audit.Medium], "match no finding: remove or correct them"},
	} {
		c.set(ref("A", row), line.label, st.label)
		c.set(ref("B", row), line.n, 0)
		if line.n > 0 {
			c.set(ref("B", row), nil, line.style)
			c.set(ref("C", row), line.note, st.link)
			c.link(ref("C", row), line.sheet)
		}
		row++
	}

	// Links to every other sheet.
	c.set(ref("A", sheetsRow), "Sheets (click to open)", st.section)
	links := sheetLinks(f.GetSheetList()[1:])
	for i, l := range links {
		cell := ref([]string{"A", "C", "E"}[i%linksPerRow], sheetsRow+1+i/linksPerRow)
		c.set(cell, l.label, st.link)
		c.link(cell, l.sheet)
	}
	if c.err != nil {
		return c.err
	}

	// The trend below the first look; open findings by check, the chart
	// beside the first look, the table on the next printed page. (Only
	// more sheets than fit five rows of links would move them down.)
	linksEnd := sheetsRow + (len(links)+linksPerRow-1)/linksPerRow
	trendAt := max(trendRow, linksEnd+2)
	checksAt := checksRow + trendAt - trendRow
	if err := w.trendChart(sheet, ref("A", trendAt), len(r.Trend)); err != nil {
		return err
	}
	if err := f.InsertPageBreak(sheet, ref("A", checksAt)); err != nil {
		return err
	}
	checksEnd, err := w.checkTable(c, r, st, checksAt)
	if err != nil {
		return err
	}
	if checksEnd > checksAt+1 {
		if err := w.checkChart(sheet, "G1", checksAt+2, checksEnd); err != nil {
			return err
		}
	}
	// The run's details follow.
	return w.runDetails(c, r, checksEnd+3, st)
}

// sheetLink is a link of the Summary to a sheet.
type sheetLink struct{ label, sheet string }

// sheetLinks links each sheet, but only the first of a table's parts
// ("Credentials", not "Credentials (2)"…), labelled with how many there
// are: a run of millions of rows keeps its links on the first screen.
func sheetLinks(sheets []string) []sheetLink {
	parts := map[string]int{}
	for _, name := range sheets {
		parts[name]++
	}
	isPart := func(name string) (string, bool) {
		i := strings.LastIndex(name, " (")
		if i < 0 || !strings.HasSuffix(name, ")") {
			return "", false
		}
		if _, err := strconv.Atoi(name[i+2 : len(name)-1]); err != nil {
			return "", false
		}
		return name[:i], parts[name[:i]] > 0
	}
	for _, name := range sheets {
		if base, ok := isPart(name); ok {
			parts[base]++
		}
	}
	var links []sheetLink
	for _, name := range sheets {
		if _, ok := isPart(name); ok {
			continue
		}
		label := name
		if n := parts[name]; n > 1 {
			label = fmt.Sprintf("%s (%d sheets)", name, n)
		}
		links = append(links, sheetLink{label, name})
	}
	return links
}

// summaryHeadline is the Summary's first sentence and the status that
// colours it: "complete", "partial" or "failed" (a run that is no audit
// result, which leads with its failure as every report does).
func summaryHeadline(r *result.Run) (string, string) {
	if failure := r.Failure(); failure != "" {
		return failure, "failed"
	}
	s := r.Summary
	open := fmt.Sprintf("%s open %s", thousands.Format(s.Open), plural(s.Open, "finding", "findings"))
	if result.StatusOf(r.Run.Status, r.Run.Error, &r.Summary) == result.RunPartial {
		audited, expected := s.Coverage()
		return fmt.Sprintf("Run partial: %s; %s of %s accounts could not be audited", open,
			thousands.Format(expected-audited), thousands.Format(expected)), result.RunPartial
	}
	return "Run complete: " + open, result.RunComplete
}

// headlineHeight is the height in points of the headline's row: one
// line, or more for a long failure, which wraps.
func headlineHeight(headline string) float64 {
	const charsPerLine = 70 // about A:F at 12 pt
	lines := (len(headline) + charsPerLine - 1) / charsPerLine
	return float64(max(lines, 1))*16 + 6
}

// summaryContext says when the run looked and what it is compared with.
func summaryContext(r *result.Run) string {
	asOf := "As of " + r.Run.AsOf.UTC().Format("2006-01-02 15:04 UTC") + ". "
	if r.Changes == nil {
		return asOf + "No previous run to compare with: every finding is new."
	}
	return asOf + fmt.Sprintf("Changes are since the run of %s (%s).",
		r.Changes.PreviousAsOf.UTC().Format("2006-01-02 15:04 UTC"), r.Changes.PreviousRunID)
}

// severityNotes explain the columns of the severity table, those left
// empty because they are unknown above all: the change, new and resolved
// columns, then the overdue one.
func severityNotes(r *result.Run, hasPrevious, dueSet bool) []string {
	var change, overdue string
	switch {
	case r.Changes == nil:
		change = "Change, New, Resolved: no previous run to compare with."
	case !hasPrevious:
		change = "Change: the previous run recorded no counts. New, Resolved: since the previous run."
	default:
		change = "Change: open findings now minus at the previous run. New, Resolved: since then."
	}
	if dueSet {
		overdue = "Overdue: open findings past their due date."
	} else {
		overdue = "Overdue: due dates are not set (sla_days), so none is counted."
	}
	return []string{change, overdue}
}

// previousCounts returns the open findings by severity of the run this
// one is compared with, from its place in the trend (its manifest), and
// whether they are known.
func previousCounts(r *result.Run) (map[string]int, bool) {
	if r.Changes == nil {
		return nil, false
	}
	for _, p := range r.Trend {
		if p.RunID == r.Changes.PreviousRunID && p.BySeverity != nil {
			return p.BySeverity, true
		}
	}
	return nil, false
}

// summaryFailedAccounts is how many failed accounts the Summary names;
// the Accounts sheet lists them all.
const summaryFailedAccounts = 3

// failedAccounts names the first failed accounts, "and N more" after
// them, or says there are none.
func failedAccounts(accounts []result.Account, failed int) string {
	if failed == 0 {
		return "none"
	}
	var names []string
	for _, a := range accounts {
		if a.Status != result.StatusFailed {
			continue
		}
		if len(names) == summaryFailedAccounts {
			break
		}
		if a.Name != "" && a.Name != a.ID {
			names = append(names, fmt.Sprintf("%s (%s)", a.Name, a.ID))
		} else {
			names = append(names, a.ID)
		}
	}
	text := strings.Join(names, ", ")
	if more := failed - len(names); more > 0 {
		text += fmt.Sprintf(" and %s more", thousands.Format(more))
	}
	return text + " (see Accounts)"
}

// exceptionCounts counts the expired and stale exceptions.
func exceptionCounts(uses []audit.ExceptionUse) (expired, stale int) {
	for _, u := range uses {
		switch u.Status {
		case exceptions.Expired:
			expired++
		case exceptions.Stale:
			stale++
		}
	}
	return expired, stale
}

// chartCheck is one row of the table of open findings by check.
type chartCheck struct {
	check audit.Check
	open  int
	order int // place in the catalog
}

// checkTable writes the open findings of each check that has some, most
// severe first, then most findings first, each count in its severity's
// column (the chart stacks them, coloured by severity). It returns the
// table's last row.
func (w *workbook) checkTable(c *cells, r *result.Run, st summaryStyles, checksRow int) (int, error) {
	var rows []chartCheck
	for i, ch := range audit.Checks {
		if n := r.Summary.ByCheck[ch.ID]; n > 0 {
			rows = append(rows, chartCheck{ch, n, i})
		}
	}
	slices.SortFunc(rows, func(a, b chartCheck) int {
		return cmp.Or(cmp.Compare(b.check.Severity, a.check.Severity), cmp.Compare(b.open, a.open), cmp.Compare(a.order, b.order))
	})
	c.set(ref("A", checksRow), "Open findings by check", st.section)
	header := checksRow + 1
	c.set(ref("A", header), "Check", w.header)
	cols := map[audit.Severity]string{}
	for i, sev := range audit.Severities {
		col, _ := excelize.ColumnNumberToName(2 + i)
		cols[sev] = col
		c.set(ref(col, header), sev.String(), w.severity[sev])
	}
	c.set(ref("F", header), "Check ID", w.header)
	if len(rows) == 0 {
		c.set(ref("A", header+1), "No open findings.", st.note)
		return header + 1, c.err
	}
	for i, row := range rows {
		n := header + 1 + i
		c.set(ref("A", n), row.check.Title, 0)
		c.set(ref(cols[row.check.Severity], n), row.open, 0)
		c.set(ref("F", n), row.check.ID, 0)
		// A title runs over the empty count cells on its left, up to its
		// own; a longer one wraps onto a second line.
		room := firstLookWidth + countWidth*(int(audit.Critical)-int(row.check.Severity))
		if len(row.check.Title) > room && c.err == nil {
			c.set(ref("A", n), nil, st.wrap)
			c.err = c.f.SetRowHeight(c.sheet, n, 30)
		}
	}
	return header + len(rows), c.err
}

// axisFont is the dark, legible text of every chart's axes and legend.
var axisFont = excelize.Font{Color: "000000", Size: 10}

// chartTitle is a chart's title in dark 12 pt text.
func chartTitle(text string) excelize.ChartTitle {
	return excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: text, Font: &excelize.Font{Bold: true, Size: 12, Color: "000000"}}}}
}

// checkChart draws the table of open findings by check (rows from..to of
// the Summary) as bars stacked by severity: each check's bar has its
// severity's colour, the checks read top down in the table's order.
func (w *workbook) checkChart(sheet, cell string, from, to int) error {
	var series []excelize.ChartSeries
	for i, sev := range audit.Severities {
		col, _ := excelize.ColumnNumberToName(2 + i)
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("'%s'!$%s$%d", sheet, col, from-1),
			Categories: fmt.Sprintf("'%s'!$A$%d:$A$%d", sheet, from, to),
			Values:     fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sheet, col, from, col, to),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{severityColors[sev][0]}},
		})
	}
	bars := to - from + 1
	return w.f.AddChart(sheet, cell, &excelize.Chart{
		Type:   excelize.BarStacked,
		Series: series,
		Title:  chartTitle("Open findings by check"),
		Legend: excelize.ChartLegend{Position: "bottom", Font: &axisFont},
		// The category axis runs top down, as the table does.
		XAxis:     excelize.ChartAxis{ReverseOrder: true, Font: axisFont},
		YAxis:     excelize.ChartAxis{MajorGridLines: true, Font: axisFont, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0"}},
		GapWidth:  ptr(uint(40)),
		Overlap:   ptr(100),
		Format:    excelize.GraphicOptions{OffsetX: 8, OffsetY: 4},
		Dimension: excelize.ChartDimension{Width: 600, Height: uint(min(max(120+bars*22, 300), 480))},
	})
}

// trendChart draws open findings by severity over the Trend sheet's rows,
// one line per severity in its colour, against each run's as-of date.
func (w *workbook) trendChart(sheet, cell string, points int) error {
	if points == 0 {
		return nil
	}
	last := points + 1
	var series []excelize.ChartSeries
	for i, sev := range audit.Severities {
		colName, _ := excelize.ColumnNumberToName(3 + i)
		color := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{severityColors[sev][0]}}
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("'Trend'!$%s$1", colName),
			Categories: fmt.Sprintf("'Trend'!$H$2:$H$%d", last),
			Values:     fmt.Sprintf("'Trend'!$%s$2:$%s$%d", colName, colName, last),
			Line:       excelize.LineOptions{Width: 2.25},
			Fill:       color,
			Marker: excelize.ChartMarker{Symbol: "circle", Size: 7, Fill: color,
				Border: excelize.LineOptions{Type: excelize.LineSolid, Fill: color}},
		})
	}
	return w.f.AddChart(sheet, cell, &excelize.Chart{
		Type:      excelize.Line,
		Series:    series,
		Title:     chartTitle("Open findings by severity, last runs"),
		Legend:    excelize.ChartLegend{Position: "bottom", Font: &axisFont},
		XAxis:     excelize.ChartAxis{Font: axisFont},
		YAxis:     excelize.ChartAxis{MajorGridLines: true, Font: axisFont, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0"}, Minimum: ptr(0.0)},
		Format:    excelize.GraphicOptions{OffsetY: 4},
		Dimension: excelize.ChartDimension{Width: 640, Height: 320},
	})
}

// runDetails writes the run's metadata from row on: what ran, when, on
// what and with which thresholds.
func (w *workbook) runDetails(c *cells, r *result.Run, row int, st summaryStyles) error {
	th := r.Run.Thresholds
	s := r.Summary
	oldest, newest := reportTimes(r.Accounts)
	rows := [][2]any{
		{"Run", r.Run.ID},
		{"Run status", cmp.Or(result.StatusOf(r.Run.Status, r.Run.Error, &r.Summary), "unknown")},
		{"As of (UTC)", r.Run.AsOf.UTC()},
		{"Started (UTC)", r.Run.StartedAt.UTC()},
		{"Finished (UTC)", r.Run.FinishedAt.UTC()},
		{"Oldest credential report (UTC)", oldest},
		{"Newest credential report (UTC)", newest},
		{"Source", r.Run.Source},
		{"Reporter version", r.Run.Version},
		{"Thresholds", fmt.Sprintf("inactive user %d d, unused credential %d d, key rotation %d d, root use %d d, password length %d, reuse %d, max age %d d",
			th.InactiveUserDays, th.UnusedCredentialDays, th.KeyRotationDays, th.RootUseDays, th.MinPasswordLength, th.PasswordReuse, th.MaxPasswordAgeDays)},
		{"Accounts", fmt.Sprintf("%s listed: %s audited, %s failed, %s skipped", thousands.Format(s.AccountsTotal),
			thousands.Format(s.AccountsAudited), thousands.Format(s.AccountsFailed), thousands.Format(s.AccountsSkipped))},
		{"IAM users", thousands.Format(s.Users)},
		{"Findings", fmt.Sprintf("%s: %s open, %s excepted", thousands.Format(s.Findings), thousands.Format(s.Open), thousands.Format(s.Excepted))},
	}
	if r.Changes != nil {
		rows = append(rows,
			[2]any{"Previous run", fmt.Sprintf("%s (as of %s)", r.Changes.PreviousRunID, r.Changes.PreviousAsOf.UTC().Format("2006-01-02 15:04 UTC"))},
			[2]any{"Accounts recovered / newly failed", fmt.Sprintf("%d / %d", len(r.Changes.RecoveredAccounts), len(r.Changes.NewlyFailedAccounts))},
		)
	} else {
		rows = append(rows, [2]any{"Previous run", "none found: every finding is new"})
	}
	if r.Run.Error != "" {
		rows = append(rows, [2]any{"Run error", r.Run.Error})
	}
	for _, u := range unusedFileRows(r.Run.UnusedFiles) {
		rows = append(rows, [2]any{u[0], u[1]})
	}
	c.set(ref("A", row), "Run details", st.section)
	for i, kv := range rows {
		n := row + 1 + i
		c.set(ref("A", n), kv[0], st.label)
		if t, ok := kv[1].(time.Time); ok {
			// A date needs more room than one column.
			c.merge(ref("B", n), ref("C", n))
			c.set(ref("B", n), t, st.dateLeft)
			continue
		}
		c.set(ref("B", n), kv[1], 0)
	}
	return c.err
}

// summaryUnusedFiles caps the Summary sheet's list of unused files;
// findings.json has them all.
const summaryUnusedFiles = 20

// unusedFileRows lists the source folder's unused files, one row each.
func unusedFileRows(files []result.UnusedFile) [][]any {
	var rows [][]any
	for i, f := range files {
		if i == summaryUnusedFiles {
			rows = append(rows, []any{"File not used", fmt.Sprintf("… and %s more: see findings.json", thousands.Format(len(files)-i))})
			break
		}
		rows = append(rows, []any{"File not used", f.Name + ": " + f.Reason})
	}
	return rows
}

// reportTimes returns the oldest and newest report generation times, or
// "not recorded".
func reportTimes(accounts []result.Account) (oldest, newest any) {
	var lo, hi time.Time
	for _, a := range accounts {
		if a.ReportGeneratedAt == nil {
			continue
		}
		t := a.ReportGeneratedAt.UTC()
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	if lo.IsZero() {
		return "not recorded", "not recorded"
	}
	return lo, hi
}
