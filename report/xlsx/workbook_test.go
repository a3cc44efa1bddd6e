package xlsx

import (
	"archive/zip"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// TestWorkbookCellsReadBack writes a workbook and reads its cells back
// with excelize for their meaning, not their bytes: text stays text (also
// when it looks like a formula or a number), counts and ages are numbers,
// dates are Excel dates with their format, and each severity cell carries
// its severity's fill.
func TestWorkbookCellsReadBack(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	since := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	firstSeen := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	expires := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	findings := []audit.Finding{
		{AccountID: "011111111111", AccountName: "=HYPERLINK(\"http://x\")", Principal: "<root_account>", Check: audit.RootAccessKeyActive,
			Severity: audit.Critical, Credential: "access_key_1", AgeDays: audit.DaysOf(400), Since: since, Detail: "root key 1 is active",
			Status: audit.StatusNew, FirstSeen: firstSeen},
		{AccountID: "011111111111", AccountName: "=HYPERLINK(\"http://x\")", Principal: "alice", Check: audit.UserInactive,
			Severity: audit.Medium, Credential: "user", AgeDays: audit.DaysOf(120), Since: since, Detail: "0123",
			Status: audit.StatusPersisting, FirstSeen: firstSeen},
		{AccountID: "011111111111", AccountName: "=HYPERLINK(\"http://x\")", Principal: "bob", Check: audit.AccessKeyNotRotated,
			Severity: audit.High, Credential: "access_key_2", AgeDays: audit.DaysOf(91), Since: since, Detail: "key 2",
			Exception: &audit.Exception{Reason: "vendor", Owner: "team", ApprovedBy: "ciso", Expires: expires, Source: "exceptions.yaml:3"}},
	}
	slices.SortFunc(findings, func(a, b audit.Finding) int {
		if audit.Less(&a, &b) {
			return -1
		}
		if audit.Less(&b, &a) {
			return 1
		}
		return 0
	})
	generated := asOf.Add(-time.Hour)
	run := &result.Run{
		Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, StartedAt: asOf, FinishedAt: asOf, Version: "test"},
		Accounts: []result.Account{{ID: "011111111111", Name: "=HYPERLINK(\"http://x\")", Status: "collected", Users: 2, ReportGeneratedAt: &generated, PasswordPolicy: "collected"}},
		Findings: result.Findings(findings),
	}
	if err := run.Summarize(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.xlsx")
	if err := Write(path, run, nil, Options{TmpDir: dir}); err != nil {
		t.Fatal(err)
	}
	checkZipParts(t, path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	// Findings: critical first, then medium; the excepted high is not open.
	rows, err := f.GetRows("Findings")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != "critical" || rows[2][0] != "medium" {
		t.Fatalf("Findings rows %q, want critical then medium", rows)
	}
	c := columnsOf(t, f, "Findings")
	for _, cell := range []struct{ ref, want string }{
		{c["Account ID"] + "2", "011111111111"}, {c["Account name"] + "2", "=HYPERLINK(\"http://x\")"}, {c["Principal"] + "2", "<root_account>"},
		{c["Age (days)"] + "2", "400"}, {c["Detail"] + "3", "0123"}, {c["Status"] + "2", "new"}, {c["First seen (UTC)"] + "2", "2026-10-01 06:00:00"},
	} {
		if got, _ := f.GetCellValue("Findings", cell.ref); got != cell.want {
			t.Errorf("Findings %s = %q, want %q", cell.ref, got, cell.want)
		}
	}
	checkCellTypes(t, f, "Findings", 2, map[string]string{"A": textCell, c["Account ID"]: textCell, c["Account name"]: textCell,
		c["Age (days)"]: numberCell, c["First seen (UTC)"]: numberCell})
	checkCellTypes(t, f, "Findings", 3, map[string]string{c["Detail"]: textCell})
	if formula, _ := f.GetCellFormula("Findings", c["Account name"]+"2"); formula != "" {
		t.Errorf("an account name became the formula %q", formula)
	}
	checkDateCell(t, f, "Findings", c["First seen (UTC)"]+"2", firstSeen, "yyyy-mm-dd hh:mm:ss")
	checkSeverityFill(t, f, "Findings", "A2", "C00000")
	checkSeverityFill(t, f, "Findings", "A3", "FFC000")

	// Family sheets carry the date the age counts from, named for what
	// it is: on Root account, a key's creation.
	rc := columnsOf(t, f, "Root account")
	checkDateCell(t, f, "Root account", rc["Key created (UTC)"]+"2", since, "yyyy-mm-dd hh:mm:ss")
	checkCellTypes(t, f, "Root account", 2, map[string]string{rc["Age (days)"]: numberCell})

	// Excepted: the exception's expiry is a date without a time.
	checkSeverityFill(t, f, "Excepted", "A2", "FF6600")
	checkDateCell(t, f, "Excepted", columnsOf(t, f, "Excepted")["Expires"]+"2", expires, "yyyy-mm-dd")

	// Accounts: counts are numbers, the report time a date.
	// Columns: Account ID, Account name, Status, Error, Users, Report generated, Password policy, Critical, High, Medium, Low.
	checkCellTypes(t, f, "Accounts", 2, map[string]string{"A": textCell, "E": numberCell, "H": numberCell, "J": numberCell})
	for ref, want := range map[string]string{"E2": "2", "H2": "1", "I2": "0", "J2": "1"} {
		if got, _ := f.GetCellValue("Accounts", ref); got != want {
			t.Errorf("Accounts %s = %q, want %q", ref, got, want)
		}
	}
	checkDateCell(t, f, "Accounts", "F2", generated, "yyyy-mm-dd hh:mm:ss")

	// Checks: each check's severity cell has its fill.
	rows, err = f.GetRows("Checks")
	if err != nil {
		t.Fatal(err)
	}
	fills := map[string]string{"critical": "C00000", "high": "FF6600", "medium": "FFC000", "low": severityColors[audit.Low][0]}
	for i, row := range rows[1:] {
		checkSeverityFill(t, f, "Checks", "C"+strconv.Itoa(i+2), fills[row[2]])
	}
	checkChecksSheet(t, f, rows)

	// Column widths, listed in ascending order as SpreadsheetML wants.
	if width, err := f.GetColWidth("Findings", c["Detail"]); err != nil || width != 46 {
		t.Errorf("Findings column %s (Detail) is %v wide (%v), want 46", c["Detail"], width, err)
	}
	sheetXML := zipPart(t, path, "xl/worksheets/sheet2.xml")
	var mins []int
	for _, m := range regexp.MustCompile(`<col min="(\d+)"`).FindAllStringSubmatch(sheetXML, -1) {
		n, _ := strconv.Atoi(m[1])
		mins = append(mins, n)
	}
	if len(mins) != len(c) || !slices.IsSorted(mins) {
		t.Errorf("Findings <cols> starts %v, want %d columns in ascending order", mins, len(c))
	}

	// Every sheet prints landscape, one page wide.
	for _, sheet := range f.GetSheetList() {
		layout, err := f.GetPageLayout(sheet)
		if err != nil || layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 {
			t.Errorf("%s: page layout %+v (%v), want landscape, one page wide", sheet, layout, err)
		}
	}
}

// checkChecksSheet checks how the Checks sheet tells how to fix each
// check: the rule, what to do and the commands, wrapped; the console
// location; the documentation URL as a working hyperlink.
func checkChecksSheet(t *testing.T, f *excelize.File, rows [][]string) {
	t.Helper()
	want := []string{"Check", "Title", "Severity", "CIS v3.0.0", "Security Hub", "Family", "Open findings", "Rule", "What to do", "CLI", "Console", "Documentation"}
	if len(rows) != len(audit.Checks)+1 || !slices.Equal(rows[0], want) {
		t.Fatalf("Checks: %d rows, header %q; want %d rows, header %q", len(rows), rows[0], len(audit.Checks)+1, want)
	}
	for i, c := range audit.Checks {
		row, n := rows[i+1], strconv.Itoa(i+2)
		fix, _ := audit.RemediationOf(c.ID)
		cli := strings.Join(fix.Commands, "\n")
		if cli == "" {
			cli = "none: console only"
		}
		if len(row) != len(want) || row[0] != c.ID || row[7] != fix.Rule || row[8] != fix.Action || row[9] != cli || row[10] != fix.Console || row[11] != fix.DocURL {
			t.Errorf("Checks row %s = %q, want %s and how to fix it", n, row, c.ID)
			continue
		}
		if ok, target, err := f.GetCellHyperLink("Checks", "L"+n); err != nil || !ok || target != fix.DocURL {
			t.Errorf("Checks L%s: hyperlink %t %q (%v), want %s", n, ok, target, err, fix.DocURL)
		}
		for _, col := range []string{"H", "I", "J", "K", "L"} {
			id, _ := f.GetCellStyle("Checks", col+n)
			if s, err := f.GetStyle(id); err != nil || s.Alignment == nil || !s.Alignment.WrapText {
				t.Errorf("Checks %s%s does not wrap its text", col, n)
			}
		}
		if h, err := f.GetRowHeight("Checks", i+2); err != nil || h < 15*float64(1+strings.Count(cli, "\n")) {
			t.Errorf("Checks row %s is %v points high (%v), too low for its %d commands", n, h, err, len(fix.Commands))
		}
	}
	if tables, err := f.GetTables("Checks"); err != nil || len(tables) != 1 || tables[0].Range != "A1:L"+strconv.Itoa(len(rows)) {
		t.Errorf("Checks tables = %+v (%v), want one over A1:L%d", tables, err, len(rows))
	}
}

// columnsOf maps the headers of a sheet's first row to their columns.
func columnsOf(t *testing.T, f *excelize.File, sheet string) map[string]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: rows %v (%v)", sheet, rows, err)
	}
	cols := map[string]string{}
	for i, name := range rows[0] {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := cols[name]; dup {
			t.Errorf("%s: header %q twice", sheet, name)
		}
		cols[name] = col
	}
	return cols
}

// checkSeverityFill checks that a cell is filled with the given colour.
func checkSeverityFill(t *testing.T, f *excelize.File, sheet, cell, color string) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil || len(s.Fill.Color) != 1 || s.Fill.Color[0] != color || !s.Font.Bold {
		t.Errorf("%s %s: style %+v (%v), want a bold cell filled %s", sheet, cell, s, err, color)
	}
}

// zipPart returns a part of the zip at path as text.
func zipPart(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	r, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
