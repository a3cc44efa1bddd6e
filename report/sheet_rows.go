package report

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// sheetRows holds the data rows of one streamed sheet as SpreadsheetML,
// written by the reporter itself rather than by excelize's StreamWriter,
// which spends about 430 ns on each string cell (it builds a cell struct,
// a cell name and an escaped copy of every value); this writer spends a
// small fraction of that on the plain ASCII that fills a credential audit.
// The XML is byte for byte what excelize writes for the same values (see
// TestSheetRowsMatchExcelize), and it is spliced into the sheet excelize
// writes around it (the header row, column widths, panes and table) when
// the workbook is saved (saveStreaming).
//
// The rows are deflated as they are written, into a temporary file that
// is unlinked as soon as it is created (nothing is left behind whatever
// happens to the process), and copied into the workbook's zip as they
// are: a tenth of the disk and of the write system calls that keeping
// the XML itself would take, and no second pass to compress it. The
// deflated rows end on a sync flush, so that the sheet's part is the
// deflated text before them, the rows, and the deflated text after them
// (see splicingZip); the CRC-32 of the rows is kept for the part's.
type sheetRows struct {
	tmpDir  string
	buf     []byte // XML not yet deflated
	crc     uint32 // of the XML deflated so far
	size    int64  // bytes of XML deflated so far
	file    *os.File
	out     *bufio.Writer
	deflate *flate.Writer
	// compressed is the size of the deflated rows, once finished.
	compressed int64
	finished   bool
	columns    [][]byte
	// timeStyle is the style given to a time without one of its own, as
	// excelize does (number format 22, "m/d/yy h:mm"); newStyle makes it.
	timeStyle int
	newStyle  func() (int, error)
}

// sheetRowsChunk is how much XML a sheet keeps before deflating it.
const sheetRowsChunk = 256 << 10

func newSheetRows(tmpDir string, newStyle func() (int, error)) *sheetRows {
	return &sheetRows{tmpDir: tmpDir, newStyle: newStyle}
}

// add appends row number n with the given cell values, from column A.
// Values are those excelize's StreamWriter.SetRow takes: nil (no cell),
// strings, integers, floats, booleans, times and excelize.Cell with a
// style and one of those values (formulas are not supported).
func (s *sheetRows) add(n int, values []any) error {
	if s.finished {
		return fmt.Errorf("row %d written after the sheet was finished", n)
	}
	var num [20]byte
	row := strconv.AppendInt(num[:0], int64(n), 10)
	s.buf = append(s.buf, `<row r="`...)
	s.buf = append(s.buf, row...)
	s.buf = append(s.buf, `">`...)
	for i, v := range values {
		if v == nil {
			continue
		}
		if err := s.cell(i, row, v); err != nil {
			s.buf = append(s.buf, `</row>`...)
			return fmt.Errorf("row %d, column %s: %w", n, s.column(i), err)
		}
	}
	s.buf = append(s.buf, `</row>`...)
	if len(s.buf) >= sheetRowsChunk {
		return s.spill()
	}
	return nil
}

// column is the name of the i-th column (from 0), made once.
func (s *sheetRows) column(i int) []byte {
	for len(s.columns) <= i {
		s.columns = append(s.columns, appendColumnName(nil, len(s.columns)+1))
	}
	return s.columns[i]
}

// cell appends one cell of the given row.
func (s *sheetRows) cell(i int, row []byte, v any) error {
	style := 0
	switch c := v.(type) {
	case excelize.Cell:
		if c.Formula != "" {
			return fmt.Errorf("formulas are not supported")
		}
		style, v = c.StyleID, c.Value
	case *excelize.Cell:
		if c != nil {
			if c.Formula != "" {
				return fmt.Errorf("formulas are not supported")
			}
			style, v = c.StyleID, c.Value
		}
	}
	if t, ok := v.(time.Time); ok && style == 0 && excelTime(t) > 0 {
		if s.timeStyle == 0 {
			var err error
			if s.timeStyle, err = s.newStyle(); err != nil {
				return err
			}
		}
		style = s.timeStyle
	}
	b := append(s.buf, `<c r="`...)
	b = append(b, s.column(i)...)
	b = append(b, row...)
	b = append(b, '"')
	if style != 0 {
		b = append(b, ` s="`...)
		b = strconv.AppendInt(b, int64(style), 10)
		b = append(b, '"')
	}
	switch v := v.(type) {
	case nil:
		b = append(b, `></c>`...)
	case string:
		b = appendInlineString(b, v)
	case []byte:
		b = appendInlineString(b, string(v))
	case int:
		b = appendNumber(strconv.AppendInt(append(b, `><v>`...), int64(v), 10))
	case int8:
		b = appendNumber(strconv.AppendInt(append(b, `><v>`...), int64(v), 10))
	case int16:
		b = appendNumber(strconv.AppendInt(append(b, `><v>`...), int64(v), 10))
	case int32:
		b = appendNumber(strconv.AppendInt(append(b, `><v>`...), int64(v), 10))
	case int64:
		b = appendNumber(strconv.AppendInt(append(b, `><v>`...), v, 10))
	case uint:
		b = appendNumber(strconv.AppendUint(append(b, `><v>`...), uint64(v), 10))
	case uint8:
		b = appendNumber(strconv.AppendUint(append(b, `><v>`...), uint64(v), 10))
	case uint16:
		b = appendNumber(strconv.AppendUint(append(b, `><v>`...), uint64(v), 10))
	case uint32:
		b = appendNumber(strconv.AppendUint(append(b, `><v>`...), uint64(v), 10))
	case uint64:
		b = appendNumber(strconv.AppendUint(append(b, `><v>`...), v, 10))
	case float32:
		b = appendFloat(b, float64(v), 32)
	case float64:
		b = appendFloat(b, v, 64)
	case bool:
		b = append(b, ` t="b"><v>`...)
		if v {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
		b = append(b, `</v></c>`...)
	case time.Duration:
		b = appendNumber(strconv.AppendFloat(append(b, `><v>`...), v.Seconds()/86400, 'f', -1, 32))
	case time.Time:
		if serial := excelTime(v); serial > 0 {
			b = appendNumber(strconv.AppendFloat(append(b, `><v>`...), serial, 'f', -1, 64))
		} else {
			// excelize writes a time before Excel's epoch as its text.
			b = append(b, ` t="inlineStr"><is><t>`...)
			b = append(b, excelLocal(v).Format(time.RFC3339Nano)...)
			b = append(b, `</t></is></c>`...)
		}
	case excelize.Cell, *excelize.Cell, []excelize.RichTextRun:
		return fmt.Errorf("unsupported cell value %T", v)
	default:
		b = appendInlineString(b, fmt.Sprint(v))
	}
	s.buf = b
	return nil
}

// appendNumber closes a cell whose <v> number has just been appended.
func appendNumber(b []byte) []byte { return append(b, `</v></c>`...) }

// appendFloat appends a float cell from its closing '>' on; excelize
// writes NaN and infinities as text.
func appendFloat(b []byte, v float64, bits int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return appendInlineString(b, fmt.Sprint(v))
	}
	return appendNumber(strconv.AppendFloat(append(b, `><v>`...), v, 'f', -1, bits))
}

// appendInlineString appends an inline string cell from its type
// attribute on.
func appendInlineString(b []byte, v string) []byte {
	text, preserve := cellString(v)
	b = append(b, ` t="inlineStr"><is><t`...)
	if preserve {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	b = appendCellText(b, text)
	return append(b, `</t></is></c>`...)
}

// excelLocal is t with its zone's offset added, as excelize reads a time
// for a cell: the wall clock as if it were UTC.
func excelLocal(t time.Time) time.Time {
	_, offset := t.Zone()
	return t.Add(time.Duration(offset) * time.Second)
}

// spill deflates the rows held in memory into the temporary file.
func (s *sheetRows) spill() error {
	if s.finished {
		return fmt.Errorf("sheet rows: written after the sheet was finished")
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.tmpDir, "reporter-sheet-")
		if err != nil {
			return fmt.Errorf("sheet rows: %w", err)
		}
		// Unlinked at once: the open file keeps the rows until saved.
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return fmt.Errorf("sheet rows: %w", err)
		}
		s.file = f
		s.out = bufio.NewWriterSize(f, 256<<10)
		s.deflate, _ = flate.NewWriter(s.out, flate.BestSpeed) // the level is valid
	}
	s.crc = crc32.Update(s.crc, crc32.IEEETable, s.buf)
	s.size += int64(len(s.buf))
	if _, err := s.deflate.Write(s.buf); err != nil {
		return fmt.Errorf("sheet rows: %w", err)
	}
	s.buf = s.buf[:0]
	return nil
}

// finish deflates the last rows and ends them on a sync flush, byte
// aligned and not final, so that more deflated text may follow. It
// releases the compressor; the rows stay in the file until close.
func (s *sheetRows) finish() error {
	if s.finished {
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	if err := s.deflate.Flush(); err != nil {
		return fmt.Errorf("sheet rows: %w", err)
	}
	if err := s.out.Flush(); err != nil {
		return fmt.Errorf("sheet rows: %w", err)
	}
	info, err := s.file.Stat()
	if err != nil {
		return fmt.Errorf("sheet rows: %w", err)
	}
	s.compressed, s.finished = info.Size(), true
	s.buf, s.out, s.deflate = nil, nil, nil
	return nil
}

// deflated returns the finished rows, deflated.
func (s *sheetRows) deflated() (io.Reader, error) {
	if err := s.finish(); err != nil {
		return nil, err
	}
	return io.NewSectionReader(s.file, 0, s.compressed), nil
}

// close releases the temporary file.
func (s *sheetRows) close() error {
	s.buf, s.out, s.deflate = nil, nil, nil
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

// appendColumnName appends the name of the n-th column (from 1): A… Z,
// AA… XFD.
func appendColumnName(b []byte, n int) []byte {
	var name [4]byte
	i := len(name)
	for n > 0 {
		n--
		i--
		name[i] = byte('A' + n%26)
		n /= 26
	}
	return append(b, name[i:]...)
}
