package report

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// saveStreaming writes f to path without holding the whole file in
// memory. excelize's SaveAs builds the zip in a bytes.Buffer first (a
// gigabyte for a million-row workbook); its ZipWriter hook is handed that
// buffer, and this one writes to the file instead, so the buffer stays
// empty. The zip is deflated at BestSpeed by klauspost/compress/flate,
// a standard Deflate stream (archive/zip, Excel and LibreOffice read it)
// that on sheet XML compresses about twice as fast as compress/flate's
// BestSpeed, to a slightly smaller file; BestSpeed itself halves the
// compression time of the default level for a file about a fifth larger.
// (excelize post-processes the buffer only for parts over 4 GiB, which a
// sheet capped at Excel's row limit does not reach.)
func saveStreaming(f *excelize.File, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(bw)
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
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
