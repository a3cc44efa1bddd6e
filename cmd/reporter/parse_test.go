package main

import (
	"encoding/json"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/audit"
)

// TestCommandLine: the conventions of the command line. Both flag forms,
// --slack-dry-run alone or =json, suggestions for a mistyped command or
// flag, one-line errors with the usage status 2, and no wall of usage.
func TestCommandLine(t *testing.T) {
	noSlackEnv(t)
	tests := []struct {
		name       string
		args       []string // run gets --out TMP appended
		want       int
		wantStdout []string
		wantStderr []string
		// oneLineError: stderr is the error and the pointer to the help, nothing else.
		oneLineError bool
	}{
		{name: "flag value as next argument", args: []string{"run", "--source", "sample", "--as-of", "2026-11-01"},
			wantStdout: []string{"Run 20261101T000000Z", "Audited 5 of 5 accounts"}},
		{name: "flag value after =", args: []string{"run", "--source=sample", "--as-of=2026-11-01", "--preset=cis"},
			wantStdout: []string{"Run 20261101T000000Z", "Audited 5 of 5 accounts"}},
		{name: "dry run alone prints the readable digest", args: []string{"run", "--source", "sample", "--slack-dry-run"},
			wantStdout: []string{"open findings", "Audited 5 of 5"}},
		{name: "dry run =json prints the message JSON", args: []string{"run", "--source", "sample", "--slack-dry-run=json"},
			wantStdout: []string{`"blocks"`, "Audited 5 of 5"}},
		{name: "dry run value without =", args: []string{"run", "--source", "sample", "--slack-dry-run", "json"}, want: exitUsage,
			wantStderr: []string{`reporter run: unexpected argument "json"; write --slack-dry-run=json`}, oneLineError: true},
		{name: "mistyped command", args: []string{"rnu"}, want: exitUsage,
			wantStderr: []string{`unknown command "rnu" for "reporter" (did you mean run?)`, "Run 'reporter --help' for usage."}, oneLineError: true},
		{name: "mistyped subcommand", args: []string{"archive", "lst"}, want: exitUsage,
			wantStderr: []string{`unknown command "lst" for "reporter archive" (did you mean list`}, oneLineError: true},
		{name: "unknown flag", args: []string{"run", "--sourc", "sample"}, want: exitUsage,
			wantStderr: []string{"reporter run: unknown flag: --sourc (did you mean --source?)", "Run 'reporter run --help' for usage."}, oneLineError: true},
		{name: "unknown flag, nothing near", args: []string{"checks", "--frobnicate"}, want: exitUsage,
			wantStderr: []string{"reporter checks: unknown flag: --frobnicate\n"}, oneLineError: true},
		{name: "long flag with one dash", args: []string{"run", "-source", "sample"}, want: exitUsage,
			wantStderr: []string{"long flags take two dashes: --source"}, oneLineError: true},
		{name: "flag without its value", args: []string{"archive", "get", "latest", "--to"}, want: exitUsage,
			wantStderr: []string{"reporter archive get: flag needs an argument: --to"}, oneLineError: true},
		{name: "bad flag value", args: []string{"run", "--concurrency", "many"}, want: exitUsage,
			wantStderr: []string{`invalid argument "many" for "--concurrency"`}, oneLineError: true},
		{name: "bad upload choice", args: []string{"run", "--slack-upload", "pdf"}, want: exitUsage,
			wantStderr: []string{`slack.upload "pdf": want none, markdown or workbook`}, oneLineError: true},
		{name: "flag of another command", args: []string{"checks", "--bucket", "b"}, want: exitUsage,
			wantStderr: []string{"unknown flag: --bucket"}, oneLineError: true},
		{name: "no command", args: nil, want: exitUsage, wantStderr: []string{"Audit:", "Stored runs and the S3 archive:"}},
		{name: "group without subcommand", args: []string{"archive"}, want: exitUsage, wantStderr: []string{"reporter archive [command]"}},
		{name: "help", args: []string{"--help"},
			wantStdout: []string{"Audit:\n  checks", "Stored runs and the S3 archive:\n  archive", "Other commands:\n  completion", "Exit status:"}},
		{name: "help of run: flags in groups, examples", args: []string{"run", "--help"},
			wantStdout: []string{"Examples:\n  reporter run --source sample", "General:\n      --config string", "\nThresholds (override the preset's):\n",
				"\nAWS Organization:\n", "\nS3 archive:\n      --bucket string", "\nSlack:\n", "--slack-dry-run text|json[=text]"}},
		{name: "help of daemon hides --as-of", args: []string{"daemon", "-h"}, wantStdout: []string{"\nDaemon:\n      --schedule string"}},
		{name: "help command", args: []string{"help", "archive", "verify"}, wantStdout: []string{"reporter archive verify RUN-ID|latest"}},
		{name: "completion", args: []string{"completion", "bash"}, wantStdout: []string{"__start_reporter"}},
		{name: "completion of check IDs", args: []string{"__complete", "checks", "access-key"},
			wantStdout: []string{"access-key-not-rotated\tAccess key not rotated", "access-key-unused"}},
		{name: "version flag", args: []string{"--version"}, wantStdout: []string{"reporter "}},
		{name: "version takes no argument", args: []string{"version", "x"}, want: exitUsage, wantStderr: []string{`unexpected argument "x"`}, oneLineError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{}, tt.args...)
			if len(args) > 0 && args[0] == "run" {
				args = append(args, "--out", t.TempDir())
			}
			code, stdout, stderr := cli(t, args...)
			if code != tt.want {
				t.Fatalf("reporter %q = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.want, stdout, stderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tt.oneLineError {
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if len(lines) != 2 || !strings.HasPrefix(lines[1], "Run 'reporter") || stdout != "" {
					t.Errorf("want one error line and the pointer to the help, got stderr:\n%s\nstdout:\n%s", stderr, stdout)
				}
			}
		})
	}
}

// TestFlagFormsAgree: --flag value and --flag=value set the same
// configuration, for every kind of value (string, int, duration, list,
// bool, expiry, the optional-value dry run).
func TestFlagFormsAgree(t *testing.T) {
	pairs := [][2][]string{
		{{"--source", "dir:x"}, {"--source=dir:x"}},
		{{"--rotation-days", "30"}, {"--rotation-days=30"}},
		{{"--account-timeout", "90s"}, {"--account-timeout=90s"}},
		{{"--include-accounts", "111111111111,222222222222"}, {"--include-accounts=111111111111", "--include-accounts=222222222222"}},
		{{"--s3-path-style"}, {"--s3-path-style=true"}},
		{{"--presign-expiry", "2d"}, {"--presign-expiry=48h"}},
		{{"--slack-dry-run"}, {"--slack-dry-run=text"}},
		{{"--preset", "cis", "--unused-days", "10"}, {"--unused-days=10", "--preset=cis"}},
	}
	for _, p := range pairs {
		a, err := parseRun(p[0])
		if err != nil {
			t.Fatalf("parse %q: %v", p[0], err)
		}
		b, err := parseRun(p[1])
		if err != nil {
			t.Fatalf("parse %q: %v", p[1], err)
		}
		if !reflect.DeepEqual(a.cfg, b.cfg) {
			t.Errorf("%q and %q differ:\n%+v\n%+v", p[0], p[1], a.cfg, b.cfg)
		}
		if reflect.DeepEqual(a.cfg, loadSettings(nil).cfg) {
			t.Errorf("%q changed nothing", p[0])
		}
	}
	s, err := parseRun([]string{"--slack-dry-run=json"})
	if err != nil || s.cfg.Slack.DryRun != "json" {
		t.Errorf("--slack-dry-run=json: dry run %q, %v; want json", s.cfg.Slack.DryRun, err)
	}
}

func TestChecksCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout []string
		wantStderr string
	}{
		{name: "catalog", args: nil, wantStdout: []string{"CHECK  ", "critical  1.4         IAM.4         Root user has an active access key", "password-policy-max-age"}},
		{name: "one check", args: []string{"access-key-not-rotated"}, wantStdout: []string{
			"Check:         access-key-not-rotated", "Severity:      medium", "CIS v3.0.0:    1.14", "Security Hub:  IAM.3",
			"--rotation-days: access-key-not-rotated fires past this many days (90; preset cis: 90)"}},
		{name: "one threshold, two checks", args: []string{"access-key-unused"}, wantStdout: []string{"--unused-days: ", "(90; preset cis: 45)"}},
		{name: "check without threshold", args: []string{"root-mfa-disabled"}, wantStdout: []string{"Family:        root"}},
		{name: "how to fix one check", args: []string{"access-key-unused"}, wantStdout: []string{
			"Rule:          Fires for each active access key last used",
			"What to do:    Deactivate the key",
			"Commands:      aws iam update-access-key --user-name <user> --access-key-id <access-key-id> --status Inactive\n" +
				"               aws iam delete-access-key --user-name <user> --access-key-id <access-key-id>\n",
			"Console:       IAM console > Users",
			"Docs:          https://docs.aws.amazon.com/IAM/latest/UserGuide/access-keys-admin-managed.html"}},
		{name: "root: console only", args: []string{"root-access-key-active"}, wantStdout: []string{
			"Commands:      none: console only", "Console:       Sign in as the root user"}},
		{name: "catalog with how to fix each", args: nil, wantStdout: []string{
			"How to fix the findings of each check", "\nrole-unused: Role unused\n  Rule:", "  Docs:        https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html"}},
		{name: "unknown check with suggestion", args: []string{"access-key-rotated"}, want: exitUsage,
			wantStderr: `unknown check "access-key-rotated" (did you mean access-key-not-rotated?)`},
		{name: "unknown check", args: []string{"nonsense"}, want: exitUsage, wantStderr: `unknown check "nonsense"; 'reporter checks' lists them`},
		{name: "two checks", args: []string{"root-mfa-disabled", "user-inactive"}, want: exitUsage, wantStderr: "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, append([]string{"checks"}, tt.args...)...)
			if code != tt.want || !strings.Contains(stderr, tt.wantStderr) {
				t.Fatalf("reporter checks %q = %d, stderr %q; want %d, %q", tt.args, code, stderr, tt.want, tt.wantStderr)
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}

	code, stdout, _ := cli(t, "checks", "--json")
	var all []audit.CatalogEntry
	if err := json.Unmarshal([]byte(stdout), &all); code != exitOK || err != nil {
		t.Fatalf("checks --json = %d, %v:\n%s", code, err, stdout)
	}
	if !reflect.DeepEqual(all, audit.Catalog()) {
		t.Errorf("checks --json = %+v, want audit.Catalog()", all)
	}
	// The fields of a check stay where they were (fields are only added).
	var plain []audit.Check
	if err := json.Unmarshal([]byte(stdout), &plain); err != nil || !reflect.DeepEqual(plain, audit.Checks) {
		t.Errorf("checks --json read as checks = %+v, %v; want audit.Checks", plain, err)
	}
	code, stdout, _ = cli(t, "checks", "user-inactive", "--json")
	var one audit.CatalogEntry
	if err := json.Unmarshal([]byte(stdout), &one); code != exitOK || err != nil {
		t.Fatalf("checks user-inactive --json = %d, %v:\n%s", code, err, stdout)
	}
	want, _ := audit.LookupCheck(audit.UserInactive)
	fix, _ := audit.RemediationOf(audit.UserInactive)
	if !reflect.DeepEqual(one, audit.CatalogEntry{Check: want, Remediation: fix}) || one.DocURL == "" || len(one.Commands) == 0 {
		t.Errorf("checks user-inactive --json = %+v, want the check and how to fix it", one)
	}
}

// TestVersionFromBuildInfo: without stamped values, the version names the
// module version, and the revision, its time and the modified flag.
func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/reporter-dev/reporter", Version: "v0.0.0-20261201214831-0123456789ab+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.time", Value: "2026-12-01T21:48:31Z"}, {Key: "vcs.modified", Value: "true"}}}
	tests := []struct {
		name            string
		version, commit string
		want            string
	}{
		{"from build info", "", "", "v0.0.0-20261201214831-0123456789ab+dirty, commit 0123456789ab of 2026-12-01T21:48:31Z (modified), go1.26.8"},
		{"stamped by ldflags", "v1.4.0", "fedcba9876543210", "v1.4.0, commit fedcba987654, go1.26.8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeBuild(buildOf(tt.version, tt.commit, bi)); got != tt.want {
				t.Errorf("describeBuild() = %q, want %q", got, tt.want)
			}
		})
	}
	code, stdout, _ := cli(t, "version")
	if want := "reporter " + describeBuild(identifyBuild()) + "\n"; code != exitOK || stdout != want {
		t.Errorf("reporter version = %d, %q; want %q", code, stdout, want)
	}
}
