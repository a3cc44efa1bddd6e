package app

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
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
