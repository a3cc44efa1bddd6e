package findingstore

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

const (
	benchAccounts = 200
	benchFindings = 330 // per account
)

// benchData returns benchAccounts accounts of benchFindings findings with
// strings shaped like the evaluator's, in evaluation (row) order.
func benchData() [][]audit.Finding {
	paths := []string{"", "automation/", "teams/payments/", "contractors/"}
	creds := []string{"password", "access_key_1", "access_key_2"}
	exc := &audit.Exception{Account: "*", Principal: "svc-*", Check: audit.AccessKeyNotRotated, Reason: "vendor", Owner: "ops", Source: "exceptions.yaml:3"}
	out := make([][]audit.Finding, benchAccounts)
	for a := range out {
		id := fmt.Sprintf("%012d", 100000000000+a*7919)
		name := fmt.Sprintf("workload-%03d-prod", a)
		fs := make([]audit.Finding, 0, benchFindings)
		for i := 0; len(fs) < benchFindings; i++ {
			user := fmt.Sprintf("user-%05d", i/3)
			if i == 0 {
				user = "<root_account>"
			}
			c := audit.Checks[(i*7)%len(audit.Checks)]
			since := asOf.Add(-time.Duration(i*37) * time.Hour)
			f := audit.Finding{
				AccountID: id, AccountName: name, Principal: user,
				ARN:   "arn:aws:iam::" + id + ":user/" + paths[i%len(paths)] + user,
				Check: c.ID, Severity: c.Severity, Credential: creds[i%len(creds)],
				AgeDays: audit.DaysOf(i * 37 / 24), Since: since,
				Detail: fmt.Sprintf("access key 1 last rotated %s (%d days ago; limit 90)", since.Format(time.DateOnly), i*37/24),
				CIS:    c.CIS, SecurityHub: c.SecurityHub,
				Status: audit.StatusPersisting, FirstSeen: asOf.AddDate(0, -1, 0),
			}
			if i%10 == 0 {
				f.Exception = exc
			}
			fs = append(fs, f)
		}
		out[a] = fs
	}
	return out
}

// report reports per-finding time and allocations of the b.Loop loop
// whose start is given by m0, when each iteration handles n findings.
func report(b *testing.B, m0 *runtime.MemStats, n int) {
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	total := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/finding")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/total, "allocs/finding")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/total, "B/finding")
}

func BenchmarkAdd(b *testing.B) {
	data := benchData()
	dir := b.TempDir()
	b.ReportAllocs()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	var disk int64
	for b.Loop() {
		s, err := Create(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, fs := range data {
			if err := s.Add(fs); err != nil {
				b.Fatal(err)
			}
		}
		disk = s.end
		s.Close()
	}
	report(b, &m0, benchAccounts*benchFindings)
	b.ReportMetric(float64(disk)/float64(benchAccounts*benchFindings), "disk-B/finding")
}

// benchStore returns a store of benchData.
func benchStore(b *testing.B) *Store {
	s, err := Create(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for _, fs := range benchData() {
		if err := s.Add(fs); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkEachAccount(b *testing.B) {
	s := benchStore(b)
	n := 0
	count := func(fs []audit.Finding) error { n += len(fs); return nil }
	b.ReportAllocs()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for b.Loop() {
		n = 0
		if err := s.EachAccount(count); err != nil {
			b.Fatal(err)
		}
	}
	if n != s.Len() {
		b.Fatalf("read %d findings of %d", n, s.Len())
	}
	report(b, &m0, s.Len())
}

func BenchmarkEachSeverity(b *testing.B) {
	s := benchStore(b)
	n := 0
	count := func(fs []audit.Finding) error { n += len(fs); return nil }
	b.ReportAllocs()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for b.Loop() {
		n = 0
		for _, sev := range audit.Severities {
			if err := s.EachSeverity(sev, count); err != nil {
				b.Fatal(err)
			}
		}
	}
	if n != s.Len() {
		b.Fatalf("read %d findings of %d", n, s.Len())
	}
	report(b, &m0, s.Len())
}

func BenchmarkUpdate(b *testing.B) {
	s := benchStore(b)
	flip := 0
	statuses := []string{audit.StatusNew, audit.StatusPersisting}
	set := func(fs []audit.Finding) error {
		for i := range fs {
			fs[i].Status = statuses[flip]
		}
		return nil
	}
	b.ReportAllocs()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for b.Loop() {
		flip ^= 1 // every pass rewrites every account
		if err := s.Update(set); err != nil {
			b.Fatal(err)
		}
	}
	report(b, &m0, s.Len())
}
