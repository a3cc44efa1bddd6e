package report

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestWorkbookSaveStreaming saves a streamed sheet larger than excelize's
// in-memory chunk (so it goes through a temp file) and reads it back with
// archive/zip, a plain compress/flate reader, and excelize.
func TestWorkbookSaveStreaming(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile(excelize.Options{TmpDir: dir})
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	const rows, cols = 20_000, 10
	text := func(r, c int) string {
		return fmt.Sprintf("row %d column %d <&> %s", r, c, strings.Repeat("x", (r*7+c)%64))
	}
	values := make([]any, cols)
	for r := 1; r <= rows; r++ {
		for c := range values {
			values[c] = text(r, c)
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, values); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.xlsx")
	if err := saveStreaming(f, path); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var sheetSize uint64
	for _, zf := range zr.File {
		if zf.Method != zip.Deflate {
			t.Errorf("%s: method %d, want Deflate", zf.Name, zf.Method)
		}
		// A standard Deflate stream: compress/flate inflates it…
		raw, err := zf.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		fr := flate.NewReader(raw)
		n, err := io.Copy(io.Discard, fr)
		if err != nil || uint64(n) != zf.UncompressedSize64 {
			t.Errorf("%s: inflated %d bytes (%v), want %d", zf.Name, n, err, zf.UncompressedSize64)
		}
		// …and archive/zip checks its CRC.
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Errorf("%s: %v", zf.Name, err)
		}
		rc.Close()
		if zf.Name == "xl/worksheets/sheet1.xml" {
			sheetSize = zf.UncompressedSize64
		}
	}
	if sheetSize < 16<<20 {
		t.Errorf("sheet1.xml is %d bytes, want more than excelize's 16 MiB stream chunk", sheetSize)
	}

	g, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, err := g.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rows {
		t.Fatalf("%d rows, want %d", len(got), rows)
	}
	for _, r := range []int{1, 2, rows / 2, rows} {
		for c := range cols {
			if got[r-1][c] != text(r, c) {
				t.Fatalf("row %d column %d = %q, want %q", r, c, got[r-1][c], text(r, c))
			}
		}
	}
}

func TestWorkbookSaveStreamingError(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if err := saveStreaming(f, filepath.Join(t.TempDir(), "missing", "out.xlsx")); err == nil {
		t.Error("saving into a missing folder succeeded")
	}
	// The zip writer hook leaves excelize's own buffer empty.
	path := filepath.Join(t.TempDir(), "small.xlsx")
	if err := saveStreaming(f, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		t.Errorf("%s does not start like a zip", path)
	}
}
