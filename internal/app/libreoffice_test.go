package app

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/synth"
)

// TestWorkbookOpensInLibreOffice converts the sample workbook to PDF with
// LibreOffice, which refuses files Excel would want to repair, reads the
// text of the pages back, and renders the first page, the Summary's first
// look, to PNG as scripts/summary-picture.sh does for the README. .ci/run
// installs LibreOffice and poppler; elsewhere the test is skipped when
// they are absent.
func TestWorkbookOpensInLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("converting with LibreOffice takes seconds")
	}
	soffice, err := exec.LookPath("soffice")
	pdftotext, err2 := exec.LookPath("pdftotext")
	pdftoppm, err3 := exec.LookPath("pdftoppm")
	if err != nil || err2 != nil || err3 != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must install LibreOffice (libreoffice-calc-nogui) and poppler-utils")
		}
		t.Skip("LibreOffice, pdftotext or pdftoppm not installed")
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
	for _, want := range []string{"IAM credential audit", "root-access-key-active", "svc-legacy-etl", "<root_account>", "Run details",
		"aws iam delete-login-profile --user-name <user>", "none: console only"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF of audit.xlsx lacks %q", want)
		}
	}
	// One page wide: every sheet fits its columns on a landscape page, so
	// the whole sample prints on few pages.
	if pages := strings.Count(string(text), "\f"); pages == 0 || pages > 30 {
		t.Errorf("the PDF has %d pages, want 1–30", pages)
	}

	// The first page is the Summary's first look, whole: the headline,
	// the severities, the coverage as a percentage, the exceptions, the
	// links, both charts (their titles, the checks by title, the trend's
	// date); the run's details start a page of their own.
	first, err := exec.Command(pdftotext, "-layout", "-f", "1", "-l", "1", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	s := res.Run.Summary
	for _, want := range []string{
		"IAM credential audit", fmt.Sprintf("Run complete: %d open findings", s.Open),
		"critical", "high", "medium", "low", "Total", "Change", "Overdue", "Overdue: open findings past their due date.",
		"Coverage", "100.0%", "5 of 5 audited, 0 failed, 0 skipped", "Failed accounts", "Expired exceptions", "Stale exceptions",
		"Sheets (click to open)", "Unrotated keys", "Checks",
		"Open findings by check", "Root user has an active access key", "Open findings by severity, last runs", "2026-11-01",
	} {
		if !strings.Contains(string(first), want) {
			t.Errorf("the PDF's first page lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(string(first), "Run details") {
		t.Errorf("the run's details start on the first page: they belong below the first look")
	}

	// The PNG of that page: landscape, and showing each severity's colour
	// (cells and bars) over a good part of it.
	if out, err := exec.Command(pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", pdf, filepath.Join(outDir, "summary")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	checkSummaryPicture(t, filepath.Join(outDir, "summary.png"))
}

// severityRGB are the severity colours of the workbook's cells and charts
// (report/xlsx severityColors).
var severityRGB = map[string][3]uint8{
	"critical": {0xC0, 0x00, 0x00}, "high": {0xFF, 0x66, 0x00}, "medium": {0xFF, 0xC0, 0x00}, "low": {0x9B, 0xC2, 0xE6},
}

// checkSummaryPicture checks a rendered Summary page: a landscape page
// with each severity's colour on enough pixels for its cell and its bars.
func checkSummaryPicture(t *testing.T, path string) {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	img, err := png.Decode(file)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < 400 || b.Dx() <= b.Dy() {
		t.Fatalf("%s is %dx%d, want a landscape page", path, b.Dx(), b.Dy())
	}
	counts := map[string]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for sev, c := range severityRGB {
				if near(r>>8, c[0]) && near(g>>8, c[1]) && near(bl>>8, c[2]) {
					counts[sev]++
				}
			}
		}
	}
	for sev := range severityRGB {
		// A severity cell alone is some 100 pixels at 60 dpi.
		if counts[sev] < 150 {
			t.Errorf("%s: %d pixels of the %s colour, want its cell and its bars (pixels by colour: %v)", path, counts[sev], sev, counts)
		}
	}
}

// near reports whether a colour channel is within a rendering's shading of want.
func near(got uint32, want uint8) bool {
	d := int(got) - int(want)
	return d >= -20 && d <= 20
}

// TestLargeWorkbookInLibreOffice audits a generated organization of
// 1,206 credential rows (below the workbook's limit, so the Credentials
// sheet holds them), has LibreOffice export every sheet to CSV, and
// compares what it read with the evidence and findings.json, row for row:
// a spreadsheet program reads the streamed sheets exactly as written.
func TestLargeWorkbookInLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("converting with LibreOffice takes seconds")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must install LibreOffice (libreoffice-calc-nogui)")
		}
		t.Skip("LibreOffice not installed")
	}
	in := t.TempDir()
	const accounts, users = 6, 200
	for i := range accounts {
		id := strconv.Itoa(300000000000 + i)
		var buf bytes.Buffer
		if err := synth.Write(&buf, id, users, sample.AsOf, uint64(i)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, id+".csv"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := collect.NewDirSource(in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunOnce(context.Background(), sampleOptions(t, src))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()

	outDir := t.TempDir()
	// Filter options: comma, quote, UTF-8, first line 1, …, sheet -1 = every sheet to its own file.
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+t.TempDir(),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1",
		"--outdir", outDir, filepath.Join(res.Dir, "audit.xlsx"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	sheet := func(name string) [][]string {
		t.Helper()
		f, err := os.Open(filepath.Join(outDir, "audit-"+name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	// Credentials: every evidence row, in the canonical column order.
	creds := sheet("Credentials")
	header := creds[0]
	var want [][]string
	for i := range accounts {
		id := strconv.Itoa(300000000000 + i)
		f, err := os.Open(filepath.Join(res.Dir, "evidence", id+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range rows[1:] {
			row := []string{id, ""}
			for _, col := range header[2:] {
				v := ""
				if k := slices.Index(rows[0], col); k >= 0 {
					v = shownCredential(rec[k])
				}
				row = append(row, v)
			}
			want = append(want, row)
		}
	}
	if len(creds)-1 != len(want) || len(want) != accounts*(users+1) {
		t.Fatalf("LibreOffice read %d credential rows, want %d", len(creds)-1, len(want))
	}
	for i, row := range creds[1:] {
		if !slices.Equal(row[2:], want[i][2:]) || row[0] != want[i][0] {
			t.Fatalf("credential row %d:\n got %q\nwant %q", i+2, row, want[i])
		}
	}

	// Findings: every open finding of findings.json.
	var doc struct {
		Findings []struct {
			AccountID  string    `json:"account_id"`
			Principal  string    `json:"principal"`
			Check      string    `json:"check"`
			Credential string    `json:"credential"`
			Detail     string    `json:"detail"`
			Exception  *struct{} `json:"exception"`
		}
	}
	data, err := os.ReadFile(filepath.Join(res.Dir, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var wantFindings, gotFindings []string
	for _, f := range doc.Findings {
		if f.Exception == nil {
			wantFindings = append(wantFindings, strings.Join([]string{f.AccountID, cmp.Or(f.Principal, "(account)"), f.Check, f.Credential, f.Detail}, "|"))
		}
	}
	findings := sheet("Findings")
	var at []int // the columns compared, found by their headers
	for _, name := range []string{"Account ID", "Principal", "Check", "Credential", "Detail"} {
		at = append(at, slices.Index(findings[0], name))
	}
	for _, row := range findings[1:] {
		var fields []string
		for _, i := range at {
			fields = append(fields, row[i])
		}
		gotFindings = append(gotFindings, strings.Join(fields, "|"))
	}
	slices.Sort(wantFindings)
	slices.Sort(gotFindings)
	if len(wantFindings) < 1000 || len(gotFindings) != len(wantFindings) {
		t.Fatalf("LibreOffice read %d findings, findings.json has %d open ones", len(gotFindings), len(wantFindings))
	}
	for i := range gotFindings {
		if gotFindings[i] != wantFindings[i] {
			t.Fatalf("findings differ:\n got %s\nwant %s", gotFindings[i], wantFindings[i])
		}
	}
}

// shownCredential is how the Credentials sheet shows a credential report
// field: a time as a UTC date and time, true and false as the booleans
// TRUE and FALSE, anything else (N/A, no_information, not_supported) as
// written.
func shownCredential(v string) string {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Format("2006-01-02 15:04:05")
	}
	if strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
		return strings.ToUpper(v)
	}
	return v
}
