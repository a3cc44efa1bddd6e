package app

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

var update = flag.Bool("update", false, "update golden files")

// fixedClock returns a clock that starts at t and advances a second per call.
func fixedClock(t time.Time) func() time.Time {
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func sampleOptions(t *testing.T, src collect.Source) Options {
	t.Helper()
	return Options{
		Source: src, OutDir: t.TempDir(), AsOf: sample.AsOf, Thresholds: audit.DefaultThresholds(),
		Version: "test", Clock: fixedClock(time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)),
		Owners: ownerOptions,
	}
}

func mustSample() collect.Source { return sample.NewSource() }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/app -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./internal/app -update and review the diff\n--- got:\n%s", name, got)
	}
}

func TestRunOnceSample(t *testing.T) {
	res, err := RunOnce(context.Background(), sampleOptions(t, sample.NewSource()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial() {
		t.Fatalf("sample run is partial: %+v", res.Run.Summary)
	}
	wantDir := filepath.Join("2026", "11", "20261101T060000Z")
	if !strings.HasSuffix(res.Dir, wantDir) {
		t.Errorf("run folder %s, want …/%s", res.Dir, wantDir)
	}
	for _, name := range []string{"audit.md", "findings.json"} {
		data, err := os.ReadFile(filepath.Join(res.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "sample."+name+".golden", data)
	}

	// Every check of the catalog fires somewhere in the sample, except the
	// two the sample keeps clean to show a compliant policy.
	// unused-services is opt-in: TestRunOnceSampleUnusedPermissions runs it.
	notInSample := map[string]bool{audit.PasswordPolicyNumbers: true, audit.PasswordPolicyUppercase: true, audit.PasswordPolicyLowercase: true,
		audit.UnusedServices: true}
	for _, c := range audit.Checks {
		if res.Run.Summary.ByCheck[c.ID] == 0 && !notInSample[c.ID] {
			t.Errorf("the sample organization has no %s finding", c.ID)
		}
	}

	m := verifiedManifest(t, res.Dir)
	wantFiles := []string{"audit.md", "audit.xlsx", "evidence/111111111111.csv", "findings.json"}
	for _, w := range wantFiles {
		found := false
		for _, f := range m.Files {
			found = found || f.Path == w
		}
		if !found {
			t.Errorf("manifest lacks %s", w)
		}
	}

	// Evidence is byte for byte what the source returned.
	orig, _ := os.ReadFile(filepath.Join("..", "..", "collect", "sample", "org", "333333333333.csv"))
	saved, _ := os.ReadFile(filepath.Join(res.Dir, "evidence", "333333333333.csv"))
	if len(orig) == 0 || !bytes.Equal(orig, saved) {
		t.Errorf("evidence/333333333333.csv differs from the report received")
	}

	checkWorkbook(t, filepath.Join(res.Dir, "audit.xlsx"), res.Run)
}

// checkWorkbook reads the workbook back and checks its structure.
func checkWorkbook(t *testing.T, path string, run *result.Run) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	defer f.Close()
	want := "Summary,Findings,Excepted,Resolved,Inactive users,Unrotated keys,MFA gaps,Root account,Permissions,Password policy,Accounts,Exceptions,Trend,Credentials,Checks"
	if got := strings.Join(f.GetSheetList(), ","); got != want {
		t.Errorf("sheets = %s, want %s", got, want)
	}
	rows := func(sheet string) [][]string {
		r, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// A sheet with no data row shows "(none)" under its header.
	dataRows := func(n int) int { return 1 + max(n, 1) }
	if got := len(rows("Findings")); got != dataRows(run.Summary.Open) {
		t.Errorf("Findings has %d rows, want %d", got, dataRows(run.Summary.Open))
	}
	if got := len(rows("Excepted")); got != dataRows(run.Summary.Excepted) {
		t.Errorf("Excepted has %d rows, want %d", got, dataRows(run.Summary.Excepted))
	}
	if got := len(rows("Resolved")); got != dataRows(len(run.Resolved)) {
		t.Errorf("Resolved has %d rows, want %d", got, dataRows(len(run.Resolved)))
	}
	if got := len(rows("Trend")); got != dataRows(len(run.Trend)) {
		t.Errorf("Trend has %d rows, want %d", got, dataRows(len(run.Trend)))
	}
	families := map[string]int{}
	run.EachFinding(func(fd *audit.Finding) error {
		if fd.Open() {
			families[fd.Check]++
		}
		return nil
	})
	for sheet, n := range map[string]int{
		"Inactive users":  families[audit.UserInactive] + families[audit.ConsolePasswordUnused],
		"Unrotated keys":  families[audit.AccessKeyNotRotated] + families[audit.AccessKeyUnused] + families[audit.MultipleActiveAccessKeys] + families[audit.InitialAccessKeyUnused],
		"MFA gaps":        families[audit.ConsoleMFAMissing] + families[audit.RootMFADisabled],
		"Root account":    families[audit.RootAccessKeyActive] + families[audit.RootMFADisabled] + families[audit.RootUsedRecently] + families[audit.RootAccessKeyInactive] + families[audit.RootHardwareMFAMissing],
		"Permissions":     families[audit.UserPolicyAttached] + families[audit.PolicyFullAdmin] + families[audit.RoleUnused],
		"Password policy": families[audit.PasswordPolicyMissing] + families[audit.PasswordPolicyMinLength] + families[audit.PasswordPolicyReuse] + families[audit.PasswordPolicySymbols] + families[audit.PasswordPolicyNumbers] + families[audit.PasswordPolicyUppercase] + families[audit.PasswordPolicyLowercase] + families[audit.PasswordPolicyMaxAge],
	} {
		if got := len(rows(sheet)); got != dataRows(n) {
			t.Errorf("%s has %d rows, want %d", sheet, got, dataRows(n))
		}
	}
	if got := rows("Findings")[1][0]; got != "critical" {
		t.Errorf("first finding has severity %q, want critical first", got)
	}
	if got := len(rows("Accounts")); got != len(run.Accounts)+1 {
		t.Errorf("Accounts has %d rows, want %d", got, len(run.Accounts)+1)
	}
	wantCreds := 1 + run.Summary.Users + run.Summary.AccountsAudited // users + one root row per account
	if got := len(rows("Credentials")); got != wantCreds {
		t.Errorf("Credentials has %d rows, want %d", got, wantCreds)
	}
	if got := strings.Join(rows("Credentials")[0][:3], ","); got != "Account ID,Account name,user" {
		t.Errorf("Credentials header starts %s", got)
	}
	for _, sheet := range []string{"Findings", "Excepted", "Resolved", "Inactive users", "Accounts", "Credentials"} {
		tables, err := f.GetTables(sheet)
		if r := rows(sheet); len(r) == 2 && len(r[1]) == 1 && r[1][0] == "No findings" {
			// An empty sheet of findings says so in one merged row, without a table.
			if merged, _ := f.GetMergeCells(sheet); len(merged) != 1 || len(tables) != 0 {
				t.Errorf("sheet %s: merged %v, tables %v; want one merged row and no table", sheet, merged, tables)
			}
		} else if err != nil || len(tables) != 1 {
			t.Errorf("sheet %s: tables %v, %v; want one table with filters", sheet, tables, err)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("sheet %s: header not frozen (%+v, %v)", sheet, panes, err)
		}
	}
	// The Summary's coverage line: its label, then the figures.
	audited, expected := run.Summary.Coverage()
	if label, _ := f.GetCellValue("Summary", "A14"); label != "Coverage" {
		t.Errorf("Summary A14 = %q, want Coverage", label)
	}
	if got, _ := f.GetCellValue("Summary", "C14"); !strings.HasPrefix(got, fmt.Sprintf("%d of %d audited", audited, expected)) {
		t.Errorf("Summary C14 = %q, want the coverage (%d of %d audited)", got, audited, expected)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	charts := 0
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/charts/chart") {
			charts++
		}
	}
	if charts != 2 {
		t.Errorf("workbook has %d charts, want 2 (findings by check, trend)", charts)
	}
	props, err := f.GetDocProps()
	if err != nil || !strings.Contains(props.Title, run.Run.ID) || props.Creator == "" {
		t.Errorf("doc properties %+v, %v", props, err)
	}
}

// copySample writes the sample organization into a fresh directory.
func copySample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(filepath.Join("..", "..", "collect", "sample", "org"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("..", "..", "collect", "sample", "org", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunOnceMalformedReportFailsOnlyItsAccount(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		content   string
		wantError string
	}{
		{"HTML instead of CSV", "666666666666.csv", "<html><body>Service Unavailable</body></html>\n",
			"account 666666666666: credential report line 1: not a credential report"},
		{"bad boolean on line 3", "666666666666.csv", strings.Join(credreport.Columns, ",") + "\n" +
			"<root_account>,arn:aws:iam::666666666666:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
			"bob,arn:aws:iam::666666666666:user/bob,2020-01-01T00:00:00+00:00,maybe,N/A,N/A,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
			"account 666666666666: credential report line 3, column password_enabled: invalid boolean \"maybe\""},
		{"bad password policy JSON", "666666666666.password-policy.json", "{not json",
			"666666666666.password-policy.json: password policy JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copySample(t)
			if !strings.HasSuffix(tt.file, ".csv") {
				report := strings.Join(credreport.Columns, ",") + "\n"
				if err := os.WriteFile(filepath.Join(dir, "666666666666.csv"), []byte(report), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			res := runDir(t, dir, nil)
			if !res.Partial() || res.Run.Summary.AccountsFailed != 1 || res.Run.Summary.AccountsAudited != 5 {
				t.Fatalf("summary = %+v, want 5 audited and 1 failed", res.Run.Summary)
			}
			var failed result.Account
			for _, a := range res.Run.Accounts {
				if a.ID == "666666666666" {
					failed = a
				}
			}
			if failed.Status != result.StatusFailed || !strings.Contains(failed.Error, tt.wantError) {
				t.Errorf("account 666666666666 = %+v, want failed with %q", failed, tt.wantError)
			}
			res.Run.EachFinding(func(f *audit.Finding) error {
				if f.AccountID == "666666666666" {
					t.Errorf("failed account has finding %+v", *f)
				}
				return nil
			})
			// The malformed evidence is kept and listed in the manifest.
			if problems, err := runfolder.VerifyDir(res.Dir); err != nil || len(problems) > 0 {
				t.Errorf("VerifyDir() = %v, %v", problems, err)
			}
			md, _ := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
			if !strings.Contains(string(md), "Accounts not audited") || !strings.Contains(string(md), "666666666666") {
				t.Errorf("audit.md does not name the failed account")
			}
			checkWorkbook(t, filepath.Join(res.Dir, "audit.xlsx"), res.Run)
		})
	}
}

func TestRunOnceNeverOverwritesARun(t *testing.T) {
	opts := sampleOptions(t, sample.NewSource())
	var dirs []string
	for range 3 {
		res, err := RunOnce(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Base(res.Dir))
	}
	if got := strings.Join(dirs, " "); got != "20261101T060000Z 20261101T060000Z-2 20261101T060000Z-3" {
		t.Errorf("run folders = %s", got)
	}
}

// failingSource yields one account, then fails.
type failingSource struct{ collect.Source }

func (s failingSource) Collect(ctx context.Context, sink func(collect.AccountResult) error) error {
	n := 0
	err := s.Source.Collect(ctx, func(r collect.AccountResult) error {
		if n++; n > 1 {
			return errors.New("organizations:ListAccounts: AccessDenied")
		}
		return sink(r)
	})
	return err
}

func TestRunOnceSourceStopsEarly(t *testing.T) {
	res, err := RunOnce(context.Background(), sampleOptions(t, failingSource{sample.NewSource()}))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial() || !strings.Contains(res.Run.Run.Error, "AccessDenied") || len(res.Run.Accounts) != 1 {
		t.Fatalf("run = %+v, want an incomplete run with one account", res.Run.Run)
	}
	if problems, err := runfolder.VerifyDir(res.Dir); err != nil || len(problems) > 0 {
		t.Errorf("VerifyDir() = %v, %v", problems, err)
	}
}

func TestLargeSheetsContinueAcrossSheets(t *testing.T) {
	opts := sampleOptions(t, sample.NewSource())
	opts.Workbook.MaxRowsPerSheet = 5 // header + 4 rows per sheet
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		sheet string
		rows  int
	}{
		{"Credentials", res.Run.Summary.Users + res.Run.Summary.AccountsAudited},
		{"Findings", res.Run.Summary.Open},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			total, sheets := 0, 0
			for _, name := range f.GetSheetList() {
				if name != tt.sheet && !strings.HasPrefix(name, tt.sheet+" (") {
					continue
				}
				sheets++
				rows, _ := f.GetRows(name)
				if len(rows) > 5 {
					t.Errorf("%s has %d rows, want at most 5", name, len(rows))
				}
				if rows[0][0] != "Account ID" && rows[0][0] != "Severity" {
					t.Errorf("%s does not start with the header: %v", name, rows[0])
				}
				tables, _ := f.GetTables(name)
				if len(tables) != 1 {
					t.Errorf("%s has %d tables, want 1", name, len(tables))
				}
				total += len(rows) - 1
			}
			if total != tt.rows || sheets != (tt.rows+3)/4 {
				t.Errorf("%d rows over %d sheets, want %d rows over %d sheets", total, sheets, tt.rows, (tt.rows+3)/4)
			}
		})
	}
	// Every continuation sheet follows the part before it, although the
	// sheets of findings are written side by side.
	list := f.GetSheetList()
	for i, name := range list {
		base, part, ok := strings.Cut(name, " (")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(strings.TrimSuffix(part, ")"))
		want := base
		if n > 2 {
			want = fmt.Sprintf("%s (%d)", base, n-1)
		}
		if i == 0 || list[i-1] != want {
			t.Errorf("sheet %q comes after %q, want after %q (sheets %v)", name, list[max(i-1, 0)], want, list)
		}
	}
}

// TestCredentialsAboveTheLimit: a run whose credential reports hold more
// rows than the workbook's limit gets a Credentials sheet that points to
// evidence/ (which holds every report), while Findings still lists every
// open finding.
func TestCredentialsAboveTheLimit(t *testing.T) {
	opts := sampleOptions(t, sample.NewSource())
	opts.Workbook.MaxCredentialRows = 3
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Credentials")
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, row := range rows {
		text = append(text, strings.Join(row, " "))
	}
	all := strings.Join(text, "\n")
	wantRows := res.Run.Summary.Users + res.Run.Summary.AccountsAudited
	if want := fmt.Sprintf("%d credential reports hold %d rows, more than the 3", res.Run.Summary.AccountsAudited, wantRows); !strings.Contains(all, want) {
		t.Errorf("Credentials sheet lacks %q:\n%s", want, all)
	}
	if !strings.Contains(all, "evidence/") || len(rows) > 10 {
		t.Errorf("Credentials sheet, want a short pointer to evidence/:\n%s", all)
	}
	evidence, _ := filepath.Glob(filepath.Join(res.Dir, "evidence", "*.csv"))
	if len(evidence) < res.Run.Summary.AccountsAudited {
		t.Errorf("evidence/ holds %d reports, want %d", len(evidence), res.Run.Summary.AccountsAudited)
	}
	if findings, _ := f.GetRows("Findings"); len(findings) != res.Run.Summary.Open+1 {
		t.Errorf("Findings has %d rows, want %d", len(findings), res.Run.Summary.Open+1)
	}
}

func TestRunOnceReportsProgress(t *testing.T) {
	opts := sampleOptions(t, sample.NewSource())
	var calls []string
	opts.Progress = func(done, total int) { calls = append(calls, fmt.Sprintf("%d/%d", done, total)) }
	if _, err := RunOnce(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(calls, " "); got != "1/5 2/5 3/5 4/5 5/5" {
		t.Errorf("progress = %s", got)
	}
}

// TestRunOnceSLABounds: sla_days up to audit.MaxSLADays (100 years)
// give a complete run whose findings.json reads back with their due
// dates; more (a due date past the year 9999, which findings.json cannot
// hold) is refused before the run folder is made.
func TestRunOnceSLABounds(t *testing.T) {
	t.Run("at the bound", func(t *testing.T) {
		opts := sampleOptions(t, mustSample())
		days := audit.MaxSLADays
		opts.SLA = audit.SLA{audit.Critical: days, audit.High: days, audit.Medium: days, audit.Low: days}
		res, err := RunOnce(t.Context(), opts)
		if err != nil {
			t.Fatalf("RunOnce with sla_days %d: %v", days, err)
		}
		defer res.Close()
		run := readFindingsJSON(t, res.Dir)
		n := 0
		must(t, run.EachFinding(func(f *audit.Finding) error {
			if !f.Open() {
				return nil
			}
			y, m, d := f.FirstSeen.UTC().Date()
			if want := time.Date(y, m, d+days, 0, 0, 0, 0, time.UTC); !f.Due.Equal(want) || f.OverdueDays != audit.DaysOf(0) {
				t.Errorf("findings.json: %s/%s due %v, overdue %+v; want %v, not overdue", f.Principal, f.Check, f.Due, f.OverdueDays, want)
			}
			n++
			return nil
		}))
		if n == 0 {
			t.Fatal("findings.json: no open finding")
		}
	})
	t.Run("past the bound", func(t *testing.T) {
		opts := sampleOptions(t, mustSample())
		opts.SLA = audit.SLA{audit.Critical: 7, audit.High: 30, audit.Medium: 90, audit.Low: 3_000_000}
		res, err := RunOnce(t.Context(), opts)
		if err == nil {
			res.Close()
			t.Fatal("RunOnce with sla_days.low 3000000: no error, want it refused")
		}
		if !strings.Contains(err.Error(), "sla_days.low 3000000: want at most 36,500 days") {
			t.Errorf("RunOnce with sla_days.low 3000000: %v, want the key and the bound", err)
		}
		if entries, _ := os.ReadDir(opts.OutDir); len(entries) != 0 {
			t.Errorf("RunOnce refused the SLA but left %d entries in the output folder", len(entries))
		}
	})
}

// runDirAt runs once over the dir: source dir into out at asOf with the
// exceptions excs (see runDir).
func runDirAt(t *testing.T, dir, out string, asOf time.Time, excs []audit.Exception) *Result {
	t.Helper()
	return runDir(t, dir, func(o *Options) { o.OutDir, o.AsOf, o.Exceptions = out, asOf, excs })
}

// runDir runs once over the dir: source dir with the sample's options as
// adjust changes them (when not nil), failing the test on an error. The
// result is closed when the test ends.
func runDir(t *testing.T, dir string, adjust func(*Options)) *Result {
	t.Helper()
	src, err := collect.NewDirSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := sampleOptions(t, src)
	if adjust != nil {
		adjust(&opts)
	}
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}
