package awsorg_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/awsfake"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// TestFindingsMatchDirSource audits the same 200 accounts twice, from a
// directory of reports and through the org source against the fake
// serving that directory, and compares findings.json.
func TestFindingsMatchDirSource(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	if err := awsfake.WriteDir(awsfake.Synthetic(200, asOf), dir); err != nil {
		t.Fatal(err)
	}
	dirSrc, err := collect.NewDirSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	org, err := awsfake.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, url := fake(t, org, awsfake.Options{EmptyPageEvery: 4})
	orgSrc, err := awsorg.New(baseConfig(url, mgmtCreds), fastOptions(awsorg.ModeOrg))
	if err != nil {
		t.Fatal(err)
	}

	runs := map[string]*result.Run{}
	for name, src := range map[string]collect.Source{"dir": dirSrc, "org": orgSrc} {
		res, err := app.RunOnce(context.Background(), app.Options{
			Source: src, OutDir: t.TempDir(), AsOf: asOf, Thresholds: audit.DefaultThresholds(), Version: "test",
		})
		if err != nil {
			t.Fatalf("%s: RunOnce() = %v", name, err)
		}
		f, err := os.Open(filepath.Join(res.Dir, "findings.json"))
		if err != nil {
			t.Fatal(err)
		}
		runs[name], err = jsonfile.Read(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: findings.json: %v", name, err)
		}
	}
	want, got := runs["dir"], runs["org"]
	wantFindings, gotFindings := want.Findings.(result.Findings), got.Findings.(result.Findings)
	if len(wantFindings) < 200 || len(want.Accounts) != 200 {
		t.Fatalf("dir source: %d findings over %d accounts, want a substantial audit of 200 accounts", len(wantFindings), len(want.Accounts))
	}
	if !reflect.DeepEqual(gotFindings, wantFindings) {
		t.Errorf("org source: %d findings, dir source: %d; they differ", len(gotFindings), len(wantFindings))
		for i := range min(len(gotFindings), len(wantFindings)) {
			if !reflect.DeepEqual(gotFindings[i], wantFindings[i]) {
				t.Fatalf("first difference at finding %d:\norg %+v\ndir %+v", i, gotFindings[i], wantFindings[i])
			}
		}
	}
	if len(got.Accounts) != len(want.Accounts) {
		t.Fatalf("org source: %d accounts, want %d", len(got.Accounts), len(want.Accounts))
	}
	for i, g := range got.Accounts {
		w := want.Accounts[i]
		if g.ID != w.ID || g.Name != w.Name || g.Status != w.Status || g.Error != w.Error || g.Users != w.Users || g.PasswordPolicy != w.PasswordPolicy {
			t.Errorf("account %d: org %+v, dir %+v", i, g, w)
		}
		// Source-specific: only the org source knows when IAM generated
		// the report and which OUs hold the account.
		if g.ReportGeneratedAt == nil || !g.ReportGeneratedAt.Equal(generatedTime) {
			t.Errorf("account %s: report_generated_at = %v, want %v", g.ID, g.ReportGeneratedAt, generatedTime)
		}
	}
	if got.Summary.AccountsAudited != 200 || got.Summary.Findings != want.Summary.Findings || got.Summary.Users != want.Summary.Users {
		t.Errorf("org summary %+v, want 200 audited and the dir summary %+v", got.Summary, want.Summary)
	}
}
