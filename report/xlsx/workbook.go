// Package xlsx writes audit.xlsx, the workbook for compliance officers,
// with excelize's StreamWriter: Summary, a sheet of findings per severity,
// Accounts, Exceptions, Trend, Credentials and Checks. It is the only
// package that links excelize.
package xlsx

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/oneline"
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
	w.run = r.Run
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
	// wrap (wrapped text), text and number are the column styles of
	// table cells; all align to the top of a row taller than a line.
	// note is an empty table's one line.
	wrap, text, number, note int
	// cellDate and cellDay are the styles of dateCell and dayCell.
	cellDate, cellDay int
	// alert (red bold text), expired (red fill) and warn (amber fill)
	// are conditional formats (see layout).
	alert, expired, warn int
	// run names the run in each printed page's footer and the Resolved
	// sheet; it is the zero RunInfo for the CSV rendering.
	run result.RunInfo
	// runID is run.ID as a cell value, boxed once (runIDCell).
	runID any
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
	// A header wraps rather than being cut at its column's width.
	w.header = style(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F3864"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	})
	w.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}})
	w.bold = style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	top := &excelize.Alignment{Vertical: "top"}
	w.date = style(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss"), Alignment: top})
	w.day = style(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd"), Alignment: top})
	// Dates in tables are centred like numbers: right-aligned, a date
	// filling its column touched the next column's text.
	centred := &excelize.Alignment{Vertical: "top", Horizontal: "center"}
	w.cellDate = style(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss"), Alignment: centred})
	w.cellDay = style(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd"), Alignment: centred})
	w.text = style(&excelize.Style{Alignment: top})
	w.wrap = style(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	// Numbers are centred, so that a right-aligned figure never runs
	// into the text of the next column.
	w.number = style(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "center"}})
	w.note = style(&excelize.Style{Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	condition := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewConditionalStyle(s)
		return id
	}
	w.alert = condition(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}})
	w.expired = condition(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F4B6B6"}}})
	w.warn = condition(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFE699"}}})
	for sev, colors := range severityColors {
		w.severity[sev] = style(&excelize.Style{
			Font:      &excelize.Font{Bold: true, Color: colors[1]},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colors[0]}},
			Alignment: top,
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

// layout says how a table's cells read and print beyond their columns'
// widths. The zero layout is plain text, one line a row.
type layout struct {
	// wrap lists the columns (from 0) whose text wraps; each row is
	// made as tall as its longest such text needs (textLines).
	wrap []int
	// numbers lists the columns of numbers, centred.
	numbers []int
	// empty is what a table without rows says, in one merged row;
	// "None" when empty.
	empty string
	// flags are conditional formats over the data rows.
	flags []flag
}

// flag is a conditional format: the cells of column col (or, when row
// is set, the whole row) get style when the formula holds. The formula
// is written for row 2, "{}" standing for column col's cell (e.g.
// "{}>0" is "J2>0" for column J), and Excel moves it down the rows.
type flag struct {
	col     int
	row     bool
	formula string
	style   func(w *workbook) int
}

// streamTable writes a sheet as an Excel table with a frozen, filtered
// header. rows is called with a function that writes one row.
func (w *workbook) streamTable(sheet, name string, cols []column, rows func(add func([]any) error) error) error {
	return w.streamLaidOut(sheet, name, cols, layout{}, rows)
}

// streamLaidOut is streamTable with a layout.
func (w *workbook) streamLaidOut(sheet, name string, cols []column, lay layout, rows func(add func([]any) error) error) error {
	t, err := w.openLaidOut(sheet, name, cols, lay)
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
	layout      layout
	sw          *excelize.StreamWriter
	rows        int // rows on the current sheet, header included
	part        int
	// height is the options of the row being written, reused.
	height [1]excelize.RowOpts
}

// openTable starts a table on a new sheet (or, for the CSV figure, writes
// its header record).
func (w *workbook) openTable(sheet, name string, cols []column) (*table, error) {
	return w.openLaidOut(sheet, name, cols, layout{})
}

// openLaidOut is openTable with a layout.
func (w *workbook) openLaidOut(sheet, name string, cols []column, lay layout) (*table, error) {
	t := &table{w: w, sheet: sheet, name: name, cols: cols, layout: lay, part: 1}
	if w.csv != nil {
		return t, w.csvHeader(sheet, cols)
	}
	var err error
	t.sw, err = w.startSheet(sheet, cols, lay)
	t.rows = 1
	return t, err
}

// sheetName is the name of the sheet being written.
func (t *table) sheetName() string { return partName(t.sheet, t.part, " ") }

// add writes one row, its texts cleaned (cellValue). The values are not
// kept, but a text cleaned is replaced in values.
func (t *table) add(values []any) error {
	for i, v := range values {
		values[i] = cellValue(v)
	}
	if t.w.csv != nil {
		return t.w.csvRow(t.sheet, values)
	}
	if t.rows == t.w.maxRows {
		if err := t.continueSheet(); err != nil {
			return err
		}
	}
	t.rows++
	if len(t.layout.wrap) == 0 {
		return t.sw.SetRow(rowStart(t.rows), values)
	}
	// Every row of a table with wrapped text gets its height, one line
	// included: a spreadsheet program then need not measure the text
	// of every row when it opens the file.
	lines := 1
	for _, j := range t.layout.wrap {
		if s, ok := values[j].(string); ok {
			lines = max(lines, textLines(s, t.cols[j].Width))
		}
	}
	t.height[0].Height = linesHeight(lines)
	return t.sw.SetRow(rowStart(t.rows), values, t.height[:]...)
}

// cellValue returns v with its text, when it is one (a string, or the
// string of an excelize.Cell), cleaned as audit.md and the Slack digest
// clean theirs (oneline.CleanLines): control characters and the
// bidirectional controls that would reorder what a reader sees become
// U+FFFD, line breaks other than LF become spaces. Text from AWS or an
// input file (an account or user name, a tag, an error) is shown as it
// reads. A value with nothing to clean is returned as it is, unboxed
// again: the rows of a million credentials cost no allocation more.
func cellValue(v any) any {
	switch x := v.(type) {
	case string:
		if c := oneline.CleanLines(x); c != x {
			return c
		}
	case excelize.Cell:
		if s, ok := x.Value.(string); ok {
			if c := oneline.CleanLines(s); c != s {
				x.Value = c
				return x
			}
		}
	}
	return v
}

// lineHeight is the height in points of a line of text in the
// workbook's default font (Calibri 11) and maxLines the most lines a row
// shows: Excel's highest row is 409 points.
const (
	lineHeight = 15
	maxLines   = excelize.MaxRowHeight / lineHeight
)

// linesHeight is the height of a row of lines lines of text.
func linesHeight(lines int) float64 { return float64(lineHeight * min(max(lines, 1), maxLines)) }

// textLines estimates how many lines s takes wrapped in a column width
// characters wide: each line of s (split at newlines) takes its length
// over the characters a line holds, rounded up. The estimate errs on
// the tall side (a blank line at the end rather than a cut one): a line
// is taken to hold two characters fewer than the width (words wrap
// whole), and a character of three or four bytes in UTF-8 (CJK, emoji)
// counts as two. It reads s once and allocates nothing: it runs for
// every row of the sheets of findings.
func textLines(s string, width float64) int {
	per := max(int(width)-2, 1)
	lines, n := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			lines += max((n+per-1)/per, 1)
			n = 0
		case c < 0x80:
			n++
		case c >= 0xE0: // the first byte of a 3- or 4-byte character
			n += 2
		case c >= 0xC0: // the first byte of a 2-byte character
			n++
		}
	}
	return lines + max((n+per-1)/per, 1)
}

// rowStart is the name of the first cell of row n: "A" and the number.
func rowStart(n int) string {
	var b [24]byte
	return string(strconv.AppendInt(append(b[:0], 'A'), int64(n), 10))
}

// continueSheet ends the current sheet and starts the next part.
func (t *table) continueSheet() error {
	if err := t.w.endSheet(t.sw, t.sheetName(), t.cols, t.layout, partName(t.name, t.part, ""), t.rows); err != nil {
		return err
	}
	t.part++
	var err error
	t.sw, err = t.w.startSheet(t.sheetName(), t.cols, t.layout)
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
	return t.w.endSheet(t.sw, t.sheetName(), t.cols, t.layout, partName(t.name, t.part, ""), t.rows)
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

// startSheet creates a sheet (unless reserved), lays it out for screen
// and print and writes its header row, repeated on every printed page.
func (w *workbook) startSheet(sheet string, cols []column, lay layout) (*excelize.StreamWriter, error) {
	if _, err := w.f.NewSheet(sheet); err != nil {
		return nil, err
	}
	if err := w.printLayout(sheet); err != nil {
		return nil, err
	}
	if err := w.printTitles(sheet); err != nil {
		return nil, err
	}
	sw, err := w.f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	// Each column's style: wrapped text, centred numbers, or text; all
	// aligned to the top of a row taller than a line. excelize gives a
	// cell written without a style of its own its column's.
	styles := make([]int, len(cols))
	for i := range styles {
		styles[i] = w.text
	}
	for _, j := range lay.wrap {
		styles[j] = w.wrap
	}
	for _, j := range lay.numbers {
		styles[j] = w.number
	}
	// excelize keeps one width entry per column, the one set last first:
	// set them from the last column on, so that <cols> lists them in
	// ascending order, as SpreadsheetML wants.
	for i := len(cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, cols[i].Width); err != nil {
			return nil, err
		}
		if err := sw.SetColStyle(i+1, i+1, styles[i]); err != nil {
			return nil, err
		}
	}
	header := make([]any, len(cols))
	lines := 1
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: w.header, Value: c.Name}
		lines = max(lines, textLines(c.Name, c.Width))
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	return sw, sw.SetRow("A1", header, excelize.RowOpts{Height: linesHeight(lines)})
}

// printTitles repeats a sheet's first row (its header) at the top of
// every printed page.
func (w *workbook) printTitles(sheet string) error {
	return w.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: quoteSheet(sheet) + "!$1:$1", Scope: sheet,
	})
}

// quoteSheet quotes a sheet name for a reference: 'NAME', with each
// apostrophe doubled.
func quoteSheet(sheet string) string { return "'" + strings.ReplaceAll(sheet, "'", "''") + "'" }

// endSheet turns the n rows written (header included) into a table,
// applies the layout's conditional formats and flushes the sheet. A
// sheet without rows says so in one merged row instead of a table.
func (w *workbook) endSheet(sw *excelize.StreamWriter, sheet string, cols []column, lay layout, table string, n int) error {
	last, err := excelize.ColumnNumberToName(len(cols))
	if err != nil {
		return err
	}
	if n == 1 {
		if err := sw.SetRow("A2", []any{excelize.Cell{StyleID: w.note, Value: cmp.Or(lay.empty, "None")}}); err != nil {
			return err
		}
		if err := sw.MergeCell("A2", last+"2"); err != nil {
			return err
		}
		return sw.Flush()
	}
	if err := sw.AddTable(&excelize.Table{Range: "A1:" + last + strconv.Itoa(n), Name: table, StyleName: "TableStyleLight9", ShowRowStripes: ptr(true)}); err != nil {
		return err
	}
	for _, fl := range lay.flags {
		col, err := excelize.ColumnNumberToName(fl.col + 1)
		if err != nil {
			return err
		}
		ref := col + "2:" + col + strconv.Itoa(n)
		if fl.row {
			ref = "A2:" + last + strconv.Itoa(n)
		}
		if err := w.f.SetConditionalFormat(sheet, ref, []excelize.ConditionalFormatOptions{
			{Type: "formula", Criteria: strings.ReplaceAll(fl.formula, "{}", col+"2"), Format: ptr(fl.style(w))},
		}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func (w *workbook) accounts(r *result.Run) error {
	cols := []column{
		{"Account ID", 15}, {"Account name", 24}, {"Status", 11}, {"Error", 50}, {"Users", 8},
		{"Report generated (UTC)", 22}, {"Password policy", 15}, {"Critical", 9}, {"High", 9}, {"Medium", 9}, {"Low", 9},
		{"Checks not run", 50},
	}
	lay := layout{wrap: []int{3, 11}, numbers: []int{4, 7, 8, 9, 10}, empty: "No accounts"}
	counts := w.openCounts
	return w.streamLaidOut("Accounts", "Accounts", cols, lay, func(add func([]any) error) error {
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

// printLayout prints a sheet landscape, one page wide (as many pages
// down as it takes), with a footer naming the run, the sheet and the
// page: "page N of M". For a streamed sheet it must be called before
// the StreamWriter is created.
func (w *workbook) printLayout(sheet string) error {
	if err := w.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	if err := w.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Orientation: ptr("landscape"), Size: ptr(9), FitToWidth: ptr(1), FitToHeight: ptr(0),
	}); err != nil {
		return err
	}
	// Narrow side margins leave the columns more of the page.
	if err := w.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: ptr(0.4), Right: ptr(0.4), Top: ptr(0.5), Bottom: ptr(0.6), Header: ptr(0.25), Footer: ptr(0.25),
	}); err != nil {
		return err
	}
	return w.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: w.footer()})
}

// footer is the printed pages' footer: the run on the left, the sheet
// in the middle, the page on the right.
func (w *workbook) footer() string {
	run := "IAM credential audit"
	if w.run.ID != "" {
		run += ", run " + w.run.ID + ", as of " + w.run.AsOf.UTC().Format("2006-01-02 15:04 UTC")
	}
	// An ampersand starts a code in a footer; && is one ampersand.
	return "&L" + strings.ReplaceAll(run, "&", "&&") + "&C&A&RPage &P of &N"
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
