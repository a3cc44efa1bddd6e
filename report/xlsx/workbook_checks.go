package xlsx

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// checkColumns are the columns of the Checks sheet: the catalog, the
// run's open findings of each check, and how to fix them.
var checkColumns = []column{
	{"Check", 28}, {"Title", 40}, {"Severity", 10}, {"CIS v3.0.0", 10}, {"Security Hub", 12}, {"Family", 16}, {"Open findings", 10},
	{"Rule", 50}, {"What to do", 55}, {"CLI", 70}, {"Console", 40}, {"Documentation", 45},
}

// The columns of the Checks sheet whose text wraps (Rule to Console), and
// that of the documentation links.
const (
	checkWrapFrom, checkWrapTo = 8, 11
	checkDocColumn             = 12
)

// checks writes the Checks sheet: one row per check of the catalog with
// its open findings in this run and how to fix them (the rule, what to
// do, the AWS CLI commands, the console location and a link to the AWS
// documentation). The sheet is small, so it is written cell by cell,
// which, unlike the StreamWriter, can add hyperlinks.
func (w *workbook) checks(r *result.Run) error {
	rows := make([][]any, 0, len(audit.Checks))
	for _, c := range audit.Checks {
		fix, _ := audit.RemediationOf(c.ID)
		cli := strings.Join(fix.Commands, "\n")
		if cli == "" {
			cli = "none: console only"
		}
		rows = append(rows, []any{c.ID, c.Title, w.severityCell[c.Severity], c.CIS, c.SecurityHub, c.Family, r.Summary.ByCheck[c.ID],
			fix.Rule, fix.Action, cli, fix.Console, fix.DocURL})
	}
	if w.csv != nil {
		return w.streamTable("Checks", "Checks", checkColumns, func(add func([]any) error) error {
			for _, row := range rows {
				if err := add(row); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := w.checksSheet(rows); err != nil {
		return fmt.Errorf("sheet Checks: %w", err)
	}
	return nil
}

// checksSheet lays out the Checks sheet as the streamed sheets are (a
// table with a frozen, filtered header, printed landscape), with the
// long texts wrapped, the rows tall enough to show them, and each
// documentation URL a hyperlink.
func (w *workbook) checksSheet(rows [][]any) error {
	const sheet = "Checks"
	f := w.f
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	if err := w.printLayout(sheet); err != nil {
		return err
	}
	if err := w.printTitles(sheet); err != nil {
		return err
	}
	top := &excelize.Alignment{Vertical: "top"}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	plain, err := f.NewStyle(&excelize.Style{Alignment: top})
	if err != nil {
		return err
	}
	link, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		Font: &excelize.Font{Color: "0563C1", Underline: "single"}})
	if err != nil {
		return err
	}
	header := make([]any, len(checkColumns))
	headerLines := 1
	for i, c := range checkColumns {
		header[i] = c.Name
		headerLines = max(headerLines, textLines(c.Name, c.Width))
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, c.Width); err != nil {
			return err
		}
	}
	last := len(rows) + 1
	lastCol, _ := excelize.ColumnNumberToName(len(checkColumns))
	if err := w.setRow(sheet, 1, header); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", lastCol+"1", w.header); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, 1, linesHeight(headerLines)); err != nil {
		return err
	}
	for i, row := range rows {
		n := i + 2
		if err := w.setRow(sheet, n, row); err != nil {
			return err
		}
		if err := f.SetRowHeight(sheet, n, rowHeight(row)); err != nil {
			return err
		}
	}
	// The severity cells keep the style setRow gave them.
	wrapFrom, _ := excelize.ColumnNumberToName(checkWrapFrom)
	wrapTo, _ := excelize.ColumnNumberToName(checkWrapTo)
	docCol, _ := excelize.ColumnNumberToName(checkDocColumn)
	for _, st := range []struct {
		from, to string
		style    int
	}{
		{"A2", fmt.Sprintf("B%d", last), plain},
		{"D2", fmt.Sprintf("G%d", last), plain},
		{wrapFrom + "2", fmt.Sprintf("%s%d", wrapTo, last), wrap},
		{docCol + "2", fmt.Sprintf("%s%d", docCol, last), link},
	} {
		if err := f.SetCellStyle(sheet, st.from, st.to, st.style); err != nil {
			return err
		}
	}
	for i, row := range rows {
		url, _ := row[checkDocColumn-1].(string)
		if url == "" {
			continue
		}
		cell := fmt.Sprintf("%s%d", docCol, i+2)
		if err := f.SetCellHyperLink(sheet, cell, url, "External", excelize.HyperlinkOpts{Tooltip: ptr("AWS documentation: how to fix " + row[0].(string))}); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.AddTable(sheet, &excelize.Table{Range: fmt.Sprintf("A1:%s%d", lastCol, last), Name: "Checks",
		StyleName: "TableStyleLight9", ShowRowStripes: ptr(true)})
}

// setRow writes the values of row n of sheet, each excelize.Cell (a
// styled value, as the StreamWriter takes it) as its value and style.
func (w *workbook) setRow(sheet string, n int, values []any) error {
	plain := make([]any, len(values))
	styled := map[int]int{}
	for i, v := range values {
		v = cellValue(v)
		if c, ok := v.(excelize.Cell); ok {
			plain[i], styled[i] = c.Value, c.StyleID
			continue
		}
		plain[i] = v
	}
	if err := w.f.SetSheetRow(sheet, fmt.Sprintf("A%d", n), &plain); err != nil {
		return err
	}
	for i, style := range styled {
		cell, _ := excelize.CoordinatesToCellName(i+1, n)
		if err := w.f.SetCellStyle(sheet, cell, cell, style); err != nil {
			return err
		}
	}
	return nil
}

// rowHeight is the height in points that shows a Checks row's wrapped
// texts whole: Excel does not fit a row to its wrapped cells when it
// opens a file.
func rowHeight(row []any) float64 {
	lines := 1
	for i := checkWrapFrom - 1; i < checkDocColumn; i++ {
		text, _ := row[i].(string)
		lines = max(lines, textLines(text, checkColumns[i].Width))
	}
	return linesHeight(lines)
}
