package main

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/awsfake"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify/slack/slackfake"
)

// Secrets the leak test configures. The external ID breaks STS's pattern
// on purpose: STS then quotes it in its error, for every member account.
const (
	leakExternalID  = "ext id LEAK-EXTERNAL-7f3a!"
	leakToken       = "xoxb-LEAK-TOKEN-9c1d"
	leakWebhookPath = "LEAKWEBHOOKPATH42"
	leakWebhookSig  = "LEAK-WEBHOOK-QUERY-5e2b"
)

// TestRunLeaksNoSecret runs real audits (the org source against awsfake,
// Slack through slackfake) with every secret configured, at debug level,
// and looks for each secret in everything the reporter produced: stdout,
// stderr (logs), every file of OUT (reports, findings.json, manifest,
// evidence) and what Slack received. In the style of alertmanager's
// AssertNotifyLeaksNoSecret.
func TestRunLeaksNoSecret(t *testing.T) {
	awsEndpointEnv(t, sampleFake(t))
	srv := slackfake.New(t)
	secrets := []string{leakExternalID, "LEAK-EXTERNAL-7f3a", leakToken, leakWebhookPath, leakWebhookSig, awsfake.DefaultSecretAccessKey}
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"bot token", map[string]string{config.SlackTokenEnv: leakToken, config.SlackWebhookURLEnv: ""},
			[]string{"--slack-channel", "#security"}},
		{"webhook refusing the post", map[string]string{config.SlackTokenEnv: "",
			config.SlackWebhookURLEnv: strings.TrimSuffix(srv.APIURL(), "/") + "/services/T000/B000/" + leakWebhookPath + "?sig=" + leakWebhookSig}, nil},
		{"config check", map[string]string{config.SlackTokenEnv: leakToken}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			t.Setenv("REPORTER_AWS_EXTERNAL_ID", leakExternalID)
			if strings.HasPrefix(tt.name, "webhook") {
				// Any webhook path other than the fake's own is a 404; answer
				// every post with Slack's refusal of a bad webhook.
				srv.Reply(slackfake.Webhook, func(w http.ResponseWriter, _ *http.Request, _ int) bool {
					http.Error(w, "invalid_token", http.StatusForbidden)
					return true
				})
			}
			out := t.TempDir()
			args := append([]string{"run", "--source", "org", "--out", out, "--as-of", sample.AsOf.Format(time.RFC3339),
				"--log-level", "debug", "--log-format", "json", "--slack-api-url", srv.APIURL()}, tt.args...)
			if tt.name == "config check" {
				args = []string{"config", "check", "--external-id", leakExternalID}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			if tt.name == "config check" {
				if code != exitOK || !strings.Contains(stdout.String(), "external_id: <secret>") {
					t.Errorf("config check = %d, want 0 and external_id: <secret>:\n%s%s", code, stdout.String(), stderr.String())
				}
			} else if code == exitOK || code == exitUsage || code == exitFatal {
				t.Fatalf("reporter run = %d, want the members failed (3) or delivery failed (4):\n%s", code, stderr.String())
			}
			if tt.name != "config check" && !strings.Contains(stderr.String(), "ValidationError") {
				t.Errorf("the log does not show STS's refusal of the external ID:\n%s", stderr.String())
			}
			seen := map[string][]byte{"stdout": stdout.Bytes(), "stderr (logs)": stderr.Bytes()}
			filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					data, _ := os.ReadFile(path)
					seen[path] = data
				}
				return err
			})
			for i, p := range srv.Posts() {
				seen["Slack post "+string(rune('1'+i))] = append([]byte(p.Text), p.Blocks...)
			}
			for i, h := range srv.Webhooks() {
				seen["Slack webhook "+string(rune('1'+i))] = []byte(h.Text)
			}
			if len(seen) < 4 && tt.name != "config check" {
				t.Fatalf("only %d outputs to look at", len(seen))
			}
			for where, data := range seen {
				for _, s := range secrets {
					if bytes.Contains(data, []byte(s)) {
						t.Errorf("%s holds the secret %q", where, s)
					}
				}
			}
		})
	}
}
