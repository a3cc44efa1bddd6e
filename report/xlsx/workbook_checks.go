package xlsx

import (
	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

func (w *workbook) checks(r *result.Run) error {
	cols := []column{{"Check", 28}, {"Title", 50}, {"Severity", 10}, {"CIS v3.0.0", 10}, {"Security Hub", 12}, {"Family", 16}, {"Open findings", 10}}
	return w.streamTable("Checks", "Checks", cols, func(add func([]any) error) error {
		for _, c := range audit.Checks {
			if err := add([]any{c.ID, c.Title, excelize.Cell{StyleID: w.severity[c.Severity], Value: c.Severity.String()},
				c.CIS, c.SecurityHub, c.Family, r.Summary.ByCheck[c.ID]}); err != nil {
				return err
			}
		}
		return nil
	})
}
