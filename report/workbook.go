package report

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/credreport"
)

// ExcelMaxRows is the number of rows an Excel sheet can hold.
const ExcelMaxRows = 1_048_576

// Evidence names one account's credential report on disk.
type Evidence struct {
	AccountID   string
	AccountName string
	Path        string
}

// WorkbookOptions tune the workbook.
type WorkbookOptions struct {
	// MaxRowsPerSheet caps the rows of a sheet, header included, before
	// the sheet continues on a new one. Zero means Excel's limit.
	MaxRowsPerSheet int
}

// WriteWorkbook writes audit.xlsx to path: Summary, Findings, Accounts,
// Credentials (the raw report rows, continued over several sheets when
// needed) and Checks. Large sheets are streamed.
func WriteWorkbook(path string, r *Run, evidence []Evidence, opts WorkbookOptions) (err error) {
	if opts.MaxRowsPerSheet <= 0 || opts.MaxRowsPerSheet > ExcelMaxRows {
		opts.MaxRowsPerSheet = ExcelMaxRows
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w, err := newWorkbook(f)
	if err != nil {
		return err
	}
	w.maxRows = opts.MaxRowsPerSheet
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:       "IAM credential audit " + r.Run.ID,
		Subject:     "IAM credential report findings as of " + r.Run.AsOf.UTC().Format(time.RFC3339),
		Creator:     "reporter " + r.Run.Version,
		Created:     r.Run.FinishedAt.UTC().Format(time.RFC3339),
		Description: "Findings of the CIS AWS Foundations Benchmark IAM checks over every account's credential report.",
		Keywords:    "IAM, credential report, CIS, audit",
		Category:    "Security audit",
	}); err != nil {
		return err
	}
	if err := w.summary(r); err != nil {
		return err
	}
	if err := w.tables(r, evidence); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return saveStreaming(f, path)
}

// workbook holds the file and its shared styles.
type workbook struct {
	f                              *excelize.File
	header, title, bold, date, day int
	// maxRows caps a sheet's rows, header included.
	maxRows int
	// csv, when set, receives every table instead of the workbook: the
	// same rows as plain CSV, the I/O floor the workbook is measured by.
	csv      *csv.Writer
	severity map[audit.Severity]int
}

func newWorkbook(f *excelize.File) (*workbook, error) {
	w := &workbook{f: f, severity: map[audit.Severity]int{}}
	var err error
	style := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	w.header = style(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F3864"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	w.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}})
	w.bold = style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	w.date = style(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss")})
	w.day = style(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	for sev, colors := range map[audit.Severity][2]string{
		audit.Critical: {"C00000", "FFFFFF"},
		audit.High:     {"FF6600", "FFFFFF"},
		audit.Medium:   {"FFC000", "000000"},
		audit.Low:      {"DDEBF7", "000000"},
	} {
		w.severity[sev] = style(&excelize.Style{
			Font: &excelize.Font{Bold: true, Color: colors[1]},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colors[0]}},
		})
	}
	return w, err
}

func ptr[T any](v T) *T { return &v }

// column is one column of a streamed table.
type column struct {
	Name  string
	Width float64
}

// streamTable writes a sheet as an Excel table with a frozen, filtered
// header. rows is called with a function that writes one row. When a
// sheet reaches w.maxRows rows, the table continues on "NAME (2)",
// "NAME (3)"… rather than being truncated.
func (w *workbook) streamTable(sheet, table string, cols []column, rows func(add func([]any) error) error) error {
	if w.csv != nil {
		return w.csvTable(sheet, cols, rows)
	}
	part := 1
	sw, n, err := w.startSheet(sheet, cols)
	if err != nil {
		return err
	}
	err = rows(func(values []any) error {
		if n == w.maxRows {
			if err := w.endSheet(sw, cols, partName(table, part, ""), n); err != nil {
				return err
			}
			part++
			if sw, n, err = w.startSheet(partName(sheet, part, " "), cols); err != nil {
				return err
			}
		}
		n++
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, values)
	})
	if err != nil {
		return fmt.Errorf("sheet %s: %w", partName(sheet, part, " "), err)
	}
	return w.endSheet(sw, cols, partName(table, part, ""), n)
}

// partName names the part-th sheet (or table) of a series: NAME, then
// NAME (2) for sheets or NAME2 for tables.
func partName(name string, part int, sep string) string {
	if part == 1 {
		return name
	}
	if sep == "" {
		return fmt.Sprintf("%s%d", name, part)
	}
	return fmt.Sprintf("%s%s(%d)", name, sep, part)
}

// startSheet creates a sheet and writes its header row.
func (w *workbook) startSheet(sheet string, cols []column) (*excelize.StreamWriter, int, error) {
	if _, err := w.f.NewSheet(sheet); err != nil {
		return nil, 0, err
	}
	if err := w.printLayout(sheet); err != nil {
		return nil, 0, err
	}
	sw, err := w.f.NewStreamWriter(sheet)
	if err != nil {
		return nil, 0, err
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return nil, 0, err
		}
		header[i] = excelize.Cell{StyleID: w.header, Value: c.Name}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, 0, err
	}
	return sw, 1, sw.SetRow("A1", header)
}

// endSheet turns the written rows into a table and flushes the sheet.
func (w *workbook) endSheet(sw *excelize.StreamWriter, cols []column, table string, n int) error {
	if n == 1 {
		// A table needs a data row; an empty sheet says so instead.
		if err := sw.SetRow("A2", []any{"(none)"}); err != nil {
			return err
		}
		n = 2
	}
	last, err := excelize.CoordinatesToCellName(len(cols), n)
	if err != nil {
		return err
	}
	if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: table, StyleName: "TableStyleLight9", ShowRowStripes: ptr(true)}); err != nil {
		return err
	}
	return sw.Flush()
}

func (w *workbook) accounts(r *Run) error {
	cols := []column{
		{"Account ID", 15}, {"Account name", 24}, {"Status", 11}, {"Error", 60}, {"Users", 8},
		{"Report generated (UTC)", 21}, {"Password policy", 15}, {"Critical", 9}, {"High", 9}, {"Medium", 9}, {"Low", 9},
	}
	counts := SeverityByAccount(r.Findings)
	return w.streamTable("Accounts", "Accounts", cols, func(add func([]any) error) error {
		for _, a := range r.Accounts {
			var generated any = "not recorded"
			if a.ReportGeneratedAt != nil {
				generated = excelize.Cell{StyleID: w.date, Value: a.ReportGeneratedAt.UTC()}
			}
			c := counts[a.ID]
			if err := add([]any{a.ID, a.Name, a.Status, a.Error, a.Users, generated, a.PasswordPolicy,
				c[audit.Critical], c[audit.High], c[audit.Medium], c[audit.Low]}); err != nil {
				return err
			}
		}
		return nil
	})
}

// credentials streams every collected report's rows, as received.
func (w *workbook) credentials(evidence []Evidence) error {
	cols := []column{{"Account ID", 15}, {"Account name", 22}}
	for _, c := range credreport.Columns {
		cols = append(cols, column{c, 18})
	}
	next := evidenceRows(evidence)
	return w.streamTable("Credentials", "Credentials", cols, func(add func([]any) error) error {
		for {
			row, err := next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := add(row); err != nil {
				return err
			}
		}
	})
}

// evidenceRows returns an iterator over every data row of every evidence
// file, each prefixed with the account ID and name and laid out in the
// canonical column order. It returns io.EOF after the last row.
func evidenceRows(evidence []Evidence) func() ([]any, error) {
	i := 0
	var (
		file  *os.File
		cr    *csv.Reader
		index []int // canonical column -> position in this file, -1 if absent
	)
	return func() ([]any, error) {
		for {
			if cr == nil {
				if i == len(evidence) {
					return nil, io.EOF
				}
				ev := evidence[i]
				var err error
				if file, err = os.Open(ev.Path); err != nil {
					return nil, err
				}
				cr = csv.NewReader(file)
				header, err := cr.Read()
				if err != nil {
					file.Close()
					return nil, fmt.Errorf("%s: %w", ev.Path, err)
				}
				index = canonicalIndex(header)
			}
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				file.Close()
				cr = nil
				i++
				continue
			}
			if err != nil {
				file.Close()
				return nil, fmt.Errorf("%s: %w", evidence[i].Path, err)
			}
			row := make([]any, 2+len(index))
			row[0], row[1] = evidence[i].AccountID, evidence[i].AccountName
			for c, pos := range index {
				if pos >= 0 && pos < len(rec) {
					row[2+c] = rec[pos]
				}
			}
			return row, nil
		}
	}
}

func canonicalIndex(header []string) []int {
	pos := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = trimBOM(h)
		}
		pos[h] = i
	}
	index := make([]int, len(credreport.Columns))
	for i, c := range credreport.Columns {
		if p, ok := pos[c]; ok {
			index[i] = p
		} else {
			index[i] = -1
		}
	}
	return index
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[:3] == "\ufeff" {
		return s[3:]
	}
	return s
}

// printLayout prints a sheet landscape, one page wide, so a PDF or paper
// copy keeps each row on one line. For a streamed sheet it must be called
// before the StreamWriter is created.
func (w *workbook) printLayout(sheet string) error {
	if err := w.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	return w.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Orientation: ptr("landscape"), Size: ptr(9), FitToWidth: ptr(1), FitToHeight: ptr(0),
	})
}

// saveStreaming writes f to path without holding the whole file in
// memory. excelize's SaveAs builds the zip in a bytes.Buffer first (a
// gigabyte for a million-row workbook); its ZipWriter hook is handed that
// buffer, and this one writes to the file instead, so the buffer stays
// empty. The zip is deflated at flate.BestSpeed, which halves compression
// time for a file about a fifth larger. (excelize post-processes the
// buffer only for parts over 4 GiB, which a sheet capped at Excel's row
// limit does not reach.)
func saveStreaming(f *excelize.File, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(bw)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(w, flate.BestSpeed)
		})
		return zw
	})
	buf, err := f.WriteToBuffer()
	if err == nil && buf.Len() != 0 {
		err = fmt.Errorf("excelize wrote %d bytes outside the zip writer", buf.Len())
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// tables writes every sheet after the Summary, in workbook order. The
// workbook and its CSV floor (WriteTablesCSV) both go through it.
func (w *workbook) tables(r *Run, evidence []Evidence) error {
	for _, step := range []func() error{
		func() error { return w.findingSheets(r) },
		func() error { return w.accounts(r) },
		func() error { return w.exceptions(r) },
		func() error { return w.trend(r) },
		func() error { return w.credentials(evidence) },
		func() error { return w.checks(r) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
