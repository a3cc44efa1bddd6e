package app

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/collect/sample"
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
	problems, err := runfolder.VerifyDir(res.Dir)
	if err != nil || len(problems) > 0 {
		t.Fatalf("VerifyDir() = %v, %v", problems, err)
	}
	m, err := runfolder.ReadManifest(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
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
		want  string
	}{
		{"escapes the run folder", []Team{{Name: "x", Folder: "../../x", Accounts: one}}, `folder name "../../x" is not safe`},
		{"empty", []Team{{Name: "x", Folder: "", Accounts: one}}, "is not safe"},
		{"upper case", []Team{{Name: "x", Folder: "Pay", Accounts: one}}, "is not safe"},
		{"twice", []Team{{Name: "a", Folder: "pay", Accounts: one}, {Name: "b", Folder: "pay", Accounts: one}}, `teams "a" and "b" both write to teams/pay/`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			written := 0
			write := func(string, func(io.Writer) error) error { written++; return nil }
			err := writeTeamReports(dir, res.Run, tt.teams, nil, nil, xlsx.Options{}, write)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("writeTeamReports() = %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "x")); err == nil {
				t.Errorf("a folder was made outside the run folder")
			}
			if len(tt.teams) == 1 && written > 0 {
				t.Errorf("%d files written for an unsafe team folder", written)
			}
		})
	}
}
