package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// status is a named string type, written through fmt.Sprint.
type status string

// sheetRowsCases are rows of values that a sheet may hold, chosen for the
// rules excelize applies to them.
func sheetRowsCases() [][]any {
	long := strings.Repeat("a", maxCellChars+10)
	emojiAtLimit := strings.Repeat("b", maxCellChars-1) + "😀tail"
	ist := time.FixedZone("IST", 5*3600+1800)
	return [][]any{
		{"", "plain", "arn:aws:iam::123456789012:user/teams/payments/alice", "N/A", "2026-02-11T17:02:09+00:00"},
		{" leading", "trailing ", "\tx", "x\n", "\rx", " ", "a b"},
		{"a\nb", "a\r\nb", "a\tb", "<root_account>", `"quoted" & 'apos'`, "a>b", "&amp;"},
		{"_x0041_", "_x005F_x0041_", "_x005F_", "_x005F_xZZZZ_", "a_x12_b", "_xZZZZ_", "_x00e9__x00E9_", "x_y", "_x"},
		{"naïve", "日本語", "emoji 😀", "\x00ctrl\x01", "\xff\xfe invalid", "\u2028sep", "\ufffe", "\x7f"},
		{long, emojiAtLimit, strings.Repeat("é", maxCellChars+1)},
		{0, -5, 123456789, int64(math.MaxInt64), uint64(math.MaxUint64), int8(-8), uint16(16), int32(-32), uint8(8), uint32(32), int16(-16), uint(7)},
		{true, false, 1.5, 1e21, -0.25, math.Inf(1), math.NaN(), float32(0.1), 3.0},
		{nil, "after nil", nil, nil, "gap"},
		{
			excelize.Cell{StyleID: 3, Value: time.Date(2026, 2, 11, 17, 2, 9, 0, time.UTC)},
			excelize.Cell{StyleID: 3, Value: time.Date(2026, 2, 11, 17, 2, 9, 123456789, ist)},
			excelize.Cell{StyleID: 3, Value: time.Date(1900, 2, 28, 12, 0, 0, 0, time.UTC)},
			excelize.Cell{StyleID: 3, Value: time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)},
			excelize.Cell{StyleID: 3, Value: time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)},
			excelize.Cell{StyleID: 3, Value: time.Time{}},
			excelize.Cell{StyleID: 3, Value: time.Date(2300, 1, 1, 6, 0, 0, 0, time.UTC)},
			excelize.Cell{StyleID: 3, Value: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		},
		{time.Date(2025, 6, 30, 10, 44, 51, 0, time.UTC), time.Date(1800, 1, 1, 0, 0, 0, 0, ist), 90 * time.Minute},
		{excelize.Cell{StyleID: 2, Value: "High"}, &excelize.Cell{StyleID: 2, Value: 7}, excelize.Cell{StyleID: 2}, excelize.Cell{Value: " x"}},
		{[]byte("bytes"), status("OK"), status(" spaced "), struct{ A int }{4}},
	}
}

// TestSheetRowsMatchExcelize writes the same rows with sheetRows and with
// excelize's StreamWriter: the XML must be the same, byte for byte.
func TestSheetRowsMatchExcelize(t *testing.T) {
	cases := sheetRowsCases()
	want := excelizeSheetData(t, cases)

	f := excelize.NewFile()
	defer f.Close()
	styleFile(t, f)
	rows := newSheetRows(t.TempDir(), func() (int, error) { return f.NewStyle(&excelize.Style{NumFmt: 22}) })
	defer rows.close()
	for i, values := range cases {
		if err := rows.add(i+1, values); err != nil {
			t.Fatal(err)
		}
	}
	got := inflateRows(t, rows)
	if got.String() != want {
		gotRows, wantRows := strings.Split(got.String(), "</row>"), strings.Split(want, "</row>")
		for i := range min(len(gotRows), len(wantRows)) {
			if gotRows[i] != wantRows[i] {
				t.Errorf("row %d differs from excelize's:\n got %.600q\nwant %.600q", i+1, gotRows[i], wantRows[i])
			}
		}
		if len(gotRows) != len(wantRows) {
			t.Errorf("%d rows, excelize wrote %d", len(gotRows), len(wantRows))
		}
	}
}

// FuzzSheetText holds a string cell to excelize's own rendering of it.
func FuzzSheetText(f *testing.F) {
	for _, row := range sheetRowsCases() {
		for _, v := range row {
			if s, ok := v.(string); ok && len(s) < 100 {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := excelizeSheetData(t, [][]any{{s}})
		rows := newSheetRows(t.TempDir(), nil)
		if err := rows.add(1, []any{s}); err != nil {
			t.Fatal(err)
		}
		if got := string(rows.buf); got != want {
			t.Errorf("%q:\n got %q\nwant %q", s, got, want)
		}
	})
}

// FuzzSheetValues holds dates, floats and integers to excelize's own
// rendering: an Excel serial date must be exactly excelize's for any
// time, in any zone.
func FuzzSheetValues(f *testing.F) {
	f.Add(int64(1793512800), int32(0), int16(0), 1.5, int64(42))
	f.Add(int64(-2209161600), int32(999999999), int16(330), math.Inf(-1), int64(math.MinInt64))
	f.Add(int64(-2203891200), int32(1), int16(-600), 1e-7, int64(0))
	f.Add(int64(253402300799), int32(500000000), int16(59), math.Copysign(0, -1), int64(-1))
	f.Fuzz(func(t *testing.T, sec int64, nsec int32, offsetMinutes int16, v float64, n int64) {
		// Years 1 to 9999, the range of Excel's and ISO 8601's dates.
		const first, last = -62135596800, 253402300799
		sec = first + (sec%(last-first)+(last-first))%(last-first)
		at := time.Unix(sec, int64(nsec)).In(time.FixedZone("z", int(offsetMinutes%(18*60))*60))
		values := []any{excelize.Cell{StyleID: 3, Value: at}, at, v, n, excelize.Cell{StyleID: 2, Value: v}}
		f := excelize.NewFile()
		defer f.Close()
		styleFile(t, f)
		rows := newSheetRows(t.TempDir(), func() (int, error) { return f.NewStyle(&excelize.Style{NumFmt: 22}) })
		if err := rows.add(1, values); err != nil {
			t.Fatal(err)
		}
		if got, want := string(rows.buf), excelizeSheetData(t, [][]any{values}); got != want {
			t.Errorf("%v, %v, %d:\n got %q\nwant %q", at, v, n, got, want)
		}
	})
}

// TestSheetRowsSpill writes more rows than are kept in memory: they are
// deflated into the temporary file, in order, with their size and CRC,
// and the file leaves no name behind.
func TestSheetRowsSpill(t *testing.T) {
	dir := t.TempDir()
	rows := newSheetRows(dir, nil)
	defer rows.close()
	var want bytes.Buffer
	for n := 1; want.Len() < 3*sheetRowsChunk; n++ {
		values := []any{"row", n, strings.Repeat("x", n%97)}
		if err := rows.add(n, values); err != nil {
			t.Fatal(err)
		}
		want.WriteString(`<row r="` + itoa(n) + `">`)
		want.WriteString(`<c r="A` + itoa(n) + `" t="inlineStr"><is><t>row</t></is></c>`)
		want.WriteString(`<c r="B` + itoa(n) + `"><v>` + itoa(n) + `</v></c>`)
		want.WriteString(`<c r="C` + itoa(n) + `" t="inlineStr"><is><t>` + strings.Repeat("x", n%97) + `</t></is></c></row>`)
	}
	if rows.file == nil || rows.size == 0 {
		t.Fatal("the rows never reached the temporary file")
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*")); len(entries) != 0 {
		t.Errorf("temporary files left with a name: %v", entries)
	}
	got := inflateRows(t, rows)
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("rows read back differ: %d bytes, want %d", got.Len(), want.Len())
	}
	if rows.size != int64(want.Len()) || rows.crc != crc32.ChecksumIEEE(want.Bytes()) {
		t.Errorf("size %d and CRC %08x, want %d and %08x", rows.size, rows.crc, want.Len(), crc32.ChecksumIEEE(want.Bytes()))
	}
	if rows.compressed*5 > rows.size {
		t.Errorf("%d bytes deflated to %d: the rows are not compressed", rows.size, rows.compressed)
	}
	if err := rows.add(1, []any{"late"}); err == nil {
		t.Error("a row written after the sheet was finished was accepted")
	}
}

// TestSheetRowsRejectsFormulas: a formula would need excelize's own
// rules, which sheetRows does not follow.
func TestSheetRowsRejectsFormulas(t *testing.T) {
	rows := newSheetRows(t.TempDir(), nil)
	for _, v := range []any{excelize.Cell{Formula: "SUM(A1:A2)"}, &excelize.Cell{Formula: "A1"}, excelize.Cell{Value: excelize.Cell{}}} {
		if err := rows.add(1, []any{"ok", v}); err == nil || !strings.Contains(err.Error(), "column B") {
			t.Errorf("%#v: error %v, want one naming column B", v, err)
		}
	}
}

func TestAppendColumnName(t *testing.T) {
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 53: "BA", 702: "ZZ", 703: "AAA", 16384: "XFD"} {
		if got := string(appendColumnName(nil, n)); got != want {
			t.Errorf("column %d = %q, want %q", n, got, want)
		}
		if name, _ := excelize.ColumnNumberToName(n); name != want {
			t.Errorf("excelize names column %d %q, want %q", n, name, want)
		}
	}
}

// inflateRows finishes rows and returns their XML, inflated.
func inflateRows(t testing.TB, rows *sheetRows) *bytes.Buffer {
	t.Helper()
	deflated, err := rows.deflated()
	if err != nil {
		t.Fatal(err)
	}
	var xml bytes.Buffer
	if _, err := io.Copy(&xml, flate.NewReader(deflated)); err != nil && err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
	return &xml
}

func itoa(n int) string { return strconv.Itoa(n) }

// styleFile gives f the styles the cases use (IDs 1 to 3), so that the
// time style a case makes gets the same ID in every file.
func styleFile(t testing.TB, f *excelize.File) {
	for range 3 {
		if _, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: float64(10 + f.SheetCount)}}); err != nil {
			t.Fatal(err)
		}
	}
}

// excelizeSheetData writes rows (from row 1) with excelize's StreamWriter
// and returns what it put between <sheetData> and </sheetData>.
func excelizeSheetData(t testing.TB, rows [][]any) string {
	f := excelize.NewFile()
	defer f.Close()
	styleFile(t, f)
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, values := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, values); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	part, err := zr.Open("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer part.Close()
	sheet, err := io.ReadAll(part)
	if err != nil {
		t.Fatal(err)
	}
	start, end := bytes.Index(sheet, []byte("<sheetData>")), bytes.Index(sheet, []byte("</sheetData>"))
	if start < 0 || end < start {
		t.Fatalf("no sheetData in %.300s", sheet)
	}
	return string(sheet[start+len("<sheetData>") : end])
}
