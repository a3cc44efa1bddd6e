package report

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"sort"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/internal/perm"
)

// saveStreaming writes f to path without holding the whole file in
// memory, splicing into each streamed sheet the data rows the reporter
// wrote itself (rows, by part name; see sheetRows).
//
// excelize's SaveAs builds the zip in a bytes.Buffer first (a gigabyte
// for a million-row workbook); its ZipWriter hook is handed that buffer,
// and this one writes to the file instead, so the buffer stays empty.
// The zip is deflated at BestSpeed by klauspost/compress/flate, a
// standard Deflate stream (archive/zip, Excel and LibreOffice read it)
// that on sheet XML compresses about twice as fast as compress/flate's
// BestSpeed, to a slightly smaller file; BestSpeed itself halves the
// compression time of the default level for a file about a fifth larger.
// (excelize post-processes the buffer only for parts over 4 GiB, which a
// sheet capped at Excel's row limit does not reach.)
func saveStreaming(f *excelize.File, path string, rows map[string]*sheetRows) error {
	out, err := perm.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	var zw *splicingZip
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw = &splicingZip{Writer: zip.NewWriter(bw), rows: rows, spliced: map[string]bool{}}
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
		err = zw.check()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// splicingZip is the zip writer excelize saves through. A part named in
// rows (a streamed sheet) is held back as excelize writes it: that is
// the sheet's frame, a few kilobytes around an empty <sheetData>. When
// the part ends (at the next part or at Close), it is stored as the
// frame up to </sheetData>, deflated and sync-flushed, then the deflated
// rows as they are, then the rest of the frame, deflated: one valid
// deflate stream, whose CRC-32 is combined from the three pieces'.
type splicingZip struct {
	*zip.Writer
	rows    map[string]*sheetRows
	spliced map[string]bool
	pending *sheetFrame // the streamed sheet being received
}

// sheetFrame is what excelize writes of a streamed sheet's part.
type sheetFrame struct {
	part string
	rows *sheetRows
	xml  bytes.Buffer
}

func (f *sheetFrame) Write(p []byte) (int, error) { return f.xml.Write(p) }

// Create starts a part of the package.
func (z *splicingZip) Create(name string) (io.Writer, error) {
	if err := z.storePending(); err != nil {
		return nil, err
	}
	if rows, ok := z.rows[name]; ok {
		z.pending = &sheetFrame{part: name, rows: rows}
		return z.pending, nil
	}
	return z.Writer.Create(name)
}

// Close stores the last part and ends the zip.
func (z *splicingZip) Close() error {
	if err := z.storePending(); err != nil {
		z.Writer.Close()
		return err
	}
	return z.Writer.Close()
}

// storePending stores the streamed sheet received last, if any.
func (z *splicingZip) storePending() error {
	frame := z.pending
	if frame == nil {
		return nil
	}
	z.pending = nil
	if err := z.storeSheet(frame); err != nil {
		return fmt.Errorf("writing %s: %w", frame.part, err)
	}
	z.spliced[frame.part] = true
	return nil
}

// sheetDataEnd is where the rows of a sheet end.
var sheetDataEnd = []byte("</sheetData>")

// storeSheet stores a streamed sheet's part: its frame with its rows
// spliced in before the first </sheetData> (which cannot occur inside a
// cell's text: "<" is always escaped there).
func (z *splicingZip) storeSheet(frame *sheetFrame) error {
	xml := frame.xml.Bytes()
	i := bytes.Index(xml, sheetDataEnd)
	if i < 0 {
		return fmt.Errorf("the sheet has no </sheetData>")
	}
	before, after := xml[:i], xml[i:]
	rows, err := frame.rows.deflated()
	if err != nil {
		return err
	}
	var head, tail bytes.Buffer
	if err := deflateTo(&head, before, false); err != nil {
		return err
	}
	if err := deflateTo(&tail, after, true); err != nil {
		return err
	}
	crc := crc32.ChecksumIEEE(before)
	crc = crc32Combine(crc, frame.rows.crc, frame.rows.size)
	crc = crc32Combine(crc, crc32.ChecksumIEEE(after), int64(len(after)))
	w, err := z.CreateRaw(&zip.FileHeader{
		Name:               frame.part,
		Method:             zip.Deflate,
		CRC32:              crc,
		CompressedSize64:   uint64(int64(head.Len()) + frame.rows.compressed + int64(tail.Len())),
		UncompressedSize64: uint64(int64(len(before)) + frame.rows.size + int64(len(after))),
	})
	if err != nil {
		return err
	}
	if _, err := w.Write(head.Bytes()); err != nil {
		return err
	}
	if _, err := io.Copy(w, rows); err != nil {
		return err
	}
	_, err = w.Write(tail.Bytes())
	return err
}

// check reports a sheet whose rows were not stored.
func (z *splicingZip) check() error {
	if z == nil {
		return fmt.Errorf("excelize did not use the zip writer")
	}
	var missing []string
	for part := range z.rows {
		if !z.spliced[part] {
			missing = append(missing, part)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("the rows of %v were not written: excelize did not save the part", missing)
	}
	return nil
}

// deflateTo deflates p into w at the workbook's level, ending on a final
// block if last and otherwise on a sync flush, so that more deflated
// text may follow.
func deflateTo(w io.Writer, p []byte, last bool) error {
	d, err := flate.NewWriter(w, flate.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := d.Write(p); err != nil {
		return err
	}
	if last {
		return d.Close()
	}
	return d.Flush()
}

// crc32Combine is the CRC-32 (IEEE) of a text made of a first part with
// CRC crc1 and a second of len2 bytes with CRC crc2, after zlib's
// crc32_combine: appending len2 zero bytes to the first part is a linear
// map over GF(2), applied by repeated squaring of the one-zero-bit
// operator.
func crc32Combine(crc1, crc2 uint32, len2 int64) uint32 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2MatrixSquare(&even, &odd) // two zero bits
	gf2MatrixSquare(&odd, &even) // four zero bits
	for {
		gf2MatrixSquare(&even, &odd)
		if len2&1 != 0 {
			crc1 = gf2MatrixTimes(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2MatrixSquare(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2MatrixTimes(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2MatrixTimes(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2MatrixSquare(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2MatrixTimes(mat, mat[n])
	}
}
