package app

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// TestWriteSummary: what `reporter run` prints, for a partial run with
// changes, an expired exception and a failed account, and for a run that
// is no audit result (its failure first).
func TestWriteSummary(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	dir := filepath.Join("reports", "2026", "11", "20261101T060000Z")
	partial := &Result{Dir: dir, Location: result.Location{ArchiveURI: "s3://audits/2026/11/20261101T060000Z/"}, Run: &result.Run{
		Run:     result.RunInfo{ID: "20261101T060000Z", AsOf: asOf},
		Summary: result.Summary{AccountsTotal: 3, AccountsAudited: 2, AccountsFailed: 1, Users: 7, Findings: 5, Open: 4, Excepted: 1, New: 2, NewOpen: 1, Resolved: 1, BySeverity: map[string]int{"critical": 1, "medium": 3}},
		Changes: &result.Changes{PreviousRunID: "20261001T060000Z"},
		Accounts: []result.Account{{ID: "111111111111", Name: "prod", Status: "collected"},
			{ID: "222222222222", Name: "dev", Status: "failed", Error: "AccessDenied"}},
		Exceptions: []audit.ExceptionUse{{Exception: audit.Exception{Account: "111111111111", Principal: "svc-*", Check: "access-key-not-rotated", Source: "exceptions.yaml:3"}, Status: "expired"},
			{Exception: audit.Exception{Account: "*", Principal: "ci", Check: "user-inactive", Source: "exceptions.yaml:9"}, Status: "active"}},
	}}
	allOpen := *partial
	allOpen.Run = &result.Run{Run: partial.Run.Run, Changes: partial.Run.Changes, Summary: partial.Run.Summary}
	allOpen.Run.Summary.NewOpen = 2
	failed := &Result{Dir: dir, Run: &result.Run{Run: result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Error: "listing the accounts: AccessDenied"}, Summary: result.Summary{AccountsTotal: 0}}}
	tests := []struct {
		name    string
		res     *Result
		want    []string
		notWant []string
	}{
		{"partial", partial, []string{
			"Run 20261101T060000Z (as of 2026-11-01T06:00:00Z)\n",
			"Audited 2 of 3 accounts, 7 IAM users, 4 open findings: 1 critical 0 high 3 medium 0 low; 1 excepted\n",
			// New counts open findings, as every report does.
			"Since run 20261001T060000Z: 1 new (and 1 excepted), 1 resolved\n",
			"Exception exceptions.yaml:3 (access-key-not-rotated svc-* in 111111111111): EXPIRED\n",
			"FAILED 222222222222 (dev): AccessDenied\n",
			"Reports: " + dir + string(filepath.Separator) + "{audit.xlsx, audit.md, findings.json, manifest.json, evidence/}\n",
			"Archived: s3://audits/2026/11/20261101T060000Z/\n",
		}, []string{"exceptions.yaml:9", "FAILED 111111111111"}},
		{"every new finding open", &allOpen, []string{"Since run 20261001T060000Z: 2 new, 1 resolved\n"}, []string{"excepted)"}},
		{"no audit result", failed, []string{"Audited 0 of 0 accounts"}, []string{"Since run", "Archived:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.res.WriteSummary(&buf)
			got := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("summary has %q:\n%s", w, got)
				}
			}
			if failure := tt.res.Run.Failure(); failure != "" && !strings.HasPrefix(got, failure+"\n") {
				t.Errorf("summary does not start with the run's failure %q:\n%s", failure, got)
			}
		})
	}
}
