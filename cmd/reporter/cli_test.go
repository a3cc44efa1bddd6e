package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunExitStatus(t *testing.T) {
	// One account audited and one failed: a partial run (exit 3).
	healthy, err := os.ReadFile("../../collect/sample/org/111111111111.csv")
	if err != nil {
		t.Fatal(err)
	}
	malformed := t.TempDir()
	for name, content := range map[string]string{
		"111122223333.csv": strings.ReplaceAll(string(healthy), "111111111111", "111122223333"),
		"444455556666.csv": "<html>not a report</html>",
	} {
		if err := os.WriteFile(filepath.Join(malformed, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config := filepath.Join(t.TempDir(), "reporter.yaml")
	if err := os.WriteFile(config, []byte("source: sample\npreset: cis\nthresholds:\n  key_rotation_days: 30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badConfig := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("source: sample\nno_such_key: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badExceptions := filepath.Join(t.TempDir(), "exceptions.yaml")
	if err := os.WriteFile(badExceptions, []byte("exceptions:\n  - account: \"*\"\n    principal: \"*\"\n    check: no-such-check\n    reason: r\n    owner: o\n    approved_by: a\n    expires: 2026-12-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"sample", []string{"run", "--source", "sample"}, exitOK, "Audited 5 of 5 accounts, 13 IAM users, 35 open findings", ""},
		{"sample with CIS preset", []string{"run", "--source", "sample", "--preset", "cis"}, exitOK, "Audited 5 of 5 accounts", ""},
		{"config file", []string{"run", "--config", config}, exitOK, "Audited 5 of 5 accounts", ""},
		{"unknown config key", []string{"run", "--config", badConfig}, exitUsage, "", "no_such_key"},
		{"malformed report", []string{"run", "--source", "dir:" + malformed, "--as-of", "2026-11-01"}, exitPartial,
			"FAILED 444455556666", "account failed"},
		{"invalid exceptions file", []string{"run", "--source", "sample", "--exceptions", badExceptions}, exitUsage, "", `exceptions.yaml:4: unknown check "no-such-check"`},
		{"missing source", []string{"run"}, exitUsage, "", "--source is required"},
		{"unknown source", []string{"run", "--source", "ftp:x"}, exitUsage, "", "unknown source \"ftp:x\""},
		{"bad as-of", []string{"run", "--source", "sample", "--as-of", "yesterday"}, exitUsage, "", "--as-of"},
		{"as-of too far ahead", []string{"run", "--source", "sample", "--as-of", "9900-01-01"}, exitUsage, "", "want a time from 2006-01-01 to 8999-12-31"},
		{"as-of before AWS", []string{"run", "--source", "sample", "--as-of", "1999-12-31T23:59:59Z"}, exitUsage, "", "--as-of"},
		{"bad preset", []string{"run", "--source", "sample", "--preset", "strict"}, exitUsage, "", "unknown threshold preset"},
		{"negative threshold", []string{"run", "--source", "sample", "--rotation-days", "-5"}, exitUsage, "", "must not be negative"},
		{"missing directory", []string{"run", "--source", "dir:/no/such/dir"}, exitUsage, "", "report directory"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", "unknown command"},
		{"checks", []string{"checks"}, exitOK, "root-access-key-active", ""},
		{"version", []string{"version"}, exitOK, "reporter ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{}, tt.args...)
			if args[0] == "run" {
				args = append(args, "--out", t.TempDir())
			}
			got := run(context.Background(), args, &stdout, &stderr)
			if got != tt.want {
				t.Fatalf("run(%v) = %d, want %d\nstdout: %s\nstderr: %s", tt.args, got, tt.want, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestConfigFileThresholds(t *testing.T) {
	config := filepath.Join(t.TempDir(), "reporter.yaml")
	if err := os.WriteFile(config, []byte("preset: cis\nthresholds:\n  key_rotation_days: 30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		args                   []string
		wantUnused, wantRotate int
	}{
		{"defaults", nil, 90, 90},
		{"file: cis preset plus one override", []string{"--config", config}, 45, 30},
		{"flag overrides file", []string{"--config", config, "--rotation-days", "60"}, 45, 60},
		{"preset flag resets file thresholds, explicit flag kept", []string{"--config", config, "--preset", "default", "--unused-days", "10"}, 10, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseRun(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.cfg.Thresholds; got.UnusedCredentialDays != tt.wantUnused || got.KeyRotationDays != tt.wantRotate {
				t.Errorf("thresholds = %+v, want unused %d rotation %d", got, tt.wantUnused, tt.wantRotate)
			}
		})
	}
}

// parseRun parses the flags of `reporter run` as run does, and returns the
// configuration without running.
func parseRun(args []string) (*settings, error) {
	s := loadSettings(args)
	root := newRoot(s, io.Discard, io.Discard)
	cmd, rest, err := root.Find(append([]string{"run"}, args...))
	if err != nil {
		return nil, err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return nil, err
	}
	return s, s.ready(cmd)
}
