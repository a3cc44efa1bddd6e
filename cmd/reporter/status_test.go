package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// TestRunSourceFailsBeforeListing: an org source whose credentials are
// rejected, or whose endpoint cannot be reached, audits nothing. The run
// is incomplete, exits 6 (not 0 or 3), and the digest, the terminal
// summary and audit.md lead with the failure instead of "no open
// findings".
func TestRunSourceFailsBeforeListing(t *testing.T) {
	url := sampleFake(t)
	tests := []struct {
		name     string
		setup    func(t *testing.T)
		args     []string
		wantWhy  string
		wantRuns int
	}{
		{"credentials rejected", func(t *testing.T) {
			awsEndpointEnv(t, url)
			t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREJECTEDREJECTED")
		}, nil, "sts:GetCallerIdentity", 1},
		{"endpoint unreachable", func(t *testing.T) {
			awsEndpointEnv(t, "http://127.0.0.1:1")
		}, []string{"--run-timeout", "3s"}, "sts:GetCallerIdentity", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup(t)
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			args := append([]string{"run", "--source", "org", "--out", out, "--as-of", sample.AsOf.Format(time.RFC3339)}, tt.args...)
			code := run(context.Background(), args, &stdout, &stderr)
			if code != exitAuditFailed {
				t.Fatalf("reporter %s = %d, want %d:\n%s\n%s", strings.Join(args, " "), code, exitAuditFailed, stdout.String(), stderr.String())
			}
			text := stdout.String()
			// The dry-run digest comes first (after its frame line), then
			// the summary.
			lines := strings.Split(strings.TrimLeft(text, "\n"), "\n")
			if len(lines) < 4 || lines[1] != "IAM credential audit FAILED — 2026-11-01" {
				t.Fatalf("the digest does not lead with the failure:\n%s", text)
			}
			if !strings.HasPrefix(lines[3], "!! Audit FAILED: no account could be audited: collection stopped:") || !strings.Contains(lines[3], tt.wantWhy) {
				t.Errorf("digest line after the header = %q, want the failure naming %s", lines[3], tt.wantWhy)
			}
			if !strings.Contains(text, "\nAudit FAILED: no account could be audited") {
				t.Errorf("the terminal summary does not lead with the failure:\n%s", text)
			}
			for _, allClear := range []string{"No open findings", "Nothing needs action"} {
				if strings.Contains(text, allClear) {
					t.Errorf("output says %q:\n%s", allClear, text)
				}
			}
			dirs, _ := filepath.Glob(filepath.Join(out, "*", "*", "*", runfolder.ManifestName))
			if len(dirs) != tt.wantRuns {
				t.Fatalf("%d run folders with a manifest, want %d", len(dirs), tt.wantRuns)
			}
			dir := filepath.Dir(dirs[0])
			man, err := runfolder.ReadManifest(dir)
			if err != nil || man.Status != result.RunIncomplete {
				t.Errorf("manifest status = %v (%v), want incomplete", man, err)
			}
			md, _ := os.ReadFile(filepath.Join(dir, "audit.md"))
			mdLines := strings.Split(string(md), "\n")
			if len(mdLines) < 3 || !strings.HasPrefix(mdLines[2], "> **Audit FAILED: no account could be audited") {
				t.Errorf("audit.md does not lead with the failure:\n%s", md)
			}
			f, _ := os.Open(filepath.Join(dir, "findings.json"))
			defer f.Close()
			doc, err := jsonfile.Read(f)
			if err != nil || doc.Run.Status != result.RunIncomplete || !strings.Contains(doc.Run.Error, tt.wantWhy) {
				t.Errorf("findings.json run = %+v, %v; want status incomplete and the error", doc.Run, err)
			}
		})
	}
}

// TestArchiveListShowsRunStatus: `archive list` tells a complete run
// from a partial one and from a run that audited nothing, which exits 6.
func TestArchiveListShowsRunStatus(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	s3flags := []string{"--bucket", "plain", "--prefix", "status", "--s3-endpoint", srv.URL, "--s3-path-style"}
	partial, broken := t.TempDir(), t.TempDir()
	for _, dir := range []string{partial, broken} {
		os.WriteFile(filepath.Join(dir, "111111111111.csv"), []byte("not,a,credential,report\n"), 0o644)
	}
	sampleReport, err := os.ReadFile(filepath.Join("..", "..", "collect", "sample", "org", "222222222222.csv"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(partial, "222222222222.csv"), sampleReport, 0o644)
	for _, r := range []struct {
		source, asOf string
		want         int
	}{
		{"sample", "2026-09-01", exitOK},
		{"dir:" + partial, "2026-10-01", exitPartial},
		{"dir:" + broken, "2026-11-01", exitAuditFailed},
	} {
		args := append([]string{"run", "--source", r.source, "--out", out, "--as-of", r.asOf}, s3flags...)
		if code, stdout, stderr := cli(t, args...); code != r.want {
			t.Fatalf("reporter %s = %d, want %d\n%s\n%s", strings.Join(args, " "), code, r.want, stdout, stderr)
		}
	}
	code, stdout, stderr := cli(t, append([]string{"archive", "list"}, s3flags...)...)
	if code != exitOK {
		t.Fatalf("archive list = %d: %s", code, stderr)
	}
	for _, want := range []string{
		"20261101T000000Z  2026-11-01T00:00:00Z  0/1 (0%)",
		"FAILED: no account audited",
		"20261001T000000Z  2026-10-01T00:00:00Z  1/2 (50%)",
		"partial",
		"20260901T000000Z  2026-09-01T00:00:00Z  5/5 (100%)",
		"complete",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("archive list lacks %q:\n%s", want, stdout)
		}
	}
}
