package xlsx

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/result"
)

// summaryRun builds a run for the Summary's tests: nine accounts of which
// four audited, five failed and one skipped, four findings (one of them
// excepted), two resolved ones and four exceptions. compared adds a
// previous run (with its counts in the trend); due sets due dates, two
// of the open findings past theirs.
func summaryRun(t *testing.T, compared, due bool) *result.Run {
	t.Helper()
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	prevAsOf := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	var accounts []result.Account
	for i := range 10 {
		a := result.Account{ID: fmt.Sprintf("1000000000%02d", i), Name: fmt.Sprintf("acct-%d", i), Status: result.StatusCollected, Users: 3}
		switch {
		case i >= 4 && i < 9:
			a.Status, a.Users = result.StatusFailed, 0
		case i == 9:
			a.Status, a.Users = result.StatusSkipped, 0
		}
		accounts = append(accounts, a)
	}
	finding := func(account, principal, check string, sev audit.Severity, status string) audit.Finding {
		return audit.Finding{AccountID: account, AccountName: "acct", Principal: principal, Check: check, Severity: sev,
			Credential: "user", Status: status, FirstSeen: prevAsOf}
	}
	findings := []audit.Finding{
		finding("100000000000", "<root_account>", audit.RootAccessKeyActive, audit.Critical, audit.StatusNew),
		finding("100000000000", "alice", audit.ConsoleMFAMissing, audit.High, audit.StatusPersisting),
		finding("100000000001", "bob", audit.UserInactive, audit.Medium, audit.StatusNew),
		finding("100000000001", "carol", audit.MultipleActiveAccessKeys, audit.Low, audit.StatusPersisting),
	}
	findings[2].Exception = &audit.Exception{Reason: "vendor", Expires: asOf.AddDate(0, 1, 0)}
	if due {
		for i := range findings {
			if findings[i].Open() {
				findings[i].Due = prevAsOf.AddDate(0, 0, 14)
				findings[i].OverdueDays = audit.DaysOf(0)
			}
		}
		findings[0].OverdueDays = audit.DaysOf(17)
		findings[3].OverdueDays = audit.DaysOf(3)
	}
	run := &result.Run{
		Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, StartedAt: asOf, FinishedAt: asOf, Version: "test", Source: "dir:x"},
		Accounts: accounts,
		Findings: result.Findings(findings),
		Exceptions: []audit.ExceptionUse{
			{Status: exceptions.Active, Matched: 1}, {Status: exceptions.Expired, Matched: 2},
			{Status: exceptions.Stale}, {Status: exceptions.Stale},
		},
	}
	if compared {
		run.Changes = &result.Changes{PreviousRunID: "20261001T060000Z", PreviousAsOf: prevAsOf}
		run.Resolved = []audit.Finding{
			finding("100000000000", "dave", audit.AccessKeyNotRotated, audit.Medium, audit.StatusResolved),
			finding("100000000001", "erin", audit.MultipleActiveAccessKeys, audit.Low, audit.StatusResolved),
		}
	}
	run.SetStatus()
	if err := run.Summarize(); err != nil {
		t.Fatal(err)
	}
	if compared {
		run.Trend = append(run.Trend, result.TrendPoint{RunID: "20261001T060000Z", AsOf: prevAsOf, Status: result.RunComplete,
			BySeverity: map[string]int{"critical": 3, "high": 1, "medium": 0, "low": 1}})
	}
	run.Trend = append(run.Trend, result.TrendPoint{RunID: run.Run.ID, AsOf: asOf, BySeverity: run.Summary.BySeverity, Status: run.Run.Status})
	return run
}

// writeSummary writes run's workbook and opens it.
func writeSummary(t *testing.T, run *result.Run) (*excelize.File, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.xlsx")
	if err := Write(path, run, nil, Options{TmpDir: dir}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, path
}

// TestSummaryFirstLook reads the Summary's first look back: the headline,
// the table of open findings by severity with change, new, resolved and
// overdue, coverage, failed accounts, exceptions and the links to every
// sheet, with and without a previous run and due dates.
func TestSummaryFirstLook(t *testing.T) {
	for _, tt := range []struct {
		name          string
		compared, due bool
		cells         map[string]string
		notes         []string
	}{
		{
			name: "compared, due dates set", compared: true, due: true,
			cells: map[string]string{
				"A2": "Run partial: 3 open findings; 5 of 9 accounts could not be audited",
				// Severity, Open, Change, New, Resolved, Overdue.
				"A6": "critical", "B6": "1", "C6": "-2", "D6": "1", "E6": "0", "F6": "1",
				"A7": "high", "B7": "1", "C7": "0", "D7": "0", "E7": "0", "F7": "0",
				"A8": "medium", "B8": "0", "C8": "0", "D8": "0", "E8": "1", "F8": "0",
				"A9": "low", "B9": "1", "C9": "0", "D9": "0", "E9": "1", "F9": "1",
				"A10": "Total", "B10": "3", "C10": "-2", "D10": "1", "E10": "2", "F10": "2",
			},
			notes: []string{"Changes are since the run of 2026-10-01 06:00 UTC (20261001T060000Z)", "now minus at the previous run", "past their due date"},
		},
		{
			name: "first run, no due dates",
			cells: map[string]string{
				"B6": "1", "C6": "", "D6": "", "E6": "", "F6": "",
				"B10": "3", "C10": "", "D10": "", "E10": "", "F10": "not set",
			},
			notes: []string{"No previous run to compare with", "no previous run to compare with", "due dates are not set"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := summaryRun(t, tt.compared, tt.due)
			f, _ := writeSummary(t, run)
			// The change is a number shown with its sign (+0;-0;0): read
			// the raw value, as excelize renders a zero with the sign.
			for ref, want := range tt.cells {
				if got, _ := f.GetCellValue("Summary", ref, excelize.Options{RawCellValue: true}); got != want {
					t.Errorf("Summary %s = %q, want %q", ref, got, want)
				}
			}
			if tt.compared {
				id, _ := f.GetCellStyle("Summary", "C6")
				if st, err := f.GetStyle(id); err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "+0;-0;0" {
					t.Errorf("Summary C6 (change) is not shown with its sign: %+v, %v", st, err)
				}
			}
			// The notes under the title and the table say what is unknown.
			var text []string
			for _, ref := range []string{"A3", "A11", "A12"} {
				v, _ := f.GetCellValue("Summary", ref)
				text = append(text, v)
			}
			for _, want := range tt.notes {
				if !strings.Contains(strings.Join(text, "\n"), want) {
					t.Errorf("Summary notes %q lack %q", text, want)
				}
			}
			// The headline is coloured by the run's status (partial: high).
			checkFill(t, f, "Summary", "A2", severityColors[audit.High][0])
			for i, sev := range audit.Severities {
				checkSeverityFill(t, f, "Summary", fmt.Sprintf("A%d", 6+i), severityColors[sev][0])
			}

			// Coverage: 4 of 9 audited, rounded down to 44.4 %, as a number.
			for ref, want := range map[string]string{
				"A14": "Coverage", "B14": "44.4%", "C14": "4 of 9 audited, 5 failed, 1 skipped",
				"A15": "Failed accounts", "B15": "acct-4 (100000000004), acct-5 (100000000005), acct-6 (100000000006) and 2 more (see Accounts)",
				"A16": "Excepted findings", "B16": "1",
				"A17": "Expired exceptions", "B17": "1",
				"A18": "Stale exceptions", "B18": "2",
			} {
				if got, _ := f.GetCellValue("Summary", ref); got != want {
					t.Errorf("Summary %s = %q, want %q", ref, got, want)
				}
			}
			checkCellTypes(t, f, "Summary", 14, map[string]string{"B": numberCell})
			checkSeverityFill(t, f, "Summary", "B17", severityColors[audit.High][0])
			for ref, sheet := range map[string]string{"B15": "Accounts", "C16": "Excepted", "C17": "Exceptions", "C18": "Exceptions"} {
				checkLink(t, f, ref, sheet)
			}

			// A link to every other sheet, within the first screen.
			links := map[string]string{}
			for row := 21; row <= 25; row++ {
				for _, col := range []string{"A", "C", "E"} {
					ref := fmt.Sprintf("%s%d", col, row)
					if v, _ := f.GetCellValue("Summary", ref); v != "" {
						links[v] = ref
					}
				}
			}
			for _, sheet := range f.GetSheetList()[1:] {
				ref, ok := links[sheet]
				if !ok {
					t.Errorf("the Summary links no %s sheet in A21:F25 (links %v)", sheet, links)
					continue
				}
				checkLink(t, f, ref, sheet)
			}
		})
	}
}

// TestSummaryFailedRun: a run that audited nothing leads with its
// failure, in the critical colours.
func TestSummaryFailedRun(t *testing.T) {
	run := summaryRun(t, false, false)
	for i := range run.Accounts {
		if run.Accounts[i].Status == result.StatusCollected {
			run.Accounts[i].Status = result.StatusFailed
		}
	}
	run.Findings = nil
	// A hostile account name stays text.
	run.Accounts[0].Name = "=cmd|' /C calc'!A0"
	run.SetStatus()
	if err := run.Summarize(); err != nil {
		t.Fatal(err)
	}
	f, _ := writeSummary(t, run)
	if got, want := mustCell(t, f, "A2"), run.Failure(); want == "" || got != want {
		t.Errorf("Summary A2 = %q, want the failure %q", got, want)
	}
	checkFill(t, f, "Summary", "A2", severityColors[audit.Critical][0])
	if got := mustCell(t, f, "B15"); !strings.HasPrefix(got, "=cmd|' /C calc'!A0 (100000000000), ") {
		t.Errorf("failed accounts %q, want the hostile name first, as text", got)
	}
	if formula, _ := f.GetCellFormula("Summary", "B15"); formula != "" {
		t.Errorf("a failed account's name became the formula %q", formula)
	}
	if got := mustCell(t, f, "B14"); got != "0.0%" {
		t.Errorf("coverage %q, want 0.0%%", got)
	}
	if got := mustCell(t, f, "A48"); got != "No open findings." {
		t.Errorf("check table: %q, want No open findings.", got)
	}
}

// TestSummaryChecksAndCharts reads the table of open findings by check and
// both charts back: checks with findings only, by severity then count,
// each count under its severity; the bar chart stacks that table's
// columns in the severity colours, top down like the table, beside the
// first look; the trend chart draws each severity in its colour against
// the Trend sheet's dates, below the first look; axis text is dark 10 pt.
func TestSummaryChecksAndCharts(t *testing.T) {
	run := summaryRun(t, true, false)
	f, path := writeSummary(t, run)
	// Open: critical root-access-key-active, high console-mfa-missing,
	// low multiple-active-access-keys (the medium one is excepted).
	want := [][]string{
		{"Check", "critical", "high", "medium", "low", "Check ID"},
		{"Root user has an active access key", "1", "", "", "", audit.RootAccessKeyActive},
		{"Console user without MFA", "", "1", "", "", audit.ConsoleMFAMissing},
		{"User has two active access keys", "", "", "", "1", audit.MultipleActiveAccessKeys},
	}
	for i, row := range want {
		for j, v := range row {
			ref, _ := excelize.CoordinatesToCellName(j+1, 47+i)
			if got, _ := f.GetCellValue("Summary", ref); got != v {
				t.Errorf("check table %s = %q, want %q", ref, got, v)
			}
		}
	}
	if got := mustCell(t, f, "A51"); got != "" {
		t.Errorf("check table row 51 = %q, want the table to end at row 50", got)
	}
	if title, _ := audit.LookupCheck(audit.RootAccessKeyActive); title.Title != want[1][0] {
		t.Fatalf("catalog title changed: %q", title.Title)
	}

	// The Trend sheet's Date column labels the trend chart's points.
	for ref, want := range map[string]string{"H1": "Date", "H2": "2026-10-01", "H3": "2026-11-01"} {
		if got, _ := f.GetCellValue("Trend", ref); got != want {
			t.Errorf("Trend %s = %q, want %q", ref, got, want)
		}
	}

	colours := func(chart string) []string {
		var got []string
		for _, ser := range regexp.MustCompile(`(?s)<ser>.*?</ser>`).FindAllString(chart, -1) {
			m := regexp.MustCompile(`<spPr>.*?<a:srgbClr val="([0-9A-F]{6})"`).FindStringSubmatch(ser)
			if m == nil {
				got = append(got, "none")
				continue
			}
			got = append(got, m[1])
		}
		return got
	}
	var wantColours []string
	for _, sev := range audit.Severities {
		wantColours = append(wantColours, severityColors[sev][0])
	}
	var bar, line string
	for _, name := range []string{"xl/charts/chart1.xml", "xl/charts/chart2.xml"} {
		c := strings.ReplaceAll(zipPart(t, path, name), "&#39;", "'")
		switch {
		case strings.Contains(c, `<barDir val="bar">`):
			bar = c
		case strings.Contains(c, "<lineChart>"):
			line = c
		}
	}
	if bar == "" || line == "" {
		t.Fatalf("want a bar chart and a line chart")
	}
	for _, chart := range []struct{ name, xml, cats string }{
		{"bars", bar, "'Summary'!$A$48:$A$50"},
		{"trend", line, "'Trend'!$H$2:$H$3"},
	} {
		if got := colours(chart.xml); !slices.Equal(got, wantColours) {
			t.Errorf("%s: series colours %v, want %v", chart.name, got, wantColours)
		}
		if n := strings.Count(chart.xml, "<f>"+chart.cats+"</f>"); n != 4 {
			t.Errorf("%s: %d series over %s, want 4", chart.name, n, chart.cats)
		}
		// Both axes: dark text of 10 pt.
		for _, ax := range regexp.MustCompile(`(?s)<(catAx|valAx)>.*?</(catAx|valAx)>`).FindAllString(chart.xml, -1) {
			if !regexp.MustCompile(`<a:defRPr[^>]* sz="1000"[^>]*><a:solidFill><a:srgbClr val="000000">`).MatchString(ax) {
				t.Errorf("%s: axis text not dark 10 pt: %.300s", chart.name, ax)
			}
		}
	}
	if !strings.Contains(bar, `<grouping val="stacked">`) || !regexp.MustCompile(`<catAx>.*?<orientation val="maxMin">`).MatchString(bar) {
		t.Errorf("the bar chart does not stack by severity top down")
	}

	// Placement: bars at G1, beside the first look; the trend at A27.
	drawing := zipPart(t, path, "xl/drawings/drawing1.xml")
	var anchors []string
	for _, m := range regexp.MustCompile(`<xdr:from><xdr:col>(\d+)</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>`).FindAllStringSubmatch(drawing, -1) {
		col, _ := excelize.ColumnNumberToName(atoi(m[1]) + 1)
		anchors = append(anchors, fmt.Sprintf("%s%d", col, atoi(m[2])+1))
	}
	slices.Sort(anchors)
	if !slices.Equal(anchors, []string{"A27", "G1"}) {
		t.Errorf("charts anchored at %v, want A27 (trend) and G1 (by check)", anchors)
	}
}

// TestTrendLabels: dates, with the time when two runs share a day, and
// failed runs marked.
func TestTrendLabels(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name   string
		points []result.TrendPoint
		want   []string
	}{
		{"one run", []result.TrendPoint{{AsOf: day(1, 6)}}, []string{"2026-11-01"}},
		{"a day each", []result.TrendPoint{{AsOf: day(1, 6)}, {AsOf: day(2, 6), Failed: true}}, []string{"2026-11-01", "2026-11-02 (FAILED)"}},
		{"two on one day", []result.TrendPoint{{AsOf: day(1, 6)}, {AsOf: day(2, 6)}, {AsOf: day(2, 18)}},
			[]string{"2026-11-01", "2026-11-02 06:00", "2026-11-02 18:00"}},
		{"as-of in another zone", []result.TrendPoint{{AsOf: time.Date(2026, 11, 1, 23, 0, 0, 0, time.FixedZone("x", -3600))}}, []string{"2026-11-02"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := trendLabels(tt.points); !slices.Equal(got, tt.want) {
				t.Errorf("trendLabels = %q, want %q", got, tt.want)
			}
		})
	}
}

// countingSet is a FindingSet that counts the passes made over it.
type countingSet struct {
	result.Findings
	passes int
}

func (c *countingSet) EachAccount(fn func(fs []audit.Finding) error) error {
	c.passes++
	return c.Findings.EachAccount(fn)
}

func (c *countingSet) EachSeverity(sev audit.Severity, fn func(fs []audit.Finding) error) error {
	c.passes++
	return c.Findings.EachSeverity(sev, fn)
}

// TestSummaryReadsNoFinding: the Summary's figures come from the run's
// summary and the workbook's one counting pass; the workbook reads the
// findings once to count them and once per severity to write them, with
// or without the Summary's overdue and new counts.
func TestSummaryReadsNoFinding(t *testing.T) {
	run := summaryRun(t, true, true)
	set := &countingSet{Findings: run.Findings.(result.Findings)}
	run.Findings = set
	f, _ := writeSummary(t, run)
	if want := 1 + len(audit.Severities); set.passes != want {
		t.Errorf("the workbook made %d passes over the findings, want %d", set.passes, want)
	}
	if got := mustCell(t, f, "F10"); got != "2" {
		t.Errorf("overdue total %q, want 2 (from the counting pass)", got)
	}
}

func mustCell(t *testing.T, f *excelize.File, ref string) string {
	t.Helper()
	v, err := f.GetCellValue("Summary", ref)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkLink checks that a Summary cell links to a sheet's first cell.
func checkLink(t *testing.T, f *excelize.File, ref, sheet string) {
	t.Helper()
	ok, target, err := f.GetCellHyperLink("Summary", ref)
	if want := "'" + sheet + "'!A1"; err != nil || !ok || target != want {
		t.Errorf("Summary %s links to %q (%v, %v), want %q", ref, target, ok, err, want)
	}
}

// checkFill checks a cell's fill colour.
func checkFill(t *testing.T, f *excelize.File, sheet, ref, color string) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil || len(s.Fill.Color) != 1 || s.Fill.Color[0] != color {
		t.Errorf("%s %s: fill %+v (%v), want %s", sheet, ref, s.Fill, err, color)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestSheetLinks: one link a sheet, one for all the parts of a table, and
// sheet names quoted in the link's address.
func TestSheetLinks(t *testing.T) {
	for _, tt := range []struct {
		name   string
		sheets []string
		want   []sheetLink
	}{
		{"plain", []string{"Findings", "Checks"}, []sheetLink{{"Findings", "Findings"}, {"Checks", "Checks"}}},
		{"parts", []string{"Findings", "Findings (2)", "Credentials", "Credentials (2)", "Credentials (3)", "Checks"},
			[]sheetLink{{"Findings (2 sheets)", "Findings"}, {"Credentials (3 sheets)", "Credentials"}, {"Checks", "Checks"}}},
		{"a name that only looks like a part", []string{"Notes (2)", "Trend (x)"}, []sheetLink{{"Notes (2)", "Notes (2)"}, {"Trend (x)", "Trend (x)"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := sheetLinks(tt.sheets); !slices.Equal(got, tt.want) {
				t.Errorf("sheetLinks(%q) = %q, want %q", tt.sheets, got, tt.want)
			}
		})
	}
	for name, want := range map[string]string{"Findings": "'Findings'!A1", "Inactive users": "'Inactive users'!A1", "O'Brien": "'O''Brien'!A1"} {
		if got := sheetLocation(name); got != want {
			t.Errorf("sheetLocation(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestSummaryManySheets: a table continued over several sheets gets one
// link, and the first look keeps its rows.
func TestSummaryManySheets(t *testing.T) {
	run := summaryRun(t, false, false)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.xlsx")
	// Three rows a sheet: the Findings sheet continues on Findings (2).
	if err := Write(path, run, nil, Options{TmpDir: dir, MaxRowsPerSheet: 3}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !slices.Contains(f.GetSheetList(), "Findings (2)") {
		t.Fatalf("sheets %q: want Findings continued", f.GetSheetList())
	}
	if got := mustCell(t, f, "A21"); got != "Findings (2 sheets)" {
		t.Errorf("Summary A21 = %q, want Findings (2 sheets)", got)
	}
	checkLink(t, f, "A21", "Findings")
	if got := mustCell(t, f, "A47"); got != "Check" {
		t.Errorf("Summary A47 = %q, want the check table's header", got)
	}
}
