package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/collect/sample"
)

// TestRunOnceSampleUnusedPermissions runs the sample with the opt-in
// unused-services check on: the findings, their detail, the Unused
// access sheet, findings.json and audit.md; an exception keeps its
// principal's rows off the sheet.
func TestRunOnceSampleUnusedPermissions(t *testing.T) {
	src := sample.NewSource()
	src.ReadLastAccessed(posture.PathScope{})
	opts := sampleOptions(t, src)
	opts.Thresholds.UnusedPermissionsDays = 90
	opts.Exceptions = []audit.Exception{{Account: "222222222222", Principal: "role/app-server", Check: audit.UnusedServices,
		Reason: "batch role, services used quarterly", Owner: "team-a", ApprovedBy: "ciso", Expires: sample.AsOf.AddDate(0, 3, 0)}}
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()

	want := map[string]string{
		"111111111111 user/maria.admin":        "8 of 12 granted services unused: config, dynamodb, ec2, kms, lambda, rds, sns, sqs",
		"111111111111 role/legacy-ci-deployer": "5 of 5 granted services unused: cloudformation, ec2, iam, lambda, s3",
		"222222222222 role/app-server":         "3 of 6 granted services unused: ec2, iam, secretsmanager",
	}
	got := map[string]audit.Finding{}
	err = res.Run.EachFinding(func(f *audit.Finding) error {
		if f.Check == audit.UnusedServices {
			got[f.AccountID+" "+f.Principal] = *f
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, detail := range want {
		f, ok := got[key]
		if !ok {
			t.Errorf("no unused-services finding for %s", key)
			continue
		}
		if f.Detail != detail || f.Severity != audit.Low || f.Credential != "services" {
			t.Errorf("%s: %s %s %q, want low services %q", key, f.Severity, f.Credential, f.Detail, detail)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d unused-services findings, want %d (the audit role uses its one service; service-linked roles are not judged)", len(got), len(want))
	}
	if exc := got["222222222222 role/app-server"].Exception; exc == nil {
		t.Error("the exception did not cover role/app-server")
	}

	// The sheet: one row per principal and unused service of the open
	// findings (app-server's are excepted).
	f, err := excelize.OpenFile(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !slices.Contains(f.GetSheetList(), "Unused access") {
		t.Fatalf("sheets %v: no Unused access", f.GetSheetList())
	}
	rows, err := f.GetRows("Unused access")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+8+5 {
		t.Fatalf("Unused access has %d rows, want the header and 13", len(rows))
	}
	if h := strings.Join(rows[0], "|"); h != "Account ID|Account name|Principal|Service namespace|Service name|Last accessed (UTC)|Days unused (limit 90)" {
		t.Errorf("header %s", h)
	}
	var never, ec2 []string
	for _, r := range rows[1:] {
		if len(r) >= 6 && r[2] == "user/maria.admin" && r[3] == "config" {
			never = r
		}
		if len(r) >= 7 && r[2] == "user/maria.admin" && r[3] == "ec2" {
			ec2 = r
		}
	}
	if never == nil || never[5] != "never" || len(never) > 6 && never[6] != "" {
		t.Errorf("config row %q, want last accessed never and no days", never)
	}
	if ec2 == nil || !strings.HasPrefix(ec2[5], "2025-06-02") || ec2[6] != "516" {
		t.Errorf("ec2 row %q, want 2025-06-02 and 516 days", ec2)
	}

	// findings.json and audit.md carry the check like any other.
	for _, name := range []string{"findings.json", "audit.md"} {
		data, err := os.ReadFile(filepath.Join(res.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "8 of 12 granted services unused") {
			t.Errorf("%s does not report maria.admin's unused services", name)
		}
	}
	if res.Run.Run.Thresholds.UnusedPermissionsDays != 90 {
		t.Errorf("run thresholds %+v, want the unused-services limit recorded", res.Run.Run.Thresholds)
	}
	// The evidence holds the file read and the judged rows.
	for _, name := range []string{"111111111111.service-last-accessed.json", "111111111111.unused-access.json"} {
		if _, err := os.Stat(filepath.Join(res.Dir, "evidence", name)); err != nil {
			t.Errorf("evidence: %v", err)
		}
	}
}

// TestRunOnceUnusedPermissionsOff checks that the check is opt-in: the
// sample's last-accessed files are not read and no sheet is written.
func TestRunOnceUnusedPermissionsOff(t *testing.T) {
	res, err := RunOnce(context.Background(), sampleOptions(t, sample.NewSource()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if n := res.Run.Summary.ByCheck[audit.UnusedServices]; n != 0 {
		t.Errorf("%d unused-services findings with the check off", n)
	}
	for _, a := range res.Run.Accounts {
		for _, n := range a.ChecksNotRun {
			if slices.Contains(n.Checks, audit.UnusedServices) {
				t.Errorf("account %s: %v listed as not run although it is off", a.ID, n)
			}
		}
	}
	f, err := excelize.OpenFile(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if slices.Contains(f.GetSheetList(), "Unused access") {
		t.Error("Unused access sheet written with the check off")
	}
}
