package xlsx

import (
	"fmt"

	"github.com/reporter-dev/reporter/internal/oneline"
	"github.com/reporter-dev/reporter/internal/thousands"
)

// familyNote writes a family sheet of a run with more open findings than
// w.maxFamilyRows: how many findings the sheet would hold, that the
// setting kept them out, and where every one of them is.
func (w *workbook) familyNote(sh findingSheet, rows int) error {
	limit := "more than the " + thousands.Format(w.maxFamilyRows) + " up to which this workbook repeats them on the family sheets"
	if w.maxFamilyRows == 0 {
		limit = "and this workbook is set to repeat none of them on the family sheets"
	}
	findings := "the Findings sheet"
	if w.csv == nil && w.openFindings > w.maxRows-1 {
		findings = "the Findings sheets (Findings, Findings (2)…)"
	}
	return w.noteSheet(sh.name, []string{
		sh.name + ": findings not repeated in this workbook",
		fmt.Sprintf("This sheet would hold %s open %s, those of the checks %s.",
			thousands.Format(rows), plural(rows, "finding", "findings"), sh.checks),
		fmt.Sprintf("The run has %s open findings, %s (setting workbook.max_family_rows, flag --workbook-max-family-rows).",
			thousands.Format(w.openFindings), limit),
		fmt.Sprintf("Every one of them is on %s: filter its Check column for these checks."+
			" findings.json in the run folder holds them all as well, with every field.", findings),
	})
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// noteSheet writes a sheet of a few lines of text instead of a table:
// the first line as its title, then a blank row, then the others. The
// CSV rendering gets one record per line, led by the sheet name.
func (w *workbook) noteSheet(sheet string, lines []string) error {
	if w.csv != nil {
		for _, l := range lines {
			if err := w.csv.Write([]string{sheet, l}); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := w.f.NewSheet(sheet); err != nil {
		return err
	}
	if err := w.printLayout(sheet); err != nil {
		return err
	}
	for i, l := range lines {
		row := i + 2 // a blank row under the title
		if i == 0 {
			row = 1
		}
		if err := w.f.SetCellStr(sheet, rowStart(row), oneline.CleanLines(l)); err != nil {
			return err
		}
	}
	if err := w.f.SetCellStyle(sheet, "A1", "A1", w.title); err != nil {
		return err
	}
	return w.f.SetColWidth(sheet, "A", "A", 150)
}
