package report

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
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
	// TmpDir is where each table's rows wait, deflated, until the
	// workbook is saved (about 100 bytes per row, in unlinked files);
	// empty means os.TempDir.
	TmpDir string
}

// WriteWorkbook writes audit.xlsx to path: Summary, Findings, Accounts,
// Credentials (the raw report rows, continued over several sheets when
// needed) and Checks. Every table is streamed (see sheetRows).
func WriteWorkbook(path string, r *Run, evidence []Evidence, opts WorkbookOptions) (err error) {
	if opts.MaxRowsPerSheet <= 0 || opts.MaxRowsPerSheet > ExcelMaxRows {
		opts.MaxRowsPerSheet = ExcelMaxRows
	}
	f := excelize.NewFile(excelize.Options{TmpDir: opts.TmpDir})
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w, err := newWorkbook(f)
	if err != nil {
		return err
	}
	defer w.closeRows()
	w.maxRows = opts.MaxRowsPerSheet
	w.tmpDir = opts.TmpDir
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
	return w.save(path)
}

// save writes the workbook to path (see saveStreaming).
func (w *workbook) save(path string) error { return saveStreaming(w.f, path, w.rows) }

// workbook holds the file and its shared styles.
type workbook struct {
	f                              *excelize.File
	header, title, bold, date, day int
	// maxRows caps a sheet's rows, header included.
	maxRows int
	// csv, when set, receives every table instead of the workbook: the
	// same rows as plain CSV, the I/O floor the workbook is measured by.
	csv      *csv.Writer
	record   []string // the CSV record being written, reused
	severity map[audit.Severity]int
	// severityCell is each severity's styled cell, made once.
	severityCell map[audit.Severity]any
	// openCounts counts open findings by account and severity; the
	// finding sheets fill it for the Accounts sheet.
	openCounts map[string]map[audit.Severity]int
	// tmpDir holds the rows of streamed sheets until the workbook is
	// saved; rows maps each such sheet's part name to its rows.
	tmpDir string
	rows   map[string]*sheetRows
}

// closeRows releases the rows of every streamed sheet.
func (w *workbook) closeRows() {
	for _, rows := range w.rows {
		rows.close()
	}
}

func newWorkbook(f *excelize.File) (*workbook, error) {
	w := &workbook{f: f, severity: map[audit.Severity]int{}, severityCell: map[audit.Severity]any{},
		rows: map[string]*sheetRows{}}
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
		w.severityCell[sev] = excelize.Cell{StyleID: w.severity[sev], Value: sev.String()}
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
// header. rows is called with a function that writes one row.
func (w *workbook) streamTable(sheet, name string, cols []column, rows func(add func([]any) error) error) error {
	t, err := w.openTable(sheet, name, cols)
	if err != nil {
		return err
	}
	if err := rows(t.add); err != nil {
		return fmt.Errorf("sheet %s: %w", t.sheetName(), err)
	}
	return t.close()
}

// table is a table being streamed to its sheet. Several tables can be
// open at once, each on its own sheet. When a sheet reaches w.maxRows
// rows, the table continues on "NAME (2)", "NAME (3)"… rather than being
// truncated. (Sheets are listed in the order they are created: to keep a
// table's parts together while other tables are open, create its sheets
// beforehand with reserveSheets.)
type table struct {
	w           *workbook
	sheet, name string
	cols        []column
	// sw writes the sheet around its data rows: the header row, column
	// widths, panes and table. data holds the data rows (see sheetRows).
	sw   *excelize.StreamWriter
	data *sheetRows
	rows int // rows on the current sheet, header included
	part int
}

// openTable starts a table on a new sheet (or, for the CSV floor, writes
// its header record).
func (w *workbook) openTable(sheet, name string, cols []column) (*table, error) {
	t := &table{w: w, sheet: sheet, name: name, cols: cols, part: 1}
	if w.csv != nil {
		return t, w.csvHeader(sheet, cols)
	}
	var err error
	t.sw, t.data, t.rows, err = w.startSheet(sheet, cols)
	return t, err
}

// sheetName is the name of the sheet being written.
func (t *table) sheetName() string { return partName(t.sheet, t.part, " ") }

// add writes one row. The values are not kept.
func (t *table) add(values []any) error {
	if t.w.csv != nil {
		return t.w.csvRow(t.sheet, values)
	}
	if t.rows == t.w.maxRows {
		if err := t.continueSheet(); err != nil {
			return err
		}
	}
	t.rows++
	return t.data.add(t.rows, values)
}

// continueSheet ends the current sheet and starts the next part.
func (t *table) continueSheet() error {
	if err := t.w.endSheet(t.sw, t.data, t.cols, partName(t.name, t.part, ""), t.rows); err != nil {
		return err
	}
	t.part++
	var err error
	t.sw, t.data, t.rows, err = t.w.startSheet(t.sheetName(), t.cols)
	return err
}

// reserveSheets creates the sheets a table of rows data rows will fill,
// so that they stay together in the workbook. startSheet then uses them.
func (w *workbook) reserveSheets(sheet string, rows int) error {
	if w.csv != nil {
		return nil
	}
	perSheet := w.maxRows - 1
	for part := 1; part == 1 || (part-1)*perSheet < rows; part++ {
		if _, err := w.f.NewSheet(partName(sheet, part, " ")); err != nil {
			return err
		}
	}
	return nil
}

// close turns the rows into a table and flushes the sheet.
func (t *table) close() error {
	if t.w.csv != nil {
		return nil
	}
	return t.w.endSheet(t.sw, t.data, t.cols, partName(t.name, t.part, ""), t.rows)
}

// sheetPart is the name of a streamed sheet's part in the package:
// excelize names a new sheet's part after its ID.
func sheetPart(sw *excelize.StreamWriter) string {
	return "xl/worksheets/sheet" + strconv.Itoa(sw.SheetID) + ".xml"
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

// startSheet creates a sheet (unless reserved) and writes its header row.
// It returns the stream writer for the sheet's frame, the writer for its
// data rows and the rows written so far.
func (w *workbook) startSheet(sheet string, cols []column) (*excelize.StreamWriter, *sheetRows, int, error) {
	if _, err := w.f.NewSheet(sheet); err != nil {
		return nil, nil, 0, err
	}
	if err := w.printLayout(sheet); err != nil {
		return nil, nil, 0, err
	}
	sw, err := w.f.NewStreamWriter(sheet)
	if err != nil {
		return nil, nil, 0, err
	}
	// Adjacent columns of the same width share one width entry: a short
	// <cols> list for the spreadsheet to read.
	for first := 0; first < len(cols); {
		last := first
		for last+1 < len(cols) && cols[last+1].Width == cols[first].Width {
			last++
		}
		if err := sw.SetColWidth(first+1, last+1, cols[first].Width); err != nil {
			return nil, nil, 0, err
		}
		first = last + 1
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: w.header, Value: c.Name}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, nil, 0, err
	}
	data := newSheetRows(w.tmpDir, func() (int, error) { return w.f.NewStyle(&excelize.Style{NumFmt: 22}) })
	w.rows[sheetPart(sw)] = data
	return sw, data, 1, sw.SetRow("A1", header)
}

// endSheet turns the written rows into a table and flushes the sheet.
// The data rows join it when the workbook is saved.
func (w *workbook) endSheet(sw *excelize.StreamWriter, data *sheetRows, cols []column, table string, n int) error {
	if n == 1 {
		// A table needs a data row; an empty sheet says so instead.
		if err := data.add(2, []any{"(none)"}); err != nil {
			return err
		}
		n = 2
	}
	if err := data.finish(); err != nil {
		return err
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
		{"Checks not run", 60},
	}
	counts := w.openCounts
	return w.streamTable("Accounts", "Accounts", cols, func(add func([]any) error) error {
		for _, a := range r.Accounts {
			var generated any = "not recorded"
			if a.ReportGeneratedAt != nil {
				generated = excelize.Cell{StyleID: w.date, Value: a.ReportGeneratedAt.UTC()}
			}
			c := counts[a.ID]
			var notRun []string
			for _, n := range a.ChecksNotRun {
				notRun = append(notRun, n.String())
			}
			if err := add([]any{a.ID, a.Name, a.Status, a.Error, a.Users, generated, a.PasswordPolicy,
				c[audit.Critical], c[audit.High], c[audit.Medium], c[audit.Low], strings.Join(notRun, "\n")}); err != nil {
				return err
			}
		}
		return nil
	})
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
