package xlsx

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/result"
)

// credentialEvidence writes two credential reports: the first with a BOM,
// its columns out of order, cert_2_last_rotated missing, an empty field
// and a quoted one; the second as AWS writes it.
func credentialEvidence(t *testing.T) []Evidence {
	t.Helper()
	dir := t.TempDir()
	var cols []string
	for _, c := range credreport.Columns {
		if c != "cert_2_last_rotated" {
			cols = append(cols, c)
		}
	}
	cols[0], cols[1] = cols[1], cols[0] // arn first, then user
	values := map[string]string{
		"user": "alice", "arn": "arn:aws:iam::111111111111:user/alice", "password_enabled": "true",
		"password_last_used": "", // empty
		"mfa_active":         "false", "access_key_1_last_used_service": `"s3, sts"`,
	}
	a := "\ufeff" + strings.Join(cols, ",") + "\n"
	var rec []string
	for _, c := range cols {
		v, ok := values[c]
		if !ok {
			v = "N/A"
		}
		rec = append(rec, v)
	}
	a += strings.Join(rec, ",") + "\n"
	b := strings.Join(credreport.Columns, ",") + "\n" +
		"<root_account>,arn:aws:iam::222222222222:root,2020-01-02T03:04:05+00:00,not_supported,no_information,not_supported,not_supported,true" +
		",false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		"bob,arn:aws:iam::222222222222:user/bob,2021-01-02T03:04:05+00:00,false,N/A,N/A,N/A,false" +
		",true,2025-01-02T03:04:05+00:00,2026-01-02T03:04:05+00:00,eu-west-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	pa, pb := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	if err := os.WriteFile(pa, []byte(a), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pb, []byte(b), 0o644); err != nil {
		t.Fatal(err)
	}
	return []Evidence{
		{AccountID: "111111111111", AccountName: "one", Path: pa, Rows: 1},
		{AccountID: "222222222222", AccountName: "two", Path: pb, Rows: 2},
	}
}

// wantCredentialRows are the rows of credentialEvidence, "" for nil.
func wantCredentialRows() [][]string {
	alice := []string{"111111111111", "one", "alice", "arn:aws:iam::111111111111:user/alice"}
	for _, c := range credreport.Columns[2:] {
		switch c {
		case "password_enabled":
			alice = append(alice, "true")
		case "mfa_active":
			alice = append(alice, "false")
		case "access_key_1_last_used_service":
			alice = append(alice, "s3, sts")
		case "password_last_used", "cert_2_last_rotated":
			alice = append(alice, "")
		default:
			alice = append(alice, "N/A")
		}
	}
	return [][]string{
		alice,
		append([]string{"222222222222", "two"}, strings.Split("<root_account>,arn:aws:iam::222222222222:root,2020-01-02T03:04:05+00:00,not_supported,no_information,not_supported,not_supported,true"+
			",false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", ",")...),
		append([]string{"222222222222", "two"}, strings.Split("bob,arn:aws:iam::222222222222:user/bob,2021-01-02T03:04:05+00:00,false,N/A,N/A,N/A,false"+
			",true,2025-01-02T03:04:05+00:00,2026-01-02T03:04:05+00:00,eu-west-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", ",")...),
	}
}

func TestEvidenceRows(t *testing.T) {
	next := evidenceRows(credentialEvidence(t))
	var got [][]string
	for {
		row, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(row) != 2+len(credreport.Columns) {
			t.Fatalf("row has %d values, want %d", len(row), 2+len(credreport.Columns))
		}
		var rec []string
		for i, v := range row {
			switch v := v.(type) {
			case nil:
				rec = append(rec, "")
			case string:
				if v == "" {
					t.Errorf("row %d, column %d: empty string, want nil", len(got)+1, i+1)
				}
				rec = append(rec, v)
			default:
				t.Fatalf("row %d, column %d: %T, want string or nil", len(got)+1, i+1, v)
			}
		}
		got = append(got, rec)
	}
	if want := wantCredentialRows(); !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %q\nwant %q", got, want)
	}
	if _, err := next(); err != io.EOF {
		t.Errorf("after the last row: %v, want io.EOF", err)
	}
}

func TestEvidenceRowsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("user,arn\nalice,arn,extra\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want func(error) bool
	}{
		{filepath.Join(dir, "missing.csv"), func(err error) bool { return errors.Is(err, os.ErrNotExist) }},
		{bad, func(err error) bool { return strings.Contains(err.Error(), bad) }},
		{empty, func(err error) bool { return errors.Is(err, io.EOF) && strings.Contains(err.Error(), empty) }},
	} {
		_, err := evidenceRows([]Evidence{{AccountID: "1", Path: tc.path}})()
		if err == nil || err == io.EOF || !tc.want(err) {
			t.Errorf("%s: error %v", filepath.Base(tc.path), err)
		}
	}
}

func TestCanonicalIndex(t *testing.T) {
	got := canonicalIndex([]string{"\ufeffarn", "user", "mfa_active"})
	want := make([]int, len(credreport.Columns))
	for i := range want {
		want[i] = -1
	}
	want[0], want[1], want[7] = 1, 0, 2
	if !reflect.DeepEqual(got, want) {
		t.Errorf("canonicalIndex = %v, want %v", got, want)
	}
	if got := trimBOM("\ufeffuser"); got != "user" {
		t.Errorf("trimBOM = %q", got)
	}
	if got := trimBOM("user"); got != "user" {
		t.Errorf("trimBOM = %q", got)
	}
}

// TestWorkbookCredentials writes the Credentials sheet and reads it back:
// the same text, and no cell at all where a field was empty or missing.
func TestWorkbookCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.xlsx")
	f := excelize.NewFile()
	w, err := newWorkbook(f)
	if err != nil {
		t.Fatal(err)
	}
	w.maxRows, w.maxCredentialRows = ExcelMaxRows, DefaultMaxCredentialRows
	if err := w.credentials(credentialEvidence(t)); err != nil {
		t.Fatal(err)
	}
	if err := saveStreaming(f, path); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	g, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	rows, err := g.GetRows("Credentials")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("Credentials has %d rows, want 4", len(rows))
	}
	if got, want := rows[0], append([]string{"Account ID", "Account name"}, credreport.Columns...); !reflect.DeepEqual(got, want) {
		t.Errorf("header %q, want %q", got, want)
	}
	// Read back as a spreadsheet shows them: dates in the date format,
	// booleans as TRUE and FALSE, AWS's special values as written.
	for i, want := range wantCredentialRows() {
		got := rows[i+1]
		for len(got) < len(want) { // GetRows drops trailing empty cells
			got = append(got, "")
		}
		for j, v := range want {
			switch {
			case v == "true" || v == "false":
				want[j] = strings.ToUpper(v)
			case strings.HasSuffix(v, "+00:00"):
				want[j] = strings.Replace(strings.TrimSuffix(v, "+00:00"), "T", " ", 1)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("row %d:\n got %q\nwant %q", i+2, got, want)
		}
	}
	// Typed cells, so that filters and sorting work: bob's (row 4)
	// user_creation_time (E) and key 1 last used (M) are dates, his
	// password_enabled (F) and access_key_1_active (K) booleans; the
	// root's (row 3) password_enabled (F) is "not_supported" and its
	// password_last_used (G) "no_information", both text; alice's
	// access_key_1_last_used_service (O) stays text.
	for _, ref := range []string{"E4", "M4"} {
		checkDateCell(t, g, "Credentials", ref, map[string]time.Time{
			"E4": time.Date(2021, 1, 2, 3, 4, 5, 0, time.UTC), "M4": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}[ref], "yyyy-mm-dd hh:mm:ss")
	}
	for ref, want := range map[string]excelize.CellType{"F4": excelize.CellTypeBool, "K4": excelize.CellTypeBool,
		"F3": excelize.CellTypeSharedString, "G3": excelize.CellTypeSharedString, "O2": excelize.CellTypeSharedString, "L3": excelize.CellTypeSharedString} {
		got, err := g.GetCellType("Credentials", ref)
		if err != nil || (got != want && !(want == excelize.CellTypeSharedString && got == excelize.CellTypeInlineString)) {
			t.Errorf("Credentials %s: cell type %v (%v), want %v", ref, got, err, want)
		}
	}
	// Filters on the header row (the table's), and every header whole.
	tables, err := g.GetTables("Credentials")
	if err != nil || len(tables) != 1 || tables[0].Range != "A1:X4" {
		t.Errorf("Credentials tables %+v (%v), want one over A1:X4, with its filter", tables, err)
	}
	for i, name := range rows[0] {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if width, _ := g.GetColWidth("Credentials", col); width < float64(len(name)) {
			t.Errorf("Credentials column %s (%s) is %v wide, narrower than its name", col, name, width)
		}
	}

	// alice's password_last_used (column G) and cert_2_last_rotated (X)
	// have no <c> element; her other cells do.
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var sheet string
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet2.xml" {
			r, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			sheet = string(b)
		}
	}
	for _, ref := range []string{"G2", "X2"} {
		if strings.Contains(sheet, `r="`+ref+`"`) {
			t.Errorf("sheet has a cell %s for an empty field", ref)
		}
	}
	for _, ref := range []string{"F2", "H2", "W2", "X3"} {
		if !strings.Contains(sheet, `r="`+ref+`"`) {
			t.Errorf("sheet lacks cell %s", ref)
		}
	}
}

// TestWorkbookCredentialsLimit: above the limit, the Credentials sheet
// holds no credential row but says why and where the reports are; at or
// below it, every row. The CSV rendering follows the same rule.
func TestWorkbookCredentialsLimit(t *testing.T) {
	evidence := credentialEvidence(t) // 3 rows
	for _, tc := range []struct {
		name    string
		limit   int
		pointer bool
	}{
		{"default", 0, false},
		{"at the limit", 3, false},
		{"above the limit", 2, true},
		{"none", -1, true},
	} {
		wantLimit := map[int]string{2: "more than the 2 this workbook copies", -1: "this workbook is set to copy none"}[tc.limit]
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "audit.xlsx")
			run := &result.Run{Run: result.RunInfo{ID: "r"}}
			opts := Options{MaxCredentialRows: tc.limit, TmpDir: dir}
			if err := Write(path, run, evidence, opts); err != nil {
				t.Fatal(err)
			}
			g, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			rows, err := g.GetRows("Credentials")
			if err != nil {
				t.Fatal(err)
			}
			tables, _ := g.GetTables("Credentials")
			var text strings.Builder
			for _, row := range rows {
				text.WriteString(strings.Join(row, " ") + "\n")
			}
			if !tc.pointer {
				if len(rows) != 4 || len(tables) != 1 {
					t.Errorf("Credentials: %d rows and %d tables, want the header, 3 rows and a table:\n%s", len(rows), len(tables), text.String())
				}
			} else {
				if len(tables) != 0 || strings.Contains(text.String(), "alice") {
					t.Errorf("Credentials holds credential rows above the limit:\n%s", text.String())
				}
				for _, want := range []string{"2 credential reports hold 3 rows", wantLimit, "evidence/ACCOUNT-ID.csv", "manifest.json", "workbook.max_credential_rows", "Findings"} {
					if !strings.Contains(text.String(), want) {
						t.Errorf("Credentials lacks %q:\n%s", want, text.String())
					}
				}
				if style, _ := g.GetCellStyle("Credentials", "A1"); style == 0 {
					t.Error("Credentials A1 (the title) has no style")
				}
			}
			// The CSV rendering holds the same rows.
			csvPath := filepath.Join(dir, "tables.csv")
			if err := WriteTablesCSV(csvPath, run, evidence, opts); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(csvPath)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(string(data), "alice"); got == tc.pointer {
				t.Errorf("tables.csv holds alice's row: %v, want %v", got, !tc.pointer)
			}
		})
	}
}

// TestWorkbookCredentialsHostile: a user named like a formula stays
// text, and a field that is not what its column should hold (a time
// that is no time, a boolean that is neither) stays text as written:
// nothing is lost or guessed.
func TestWorkbookCredentialsHostile(t *testing.T) {
	dir := t.TempDir()
	fields := map[string]string{"user": "=HYPERLINK(\"http://evil.example\",\"x\")", "arn": "arn:aws:iam::111111111111:user/x",
		"user_creation_time": "2020-13-45T99:00:00+00:00", "password_enabled": "yes", "mfa_active": "TRUE",
		"password_last_used": "no_information", "access_key_1_last_rotated": "2024-02-29T23:59:59+02:00"}
	var header, rec []string
	for _, c := range credreport.Columns {
		header = append(header, c)
		v, ok := fields[c]
		if !ok {
			v = "N/A"
		}
		if strings.ContainsAny(v, `",`) {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		rec = append(rec, v)
	}
	path := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(path, []byte(strings.Join(header, ",")+"\n"+strings.Join(rec, ",")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "audit.xlsx")
	run := &result.Run{Run: result.RunInfo{ID: "r"}}
	if err := Write(out, run, []Evidence{{AccountID: "111111111111", AccountName: "one", Path: path, Rows: 1}}, Options{TmpDir: dir}); err != nil {
		t.Fatal(err)
	}
	g, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	c := columnsOf(t, g, "Credentials")
	for col, want := range map[string]string{"user": fields["user"], "user_creation_time": "2020-13-45T99:00:00+00:00",
		"password_enabled": "yes", "password_last_used": "no_information"} {
		ref := c[col] + "2"
		if got, _ := g.GetCellValue("Credentials", ref); got != want {
			t.Errorf("Credentials %s (%s) = %q, want %q", col, ref, got, want)
		}
		checkCellTypes(t, g, "Credentials", 2, map[string]string{c[col]: textCell})
	}
	if formula, _ := g.GetCellFormula("Credentials", c["user"]+"2"); formula != "" {
		t.Errorf("a user name became the formula %q", formula)
	}
	// Case does not matter for a boolean; a time with an offset is shown in UTC.
	if typ, _ := g.GetCellType("Credentials", c["mfa_active"]+"2"); typ != excelize.CellTypeBool {
		t.Errorf("mfa_active TRUE: cell type %v, want a boolean", typ)
	}
	checkDateCell(t, g, "Credentials", c["access_key_1_last_rotated"]+"2", time.Date(2024, 2, 29, 21, 59, 59, 0, time.UTC), "yyyy-mm-dd hh:mm:ss")
}
