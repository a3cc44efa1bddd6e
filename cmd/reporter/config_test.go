package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFile writes content to name in a new temporary folder and returns
// its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// problemLines returns the configuration problems printed by `reporter
// CMD`, without the command's prefix, so that two commands can be compared.
func problemLines(cmd, stderr string) []string {
	var out []string
	prefix := "reporter " + cmd + ": invalid configuration: "
	for line := range strings.SplitSeq(stderr, "\n") {
		if p, ok := strings.CutPrefix(line, prefix); ok {
			out = append(out, p)
		}
	}
	return out
}

// TestConfigCheckAgreesWithRun: every configuration that `run` or
// `daemon` refuses, `config check` refuses with the same problems and exit
// status 2; before, config check called several of them valid.
func TestConfigCheckAgreesWithRun(t *testing.T) {
	const entry = `  - account: "*"
    principal: "*"
    check: root-access-key-active
    reason: r
    owner: o
    approved_by: a
`
	forever := writeFile(t, "forever.yaml", "exceptions:\n"+entry+"    expires: 9999-12-31\n")
	twice := writeFile(t, "twice.yaml", "exceptions:\n"+entry+"    expires: 2026-12-01\nexceptions:\n"+entry+"    expires: 2026-12-02\n")
	onlySlack := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlySlack, "slack.tmpl"), []byte(`{{define "slack.message"}}{}{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	brokenTmpl := t.TempDir()
	if err := os.WriteFile(filepath.Join(brokenTmpl, "audit.md.tmpl"), []byte("{{.NoSuchFunc | nosuch}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := func(yaml string) []string { return []string{"--config", writeFile(t, "reporter.yaml", yaml)} }

	tests := []struct {
		name string
		args []string          // after the command; --out is added
		env  map[string]string // REPORTER_* overrides
		want string            // in the (first) problem
	}{
		{"unknown source flag", []string{"--source", "bogus"}, nil, `unknown source "bogus"`},
		{"unknown source in the environment", nil, map[string]string{"REPORTER_SOURCE": "bogus"}, `unknown source "bogus"`},
		{"dir: without a folder", []string{"--source", "dir:"}, nil, "dir: needs a folder"},
		{"missing dir: folder", file("source: dir:/no/such/folder\n"), nil, "report directory"},
		{"negative concurrency", append(file("aws:\n  concurrency: -3\n"), "--source", "sample"), nil, "aws.concurrency -3 (--concurrency): want 1 or more"},
		{"negative concurrency, org", append(file("aws:\n  concurrency: -3\n"), "--source", "org"), nil, "aws.concurrency -3"},
		{"zero account timeout", []string{"--source", "sample", "--account-timeout", "0s"}, nil, "aws.account_timeout 0s"},
		{"missing templates folder", []string{"--source", "sample", "--templates", "/no/such/templates"}, nil, "templates (--templates)"},
		{"templates without audit.md", []string{"--source", "sample", "--templates", onlySlack}, nil, "audit.md.tmpl is not defined"},
		{"templates that do not parse", []string{"--source", "sample", "--templates", brokenTmpl}, nil, "nosuch"},
		{"exceptions_max_days 0", append(file("exceptions_max_days: 0\n"), "--source", "sample"), nil, "exceptions_max_days 0 (--exceptions-max-days): want 1 or more"},
		{"--exceptions-max-days -1", []string{"--source", "sample", "--exceptions-max-days", "-1"}, nil, "exceptions_max_days -1"},
		{"max days 0 for an exception forever", []string{"--source", "sample", "--exceptions", forever, "--exceptions-max-days", "0"}, nil, "exceptions_max_days 0"},
		{"exception forever", []string{"--source", "sample", "--exceptions", forever}, nil, "expires 9999-12-31 is more than 365 days"},
		{"exceptions key twice", []string{"--source", "sample", "--exceptions", twice}, nil, `twice.yaml:9: key "exceptions" is defined twice (first at line 1)`},
		{"config key twice", file("source: sample\nout: a\nsource: dir:/x\n"), nil, `reporter.yaml:3: key "source" is defined twice (first at line 1)`},
		{"nested config key twice", file("source: sample\ns3:\n  bucket: a\n  bucket: b\n"), nil, `reporter.yaml:4: key "bucket" is defined twice`},
		{"bad schedule", append(file("daemon:\n  schedule: every month\n"), "--source", "sample"), nil, "schedule"},
		{"bad time zone in the environment", []string{"--source", "sample"}, map[string]string{"REPORTER_DAEMON_TIMEZONE": "Mars/Olympus"}, "Mars/Olympus"},
		{"zero daemon run timeout", append(file("daemon:\n  run_timeout: 0s\n"), "--source", "sample"), nil, "daemon.run_timeout 0s"},
		{"bad log format", []string{"--source", "sample", "--log-format", "yaml"}, nil, `log.format "yaml"`},
		{"negative workbook limit", []string{"--source", "sample", "--workbook-max-credential-rows", "-5"}, nil, "workbook.max_credential_rows -5"},
		{"negative workbook limit in the environment", []string{"--source", "sample"}, map[string]string{"REPORTER_WORKBOOK_MAX_CREDENTIAL_ROWS": "-1"}, "workbook.max_credential_rows -1"},
		{"negative family-sheet limit", []string{"--source", "sample", "--workbook-max-family-rows", "-5"}, nil, "workbook.max_family_rows -5"},
		{"negative family-sheet limit in the environment", []string{"--source", "sample"}, map[string]string{"REPORTER_WORKBOOK_MAX_FAMILY_ROWS": "-1"}, "workbook.max_family_rows -1"},
		{"bad listen address", []string{"--source", "sample"}, map[string]string{"REPORTER_LISTEN": "9090"}, `listen "9090"`},
		{"bad bucket", []string{"--source", "sample", "--bucket", "b/prefix"}, nil, `s3.bucket "b/prefix"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got := map[string][]string{}
			for _, cmd := range []string{"config check", "run", "daemon"} {
				args := append(strings.Fields(cmd), tt.args...)
				args = append(args, "--out", t.TempDir())
				ctx, cancel := context.WithCancel(context.Background())
				if cmd == "daemon" {
					cancel() // a daemon that accepted the configuration stops at once
				}
				var stdout, stderr bytes.Buffer
				code := run(ctx, args, &stdout, &stderr)
				cancel()
				if code != exitUsage {
					t.Fatalf("reporter %s = %d, want %d\nstdout:\n%s\nstderr:\n%s", cmd, code, exitUsage, stdout.String(), stderr.String())
				}
				got[cmd] = problemLines(cmd, stderr.String())
				if len(got[cmd]) == 0 || !strings.Contains(got[cmd][0], tt.want) {
					t.Fatalf("reporter %s problems = %q, want the first to contain %q\nstderr:\n%s", cmd, got[cmd], tt.want, stderr.String())
				}
			}
			if !slices.Equal(got["config check"], got["run"]) || !slices.Equal(got["run"], got["daemon"]) {
				t.Errorf("the commands disagree:\nconfig check: %q\nrun:          %q\ndaemon:       %q", got["config check"], got["run"], got["daemon"])
			}
		})
	}
}

// TestConfigCheckListsEveryProblem: an operator fixes them all at once.
func TestConfigCheckListsEveryProblem(t *testing.T) {
	cfg := writeFile(t, "reporter.yaml", "source: bogus\nexceptions_max_days: 0\naws:\n  concurrency: -3\nlog:\n  level: loud\n")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"config", "check", "--config", cfg}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("config check = %d, want %d\n%s", code, exitUsage, stderr.String())
	}
	got := problemLines("config check", stderr.String())
	want := []string{`unknown source "bogus"`, "exceptions_max_days 0", `log.level "loud"`, "aws.concurrency -3"}
	if len(got) != len(want) {
		t.Fatalf("problems = %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("problem %d = %q, want %q", i, got[i], want[i])
		}
	}
	if !strings.Contains(stdout.String(), "concurrency: -3") {
		t.Errorf("the effective configuration is not printed:\n%s", stdout.String())
	}
}

// TestConfigCheckAcceptsWhatRunAccepts: the good side of the agreement.
func TestConfigCheckAcceptsWhatRunAccepts(t *testing.T) {
	noSlackEnv(t)
	exc := writeFile(t, "exceptions.yaml", "exceptions:\n  - account: \"*\"\n    principal: \"*\"\n    check: root-access-key-active\n    reason: r\n    owner: o\n    approved_by: a\n    expires: 2027-01-01\n")
	cfg := writeFile(t, "reporter.yaml", "source: sample\nexceptions_max_days: 1\ntemplates: ../../templates\n")
	args := []string{"--config", cfg, "--exceptions", exc, "--exceptions-max-days", "90"}
	for _, cmd := range []string{"config check", "run"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(append(strings.Fields(cmd), args...), "--out", t.TempDir()), &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("reporter %s = %d, want 0\nstdout:\n%s\nstderr:\n%s", cmd, code, stdout.String(), stderr.String())
		}
	}
}

// TestEveryCommandReadsTheEnvironment: archive and notify load the
// configuration like run (file, then REPORTER_*, then flags); they used to
// ignore the environment ("no bucket" with REPORTER_S3_BUCKET set).
func TestEveryCommandReadsTheEnvironment(t *testing.T) {
	fileBucket := writeFile(t, "reporter.yaml", "s3:\n  bucket: file/bucket\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"environment bucket", []string{"archive", "list"}, map[string]string{"REPORTER_S3_BUCKET": "env/bucket"}, `s3.bucket "env/bucket"`},
		{"file bucket", []string{"archive", "list", "--config", fileBucket}, nil, `s3.bucket "file/bucket"`},
		{"environment over the file", []string{"archive", "verify", "latest", "--config", fileBucket}, map[string]string{"REPORTER_S3_BUCKET": "env/bucket"}, `s3.bucket "env/bucket"`},
		{"flag over the environment", []string{"archive", "get", "latest", "--to", "x", "--bucket", "flag/bucket"}, map[string]string{"REPORTER_S3_BUCKET": "env/bucket"}, `s3.bucket "flag/bucket"`},
		{"archive validates everything", []string{"archive", "list", "--bucket", "b"}, map[string]string{"REPORTER_EXCEPTIONS_MAX_DAYS": "0"}, "exceptions_max_days 0"},
		{"notify validates everything", []string{"notify", "latest"}, map[string]string{"REPORTER_AWS_CONCURRENCY": "-3"}, "aws.concurrency -3"},
		{"notify: bad environment value", []string{"notify", "latest"}, map[string]string{"REPORTER_SLACK_MAX_FINDINGS": "many"}, `REPORTER_SLACK_MAX_FINDINGS="many"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := cli(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("reporter %v = %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", tt.args, code, exitUsage, tt.want, stdout, stderr)
			}
		})
	}
}

// TestArchiveListBucketFromEnvironment lists the archive of a bucket named
// only by REPORTER_S3_BUCKET, against versitygw.
func TestArchiveListBucketFromEnvironment(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	t.Setenv("REPORTER_S3_BUCKET", "plain")
	t.Setenv("REPORTER_S3_ENDPOINT", srv.URL)
	t.Setenv("REPORTER_S3_PATH_STYLE", "true")
	if code, stdout, stderr := cli(t, "run", "--source", "sample", "--out", out, "--as-of", "2026-11-01"); code != exitOK {
		t.Fatalf("reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := cli(t, "archive", "list")
	if code != exitOK || !strings.Contains(stdout, "20261101T000000Z") {
		t.Errorf("REPORTER_S3_BUCKET=plain reporter archive list = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestNotifyOutFromEnvironment re-posts (dry run) the digest of a run
// found through REPORTER_OUT.
func TestNotifyOutFromEnvironment(t *testing.T) {
	noSlackEnv(t)
	out, _ := sampleRunDir(t)
	t.Setenv("REPORTER_OUT", out)
	t.Setenv("REPORTER_SLACK_DRY_RUN", "true")
	code, stdout, stderr := cli(t, "notify", "latest")
	if code != exitOK || !strings.Contains(stdout, "open findings") {
		t.Errorf("REPORTER_OUT=%s reporter notify latest = %d\nstdout:\n%s\nstderr:\n%s", out, code, stdout, stderr)
	}
}
