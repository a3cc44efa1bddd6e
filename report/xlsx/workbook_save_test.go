package xlsx

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// TestWorkbookSaveStreaming saves a streamed sheet larger than excelize's
// in-memory chunk (so it goes through a temp file) and reads it back with
// archive/zip, a plain compress/flate reader, and excelize.
func TestWorkbookSaveStreaming(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile(excelize.Options{TmpDir: dir})
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	const rows, cols = 20_000, 10
	text := func(r, c int) string {
		return fmt.Sprintf("row %d column %d <&> %s", r, c, strings.Repeat("x", (r*7+c)%64))
	}
	values := make([]any, cols)
	for r := 1; r <= rows; r++ {
		for c := range values {
			values[c] = text(r, c)
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, values); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.xlsx")
	if err := saveStreaming(f, path); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	sheetSize := checkZipParts(t, path)["xl/worksheets/sheet1.xml"]
	if sheetSize < 16<<20 {
		t.Errorf("sheet1.xml is %d bytes, want more than excelize's 16 MiB stream chunk", sheetSize)
	}

	g, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, err := g.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rows {
		t.Fatalf("%d rows, want %d", len(got), rows)
	}
	for _, r := range []int{1, 2, rows / 2, rows} {
		for c := range cols {
			if got[r-1][c] != text(r, c) {
				t.Fatalf("row %d column %d = %q, want %q", r, c, got[r-1][c], text(r, c))
			}
		}
	}
}

// checkZipParts checks every part of the zip at path: deflated, a
// standard Deflate stream that compress/flate inflates to the recorded
// size, and a CRC that archive/zip accepts. It returns the parts' sizes.
func checkZipParts(t *testing.T, path string) map[string]uint64 {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	sizes := map[string]uint64{}
	for _, zf := range zr.File {
		sizes[zf.Name] = zf.UncompressedSize64
		if zf.Method != zip.Deflate {
			t.Errorf("%s: method %d, want Deflate", zf.Name, zf.Method)
		}
		raw, err := zf.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, flate.NewReader(raw))
		if err != nil || uint64(n) != zf.UncompressedSize64 {
			t.Errorf("%s: inflated %d bytes (%v), want %d", zf.Name, n, err, zf.UncompressedSize64)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Errorf("%s: %v", zf.Name, err)
		}
		rc.Close()
	}
	return sizes
}

func TestWorkbookSaveStreamingError(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if err := saveStreaming(f, filepath.Join(t.TempDir(), "missing", "out.xlsx")); err == nil {
		t.Error("saving into a missing folder succeeded")
	}
	// The zip writer hook leaves excelize's own buffer empty.
	path := filepath.Join(t.TempDir(), "small.xlsx")
	if err := saveStreaming(f, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		t.Errorf("%s does not start like a zip", path)
	}
}

// TestWorkbookTablesContinue writes two tables side by side, each
// continued over several sheets, and an empty one, then reads the
// workbook back with excelize: every part passes archive/zip's CRC check,
// and every cell holds its value with its type (text, number, date).
func TestWorkbookTablesContinue(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile(excelize.Options{TmpDir: dir})
	defer f.Close()
	w, err := newWorkbook(f)
	if err != nil {
		t.Fatal(err)
	}
	w.maxRows = 2_500
	const rows = 6_000
	cols := []column{{"Text", 20}, {"Number", 10}, {"Escaped", 30}, {"Date", 18}, {"Empty", 8}}
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	values := func(table, r int) []any {
		return []any{
			fmt.Sprintf("table %d row %d %s", table, r, strings.Repeat("x", r%97)),
			r * table,
			fmt.Sprintf("<root_account> & \"%d\" _x0041_ é =1+%d", r, r),
			excelize.Cell{StyleID: w.date, Value: day0.Add(time.Duration(r) * time.Minute)},
			nil,
		}
	}
	if err := w.reserveSheets("One", rows); err != nil {
		t.Fatal(err)
	}
	if err := w.reserveSheets("Two", rows); err != nil {
		t.Fatal(err)
	}
	one, err := w.openTable("One", "One", cols)
	if err != nil {
		t.Fatal(err)
	}
	two, err := w.openTable("Two", "Two", cols)
	if err != nil {
		t.Fatal(err)
	}
	for r := 1; r <= rows; r++ {
		if err := one.add(values(1, r)); err != nil {
			t.Fatal(err)
		}
		if err := two.add(values(2, r)); err != nil {
			t.Fatal(err)
		}
	}
	empty, err := w.openTable("Empty", "EmptyTable", cols)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range []*table{one, two, empty} {
		if err := tb.close(); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "out.xlsx")
	if err := saveStreaming(f, path); err != nil {
		t.Fatal(err)
	}
	checkZipParts(t, path)

	g, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	wantSheets := []string{"Sheet1", "One", "One (2)", "One (3)", "Two", "Two (2)", "Two (3)", "Empty"}
	if got := g.GetSheetList(); !slices.Equal(got, wantSheets) {
		t.Errorf("sheets %q, want %q", got, wantSheets)
	}
	for table, name := range []string{"One", "Two"} {
		r := 0
		for part := 1; part <= 3; part++ {
			sheet := partName(name, part, " ")
			got, err := g.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || !slices.Equal(got[0], []string{"Text", "Number", "Escaped", "Date", "Empty"}) {
				t.Fatalf("%s: header %q", sheet, got[:min(1, len(got))])
			}
			for i, row := range got[1:] {
				r++
				want := values(table+1, r)
				when := want[3].(excelize.Cell).Value.(time.Time)
				wantText := []string{want[0].(string), strconv.Itoa(want[1].(int)), want[2].(string), when.Format("2006-01-02 15:04:05")}
				if !slices.Equal(row, wantText) {
					t.Fatalf("%s row %d = %q, want %q", sheet, r, row, wantText)
				}
				if i%997 == 0 { // types, on a sample of rows
					checkCellTypes(t, g, sheet, i+2, map[string]string{"A": textCell, "B": numberCell, "C": textCell, "D": numberCell})
					checkDateCell(t, g, sheet, fmt.Sprintf("D%d", i+2), when, "yyyy-mm-dd hh:mm:ss")
					if formula, _ := g.GetCellFormula(sheet, fmt.Sprintf("C%d", i+2)); formula != "" {
						t.Errorf("%s C%d: text became the formula %q", sheet, i+2, formula)
					}
				}
			}
			tables, err := g.GetTables(sheet)
			if err != nil || len(tables) != 1 {
				t.Fatalf("%s: tables %v (%v)", sheet, tables, err)
			}
			if wantRange := fmt.Sprintf("A1:E%d", len(got)); tables[0].Range != wantRange {
				t.Errorf("%s: table range %s, want %s", sheet, tables[0].Range, wantRange)
			}
			if panes, err := g.GetPanes(sheet); err != nil || !panes.Freeze || panes.YSplit != 1 {
				t.Errorf("%s: header not frozen (%+v, %v)", sheet, panes, err)
			}
		}
		if r != rows {
			t.Errorf("%s: %d rows read back, want %d", name, r, rows)
		}
	}
	// Every part repeats its header on each printed page.
	titles := map[string]string{}
	for _, dn := range g.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range wantSheets[1:] {
		if want := "'" + sheet + "'!$1:$1"; titles[sheet] != want {
			t.Errorf("%s: print titles %q, want %q", sheet, titles[sheet], want)
		}
	}
	// An empty table is no table: one merged row says so.
	got, err := g.GetRows("Empty")
	merged, _ := g.GetMergeCells("Empty")
	tables, _ := g.GetTables("Empty")
	if err != nil || len(got) != 2 || got[1][0] != "None" || len(merged) != 1 || merged[0].GetStartAxis() != "A2" || merged[0].GetEndAxis() != "E2" || len(tables) != 0 {
		t.Errorf("Empty sheet: %q (%v), merged %v, tables %v; want one merged row A2:E2 saying None", got, err, merged, tables)
	}
}

// Kinds of cell, as checkCellTypes checks them.
const (
	textCell   = "text"
	numberCell = "number"
)

// checkCellTypes checks the kind of cells of row n of sheet, by column:
// text is an inline or shared string; a number has no type or type "n"
// (SpreadsheetML's default) and a value that parses as one.
func checkCellTypes(t *testing.T, f *excelize.File, sheet string, n int, want map[string]string) {
	t.Helper()
	for col, kind := range want {
		cell := col + strconv.Itoa(n)
		typ, err := f.GetCellType(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		var ok bool
		switch kind {
		case textCell:
			ok = typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString
		case numberCell:
			_, perr := strconv.ParseFloat(raw, 64)
			ok = (typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber) && perr == nil
		}
		if !ok {
			t.Errorf("%s %s = %q of type %v, want a %s cell", sheet, cell, raw, typ, kind)
		}
	}
}

// checkDateCell checks that a cell is a real Excel date: a serial number
// that stands for want, shown with the given number format.
func checkDateCell(t *testing.T, f *excelize.File, sheet, cell string, want time.Time, format string) {
	t.Helper()
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Errorf("%s %s = %q, want a date serial number", sheet, cell, raw)
		return
	}
	got, err := excelize.ExcelDateToTime(serial, false)
	if err != nil || got.Sub(want).Abs() > time.Millisecond {
		t.Errorf("%s %s = %v (serial %s, %v), want %v", sheet, cell, got, raw, err, want)
	}
	style, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(style)
	if err != nil || s.CustomNumFmt == nil || *s.CustomNumFmt != format {
		t.Errorf("%s %s: style %+v (%v), want number format %q", sheet, cell, s, err, format)
	}
}

// TestWriteWorkbookTmpDirMissing: a temporary folder that cannot hold the
// rows fails the workbook at once, saying so, and no file is written.
func TestWriteWorkbookTmpDirMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.xlsx")
	run := &result.Run{Run: result.RunInfo{ID: "r"}, Findings: result.Findings{{AccountID: "111111111111", Check: audit.UserInactive, Severity: audit.Medium}}}
	err := Write(path, run, nil, Options{TmpDir: filepath.Join(dir, "missing")})
	if err == nil || !strings.Contains(err.Error(), "temporary folder") {
		t.Fatalf("Write = %v, want an error about the temporary folder", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a workbook was written despite the error (%v)", err)
	}
}
