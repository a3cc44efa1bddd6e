// Package xlsx writes audit.xlsx, the workbook for compliance officers,
// with excelize's StreamWriter: Summary, a sheet of findings per severity,
// Accounts, Exceptions, Trend, Credentials and Checks. It is the only
// package that links excelize.
package xlsx

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// ExcelMaxRows is the number of rows an Excel sheet can hold.
const ExcelMaxRows = 1_048_576

// DefaultMaxCredentialRows is how many credential-report rows the
// Credentials sheet holds at most by default. Above it the sheet only
// points to the evidence files: a sheet of a million rows is opened by no
// one, costs most of the workbook's size and time, and repeats what the
// run folder's evidence/ holds byte for byte.
const DefaultMaxCredentialRows = 100_000

// DefaultMaxFamilyRows is how many open findings a run may have at most
// for the family sheets (Inactive users, Unrotated keys, MFA gaps, Root
// account, Permissions, Password policy) to repeat them by default.
// Above it each family sheet only says how many findings it would hold
// and where they are: the Findings sheet and findings.json hold them all,
// and repeating millions of rows doubled the workbook's time and size.
const DefaultMaxFamilyRows = 200_000

// Evidence names one account's credential report on disk.
type Evidence struct {
	AccountID   string
	AccountName string
	Path        string
	// Rows is the number of data rows (users and root) of the report.
	Rows int
	// UnusedAccess is the file of the account's Unused access rows
	// (workbook_unused.go); empty when it has none.
	UnusedAccess string
}

// Options tune the workbook.
type Options struct {
	// MaxRowsPerSheet caps the rows of a sheet, header included, before
	// the sheet continues on a new one. Zero means Excel's limit.
	MaxRowsPerSheet int
	// MaxCredentialRows caps the credential-report rows copied to the
	// Credentials sheet (the sum of Evidence.Rows). Above it the sheet
	// says why it holds none and points to evidence/. Zero means
	// DefaultMaxCredentialRows; a negative value copies no row at all.
	MaxCredentialRows int
	// MaxFamilyRows caps the open findings of the run (the rows of the
	// Findings sheet) up to which the family sheets repeat them. Above
	// it each family sheet says how many findings it would hold and
	// points to the Findings sheet and findings.json. Zero means
	// DefaultMaxFamilyRows; a negative value repeats none at all.
	MaxFamilyRows int
	// TmpDir is where excelize keeps each streamed sheet's rows beyond
	// its 16 MiB in memory, until the workbook is saved (in files it
	// removes on Close); empty means os.TempDir.
	TmpDir string
}

// credentialLimit is the number of credential rows the Credentials sheet
// may hold under opts.
func (opts Options) credentialLimit() int {
	switch {
	case opts.MaxCredentialRows == 0:
		return DefaultMaxCredentialRows
	case opts.MaxCredentialRows < 0:
		return 0
	}
	return opts.MaxCredentialRows
}

// familyLimit is the number of open findings up to which the family
// sheets repeat them under opts.
func (opts Options) familyLimit() int {
	switch {
	case opts.MaxFamilyRows == 0:
		return DefaultMaxFamilyRows
	case opts.MaxFamilyRows < 0:
		return 0
	}
	return opts.MaxFamilyRows
}

// Write writes audit.xlsx to path: Summary, the sheets of
// findings, Accounts, Exceptions, Trend, Credentials (the raw report rows,
// continued over several sheets when needed, or a pointer to the evidence
// above opts.MaxCredentialRows) and Checks. Every table is streamed with
// excelize's StreamWriter and the file is written as it is zipped.
func Write(path string, r *result.Run, evidence []Evidence, opts Options) (err error) {
	if opts.MaxRowsPerSheet <= 0 || opts.MaxRowsPerSheet > ExcelMaxRows {
		opts.MaxRowsPerSheet = ExcelMaxRows
	}
	if opts.TmpDir != "" {
		// excelize needs the folder only once a sheet outgrows memory:
		// say at once that it is missing rather than at the millionth row.
		if info, err := os.Stat(opts.TmpDir); err != nil {
			return fmt.Errorf("workbook temporary folder: %w", err)
		} else if !info.IsDir() {
			return fmt.Errorf("workbook temporary folder %s: not a folder", opts.TmpDir)
		}
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
	w.maxRows = opts.MaxRowsPerSheet
	w.maxCredentialRows = opts.credentialLimit()
	w.maxFamilyRows = opts.familyLimit()
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
	// The Summary stays the first sheet; it is filled last, from the
	// counts the other sheets' pass over the findings takes.
	if err := f.SetSheetName("Sheet1", summarySheet); err != nil {
		return err
	}
	if err := w.tables(r, evidence); err != nil {
		return err
	}
	if err := w.summary(r); err != nil {
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
	// maxCredentialRows caps the rows of the Credentials sheet.
	maxCredentialRows int
	// maxFamilyRows caps the open findings the family sheets repeat;
	// familyNotes, set by reserveFindingSheets, says the run has more.
	maxFamilyRows int
	familyNotes   bool
	// openFindings and familyRows are the rows of the Findings sheet
	// and of each sheet of findingSheetList, from the counting pass.
	openFindings int
	familyRows   []int
	// csv, when set, receives every table instead of the workbook: the
	// same rows as plain CSV, the figure the workbook is measured by.
	csv      *csv.Writer
	record   []string // the CSV record being written, reused
	severity map[audit.Severity]int
	// severityCell is each severity's styled cell, made once.
	severityCell map[audit.Severity]any
	// openCounts counts open findings by account and severity; the
	// finding sheets fill it for the Accounts sheet.
	openCounts map[string]map[audit.Severity]int
	// figures are the Summary's counts of findings, from the counting pass.
	figures summaryFigures
}

func newWorkbook(f *excelize.File) (*workbook, error) {
	w := &workbook{f: f, severity: map[audit.Severity]int{}, severityCell: map[audit.Severity]any{}}
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
	for sev, colors := range severityColors {
		w.severity[sev] = style(&excelize.Style{
			Font: &excelize.Font{Bold: true, Color: colors[1]},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colors[0]}},
		})
		w.severityCell[sev] = excelize.Cell{StyleID: w.severity[sev], Value: sev.String()}
	}
	return w, err
}

// severityColors are each severity's fill and text colour: the severity
// cells of every sheet and the bars and lines of the Summary's charts
// share them, so a colour means the same severity everywhere.
var severityColors = map[audit.Severity][2]string{
	audit.Critical: {"C00000", "FFFFFF"}, // dark red
	audit.High:     {"FF6600", "FFFFFF"}, // orange
	audit.Medium:   {"FFC000", "000000"}, // amber
	audit.Low:      {"9BC2E6", "000000"}, // blue, dark enough for a line on white
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
	sw          *excelize.StreamWriter
	rows        int // rows on the current sheet, header included
	part        int
}

// openTable starts a table on a new sheet (or, for the CSV figure, writes
// its header record).
func (w *workbook) openTable(sheet, name string, cols []column) (*table, error) {
	t := &table{w: w, sheet: sheet, name: name, cols: cols, part: 1}
	if w.csv != nil {
		return t, w.csvHeader(sheet, cols)
	}
	var err error
	t.sw, err = w.startSheet(sheet, cols)
	t.rows = 1
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
	return t.sw.SetRow(rowStart(t.rows), values)
}

// rowStart is the name of the first cell of row n: "A" and the number.
func rowStart(n int) string {
	var b [24]byte
	return string(strconv.AppendInt(append(b[:0], 'A'), int64(n), 10))
}

// continueSheet ends the current sheet and starts the next part.
func (t *table) continueSheet() error {
	if err := t.w.endSheet(t.sw, t.cols, partName(t.name, t.part, ""), t.rows); err != nil {
		return err
	}
	t.part++
	var err error
	t.sw, err = t.w.startSheet(t.sheetName(), t.cols)
	t.rows = 1
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
	return t.w.endSheet(t.sw, t.cols, partName(t.name, t.part, ""), t.rows)
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

// startSheet creates a sheet (unless reserved), lays it out and writes
// its header row.
func (w *workbook) startSheet(sheet string, cols []column) (*excelize.StreamWriter, error) {
	if _, err := w.f.NewSheet(sheet); err != nil {
		return nil, err
	}
	if err := w.printLayout(sheet); err != nil {
		return nil, err
	}
	sw, err := w.f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	// excelize keeps one width entry per column, the one set last first:
	// set them from the last column on, so that <cols> lists them in
	// ascending order, as SpreadsheetML wants.
	for i := len(cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, cols[i].Width); err != nil {
			return nil, err
		}
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: w.header, Value: c.Name}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	return sw, sw.SetRow("A1", header)
}

// endSheet turns the n rows written (header included) into a table and
// flushes the sheet.
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

func (w *workbook) accounts(r *result.Run) error {
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
				generated = w.dateCell(*a.ReportGeneratedAt)
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
// workbook and its CSV rendering (WriteTablesCSV) both go through it.
func (w *workbook) tables(r *result.Run, evidence []Evidence) error {
	for _, step := range []func() error{
		func() error { return w.findingSheets(r) },
		func() error { return w.unusedAccess(r, evidence) },
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
