package xlsx

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/internal/perm"
)

// saveStreaming writes f to path as it is zipped, without holding the
// whole file in memory.
//
// excelize's SaveAs builds the zip in a bytes.Buffer first (half a
// gigabyte and more for a workbook of a million rows). Its ZipWriter hook
// is handed that buffer; the zip writer returned here writes to the file
// instead, so the buffer stays empty. The parts are deflated at BestSpeed
// by klauspost/compress/flate: a standard Deflate stream (archive/zip,
// Excel and LibreOffice read it) that on sheet XML compresses about twice
// as fast as compress/flate's BestSpeed, to a slightly smaller file.
// (excelize post-processes the buffer only for parts over 4 GiB, which a
// sheet capped at Excel's row limit does not reach.) A file that could
// not be written completely is removed.
func saveStreaming(f *excelize.File, path string) (err error) {
	out, err := perm.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<20)
	var zw *zip.Writer
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw = zip.NewWriter(bw)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(w, flate.BestSpeed)
		})
		return zw
	})
	buf, err := f.WriteToBuffer()
	switch {
	case err != nil:
		return err
	case zw == nil:
		return errors.New("excelize did not save through the zip writer")
	case buf.Len() != 0:
		return fmt.Errorf("excelize wrote %d bytes outside the zip writer", buf.Len())
	}
	return bw.Flush()
}
