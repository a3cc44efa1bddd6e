package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/xlsx"
	"github.com/reporter-dev/reporter/result"
)

// sampleTeams are two teams of the sample organization.
func sampleTeams(*result.Run) []Team {
	return []Team{
		{Name: "Payments", Folder: "payments", Accounts: map[string]bool{"222222222222": true, "333333333333": true}},
		{Name: "#platform-team", Folder: "platform-team", Accounts: map[string]bool{"111111111111": true, "555555555555": true}},
	}
}

// TestRunOnceTeamFiles: each team gets its audit.xlsx and audit.md of its
// accounts only, with the run's layout, listed in the manifest.
func TestRunOnceTeamFiles(t *testing.T) {
	opts := sampleOptions(t, sample.NewSource())
	opts.Teams = sampleTeams
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	// The findings are on disk and a team reads only its accounts.
	if _, ok := res.Run.Findings.(result.AccountSelector); !ok {
		t.Errorf("the run's findings (%T) cannot select accounts: each team would read them all", res.Run.Findings)
	}
	m := verifiedManifest(t, res.Dir)
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	for _, team := range sampleTeams(nil) {
		for _, name := range []string{"audit.xlsx", "audit.md"} {
			if p := runfolder.TeamPath(team.Folder, name); !slices.Contains(paths, p) {
				t.Errorf("manifest lacks %s: %v", p, paths)
			}
		}
		sub, err := teamRun(res.Run, team.Accounts)
		if err != nil {
			t.Fatal(err)
		}
		if len(sub.Accounts) != len(team.Accounts) || sub.Summary.Findings == 0 {
			t.Errorf("team %s: %d accounts, %d findings; want %d accounts and some findings", team.Name, len(sub.Accounts), sub.Summary.Findings, len(team.Accounts))
		}
		wb := filepath.Join(res.Dir, "teams", team.Folder, "audit.xlsx")
		if sub.Summary.BySeverity["critical"] > 0 { // checkWorkbook wants a critical finding first
			checkWorkbook(t, wb, sub)
		}
		checkOnlyAccounts(t, wb, team.Accounts)
		md, err := os.ReadFile(filepath.Join(res.Dir, "teams", team.Folder, "audit.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Run.Accounts {
			if got := strings.Contains(string(md), a.ID); got != team.Accounts[a.ID] {
				t.Errorf("team %s: audit.md mentions account %s: %v, want %v", team.Name, a.ID, got, team.Accounts[a.ID])
			}
		}
	}
	// The run's own files still cover every account.
	checkWorkbook(t, filepath.Join(res.Dir, "audit.xlsx"), res.Run)
}

// checkOnlyAccounts checks that the Findings and Accounts sheets of the
// workbook at path hold the accounts in and no other.
func checkOnlyAccounts(t *testing.T, path string, in map[string]bool) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	org, err := excelize.OpenFile(filepath.Join(filepath.Dir(path), "..", "..", "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer org.Close()
	if got, want := f.GetSheetList(), org.GetSheetList(); !slices.Equal(got, want) {
		t.Errorf("%s has sheets %v, the run's workbook %v: want the same layout", path, got, want)
	}
	for _, sheet := range []string{"Findings", "Accounts", "Credentials"} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		col := slices.IndexFunc(rows[0], func(h string) bool { return h == "Account ID" || h == "Account" || h == "ID" })
		if col < 0 {
			t.Fatalf("%s: no account column in %v", sheet, rows[0])
		}
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			if col < len(r) && len(r[col]) == 12 {
				seen[r[col]] = true
				if !in[r[col]] {
					t.Errorf("%s of %s lists account %s of another team", sheet, path, r[col])
				}
			}
		}
		if len(seen) == 0 {
			t.Errorf("%s of %s lists no account", sheet, path)
		}
	}
}

func TestWriteTeamReportsRefusesUnsafeFolders(t *testing.T) {
	res, err := RunOnce(context.Background(), sampleOptions(t, sample.NewSource()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	one := map[string]bool{"222222222222": true}
	tests := []struct {
		name  string
		teams []Team
		// want is the error of the last team; the others are written.
		want string
	}{
		{"escapes the run folder", []Team{{Name: "x", Folder: "../../x", Accounts: one}}, `folder name "../../x" is not safe`},
		{"absolute", []Team{{Name: "x", Folder: "/tmp/x", Accounts: one}}, "is not safe"},
		{"NUL", []Team{{Name: "x", Folder: "pay\x00x", Accounts: one}}, "is not safe"},
		{"empty", []Team{{Name: "x", Folder: "", Accounts: one}}, "is not safe"},
		{"upper case", []Team{{Name: "x", Folder: "Pay", Accounts: one}}, "is not safe"},
		{"twice", []Team{{Name: "a", Folder: "pay", Accounts: one}, {Name: "b", Folder: "pay", Accounts: one}}, `team "a" already writes to teams/pay/`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			written := 0
			write := func(string, func(io.Writer) error) error { written++; return nil }
			failures, err := writeTeamReports(dir, res.Run, tt.teams, nil, nil, xlsx.Options{}, write)
			if err != nil {
				t.Fatalf("writeTeamReports() = %v, want the failure recorded", err)
			}
			last := tt.teams[len(tt.teams)-1]
			if len(failures) != 1 || failures[0].Team != last.Name || !strings.Contains(failures[0].Error, tt.want) {
				t.Errorf("writeTeamReports() failures = %+v, want team %s: %q", failures, last.Name, tt.want)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "x")); err == nil {
				t.Errorf("a folder was made outside the run folder")
			}
			if got, want := written, len(tt.teams)-1; got != want {
				t.Errorf("%d audit.md written, want %d (none for the refused team)", got, want)
			}
		})
	}
}

// sabotagedTeams returns teams as sampleTeams, plus a team whose folder
// is taken by a file before its files are written (as a full disk or an
// unwritable teams/ folder fails the write), a team with an unsafe
// folder, a team colliding with Payments' folder, a team whose only
// account failed and a team whose only account was skipped.
func sabotagedTeams(t *testing.T, out string) TeamsFunc {
	return func(run *result.Run) []Team {
		dir := runfolder.Dir(out, run.Run.AsOf, run.Run.ID)
		if err := os.MkdirAll(filepath.Join(dir, "teams"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "teams", "broken"), []byte("in the way"), 0o644); err != nil {
			t.Fatal(err)
		}
		return append(sampleTeams(run),
			Team{Name: "Broken", Folder: "broken", Accounts: map[string]bool{"222222222222": true}},
			Team{Name: "../../etc", Folder: "../../etc", Accounts: map[string]bool{"222222222222": true}},
			Team{Name: "PAYMENTS!", Folder: "payments", Accounts: map[string]bool{"111111111111": true}},
			Team{Name: "Dev", Folder: "dev", Accounts: map[string]bool{"444444444444": true}},
			Team{Name: "Sandbox", Folder: "sandbox", Accounts: map[string]bool{"333333333333": true}},
		)
	}
}

// accountOutcomes makes the listed accounts fail or be skipped.
type accountOutcomes struct {
	collect.Source
	status map[string]collect.Status
}

func (s accountOutcomes) Collect(ctx context.Context, sink func(collect.AccountResult) error) error {
	return s.Source.Collect(ctx, func(r collect.AccountResult) error {
		if st, ok := s.status[r.Account.ID]; ok {
			r.Status, r.Err, r.Report = st, errors.New("sts:AssumeRole: AccessDenied"), nil
			r.Policy, r.Posture, r.UserTags = passwordpolicy.Result{}, posture.Data{}, collect.UserTags{}
		}
		return sink(r)
	})
}

// TestRunOnceTeamFilesFail: teams whose files cannot be written lose
// their folder and are named in findings.json, audit.md, the log and
// the result (exit status 3); every other file of the run is written and
// listed in the manifest, the other teams' files too, even for a team
// whose accounts all failed or were skipped (no findings).
func TestRunOnceTeamFilesFail(t *testing.T) {
	src := accountOutcomes{sample.NewSource(), map[string]collect.Status{"444444444444": collect.Failed, "333333333333": collect.Skipped}}
	opts := sampleOptions(t, src)
	var logs strings.Builder
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	opts.Teams = sabotagedTeams(t, opts.OutDir)
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatalf("RunOnce() = %v, want the run written without the failed teams", err)
	}
	defer res.Close()
	m := verifiedManifest(t, res.Dir)
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	for _, p := range []string{"findings.json", "audit.md", "audit.xlsx", "evidence/222222222222.csv",
		"teams/payments/audit.xlsx", "teams/payments/audit.md", "teams/platform-team/audit.xlsx",
		"teams/dev/audit.xlsx", "teams/dev/audit.md", "teams/sandbox/audit.xlsx", "teams/sandbox/audit.md"} {
		if !slices.Contains(paths, p) {
			t.Errorf("manifest lacks %s: %v", p, paths)
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "teams/broken") || strings.Contains(p, "etc") {
			t.Errorf("manifest lists %s of a team whose files failed", p)
		}
	}
	if _, err := os.Stat(filepath.Join(res.Dir, "teams", "broken")); !os.IsNotExist(err) {
		t.Errorf("teams/broken left in the run folder: %v", err)
	}
	// The colliding team did not overwrite Payments' files.
	checkOnlyAccounts(t, filepath.Join(res.Dir, "teams", "payments", "audit.xlsx"), map[string]bool{"222222222222": true, "333333333333": true})

	wantFailed := []string{"Broken", "../../etc", "PAYMENTS!"}
	var got []string
	for _, f := range res.Run.Run.TeamFailures {
		got = append(got, f.Team)
	}
	if !slices.Equal(got, wantFailed) {
		t.Errorf("TeamFailures = %+v, want teams %v", res.Run.Run.TeamFailures, wantFailed)
	}
	if !res.Partial() {
		t.Errorf("Partial() = false, want true: team files are missing")
	}
	doc, err := os.ReadFile(filepath.Join(res.Dir, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"team_failures"`, `"team": "Broken"`, `"folder": "broken"`, "not a directory"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("findings.json lacks %s", want)
		}
	}
	for _, want := range []string{"## Team files not written", "| Broken | `teams/broken/` |", "already writes to teams/payments/", "| ../../etc | none |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("audit.md lacks %q", want)
		}
	}
	for _, want := range []string{`msg="team files not written; the run goes on without them"`, "team=Broken folder=broken err=\"mkdir teams/broken: not a directory\"", "team=PAYMENTS!"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	var summary strings.Builder
	res.WriteSummary(&summary)
	for _, want := range []string{"TEAM FILES NOT WRITTEN Broken (teams/broken/): mkdir teams/broken: not a directory", "TEAM FILES NOT WRITTEN ../../etc (no folder): "} {
		if !strings.Contains(summary.String(), want) {
			t.Errorf("reporter run's summary lacks %q:\n%s", want, summary.String())
		}
	}
	// The teams' own audit.md do not list other teams' failures.
	teamMD, err := os.ReadFile(filepath.Join(res.Dir, "teams", "dev", "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(teamMD), "Team files not written") {
		t.Errorf("teams/dev/audit.md lists the failures of other teams")
	}
}

// TestWriteTeamReportsRemovesHalfWritten: a team whose workbook fails
// after its audit.md was written keeps no file; the next team is
// written.
func TestWriteTeamReportsRemovesHalfWritten(t *testing.T) {
	res, err := RunOnce(context.Background(), sampleOptions(t, sample.NewSource()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	dir := t.TempDir()
	// audit.xlsx cannot be created where a folder of that name is.
	if err := os.MkdirAll(filepath.Join(dir, "teams", "first", "audit.xlsx"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, render func(io.Writer) error) error {
		return os.WriteFile(filepath.Join(dir, name), []byte("# audit"), 0o644)
	}
	teams := []Team{
		{Name: "first", Folder: "first", Accounts: map[string]bool{"222222222222": true}},
		{Name: "second", Folder: "second", Accounts: map[string]bool{"222222222222": true}},
	}
	failures, err := writeTeamReports(dir, res.Run, teams, nil, nil, xlsx.Options{}, write)
	if err != nil {
		t.Fatal(err)
	}
	if len(failures) != 1 || failures[0].Folder != "first" || !strings.Contains(failures[0].Error, "render teams/first/audit.xlsx") {
		t.Errorf("failures = %+v, want first's workbook", failures)
	}
	if _, err := os.Stat(filepath.Join(dir, "teams", "first")); !os.IsNotExist(err) {
		t.Errorf("teams/first kept after its workbook failed: %v", err)
	}
	for _, f := range []string{"audit.md", "audit.xlsx"} {
		if _, err := os.Stat(filepath.Join(dir, "teams", "second", f)); err != nil {
			t.Errorf("second team's %s: %v", f, err)
		}
	}
}

// TestRunOnceTeamFilesAfterSIGTERM: a SIGTERM (the run's context
// cancelled) while the team files are being written leaves no file
// half-written: every team file is complete and listed, and the folder
// verifies.
func TestRunOnceTeamFilesAfterSIGTERM(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := sampleOptions(t, sample.NewSource())
	opts.Teams = func(run *result.Run) []Team {
		cancel() // the signal arrives as the team files start
		return sampleTeams(run)
	}
	res, err := RunOnce(ctx, opts)
	if err != nil {
		t.Fatalf("RunOnce() = %v", err)
	}
	defer res.Close()
	m := verifiedManifest(t, res.Dir)
	listed := 0
	for _, f := range m.Files {
		if _, _, ok := runfolder.TeamOf(f.Path); ok {
			listed++
			if f.Size == 0 {
				t.Errorf("%s listed empty", f.Path)
			}
		}
	}
	if listed != 4 {
		t.Errorf("%d team files listed, want 4 (2 teams × audit.xlsx, audit.md)", listed)
	}
	for _, team := range sampleTeams(nil) {
		f, err := excelize.OpenFile(filepath.Join(res.Dir, "teams", team.Folder, "audit.xlsx"))
		if err != nil {
			t.Fatalf("team %s: audit.xlsx unreadable: %v", team.Name, err)
		}
		f.Close()
	}
}

// TestTeamRunLeavesOutUnusedFiles: the source folder's unused files,
// which can name other teams' accounts, stay in the run's own report.
func TestTeamRunLeavesOutUnusedFiles(t *testing.T) {
	dir := copySample(t)
	if err := os.WriteFile(filepath.Join(dir, "777777777777.csv.bak"), []byte("user,arn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runDir(t, dir, func(o *Options) { o.Teams = sampleTeams })
	org, err := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	team, err := os.ReadFile(filepath.Join(res.Dir, "teams", "payments", "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(org), "777777777777") {
		t.Errorf("the run's audit.md does not list the unused file:\n%s", org)
	}
	if strings.Contains(string(team), "777777777777") {
		t.Errorf("the team's audit.md names another account's file")
	}
}

// verifiedManifest fails t unless the run folder dir matches its
// manifest (every file listed, none altered or extra), and returns the
// manifest.
func verifiedManifest(t *testing.T, dir string) *runfolder.Manifest {
	t.Helper()
	if problems, err := runfolder.VerifyDir(dir); err != nil || len(problems) > 0 {
		t.Fatalf("VerifyDir() = %v, %v; want a manifest matching every file", problems, err)
	}
	m, err := runfolder.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTeamExceptionsAreTeamScoped: a team's workbook and audit.md used
// to show every exception with the organization's match count and
// status, telling a team how many findings other teams have accepted and
// calling an exception stale or active by other teams' findings. Counts
// and statuses are now the team's own, and an exception for every
// account that matches nothing of the team's is left out.
func TestTeamExceptionsAreTeamScoped(t *testing.T) {
	exc := func(account, principal, check string, expires time.Time) audit.Exception {
		return audit.Exception{Account: account, Principal: principal, Check: check, Reason: "r", Owner: "o",
			ApprovedBy: "a", Expires: expires, Source: "exceptions.yaml:" + check}
	}
	inForce, past := sample.AsOf.AddDate(0, 1, 0).Truncate(24*time.Hour), sample.AsOf.AddDate(0, 0, -1).Truncate(24*time.Hour)
	opts := sampleOptions(t, sample.NewSource())
	opts.Teams = sampleTeams
	opts.Exceptions = []audit.Exception{
		exc("*", "*", audit.ConsoleMFAMissing, inForce),               // 111: 1, 222: 1, 333: 2
		exc("*", "*", audit.UserInactive, inForce),                    // 222: 2, 333: 3, 444: 1
		exc("111111111111", "nobody", audit.AccessKeyUnused, inForce), // matches nothing
		exc("*", "*", audit.RootUsedRecently, past),                   // 111: 1, 222: 1
		exc("*", "*", audit.RoleUnused, inForce),                      // 111: role/…
		exc("333333333333", "*", audit.AccessKeyUnused, inForce),      // 333: 1
	}
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	type use struct {
		status  string
		matched int
	}
	org := map[string]use{}
	for _, u := range res.Run.Exceptions {
		org[u.Check+" "+u.Account] = use{u.Status, u.Matched}
	}
	if want := (use{exceptions.Active, 6}); org[audit.UserInactive+" *"] != want {
		t.Fatalf("the run's own user-inactive exception = %+v, want %+v", org[audit.UserInactive+" *"], want)
	}
	tests := []struct {
		team string
		want map[string]use // by check and account; absent ones are left out
	}{
		{"Payments", map[string]use{
			audit.ConsoleMFAMissing + " *":          {exceptions.Active, 3},
			audit.UserInactive + " *":               {exceptions.Active, 5},
			audit.RootUsedRecently + " *":           {exceptions.Expired, 1},
			audit.AccessKeyUnused + " 333333333333": {exceptions.Active, 1},
		}},
		{"#platform-team", map[string]use{
			audit.ConsoleMFAMissing + " *":          {exceptions.Active, 1},
			audit.AccessKeyUnused + " 111111111111": {exceptions.Stale, 0},
			audit.RootUsedRecently + " *":           {exceptions.Expired, 1},
			audit.RoleUnused + " *":                 {exceptions.Active, 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.team, func(t *testing.T) {
			i := slices.IndexFunc(sampleTeams(nil), func(team Team) bool { return team.Name == tt.team })
			team := sampleTeams(nil)[i]
			sub, err := teamRun(res.Run, team.Accounts)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]use{}
			for _, u := range sub.Exceptions {
				got[u.Check+" "+u.Account] = use{u.Status, u.Matched}
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("teamRun(%s).Exceptions = %v, want %v", tt.team, got, tt.want)
			}
			// The workbook's Exceptions sheet says the same.
			f, err := excelize.OpenFile(filepath.Join(res.Dir, "teams", team.Folder, "audit.xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows("Exceptions")
			if err != nil {
				t.Fatal(err)
			}
			sheet := map[string]use{}
			for _, r := range rows[1:] {
				n, err := strconv.Atoi(r[1])
				if err != nil {
					t.Fatalf("Exceptions row %v: matched %q", r, r[1])
				}
				sheet[r[4]+" "+r[2]] = use{r[0], n}
			}
			if !maps.Equal(sheet, tt.want) {
				t.Errorf("%s's Exceptions sheet = %v, want %v", tt.team, sheet, tt.want)
			}
			// audit.md's expired exception counts the team's findings.
			md, err := os.ReadFile(filepath.Join(res.Dir, "teams", team.Folder, "audit.md"))
			if err != nil {
				t.Fatal(err)
			}
			if want := "expired " + past.Format(time.DateOnly) + " (1 finding;"; !strings.Contains(string(md), want) {
				t.Errorf("%s's audit.md lacks %q", tt.team, want)
			}
		})
	}
}
