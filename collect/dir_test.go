package collect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// report is a credential report; the dir source does not parse it.
const report = "user,arn\n<root_account>,arn:aws:iam::111122223333:root\n"

// collectDir runs a DirSource over dir and returns its results by account.
func collectDir(t *testing.T, dir string) (map[string]AccountResult, []UnusedFile, error) {
	t.Helper()
	src, err := NewDirSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]AccountResult{}
	err = src.Collect(context.Background(), func(r AccountResult) error {
		got[r.Account.ID] = r
		return nil
	})
	return got, src.UnusedFiles(), err
}

func TestDirSourceLinksAndSpecialFiles(t *testing.T) {
	const id = "111122223333"
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "report.csv"), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// setup prepares dir; the account's report is dir/111122223333.csv.
		setup     func(t *testing.T, dir string)
		wantError string // "" when the account is collected
	}{
		{"plain file", func(t *testing.T, dir string) {
			write(t, dir, id+".csv", report)
		}, ""},
		{"link to a file in the folder", func(t *testing.T, dir string) {
			write(t, dir, "saved/report.csv", report)
			link(t, "saved/report.csv", dir, id+".csv")
		}, ""},
		{"absolute link outside", func(t *testing.T, dir string) {
			link(t, filepath.Join(outside, "report.csv"), dir, id+".csv")
		}, "read 111122223333.csv: symbolic link to a path outside the report directory: refused (it points to " + outside},
		{"relative link climbing out", func(t *testing.T, dir string) {
			link(t, filepath.Join("..", filepath.Base(outside), "report.csv"), dir, id+".csv")
		}, "symbolic link to a path outside the report directory: refused"},
		{"link to a link that leaves", func(t *testing.T, dir string) {
			link(t, filepath.Join(outside, "report.csv"), dir, "hop")
			link(t, "hop", dir, id+".csv")
		}, "read 111122223333.csv"},
		{"link through a linked folder that leaves", func(t *testing.T, dir string) {
			link(t, outside, dir, "d")
			link(t, "d/report.csv", dir, id+".csv")
		}, "read 111122223333.csv: symbolic link to d/report.csv, not followed within the report directory"},
		{"dangling link", func(t *testing.T, dir string) {
			link(t, "gone.csv", dir, id+".csv")
		}, "read 111122223333.csv: symbolic link to gone.csv, which does not exist"},
		{"link to a folder", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			link(t, "sub", dir, id+".csv")
		}, "read 111122223333.csv: a folder, not a regular file"},
		{"named pipe (reading would block)", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, id+".csv"), 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, "read 111122223333.csv: a named pipe, not a regular file"},
		{"password policy linked outside", func(t *testing.T, dir string) {
			write(t, dir, id+".csv", report)
			write(t, outside, "policy.json", `{"PasswordPolicy": null}`)
			link(t, filepath.Join(outside, "policy.json"), dir, id+".password-policy.json")
		}, "read 111122223333.password-policy.json: symbolic link to a path outside the report directory: refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			got, _, err := collectDir(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			res, ok := got[id]
			if !ok {
				t.Fatalf("Collect() = %v, want account %s", got, id)
			}
			if tt.wantError == "" {
				if res.Status != Collected || string(res.Report) != report {
					t.Errorf("account = %s (%v), report %q; want collected", res.Status, res.Err, res.Report)
				}
				return
			}
			if res.Status != Failed || res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantError) {
				t.Errorf("account = %s (%v), want failed with %q", res.Status, res.Err, tt.wantError)
			}
			// Nothing read through a refused file; a report read before a
			// refused password policy is the folder's own and is kept.
			if keeps := strings.Contains(tt.name, "policy"); (res.Report != nil) != keeps {
				t.Errorf("failed account carries %d bytes of report", len(res.Report))
			}
		})
	}
}

func TestDirSourceAccountsFileLinkedOutside(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write(t, dir, "111122223333.csv", report)
	write(t, outside, "accounts.json", `{"Accounts": [{"Id": "111122223333", "Name": "secret-name"}]}`)
	link(t, filepath.Join(outside, "accounts.json"), dir, "accounts.json")
	_, _, err := collectDir(t, dir)
	if !errors.Is(err, ErrOutside) {
		t.Errorf("Collect() error = %v, want %v", err, ErrOutside)
	}
}

func TestDirSourceNothingUsable(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "prod.csv", report)
	write(t, dir, "README", "x")
	_, unused, err := collectDir(t, dir)
	if err == nil || !strings.Contains(err.Error(), "no credential reports found") {
		t.Errorf("Collect() error = %v, want no credential reports found", err)
	}
	// The files are still listed, so the run says why nothing was read.
	if len(unused) != 2 || unused[0].Name != "README" || unused[1].Name != "prod.csv" {
		t.Errorf("UnusedFiles() = %+v, want README and prod.csv", unused)
	}
}

func TestDirSourceCredentialReportJSON(t *testing.T) {
	dir := t.TempDir()
	// base64 of report
	write(t, dir, "111122223333.credential-report.json", `{"Content": "dXNlcixhcm4KPHJvb3RfYWNjb3VudD4sYXJuOmF3czppYW06OjExMTEyMjIyMzMzMzpyb290Cg==", "GeneratedTime": "2026-10-31T22:00:00Z"}`)
	write(t, dir, "111122223333.password-policy.json", `{"MinimumPasswordLength": 14}`)
	got, unused, err := collectDir(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	res := got["111122223333"]
	if res.Status != Collected || string(res.Report) != report || res.ReportGeneratedAt.IsZero() || res.Policy.Policy.MinimumPasswordLength == nil {
		t.Errorf("account = %+v (%v), want collected from the CLI output with its policy", res, res.Err)
	}
	if len(unused) != 0 {
		t.Errorf("UnusedFiles() = %+v, want none", unused)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, dir, name string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}
