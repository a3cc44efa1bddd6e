package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/awsfake"
	"github.com/reporter-dev/reporter/internal/mdcheck"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// Input that could hide a finding fails its account, named, and never
// reaches the findings (issue 13, point 4).

// extra is the account the hostile input is written for, beside the five
// accounts of the sample organization.
const extra = "666666666666"

// extraRoot is a root row of extra without MFA: root-mfa-disabled, critical.
const extraRoot = "<root_account>,arn:aws:iam::666666666666:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"

// extraUser is a user row of extra with a password and no MFA.
const extraUser = "bob,arn:aws:iam::666666666666:user/bob,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"

// outsideReport is a valid report, kept outside the source folder, that a
// symbolic link points to; its marker must never reach the run folder.
const outsideReport = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
	extraRoot + "\n" + "outside-marker-7f3a,arn:aws:iam::666666666666:user/outside-marker-7f3a,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"

func header() string { return strings.Join(credreport.Columns, ",") }

// runDirLogged audits dir and returns the result and the run's log.
func runDirLogged(t *testing.T, dir string) (*Result, string) {
	t.Helper()
	var logs bytes.Buffer
	res := runDir(t, dir, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	return res, logs.String()
}

func TestRunOnceInputThatCouldHideAFinding(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "elsewhere.csv")
	if err := os.WriteFile(outside, []byte(outsideReport), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// report is extra's .csv; link, when set, makes it a symbolic link
		// to link instead.
		report string
		link   string
		// policy, when set, is extra's password-policy file.
		policy    string
		wantError string
		// secret must appear nowhere in the run folder.
		secret string
	}{
		{name: "duplicated mfa_active (the last copy would hide root-mfa-disabled)",
			report:    header() + ",mfa_active\n" + extraRoot + ",true\n",
			wantError: "account 666666666666: credential report line 1, column mfa_active: duplicated column"},
		{name: "mfa_active missing",
			report:    strings.Replace(header(), ",mfa_active", "", 1) + "\n" + strings.Replace(extraRoot, ",false,false,", ",false,", 1) + "\n",
			wantError: "account 666666666666: credential report line 1: missing columns mfa_active (AWS always sends all 22)"},
		{name: "old 16-column layout",
			report:    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n",
			wantError: "missing columns access_key_1_last_used_date, access_key_1_last_used_region, access_key_1_last_used_service, access_key_2_last_used_date, access_key_2_last_used_region, access_key_2_last_used_service"},
		{name: "header only",
			report:    header() + "\n",
			wantError: "account 666666666666: credential report: no <root_account> row (AWS always sends one)"},
		{name: "a second root row without credentials (would hide root-mfa-disabled)",
			report:    header() + "\n" + extraRoot + "\n" + extraUser + "\n" + strings.Replace(extraRoot, ",not_supported,", ",false,", 1) + "\n",
			wantError: `account 666666666666: credential report line 4, column user: user "<root_account>" appears twice: lines 2 and 4`},
		{name: "a user given twice",
			report:    header() + "\n" + extraUser + "\n" + extraRoot + "\n" + extraUser + "\n",
			wantError: `account 666666666666: credential report line 4, column user: user "bob" appears twice: lines 2 and 4`},
		{name: "users without the root row",
			report:    header() + "\n" + extraUser + "\n",
			wantError: "account 666666666666: credential report: no <root_account> row"},
		{name: "symbolic link to /etc/passwd",
			link:      "/etc/passwd",
			wantError: "read 666666666666.csv: symbolic link to a path outside the report directory: refused (it points to /etc/passwd)",
			secret:    "root:x:0:0"},
		{name: "symbolic link to a valid report outside the folder",
			link:      outside,
			wantError: "read 666666666666.csv: symbolic link to a path outside the report directory: refused",
			secret:    "outside-marker-7f3a"},
		{name: "relative symbolic link climbing out",
			link:      filepath.Join("..", filepath.Base(filepath.Dir(outside)), "elsewhere.csv"),
			wantError: "refused",
			secret:    "outside-marker-7f3a"},
		{name: "password policy as an array",
			report:    header() + "\n" + extraRoot + "\n",
			policy:    `[{"MinimumPasswordLength": 14}]`,
			wantError: "666666666666.password-policy.json: password policy JSON: array: want {\"PasswordPolicy\": {...}} or the bare policy object"},
		{name: "password policy with only unknown fields",
			report:    header() + "\n" + extraRoot + "\n",
			policy:    `{"Policy": {"MinimumPasswordLength": 14}}`,
			wantError: "666666666666.password-policy.json: password policy JSON: neither PasswordPolicy nor a policy field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			path := filepath.Join(dir, extra+".csv")
			if tt.link != "" {
				if err := os.Symlink(tt.link, path); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tt.report), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.policy != "" {
				if err := os.WriteFile(filepath.Join(dir, extra+".password-policy.json"), []byte(tt.policy), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res, logs := runDirLogged(t, dir)
			if s := res.Run.Summary; s.AccountsFailed != 1 || s.AccountsAudited != 5 || !res.Partial() {
				t.Fatalf("summary = %+v, want 5 audited and %s failed", s, extra)
			}
			var failed result.Account
			for _, a := range res.Run.Accounts {
				if a.ID == extra {
					failed = a
				}
			}
			if failed.Status != result.StatusFailed || !strings.Contains(failed.Error, tt.wantError) {
				t.Fatalf("account %s = %+v, want failed with %q", extra, failed, tt.wantError)
			}
			res.Run.EachFinding(func(f *audit.Finding) error {
				if f.AccountID == extra {
					t.Errorf("failed account has finding %+v", *f)
				}
				return nil
			})
			// The failure is named in the log, audit.md, findings.json and the workbook.
			if !strings.Contains(logs, "account failed") || !strings.Contains(logs, extra) {
				t.Errorf("log does not report the failed account:\n%s", logs)
			}
			md, _ := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
			if !strings.Contains(string(md), "| "+extra+" |  | failed | ") {
				t.Errorf("audit.md does not list %s as failed:\n%s", extra, md)
			}
			var doc struct{ Accounts []result.Account }
			data, _ := os.ReadFile(filepath.Join(res.Dir, "findings.json"))
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(doc.Accounts, func(a result.Account) bool {
				return a.ID == extra && a.Status == result.StatusFailed && strings.Contains(a.Error, tt.wantError)
			}) {
				t.Errorf("findings.json does not give %s as failed with %q", extra, tt.wantError)
			}
			checkWorkbook(t, filepath.Join(res.Dir, "audit.xlsx"), res.Run)

			if tt.secret != "" {
				if _, err := os.Lstat(filepath.Join(res.Dir, "evidence", extra+".csv")); err == nil {
					t.Errorf("evidence/%s.csv exists: the link was followed", extra)
				}
				filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					data, _ := os.ReadFile(p)
					if bytes.Contains(data, []byte(tt.secret)) {
						t.Errorf("%s holds %q from outside the source folder", p, tt.secret)
					}
					return nil
				})
			}
			if problems, err := runfolder.VerifyDir(res.Dir); err != nil || len(problems) > 0 {
				t.Errorf("VerifyDir() = %v, %v", problems, err)
			}
		})
	}
}

func TestRunOnceBarePasswordPolicy(t *testing.T) {
	// 222222222222's policy asks for 8 characters and no symbols.
	const acct = "222222222222"
	wrapped, err := os.ReadFile(filepath.Join("..", "..", "collect", "sample", "org", acct+".password-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ PasswordPolicy json.RawMessage }
	if err := json.Unmarshal(wrapped, &doc); err != nil || len(doc.PasswordPolicy) == 0 {
		t.Fatalf("sample policy %s: %v", wrapped, err)
	}
	tests := []struct {
		name   string
		policy []byte
		state  string
	}{
		{"CLI output", wrapped, "present"},
		{"--query PasswordPolicy", doc.PasswordPolicy, "present"},
		{"PasswordPolicy null", []byte(`{"PasswordPolicy": null}`), "absent"},
		{"empty object", []byte(`{}`), "absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			if err := os.WriteFile(filepath.Join(dir, acct+".password-policy.json"), tt.policy, 0o644); err != nil {
				t.Fatal(err)
			}
			res, _ := runDirLogged(t, dir)
			if res.Partial() {
				t.Fatalf("run is partial: %+v", res.Run.Accounts)
			}
			var checks []string
			res.Run.EachFinding(func(f *audit.Finding) error {
				if f.AccountID == acct && f.Credential == "account" {
					checks = append(checks, f.Check)
				}
				return nil
			})
			want := []string{audit.PasswordPolicyMinLength, audit.PasswordPolicyReuse, audit.PasswordPolicySymbols, audit.PasswordPolicyMaxAge}
			if tt.state == "absent" {
				want = []string{audit.PasswordPolicyMissing}
			}
			slices.Sort(checks)
			slices.Sort(want)
			if !slices.Equal(checks, want) {
				t.Errorf("account-level findings of %s = %v, want %v", acct, checks, want)
			}
			for _, a := range res.Run.Accounts {
				if a.ID == acct && a.PasswordPolicy != tt.state {
					t.Errorf("password policy of %s = %q, want %q", acct, a.PasswordPolicy, tt.state)
				}
			}
		})
	}
}

func TestRunOnceListsUnusedFiles(t *testing.T) {
	dir := copySample(t)
	ownReport, err := os.ReadFile(filepath.Join(dir, "111111111111.csv"))
	if err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name   string
		folder bool
		sample bool   // one of the sample's own files, not written here
		reason string // "" when the file is used
	}{
		{name: "notes.txt", reason: "unknown file name"},
		{name: ".DS_Store", reason: "unknown file name"},
		{name: "12345.csv", reason: "not named after a 12-digit account ID"},
		{name: "1234567890123.csv", reason: "not named after a 12-digit account ID"},
		{name: "acme-prod.credential-report.json", reason: "not named after a 12-digit account ID"},
		{name: "111111111111.CSV", reason: "unknown file name"},
		{name: "111111111111.csv.bak", reason: "unknown file name"},
		{name: "777777777777.password-policy.json", reason: "no credential report for account 777777777777"},
		{name: "111111111111.credential-report.json", reason: "111111111111.csv is read instead"},
		{name: "888888888888.csv", folder: true, reason: "a folder: subfolders are not read"},
		{name: "archive", folder: true, reason: "a folder: subfolders are not read"},
		// The unused-services check is opt-in, and off here.
		{name: "111111111111.service-last-accessed.json", sample: true, reason: "the unused-permissions check is off"},
		{name: "222222222222.service-last-accessed.json", sample: true, reason: "the unused-permissions check is off"},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if f.sample {
			continue
		}
		if f.folder {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			// A report in a subfolder is not read either.
			if err := os.WriteFile(filepath.Join(p, "999999999999.csv"), ownReport, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, ownReport, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, logs := runDirLogged(t, dir)
	if res.Partial() || res.Run.Summary.AccountsTotal != 5 {
		t.Fatalf("summary = %+v, want the 5 sample accounts audited", res.Run.Summary)
	}
	got := map[string]string{}
	for _, u := range res.Run.Run.UnusedFiles {
		got[u.Name] = u.Reason
	}
	if len(got) != len(files) {
		t.Errorf("UnusedFiles = %+v, want %d entries", res.Run.Run.UnusedFiles, len(files))
	}
	md, _ := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
	js, _ := os.ReadFile(filepath.Join(res.Dir, "findings.json"))
	var doc struct {
		Run struct {
			UnusedFiles []result.UnusedFile `json:"unused_files"`
		}
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doc.Run.UnusedFiles, res.Run.Run.UnusedFiles) {
		t.Errorf("findings.json run.unused_files = %+v, want %+v", doc.Run.UnusedFiles, res.Run.Run.UnusedFiles)
	}
	wb, err := excelize.OpenFile(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	summary, err := wb.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	var sheet []string
	for _, row := range summary {
		if len(row) == 2 && row[0] == "File not used" {
			sheet = append(sheet, row[1])
		}
	}
	// audit.md escapes file names for Markdown: read its table cells as a
	// reader sees them.
	cells, err := mdcheck.Texts(md, "td")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		reason, ok := got[f.name]
		if !ok || !strings.Contains(reason, f.reason) {
			t.Errorf("unused %s: reason %q (listed %v), want %q", f.name, reason, ok, f.reason)
		}
		if !strings.Contains(logs, "file not used") || !strings.Contains(logs, "file="+f.name) {
			t.Errorf("log does not name unused %s", f.name)
		}
		if !slices.Contains(cells, f.name) {
			t.Errorf("audit.md does not name unused %s", f.name)
		}
		if !slices.ContainsFunc(sheet, func(s string) bool { return strings.HasPrefix(s, f.name+": ") }) {
			t.Errorf("Summary sheet does not name unused %s (rows %q)", f.name, sheet)
		}
	}
	if !strings.Contains(string(md), "## Files not used") {
		t.Errorf("audit.md has no Files not used section")
	}
	checkWorkbook(t, filepath.Join(res.Dir, "audit.xlsx"), res.Run)
}

// The org source hands its reports to the same parser: the same input
// fails the same way when it comes from IAM.
func TestRunOnceOrgSourceRefusesHidingReports(t *testing.T) {
	org, err := awsfake.LoadFS(sample.FS(), "sample")
	if err != nil {
		t.Fatal(err)
	}
	hostile := []struct {
		id, report, wantError string
	}{
		{"666666666666", header() + ",mfa_active\n" + extraRoot + ",true\n", "credential report line 1, column mfa_active: duplicated column"},
		{"777777777777", strings.Replace(header(), ",mfa_active", "", 1) + "\n", "credential report line 1: missing columns mfa_active"},
		{"888888888888", header() + "\n", "credential report: no <root_account> row"},
		{"999999999999", header() + "\n" + strings.ReplaceAll(extraRoot, extra, "999999999999") + "\n" + strings.ReplaceAll(strings.Replace(extraRoot, ",not_supported,", ",false,", 1), extra, "999999999999") + "\n",
			`credential report line 3, column user: user "<root_account>" appears twice: lines 2 and 3`},
	}
	for _, h := range hostile {
		org.Accounts = append(org.Accounts, awsfake.Account{ID: h.id, Name: "hostile-" + h.id, Report: []byte(h.report),
			Policy: passwordpolicy.Result{State: passwordpolicy.Absent}})
	}
	srv, err := awsfake.New(org, awsfake.Options{ReportsReady: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	src, err := awsorg.New(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider(awsfake.DefaultAccessKeyID, awsfake.DefaultSecretAccessKey, ""),
	}, awsorg.Options{Mode: awsorg.ModeOrg, AccountTimeout: time.Minute, RunTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunOnce(context.Background(), sampleOptions(t, src))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if s := res.Run.Summary; s.AccountsAudited != 5 || s.AccountsFailed != len(hostile) {
		t.Fatalf("summary = %+v, want the 5 sample accounts audited and %d failed", s, len(hostile))
	}
	for _, h := range hostile {
		i := slices.IndexFunc(res.Run.Accounts, func(a result.Account) bool { return a.ID == h.id })
		if i < 0 {
			t.Fatalf("account %s missing from the run", h.id)
		}
		a := res.Run.Accounts[i]
		if a.Status != result.StatusFailed || !strings.Contains(a.Error, "account "+h.id+": "+h.wantError) {
			t.Errorf("account %s = %s %q, want failed with %q", h.id, a.Status, a.Error, h.wantError)
		}
		// The report received is kept as evidence, as for any failed parse.
		if _, err := os.Stat(filepath.Join(res.Dir, "evidence", h.id+".csv")); err != nil {
			t.Errorf("evidence of %s: %v", h.id, err)
		}
	}
	res.Run.EachFinding(func(f *audit.Finding) error {
		if slices.ContainsFunc(hostile, func(h struct{ id, report, wantError string }) bool { return h.id == f.AccountID }) {
			t.Errorf("failed account has finding %+v", *f)
		}
		return nil
	})
}
