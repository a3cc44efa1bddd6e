package xlsx

import (
	"cmp"
	"fmt"
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

func (w *workbook) checks(r *result.Run) error {
	cols := []column{{"Check", 28}, {"Title", 50}, {"Severity", 10}, {"CIS v3.0.0", 10}, {"Security Hub", 12}, {"Family", 16}, {"Open findings", 10}}
	return w.streamTable("Checks", "Checks", cols, func(add func([]any) error) error {
		for _, c := range audit.Checks {
			if err := add([]any{c.ID, c.Title, excelize.Cell{StyleID: w.severity[c.Severity], Value: c.Severity.String()},
				c.CIS, c.SecurityHub, c.Family, r.Summary.ByCheck[c.ID]}); err != nil {
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
	cols = append(cols, column{"Status", 40})
	return w.streamTable("Trend", "Trend", cols, func(add func([]any) error) error {
		for _, p := range r.Trend {
			// The Run column names the chart's points: a run that is no
			// audit result is marked there too.
			label, status := p.RunID, p.Status
			if p.Failed {
				label += " (FAILED)"
				status += ": no audit result, not comparable"
			}
			row := []any{label, w.dateCell(p.AsOf)}
			for _, s := range audit.Severities {
				row = append(row, p.BySeverity[s.String()])
			}
			row = append(row, status)
			if err := add(row); err != nil {
				return err
			}
		}
		return nil
	})
}

// summary fills the first sheet with the run's metadata and headline
// figures, a chart of open findings by check and a trend chart.
func (w *workbook) summary(r *result.Run) error {
	const sheet = "Summary"
	f := w.f
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := w.printLayout(sheet); err != nil {
		return err
	}
	audited, expected := r.Summary.Coverage()
	th := r.Run.Thresholds
	s := r.Summary
	oldest, newest := reportTimes(r.Accounts)
	// A run that is no audit result says so first.
	failure := r.Failure()
	var lead []any
	if failure != "" {
		lead = []any{failure}
	}
	rows := [][]any{
		{"IAM credential audit"},
		lead,
		{"Run", r.Run.ID},
		{"As of (UTC)", r.Run.AsOf.UTC()},
		{"Started (UTC)", r.Run.StartedAt.UTC()},
		{"Finished (UTC)", r.Run.FinishedAt.UTC()},
		{"Oldest credential report (UTC)", oldest},
		{"Newest credential report (UTC)", newest},
		{"Source", r.Run.Source},
		{"Reporter version", r.Run.Version},
		{"Thresholds", fmt.Sprintf("inactive user %d d, unused credential %d d, key rotation %d d, root use %d d, password length %d, reuse %d, max age %d d",
			th.InactiveUserDays, th.UnusedCredentialDays, th.KeyRotationDays, th.RootUseDays, th.MinPasswordLength, th.PasswordReuse, th.MaxPasswordAgeDays)},
		{"Coverage", fmt.Sprintf("audited %s of %s accounts", thousands.Format(audited), thousands.Format(expected))},
		{"Accounts failed", s.AccountsFailed},
		{"Accounts skipped", s.AccountsSkipped},
		{"IAM users", s.Users},
		{"Open findings", s.Open},
		{"Excepted findings", s.Excepted},
		{"Run status", cmp.Or(result.StatusOf(r.Run.Status, r.Run.Error, &r.Summary), "unknown")},
	}
	if r.Changes != nil {
		rows = append(rows,
			[]any{"Previous run", fmt.Sprintf("%s (as of %s)", r.Changes.PreviousRunID, r.Changes.PreviousAsOf.UTC().Format("2006-01-02 15:04 UTC"))},
			[]any{"New since previous run", s.New},
			[]any{"Resolved since previous run", s.Resolved},
			[]any{"Accounts recovered / newly failed", fmt.Sprintf("%d / %d", len(r.Changes.RecoveredAccounts), len(r.Changes.NewlyFailedAccounts))},
		)
	} else {
		rows = append(rows, []any{"Previous run", "none found: every finding is new"})
	}
	if r.Run.Error != "" {
		rows = append(rows, []any{"Run error", r.Run.Error})
	}
	rows = append(rows, unusedFileRows(r.Run.UnusedFiles)...)
	metaEnd := len(rows)
	rows = append(rows, []any{}, []any{"Severity", "Open findings"})
	sevStart := len(rows) + 1
	for _, sev := range audit.Severities {
		rows = append(rows, []any{sev.String(), s.BySeverity[sev.String()]})
	}
	rows = append(rows, []any{}, []any{"Check", "Title", "Severity", "CIS v3.0.0", "Security Hub", "Open findings"})
	checkStart := len(rows) + 1
	for _, c := range audit.Checks {
		rows = append(rows, []any{c.ID, c.Title, c.Severity.String(), c.CIS, c.SecurityHub, s.ByCheck[c.ID]})
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	styles := []struct {
		from, to string
		style    int
	}{
		{"A1", "A1", w.title},
		{"A3", fmt.Sprintf("A%d", metaEnd), w.bold},
		{"B4", "B8", w.date},
		{fmt.Sprintf("A%d", sevStart-1), fmt.Sprintf("B%d", sevStart-1), w.header},
		{fmt.Sprintf("A%d", checkStart-1), fmt.Sprintf("F%d", checkStart-1), w.header},
	}
	for i, sev := range audit.Severities {
		cell := fmt.Sprintf("A%d", sevStart+i)
		styles = append(styles, struct {
			from, to string
			style    int
		}{cell, cell, w.severity[sev]})
	}
	if failure != "" {
		// The failure leads the sheet, in the critical colours.
		styles = append(styles, struct {
			from, to string
			style    int
		}{"A2", "A2", w.severity[audit.Critical]})
	}
	for _, st := range styles {
		if err := f.SetCellStyle(sheet, st.from, st.to, st.style); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 34, "B": 50, "C": 10, "D": 11, "E": 13, "F": 13} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	checkEnd := checkStart + len(audit.Checks) - 1
	if err := f.AddChart(sheet, "H3", &excelize.Chart{
		Type: excelize.Bar,
		Series: []excelize.ChartSeries{{
			Name:       "Open findings",
			Categories: fmt.Sprintf("%s!$A$%d:$A$%d", sheet, checkStart, checkEnd),
			Values:     fmt.Sprintf("%s!$F$%d:$F$%d", sheet, checkStart, checkEnd),
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Open findings by check"}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		Dimension: excelize.ChartDimension{Width: 640, Height: 420},
	}); err != nil {
		return err
	}
	return w.trendChart(sheet, "H26", len(r.Trend))
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

// trendChart draws open findings by severity over the Trend sheet's rows.
func (w *workbook) trendChart(sheet, cell string, points int) error {
	if points == 0 {
		return nil
	}
	last := points + 1
	var series []excelize.ChartSeries
	colors := map[audit.Severity]string{audit.Critical: "C00000", audit.High: "FF6600", audit.Medium: "FFC000", audit.Low: "5B9BD5"}
	for i, sev := range audit.Severities {
		colName, _ := excelize.ColumnNumberToName(3 + i)
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("'Trend'!$%s$1", colName),
			Categories: fmt.Sprintf("'Trend'!$A$2:$A$%d", last),
			Values:     fmt.Sprintf("'Trend'!$%s$2:$%s$%d", colName, colName, last),
			Line:       excelize.LineOptions{Width: 2},
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colors[sev]}},
		})
	}
	return w.f.AddChart(sheet, cell, &excelize.Chart{
		Type:      excelize.Line,
		Series:    series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Open findings by severity, last runs"}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 640, Height: 360},
	})
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
