package audit

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/internal/synth"
)

// sampleRows parses n synthetic accounts of 200 users each.
func sampleRows(b *testing.B, accounts int) []credreport.Row {
	b.Helper()
	var rows []credreport.Row
	for i := range accounts {
		var buf bytes.Buffer
		id := strconv.Itoa(300000000000 + i)
		if err := synth.Write(&buf, id, 200, asOf, uint64(i)); err != nil {
			b.Fatal(err)
		}
		rs, err := credreport.Parse(buf.Bytes(), id)
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, rs...)
	}
	return rows
}

// BenchmarkEvaluate applies every check to 1,000,000 credential rows per
// operation (a 10,050-row sample, cycled), reporting ns/row,
// allocs/row and findings/row.
func BenchmarkEvaluate(b *testing.B) {
	const perOp = 1_000_000
	rows := sampleRows(b, 50)
	e := Evaluator{Thresholds: DefaultThresholds(), AsOf: time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)}
	acct := Account{ID: "300000000000", Name: "bench"}
	dst := make([]Finding, 0, 4096)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	findings, ops := 0, 0
	b.ResetTimer()
	for b.Loop() {
		for i := range perOp {
			dst = e.AppendRow(dst[:0], acct, &rows[i%len(rows)])
			findings += len(dst)
		}
		ops++
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	n := float64(ops * perOp)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/row")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/n, "allocs/row")
	b.ReportMetric(float64(findings)/n, "findings/row")
}

// BenchmarkParse measures the credential-report parser.
func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	if err := synth.Write(&buf, "300000000000", 10_000, asOf, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := credreport.Parse(data, "300000000000"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10_001), "ns/row")
}
