package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkbookOpensInLibreOffice converts the sample workbook to PDF with
// LibreOffice, which refuses files Excel would want to repair, and reads
// the text of the pages back. .ci/run installs LibreOffice; elsewhere the
// test is skipped when it is absent.
func TestWorkbookOpensInLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("converting with LibreOffice takes seconds")
	}
	soffice, err := exec.LookPath("soffice")
	pdftotext, err2 := exec.LookPath("pdftotext")
	if err != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must install LibreOffice (libreoffice-calc-nogui) and poppler-utils")
		}
		t.Skip("LibreOffice or pdftotext not installed")
	}
	res, err := RunOnce(context.Background(), sampleOptions(t, mustSample()))
	if err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+t.TempDir(),
		"--convert-to", "pdf", "--outdir", outDir, filepath.Join(res.Dir, "audit.xlsx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	pdf := filepath.Join(outDir, "audit.pdf")
	text, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{"IAM credential audit", "audited 5 of 5 accounts", "root-access-key-active", "svc-legacy-etl", "<root_account>"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF of audit.xlsx lacks %q", want)
		}
	}
	// One page wide: every sheet fits its columns on a landscape page, so
	// the whole sample prints on few pages.
	if pages := strings.Count(string(text), "\f"); pages == 0 || pages > 30 {
		t.Errorf("the PDF has %d pages, want 1–30", pages)
	}
}
