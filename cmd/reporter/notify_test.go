package main

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/internal/runner"
	"github.com/reporter-dev/reporter/notify"
	"github.com/reporter-dev/reporter/notify/slack"
	"github.com/reporter-dev/reporter/notify/slack/slackfake"
)

// noSlackEnv keeps the host's Slack secrets out of a test.
func noSlackEnv(t *testing.T) {
	t.Helper()
	t.Setenv(config.SlackTokenEnv, "")
	t.Setenv(config.SlackWebhookURLEnv, "")
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = run(context.Background(), args, &out, &errw)
	return code, out.String(), errw.String()
}

// sampleRunDir runs the sample audit into a new OUT and returns OUT and the run folder.
func sampleRunDir(t *testing.T) (out, dir string) {
	t.Helper()
	out = t.TempDir()
	if code, stdout, stderr := runCLI(t, "run", "--source", "sample", "--out", out, "--slack-dry-run"); code != exitOK {
		t.Fatalf("reporter run = %d\n%s\n%s", code, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "*", "*"))
	if len(dirs) != 1 {
		t.Fatalf("run folders %v, want 1", dirs)
	}
	return out, dirs[0]
}

func TestRunPrintsDigestWithoutSlack(t *testing.T) {
	noSlackEnv(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--source", "sample", "--out", out)
	if code != exitOK {
		t.Fatalf("reporter run = %d, want 0\n%s", code, stderr)
	}
	for _, want := range []string{
		"── Slack digest for the default channel (not posted: Slack is not configured",
		"Needs action now", "── end of Slack digest ──",
		"\nRun 20261101T060000Z (as of 2026-11-01T06:00:00Z)\n", "\nReports: ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestNotifyCommand(t *testing.T) {
	noSlackEnv(t)
	out, dir := sampleRunDir(t)
	srv := slackfake.New(t)
	tests := []struct {
		name       string
		token      string
		reply      slackfake.ReplyFunc
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
		wantPosts  int
	}{
		{name: "latest, dry run", args: []string{"notify", "latest", "--out", out, "--slack-dry-run"}, wantStdout: []string{"Slack digest", "Needs action now", dir}},
		{name: "run ID after the flags, JSON", args: []string{"notify", "--out", out, "--slack-dry-run=json", filepath.Base(dir)}, wantStdout: []string{`"blocks": [`}},
		{
			name: "posts with a token", token: "xoxb-test",
			args:      []string{"notify", "latest", "--out", out, "--slack-api-url", srv.APIURL(), "--slack-channel", "#security"},
			wantPosts: 1,
		},
		{
			name: "Slack refuses: exit 4", token: "xoxb-test",
			reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
				return true
			},
			args:     []string{"notify", "latest", "--out", out, "--slack-api-url", srv.APIURL(), "--slack-channel", "#security"},
			wantCode: exitDelivery, wantStdout: []string{"DELIVERY FAILED: notify slack: #security: chat.postMessage: invalid_auth"},
		},
		{name: "unknown run", args: []string{"notify", "20200101T000000Z", "--out", out}, wantCode: exitFatal, wantStderr: "run 20200101T000000Z not found under " + out},
		{name: "no complete run", args: []string{"notify", "latest", "--out", t.TempDir()}, wantCode: exitFatal, wantStderr: "no complete run under"},
		{name: "not a run ID", args: []string{"notify", "..", "--out", out}, wantCode: exitFatal, wantStderr: "want a run folder name"},
		{name: "a path that is no run folder", args: []string{"notify", "../../etc", "--out", out}, wantCode: exitFatal,
			wantStderr: "../../etc is not a run folder: it has no manifest.json"},
		{name: "a run folder by its path, elsewhere", args: []string{"notify", dir + "/", "--out", t.TempDir(), "--slack-dry-run"},
			wantStdout: []string{"Slack digest", "Needs action now", dir}},
		{name: "no run ID", args: []string{"notify", "--out", out}, wantCode: exitUsage, wantStderr: "want exactly one RUN-ID"},
		{name: "two run IDs", args: []string{"notify", "latest", "latest"}, wantCode: exitUsage, wantStderr: "want exactly one RUN-ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(config.SlackTokenEnv, tt.token)
			srv.Reply(slackfake.PostMessage, tt.reply)
			before := len(srv.Posts())
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("reporter %v = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.wantCode, stdout, stderr)
			}
			for _, s := range tt.wantStdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr)
			}
			if got := len(srv.Posts()) - before; got != tt.wantPosts {
				t.Errorf("%d posts, want %d", got, tt.wantPosts)
			}
		})
	}
}

func TestNotifyRefusesTamperedRun(t *testing.T) {
	noSlackEnv(t)
	out, dir := sampleRunDir(t)
	f, err := os.OpenFile(filepath.Join(dir, "audit.md"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\nedited\n")
	f.Close()
	code, _, stderr := runCLI(t, "notify", "latest", "--out", out)
	if code != exitFatal || !strings.Contains(stderr, "does not match its manifest") || !strings.Contains(stderr, "audit.md") {
		t.Errorf("notify on a tampered run = %d, %q; want 1 naming audit.md", code, stderr)
	}
}

// snapshot maps every file of dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSlackOutageKeepsRunComplete: with Slack unreachable the run folder
// is complete and unchanged, the manifest verifies, and the failure is
// returned (exit status 4).
func TestSlackOutageKeepsRunComplete(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	t.Setenv(config.SlackTokenEnv, "xoxb-test")
	t.Setenv(config.SlackWebhookURLEnv, "")

	cfg := config.Default()
	cfg.Slack.APIURL, cfg.Slack.Channel, cfg.Slack.Upload = dead.URL+"/", "#security", config.UploadWorkbook
	log := slog.New(slog.DiscardHandler)
	waited := 0
	notifiers, err := runner.Notifiers(&cfg, &bytes.Buffer{}, log, slack.WithRetrier(notify.Retrier{
		Attempts: 3, Sleep: func(context.Context, time.Duration) error { waited++; return nil },
	}))
	if err != nil {
		t.Fatalf("runner.Notifiers() = %v", err)
	}
	res, err := app.RunOnce(context.Background(), app.Options{
		Source: sample.NewSource(), OutDir: t.TempDir(), AsOf: sample.AsOf, Thresholds: audit.DefaultThresholds(), Version: "test", Logger: log,
	})
	if err != nil {
		t.Fatalf("RunOnce() = %v", err)
	}
	before := snapshot(t, res.Dir)
	err = app.Deliver(context.Background(), log, res, nil, notifiers)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Deliver() = %v, want the Slack failure", err)
	}
	if waited != 2 {
		t.Errorf("retried %d times, want 2 (3 attempts)", waited)
	}
	problems, err := runfolder.VerifyDir(res.Dir)
	if err != nil || len(problems) > 0 {
		t.Errorf("VerifyDir() = %v, %v after the outage, want a complete run", problems, err)
	}
	after := snapshot(t, res.Dir)
	if len(after) != len(before) {
		t.Errorf("run folder has %d files after the outage, %d before", len(after), len(before))
	}
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed during the outage", p)
		}
	}
}

// TestRunWithBrokenSlackConfig: a Slack configuration error does not
// cost the audit; the run is written and the exit status is 4.
func TestRunWithBrokenSlackConfig(t *testing.T) {
	t.Setenv(config.SlackTokenEnv, "xoxb-test") // a token, but no channel
	t.Setenv(config.SlackWebhookURLEnv, "")
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--source", "sample", "--out", out)
	if code != exitDelivery || !strings.Contains(stdout, "a channel is required with a bot token") {
		t.Errorf("reporter run = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitDelivery, stdout, stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "*", "*"))
	if len(dirs) != 1 {
		t.Fatalf("run folders %v, want 1", dirs)
	}
	if problems, err := runfolder.VerifyDir(dirs[0]); err != nil || len(problems) > 0 {
		t.Errorf("VerifyDir() = %v, %v", problems, err)
	}
}

func TestNotifyConfigFile(t *testing.T) {
	noSlackEnv(t)
	out, _ := sampleRunDir(t)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("xoxb-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		yaml     string
		wantCode int
		want     []string
	}{
		{
			name: "routes and dry_run json",
			yaml: `
slack:
  channel: "#security"
  token_file: ` + tokenFile + `
  dry_run: json
  max_findings: 3
  routes:
    - channel: "#prod"
      accounts: ["222222222222"]
`,
			want: []string{`"channel": "#security"`, `"channel": "#prod"`, "the 3 most severe of", "routed to this channel by account 222222222222"},
		},
		{name: "dry_run true", yaml: "slack:\n  dry_run: true\n", want: []string{"(not posted: dry run (--slack-dry-run or slack.dry_run))"}},
		{name: "unknown key", yaml: "slack:\n  token: xoxb-inline\n", wantCode: exitUsage},
		{name: "bad dry_run", yaml: "slack:\n  dry_run: maybe\n", wantCode: exitUsage},
		{name: "bad route", yaml: "slack:\n  routes:\n    - channel: \"#x\"\n      accounts: [12345]\n", wantCode: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "reporter.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "notify", "latest", "--config", path, "--out", out)
			if code != tt.wantCode {
				t.Fatalf("reporter notify --config = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			for _, s := range tt.want {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
		})
	}
}
