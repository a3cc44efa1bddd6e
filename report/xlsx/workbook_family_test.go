package xlsx

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// familyRun is a run of three open findings (a root key, an inactive user
// and an unrotated key), one excepted finding and one resolved one.
func familyRun(t *testing.T) *result.Run {
	t.Helper()
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	firstSeen := asOf.AddDate(0, -1, 0)
	finding := func(principal, check string, sev audit.Severity, cred string) audit.Finding {
		return audit.Finding{AccountID: "011111111111", AccountName: "prod", Principal: principal, Check: check, Severity: sev,
			Credential: cred, AgeDays: audit.DaysOf(120), Since: asOf.AddDate(0, 0, -120), Detail: check + " of " + principal,
			Status: audit.StatusPersisting, FirstSeen: firstSeen}
	}
	excepted := finding("carol", audit.AccessKeyNotRotated, audit.High, "access_key_1")
	excepted.Exception = &audit.Exception{Reason: "vendor", Owner: "team", ApprovedBy: "ciso", Expires: asOf.AddDate(0, 2, 0), Source: "exceptions.yaml:3"}
	findings := []audit.Finding{
		finding("<root_account>", audit.RootAccessKeyActive, audit.Critical, "access_key_1"),
		finding("bob", audit.AccessKeyNotRotated, audit.High, "access_key_2"),
		excepted,
		finding("alice", audit.UserInactive, audit.Medium, "user"),
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
	run := &result.Run{
		Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, StartedAt: asOf, FinishedAt: asOf, Version: "test"},
		Accounts: []result.Account{{ID: "011111111111", Name: "prod", Status: "collected", Users: 3, PasswordPolicy: "collected"}},
		Findings: result.Findings(findings),
		Resolved: []audit.Finding{finding("dave", audit.ConsoleMFAMissing, audit.High, "password")},
	}
	if err := run.Summarize(); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestWorkbookFamilyLimit: up to workbook.max_family_rows open findings
// the family sheets repeat them; above it (and with the limit set to
// none) each is a note saying how many findings it would hold, that the
// setting kept them out, and where they all are. Findings, Excepted and
// Resolved, and the order of the sheets, are the same either way. The
// CSV rendering follows the same rule.
func TestWorkbookFamilyLimit(t *testing.T) {
	run := familyRun(t) // 3 open findings
	families := []string{"Inactive users", "Unrotated keys", "MFA gaps", "Root account", "Permissions", "Password policy"}
	// Each family's rows when it holds them, header included; an empty
	// family (0) has, instead of a table, one merged row saying so.
	tableRows := map[string]int{"Inactive users": 2, "Unrotated keys": 2, "MFA gaps": 0, "Root account": 2, "Permissions": 0, "Password policy": 0}
	noteCounts := map[string]string{"Inactive users": "would hold 1 open finding,", "Unrotated keys": "would hold 1 open finding,",
		"MFA gaps": "would hold 0 open findings,", "Root account": "would hold 1 open finding,",
		"Permissions": "would hold 0 open findings,", "Password policy": "would hold 0 open findings,"}
	var sheetOrder []string
	for _, tc := range []struct {
		name  string
		limit int
		notes bool
		why   string
	}{
		{"default", 0, false, ""},
		{"at the limit", 3, false, ""},
		{"above the limit", 2, true, "The run has 3 open findings, more than the 2 up to which this workbook repeats them"},
		{"none", -1, true, "The run has 3 open findings, and this workbook is set to repeat none of them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "audit.xlsx")
			opts := Options{MaxFamilyRows: tc.limit, TmpDir: dir}
			if err := Write(path, run, nil, opts); err != nil {
				t.Fatal(err)
			}
			checkZipParts(t, path)
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if sheetOrder == nil {
				sheetOrder = f.GetSheetList()
			} else if got := f.GetSheetList(); !slices.Equal(got, sheetOrder) {
				t.Errorf("sheets %q, want %q as with the default", got, sheetOrder)
			}
			for sheet, want := range map[string]int{"Findings": 4, "Excepted": 2, "Resolved": 2} {
				rows, err := f.GetRows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				if tables, _ := f.GetTables(sheet); len(rows) != want || len(tables) != 1 {
					t.Errorf("%s: %d rows and %d tables, want %d rows (header included) and a table", sheet, len(rows), len(tables), want)
				}
			}
			for _, sheet := range families {
				rows, err := f.GetRows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				tables, _ := f.GetTables(sheet)
				var text strings.Builder
				for _, row := range rows {
					text.WriteString(strings.Join(row, " ") + "\n")
				}
				if !tc.notes {
					if n := tableRows[sheet]; n == 0 {
						merged, _ := f.GetMergeCells(sheet)
						if len(rows) != 2 || len(tables) != 0 || rows[1][0] != "No findings" || len(merged) != 1 || merged[0].GetStartAxis() != "A2" {
							t.Errorf("%s: %d rows, %d tables, merged %v, want the header and one merged row saying No findings:\n%s", sheet, len(rows), len(tables), merged, text.String())
						}
					} else if len(rows) != n || len(tables) != 1 || rows[0][0] != "Severity" {
						t.Errorf("%s: %d rows and %d tables, want a table of %d rows:\n%s", sheet, len(rows), len(tables), n, text.String())
					}
					continue
				}
				if len(tables) != 0 || strings.Contains(text.String(), "<root_account>") || strings.Contains(text.String(), "alice") {
					t.Errorf("%s holds findings above the limit:\n%s", sheet, text.String())
				}
				for _, want := range []string{sheet + ": findings not repeated", noteCounts[sheet], tc.why,
					"workbook.max_family_rows", "--workbook-max-family-rows", "the Findings sheet: filter its Check column", "findings.json"} {
					if !strings.Contains(text.String(), want) {
						t.Errorf("%s lacks %q:\n%s", sheet, want, text.String())
					}
				}
				if style, _ := f.GetCellStyle(sheet, "A1"); style == 0 {
					t.Errorf("%s A1 (the title) has no style", sheet)
				}
				if layout, err := f.GetPageLayout(sheet); err != nil || layout.Orientation == nil || *layout.Orientation != "landscape" {
					t.Errorf("%s: page layout %+v (%v), want landscape", sheet, layout, err)
				}
			}
			// The Root account note names its checks, for the filter.
			if tc.notes {
				if rows, _ := f.GetRows("Root account"); !strings.Contains(strings.Join(rows[2], ""), audit.RootAccessKeyActive) {
					t.Errorf("Root account note does not name %s: %q", audit.RootAccessKeyActive, rows)
				}
			}

			// The CSV rendering holds the same rows.
			csvPath := filepath.Join(dir, "tables.csv")
			if err := WriteTablesCSV(csvPath, run, nil, opts); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(csvPath)
			if err != nil {
				t.Fatal(err)
			}
			csvText := string(data)
			for _, sheet := range []string{"Findings", "Excepted", "Resolved"} {
				if !strings.Contains(csvText, sheet+",critical") && !strings.Contains(csvText, sheet+",high") {
					t.Errorf("tables.csv lacks the rows of %s:\n%s", sheet, csvText)
				}
			}
			if got := strings.Contains(csvText, "Root account,critical"); got == tc.notes {
				t.Errorf("tables.csv holds the Root account's row: %v, want %v", got, !tc.notes)
			}
			if got := strings.Contains(csvText, "Root account,Root account: findings not repeated"); got != tc.notes {
				t.Errorf("tables.csv holds the Root account's note: %v, want %v", got, tc.notes)
			}
		})
	}
}

// TestWorkbookFamilyLimitContinuedFindings: when the Findings sheet
// continues on Findings (2)…, the note says to look at all its parts.
func TestWorkbookFamilyLimitContinuedFindings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.xlsx")
	if err := Write(path, familyRun(t), nil, Options{MaxFamilyRows: 1, MaxRowsPerSheet: 3, TmpDir: dir}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Inactive users")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, row := range rows {
		text.WriteString(strings.Join(row, " ") + "\n")
	}
	if !strings.Contains(text.String(), "the Findings sheets (Findings, Findings (2)…)") {
		t.Errorf("Inactive users does not point to every part of Findings:\n%s", text.String())
	}
	if i := slices.Index(f.GetSheetList(), "Findings (2)"); i != 2 {
		t.Errorf("sheets %q: want Findings (2) right after Findings", f.GetSheetList())
	}
}
