package xlsx

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/perm"
	"github.com/reporter-dev/reporter/result"
)

// WriteTablesCSV writes every table of the workbook that opts describes
// (all sheets but the Summary) to one CSV file at path, each record led by
// its sheet name. It exists to measure the workbook against the cost of
// writing the same rows with encoding/csv (internal/bench/scale).
func WriteTablesCSV(path string, r *result.Run, evidence []Evidence, opts Options) error {
	f, err := perm.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := &workbook{csv: csv.NewWriter(bw), severityCell: map[audit.Severity]any{}, maxCredentialRows: opts.credentialLimit(),
		maxFamilyRows: opts.familyLimit(), run: r.Run}
	for _, sev := range audit.Severities {
		w.severityCell[sev] = sev.String()
	}
	if err := w.tables(r, evidence); err != nil {
		f.Close()
		return err
	}
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// csvHeader writes a table's header record, led by the sheet name.
func (w *workbook) csvHeader(sheet string, cols []column) error {
	record := append(w.record[:0], sheet)
	for _, c := range cols {
		record = append(record, c.Name)
	}
	w.record = record
	return w.csv.Write(record)
}

// csvRow writes one row as a CSV record, led by the sheet name.
func (w *workbook) csvRow(sheet string, values []any) error {
	record := append(w.record[:0], sheet)
	for _, v := range values {
		record = append(record, cellText(v))
	}
	w.record = record
	return w.csv.Write(record)
}

// cellText renders a cell value as text.
func cellText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case time.Time:
		return v.Format(time.RFC3339)
	case excelize.Cell:
		return cellText(v.Value)
	}
	return fmt.Sprint(v)
}
