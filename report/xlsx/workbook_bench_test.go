package xlsx

import (
	"archive/zip"
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/synth"
	"github.com/reporter-dev/reporter/result"
)

// The workbook benchmarks measure the Credentials sheet, the largest of
// the workbook (a million rows of 24 columns at 5,000 accounts of 200
// users), at benchAccounts × benchUsers: 201,000 rows.
//
//	go test ./report/xlsx -run '^$' -bench 'Workbook(Credentials|Save)' -benchtime 3x
//	go test ./report/xlsx -run '^$' -bench 'Deflate' -benchtime 3x
//	go test ./report/xlsx -run '^$' -bench 'StreamCell'
const (
	benchAccounts = 1000
	benchUsers    = 200
)

var benchAsOf = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// benchEvidence writes accounts synthetic credential reports of users
// users each to dir and returns them as evidence, with their row count.
func benchEvidence(b *testing.B, dir string, accounts, users int) ([]Evidence, int) {
	b.Helper()
	evidence := make([]Evidence, 0, accounts)
	for i := range accounts {
		id := strconv.Itoa(300000000000 + i)
		path := filepath.Join(dir, id+".csv")
		var buf bytes.Buffer
		if err := synth.Write(&buf, id, users, benchAsOf, uint64(i)); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		evidence = append(evidence, Evidence{AccountID: id, AccountName: fmt.Sprintf("bench-%04d", i), Path: path})
	}
	return evidence, accounts * (users + 1)
}

// benchCredentialsFile streams the Credentials sheet of evidence into a
// new workbook whose stream temp files go to tmp.
func benchCredentialsFile(b *testing.B, tmp string, evidence []Evidence) *workbook {
	b.Helper()
	f := excelize.NewFile(excelize.Options{TmpDir: tmp})
	w, err := newWorkbook(f)
	if err != nil {
		b.Fatal(err)
	}
	w.maxRows, w.maxCredentialRows = ExcelMaxRows, ExcelMaxRows
	if err := w.credentials(evidence); err != nil {
		b.Fatal(err)
	}
	return w
}

// closeBenchWorkbook releases a workbook's file and its temporary files.
func closeBenchWorkbook(b *testing.B, w *workbook) {
	if err := w.f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWorkbookCredentials measures streaming the Credentials sheet
// (reading the CSV evidence, writing the rows with excelize's
// StreamWriter), without the save. (Above DefaultMaxCredentialRows the
// workbook points to the evidence instead; the benchmark writes the rows
// regardless, as a price per row.)
func BenchmarkWorkbookCredentials(b *testing.B) {
	dir := b.TempDir()
	evidence, rows := benchEvidence(b, dir, benchAccounts, benchUsers)
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c0 := cpuNow()
		w := benchCredentialsFile(b, dir, evidence)
		cpu += cpuNow() - c0
		b.StopTimer()
		closeBenchWorkbook(b, w)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
}

// BenchmarkWorkbookEvidenceRows measures reading the Credentials rows
// from the CSV evidence alone.
func BenchmarkWorkbookEvidenceRows(b *testing.B) {
	dir := b.TempDir()
	evidence, rows := benchEvidence(b, dir, benchAccounts, benchUsers)
	benchRows(b, rows, func() func() ([]any, error) { return evidenceRows(evidence) })
}

func benchRows(b *testing.B, rows int, iter func() func() ([]any, error)) {
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c0 := cpuNow()
		next, n := iter(), 0
		for {
			if _, err := next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
		cpu += cpuNow() - c0
		if n != rows {
			b.Fatalf("%d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
}

// BenchmarkWorkbookSave measures saving a workbook holding a streamed
// Credentials sheet: the sheet's XML deflated into audit.xlsx as it is
// written. MB/s is of uncompressed parts.
func BenchmarkWorkbookSave(b *testing.B) {
	dir := b.TempDir()
	evidence, rows := benchEvidence(b, dir, benchAccounts, benchUsers)
	out := filepath.Join(dir, "audit.xlsx")
	var (
		raw, packed int64
		cpu         time.Duration
	)
	// The same workbook is saved again each time: a save reads the
	// streamed rows without consuming them.
	w := benchCredentialsFile(b, dir, evidence)
	defer closeBenchWorkbook(b, w)
	b.ResetTimer()
	for range b.N {
		c0 := cpuNow()
		if err := saveStreaming(w.f, out); err != nil {
			b.Fatal(err)
		}
		cpu += cpuNow() - c0
		b.StopTimer()
		raw, packed = zipSizes(b, out)
		if raw < int64(rows)*500 { // a credential row is ~1.5 KB of XML
			b.Fatalf("audit.xlsx holds %d bytes of XML for %d rows: the rows were not saved", raw, rows)
		}
		b.StartTimer()
	}
	b.SetBytes(raw)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
	b.ReportMetric(float64(raw)/1e6/cpu.Seconds()*float64(b.N), "cpu-MB/s")
	b.ReportMetric(float64(packed)/1e6, "MB-xlsx")
	b.ReportMetric(float64(raw)/float64(packed), "ratio")
}

// zipSizes returns the uncompressed and compressed sizes of a zip's parts.
func zipSizes(b *testing.B, path string) (raw, packed int64) {
	b.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		raw += int64(zf.UncompressedSize64)
		packed += int64(zf.CompressedSize64)
	}
	return raw, packed
}

// BenchmarkDeflate compares Deflate encoders on the XML of a streamed
// Credentials sheet (benchAccounts/4 accounts: 50,250 rows).
func BenchmarkDeflate(b *testing.B) {
	dir := b.TempDir()
	evidence, _ := benchEvidence(b, dir, benchAccounts/4, benchUsers)
	w := benchCredentialsFile(b, dir, evidence)
	path := filepath.Join(dir, "deflate.xlsx")
	if err := saveStreaming(w.f, path); err != nil {
		b.Fatal(err)
	}
	closeBenchWorkbook(b, w)
	zr, err := zip.OpenReader(path)
	if err != nil {
		b.Fatal(err)
	}
	var sheet []byte
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet2.xml" {
			r, err := zf.Open()
			if err != nil {
				b.Fatal(err)
			}
			if sheet, err = io.ReadAll(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	zr.Close()
	if len(sheet) == 0 {
		b.Fatal("no sheet2.xml")
	}
	for _, enc := range []struct {
		name string
		new  func(io.Writer) (io.WriteCloser, error)
	}{
		{"stdlib-1", func(w io.Writer) (io.WriteCloser, error) { return stdflate.NewWriter(w, stdflate.BestSpeed) }},
		{"klauspost-1", func(w io.Writer) (io.WriteCloser, error) { return kflate.NewWriter(w, kflate.BestSpeed) }},
		{"klauspost-2", func(w io.Writer) (io.WriteCloser, error) { return kflate.NewWriter(w, 2) }},
		{"klauspost-3", func(w io.Writer) (io.WriteCloser, error) { return kflate.NewWriter(w, 3) }},
		{"klauspost-huffman", func(w io.Writer) (io.WriteCloser, error) { return kflate.NewWriter(w, kflate.HuffmanOnly) }},
	} {
		b.Run(enc.name, func(b *testing.B) {
			var n countWriter
			b.SetBytes(int64(len(sheet)))
			c0 := cpuNow()
			for range b.N {
				n = 0
				zw, err := enc.new(&n)
				if err != nil {
					b.Fatal(err)
				}
				// 32 KiB writes, as io.Copy from excelize's temp file makes.
				for p := sheet; len(p) > 0; {
					k := min(len(p), 32<<10)
					if _, err := zw.Write(p[:k]); err != nil {
						b.Fatal(err)
					}
					p = p[k:]
				}
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(sheet))/1e6/(cpuNow()-c0).Seconds()*float64(b.N), "cpu-MB/s")
			b.ReportMetric(float64(len(sheet))/float64(n), "ratio")
		})
	}
}

// cpuNow is the CPU time (user and system) of the process so far: the
// benchmarks report it per row or cell besides wall time, which other
// processes on a busy machine inflate.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// BenchmarkStreamCell measures excelize's StreamWriter.SetRow per cell
// for each kind of value, in rows of 24 cells like the Credentials sheet.
// ns/cell is the row's time over 24 (the "empty-row" case is the per-row
// overhead alone, which the others include).
func BenchmarkStreamCell(b *testing.B) {
	const width = 24
	f0 := excelize.NewFile()
	dateStyle, _ := f0.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss")})
	f0.Close()
	t := benchAsOf
	realistic := []any{"300000000042", "bench-0042", "user-00017", "arn:aws:iam::300000000042:user/teams/payments/user-00017",
		"2020-11-03T08:15:42+00:00", "true", "2026-02-11T17:02:09+00:00", "2025-06-30T10:44:51+00:00", "N/A", "true",
		"true", "2025-04-02T09:12:33+00:00", "2026-02-27T06:41:20+00:00", "eu-west-1", "sts",
		"false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"}
	same := func(v any) []any {
		row := make([]any, width)
		for i := range row {
			row[i] = v
		}
		return row
	}
	type rowFn func(row int) []any
	cases := []struct {
		name    string
		values  rowFn
		opts    []excelize.RowOpts
		widths  string // "each": one SetColWidth per column, "range": one for all, "": none
		noReuse bool
	}{
		{name: "empty-row", values: func(int) []any { return nil }},
		{name: "nil", values: func(int) []any { return make([]any, width) }},
		{name: "string-realistic", values: func(int) []any { return realistic }},
		{name: "string-realistic+col-widths-each", values: func(int) []any { return realistic }, widths: "each"},
		{name: "string-realistic+col-widths-range", values: func(int) []any { return realistic }, widths: "range"},
		{name: "string-realistic+new-slice-per-row", values: func(int) []any { return append([]any(nil), realistic...) }, noReuse: true},
		{name: "string-realistic+RowOpts", values: func(int) []any { return realistic }, opts: []excelize.RowOpts{{}}},
		{name: "string-NA", values: func(int) []any { return same("N/A") }},
		{name: "string-escaped-root_account", values: func(int) []any { return same("<root_account>") }},
		{name: "string-empty", values: func(int) []any { return same("") }},
		{name: "bytes-NA", values: func(int) []any { return same([]byte("N/A")) }},
		{name: "Cell-string-NA", values: func(int) []any { return same(excelize.Cell{Value: "N/A"}) }},
		{name: "Cell-string-NA-styled", values: func(int) []any { return same(excelize.Cell{StyleID: dateStyle, Value: "N/A"}) }},
		{name: "RichText-NA", values: func(int) []any { return same([]excelize.RichTextRun{{Text: "N/A"}}) }},
		{name: "int", values: func(int) []any { return same(123456) }},
		{name: "bool", values: func(int) []any { return same(true) }},
		{name: "float64", values: func(int) []any { return same(1234.5) }},
		{name: "time-styled", values: func(int) []any { return same(excelize.Cell{StyleID: dateStyle, Value: t}) }},
		{name: "time-unstyled", values: func(int) []any { return same(t) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tmp := b.TempDir()
			var (
				f   *excelize.File
				sw  *excelize.StreamWriter
				row int
			)
			open := func() {
				f = excelize.NewFile(excelize.Options{TmpDir: tmp})
				var err error
				if sw, err = f.NewStreamWriter("Sheet1"); err != nil {
					b.Fatal(err)
				}
				switch c.widths {
				case "each":
					for i := 1; i <= width; i++ {
						sw.SetColWidth(i, i, 18)
					}
				case "range":
					sw.SetColWidth(1, width, 18)
				}
				row = 0
			}
			closeFile := func() {
				if err := sw.Flush(); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
			open()
			values := c.values(0)
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuNow()
			for range b.N {
				if row == 1_000_000 {
					cpu += cpuNow() - c0
					b.StopTimer()
					closeFile()
					open()
					b.StartTimer()
					c0 = cpuNow()
				}
				row++
				if c.noReuse {
					values = c.values(row)
				}
				cell, _ := excelize.CoordinatesToCellName(1, row)
				if err := sw.SetRow(cell, values, c.opts...); err != nil {
					b.Fatal(err)
				}
			}
			cpu += cpuNow() - c0
			b.StopTimer()
			closeFile()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*width), "ns/cell")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*width), "cpu-ns/cell")
		})
	}
}

// benchFindings returns n synthetic findings over n/20 accounts, every
// actionable field set (ID, owner, due, overdue, remediation), sorted as
// a run holds them, and the share of them that is open.
func benchFindings(n int) []audit.Finding {
	checks := []struct {
		id   string
		sev  audit.Severity
		cred string
	}{
		{audit.AccessKeyNotRotated, audit.High, "access_key_1"}, {audit.AccessKeyUnused, audit.Medium, "access_key_2"},
		{audit.UserInactive, audit.Medium, "user"}, {audit.ConsoleMFAMissing, audit.High, "password"},
		{audit.ConsolePasswordUnused, audit.Medium, "password"},
	}
	out := make([]audit.Finding, 0, n)
	for i := range n {
		acct := strconv.Itoa(300000000000 + i/20)
		user := fmt.Sprintf("user-%05d", i/len(checks))
		c := checks[i%len(checks)]
		f := audit.Finding{
			AccountID: acct, AccountName: "bench-" + acct[8:], Principal: user, ARN: "arn:aws:iam::" + acct + ":user/" + user,
			Check: c.id, Severity: c.sev, Credential: c.cred, AgeDays: audit.DaysOf(100 + i%400),
			Detail: fmt.Sprintf("%s last used 2025-0%d-12 (%d days ago; limit 90)", c.cred, 1+i%9, 100+i%400),
			CIS:    "1.14", SecurityHub: "IAM.3", Since: benchAsOf.AddDate(0, 0, -100-i%400),
			Status: audit.StatusPersisting, FirstSeen: benchAsOf.AddDate(0, 0, -40),
			Owner: "team-" + acct[9:] + "@example.com", OwnerSource: "account-tag:team",
			Due: benchAsOf.Truncate(24*time.Hour).AddDate(0, 0, -10), OverdueDays: audit.DaysOf(10),
			Remediation: "aws iam update-access-key --user-name " + user + " --access-key-id <key-id> --status Inactive",
		}
		f.ID = f.Key().ID()
		if i%50 == 0 {
			f.Exception = &audit.Exception{Reason: "vendor", Owner: "team", ApprovedBy: "ciso", Expires: benchAsOf.AddDate(0, 1, 0), Source: "exceptions.yaml:3"}
			f.Due, f.OverdueDays = time.Time{}, audit.Days{}
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b audit.Finding) int {
		if audit.Less(&a, &b) {
			return -1
		}
		if audit.Less(&b, &a) {
			return 1
		}
		return 0
	})
	return out
}

// BenchmarkWorkbookFindings measures the sheets of findings (Findings,
// Excepted, Resolved and the family sheets, written side by side) of
// benchFindingCount findings with every actionable field set, without
// the save: the price per finding of the workbook's largest sheets at
// scale.
//
//	go test ./report/xlsx -run '^$' -bench 'WorkbookFindings' -benchtime 3x
func BenchmarkWorkbookFindings(b *testing.B) {
	const benchFindingCount = 100_000
	findings := benchFindings(benchFindingCount)
	run := &result.Run{Run: result.RunInfo{ID: "20260301T120000Z", AsOf: benchAsOf}, Findings: result.Findings(findings)}
	if err := run.Summarize(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		families int
	}{
		// At scale (above workbook.max_family_rows) the family sheets
		// are notes: the Findings sheet holds the rows.
		{"findings-only", 0},
		{"with-families", ExcelMaxRows},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c0 := cpuNow()
				f := excelize.NewFile(excelize.Options{TmpDir: dir})
				w, err := newWorkbook(f)
				if err != nil {
					b.Fatal(err)
				}
				w.maxRows, w.maxFamilyRows = ExcelMaxRows, bc.families
				if err := w.findingSheets(run); err != nil {
					b.Fatal(err)
				}
				cpu += cpuNow() - c0
				b.StopTimer()
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchFindingCount), "ns/finding")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*benchFindingCount), "cpu-ns/finding")
		})
	}
}
