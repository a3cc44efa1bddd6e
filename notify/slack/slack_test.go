package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify"
	"github.com/reporter-dev/reporter/notify/slack/slackfake"
	"github.com/reporter-dev/reporter/result"
)

const testToken = "xoxb-0000-SECRET-TOKEN"

func tokenConfig(apiURL string) config.Slack {
	c := config.DefaultSlack()
	c.APIURL, c.Channel = apiURL, "#security"
	return c
}

// slackError answers with Slack's {"ok": false, "error": code}.
func slackError(code string) slackfake.ReplyFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, code)
		return true
	}
}

func status(code int, header ...string) slackfake.ReplyFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		return true
	}
}

// once answers the first call with f and lets the recorder answer the rest.
func once(f slackfake.ReplyFunc) slackfake.ReplyFunc {
	return func(w http.ResponseWriter, r *http.Request, n int) bool { return n == 1 && f(w, r, n) }
}

func TestNotifyPostsDigest(t *testing.T) {
	srv := slackfake.New(t)
	run, dir := sampleRun(t)
	n, logs, _ := testNotifier(t, tokenConfig(srv.APIURL()), Credentials{Token: testToken})
	if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	posts := srv.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	p := posts[0]
	want, _, err := compose(builtinTemplate(t), run, &target{channel: "#security", orgWide: true}, result.Location{Dir: dir}, "#security", 10, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantBlocks, _ := json.Marshal(want.Blocks)
	if p.Channel != "#security" || p.Token != testToken || p.Text != want.Text || !bytes.Equal(p.Blocks, wantBlocks) {
		t.Errorf("posted channel=%q token ok=%v text=%q blocks=%s\nwant #security, %q, %s", p.Channel, p.Token == testToken, p.Text, p.Blocks, want.Text, wantBlocks)
	}
	if !strings.Contains(logs.String(), "Slack digest posted") || !strings.Contains(logs.String(), "channel_id=CSECURITY") {
		t.Errorf("log does not record the post:\n%s", logs)
	}
}

func TestNotifyWebhook(t *testing.T) {
	srv := slackfake.New(t)
	run, dir := sampleRun(t)
	cfg := config.DefaultSlack()
	cfg.APIURL = srv.APIURL()
	n, _, _ := testNotifier(t, cfg, Credentials{WebhookURL: srv.WebhookURL()})
	if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	hooks := srv.Webhooks()
	if len(hooks) != 1 || srv.Calls(slackfake.PostMessage) != 0 {
		t.Fatalf("%d webhook posts and %d chat.postMessage, want 1 and 0", len(hooks), srv.Calls(slackfake.PostMessage))
	}
	if !strings.Contains(hooks[0].Text, "35 open findings") || hooks[0].Blocks == nil || len(hooks[0].Blocks.BlockSet) < 5 {
		t.Errorf("webhook got text %q and %v, want the digest", hooks[0].Text, hooks[0].Blocks)
	}
}

// routedRun has six accounts in two teams, OUs and one failed account.
func routedRun() *result.Run {
	run := &result.Run{Run: result.RunInfo{ID: "20261101T060000Z", AsOf: time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)}}
	accounts := []result.Account{
		{ID: "111111111111", Name: "management", OUs: []string{"ou-root"}},
		{ID: "222222222222", Name: "payments-prod", OUs: []string{"ou-pay-prod", "ou-pay"}},
		{ID: "333333333333", Name: "payments-dev", OUs: []string{"ou-pay-dev", "ou-pay"}},
		{ID: "444444444444", Name: "data-lake", Tags: map[string]string{"team": "data"}},
		{ID: "555555555555", Name: "sandbox", Tags: map[string]string{"team": "sandbox"}},
		{ID: "666666666666", Name: "data-ml", Tags: map[string]string{"team": "data"}, Status: result.StatusFailed, Error: "AccessDenied"},
	}
	var findings result.Findings
	for _, a := range accounts {
		if a.Status == "" {
			a.Status, a.Users = result.StatusCollected, 3
			for _, check := range []string{audit.ConsoleMFAMissing, audit.AccessKeyNotRotated} {
				c, _ := audit.LookupCheck(check)
				findings = append(findings, audit.Finding{AccountID: a.ID, AccountName: a.Name, Principal: "user-of-" + a.Name, Check: check, Severity: c.Severity})
			}
		}
		run.Accounts = append(run.Accounts, a)
	}
	run.Findings = findings
	run.Summarize()
	return run
}

var accountIDRE = regexp.MustCompile(`\b\d{12}\b`)

func TestNotifyRouting(t *testing.T) {
	tests := []struct {
		name   string
		routes []config.SlackRoute
		// want maps each channel posted to, in order, to the account IDs its
		// digest may name and the findings it counts.
		want     map[string][]string
		order    []string
		findings map[string]int
		logged   []string
	}{
		{
			name: "by OU, tag and account, merged per channel",
			routes: []config.SlackRoute{
				{Channel: "#payments", OUs: []string{"ou-pay"}},
				{Channel: "#data", Tags: map[string]string{"team": "data"}},
				{Channel: "#data", Accounts: []string{"555555555555"}},
			},
			order: []string{"#security", "#payments", "#data"},
			want: map[string][]string{
				"#security": {"111111111111", "222222222222", "333333333333", "444444444444", "555555555555", "666666666666"},
				"#payments": {"222222222222", "333333333333"},
				"#data":     {"444444444444", "555555555555", "666666666666"},
			},
			findings: map[string]int{"#security": 10, "#payments": 4, "#data": 4},
		},
		{
			name: "routes matching nothing or the default channel are skipped",
			routes: []config.SlackRoute{
				{Channel: "#nobody", Accounts: []string{"999999999999"}},
				{Channel: "#security", Accounts: []string{"111111111111"}},
				{Channel: "#sandbox", Tags: map[string]string{"team": "sandbox", "other": "x"}},
			},
			order:    []string{"#security", "#sandbox"},
			want:     map[string][]string{"#security": nil, "#sandbox": {"555555555555"}},
			findings: map[string]int{"#security": 10, "#sandbox": 2},
			logged:   []string{"route to #nobody", "matches no account", "route to #security skipped"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slackfake.New(t)
			cfg := tokenConfig(srv.APIURL())
			cfg.Routes = tt.routes
			n, logs, _ := testNotifier(t, cfg, Credentials{Token: testToken})
			if err := n.Notify(context.Background(), routedRun(), result.Location{Dir: "/runs/r"}); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			var got []string
			for _, p := range srv.Posts() {
				got = append(got, p.Channel)
				ids := accountIDRE.FindAllString(string(p.Blocks), -1)
				if allowed := tt.want[p.Channel]; allowed != nil {
					for _, id := range ids {
						if !slices.Contains(allowed, id) {
							t.Errorf("digest for %s names account %s, outside its scope %v", p.Channel, id, allowed)
						}
					}
					for _, id := range allowed {
						if !slices.Contains(ids, id) {
							t.Errorf("digest for %s does not name account %s of its scope", p.Channel, id)
						}
					}
				}
				wantHead := fmt.Sprintf("%d open findings", tt.findings[p.Channel])
				if !strings.Contains(p.Text, wantHead) {
					t.Errorf("digest for %s: text %q, want %q", p.Channel, p.Text, wantHead)
				}
				scope := "the whole organization (6 accounts)"
				if p.Channel != "#security" {
					scope = fmt.Sprintf("%d of 6 accounts, routed to this channel by", len(tt.want[p.Channel]))
				}
				if !strings.Contains(string(p.Blocks), scope) {
					t.Errorf("digest for %s does not state its scope %q", p.Channel, scope)
				}
			}
			if !slices.Equal(got, tt.order) {
				t.Errorf("posted to %v, want %v", got, tt.order)
			}
			for _, s := range tt.logged {
				if !strings.Contains(logs.String(), s) {
					t.Errorf("log lacks %q:\n%s", s, logs)
				}
			}
		})
	}
}

func TestNotifyUpload(t *testing.T) {
	tests := []struct {
		upload config.SlackUpload
		file   string
	}{
		{config.UploadMarkdown, "audit.md"},
		{config.UploadWorkbook, "audit.xlsx"},
	}
	run, dir := sampleRun(t)
	run.Accounts[0].Tags = map[string]string{"team": "mgmt"}
	for _, tt := range tests {
		t.Run(string(tt.upload), func(t *testing.T) {
			srv := slackfake.New(t)
			cfg := tokenConfig(srv.APIURL())
			cfg.Upload = tt.upload
			cfg.Routes = []config.SlackRoute{{Channel: "#mgmt", Tags: map[string]string{"team": "mgmt"}}}
			n, _, _ := testNotifier(t, cfg, Credentials{Token: testToken})
			if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			want, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			ups := srv.Uploads()
			if len(ups) != 1 {
				t.Fatalf("%d uploads, want 1 (to the organization-wide digest only)", len(ups))
			}
			u := ups[0]
			if u.Filename != tt.file || u.Length != fmt.Sprint(len(want)) || !bytes.Equal(u.Content, want) {
				t.Errorf("uploaded %s (length %s, %d bytes), want %s with %d bytes", u.Filename, u.Length, len(u.Content), tt.file, len(want))
			}
			if u.ChannelID != "CSECURITY" || u.ThreadTS != slackfake.Timestamp || !strings.Contains(u.Files, tt.file) {
				t.Errorf("upload completed in channel %q thread %q files %s, want CSECURITY thread %s", u.ChannelID, u.ThreadTS, u.Files, slackfake.Timestamp)
			}
			if len(srv.Posts()) != 2 {
				t.Errorf("%d posts, want 2 (default and #mgmt)", len(srv.Posts()))
			}
		})
	}
}

func TestNotifyRetries(t *testing.T) {
	tests := []struct {
		name      string
		reply     slackfake.ReplyFunc
		wantCalls int
		wantWaits []time.Duration
		wantPosts int
		wantErr   []string // substrings; none means success
	}{
		{
			name:      "429 with Retry-After is honoured once, then posts",
			reply:     once(status(http.StatusTooManyRequests, "Retry-After", "1")),
			wantCalls: 2, wantWaits: []time.Duration{time.Second}, wantPosts: 1,
		},
		{
			name:      "server error backs off and retries",
			reply:     once(status(http.StatusInternalServerError)),
			wantCalls: 2, wantWaits: []time.Duration{time.Second}, wantPosts: 1,
		},
		{
			name:      "ratelimited body is retried until attempts run out",
			reply:     slackError("ratelimited"),
			wantCalls: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second},
			wantErr: []string{"#security: chat.postMessage: ratelimited (gave up after 3 attempts)"},
		},
		{
			name:      "invalid_auth is not retried",
			reply:     slackError("invalid_auth"),
			wantCalls: 1,
			wantErr:   []string{"invalid_auth", "check SLACK_BOT_TOKEN", "not retryable"},
		},
		{
			name:      "channel_not_found is not retried",
			reply:     slackError("channel_not_found"),
			wantCalls: 1,
			wantErr:   []string{"channel_not_found", "invite the bot", "not retryable"},
		},
		{
			name:      "Retry-After beyond the cap stops",
			reply:     status(http.StatusTooManyRequests, "Retry-After", "3600"),
			wantCalls: 1,
			wantErr:   []string{"asked to wait 1h0m0s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slackfake.New(t)
			srv.Reply(slackfake.PostMessage, tt.reply)
			sl := &sleeps{}
			n, logs, _ := testNotifier(t, tokenConfig(srv.APIURL()), Credentials{Token: testToken},
				WithRetrier(notify.Retrier{Attempts: 3, MaxRetryAfter: 10 * time.Minute, Sleep: sl.sleep}))
			start := time.Now()
			err := n.Notify(context.Background(), synthRun(2, 2, 0, func(int) string { return "a" }, ""), result.Location{Dir: "/r"})
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Notify() took %v: waits must go through the injected sleep", d)
			}
			if got := srv.Calls(slackfake.PostMessage); got != tt.wantCalls {
				t.Errorf("chat.postMessage called %d times, want %d", got, tt.wantCalls)
			}
			if !slices.Equal(sl.waits(), tt.wantWaits) {
				t.Errorf("waited %v, want %v", sl.waits(), tt.wantWaits)
			}
			if got := len(srv.Posts()); got != tt.wantPosts {
				t.Errorf("%d posts recorded, want %d", got, tt.wantPosts)
			}
			if len(tt.wantErr) == 0 && err != nil {
				t.Errorf("Notify() = %v, want nil", err)
			}
			for _, s := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("Notify() = %v, want it to contain %q", err, s)
				}
			}
			if len(tt.wantWaits) > 0 && !strings.Contains(logs.String(), "retrying") {
				t.Errorf("retries not logged:\n%s", logs)
			}
		})
	}
}

// TestNotifyChannelFailureIsolated: one bad channel does not stop the others.
func TestNotifyChannelFailureIsolated(t *testing.T) {
	srv := slackfake.New(t)
	srv.Reply(slackfake.PostMessage, func(w http.ResponseWriter, r *http.Request, n int) bool {
		return r.PostForm.Get("channel") == "#payments" && slackError("channel_not_found")(w, r, n)
	})
	cfg := tokenConfig(srv.APIURL())
	cfg.Routes = []config.SlackRoute{
		{Channel: "#payments", OUs: []string{"ou-pay"}},
		{Channel: "#data", Tags: map[string]string{"team": "data"}},
	}
	n, _, _ := testNotifier(t, cfg, Credentials{Token: testToken})
	err := n.Notify(context.Background(), routedRun(), result.Location{Dir: "/r"})
	if err == nil || !strings.Contains(err.Error(), "#payments: chat.postMessage: channel_not_found") {
		t.Errorf("Notify() = %v, want the #payments failure", err)
	}
	var got []string
	for _, p := range srv.Posts() {
		got = append(got, p.Channel)
	}
	if !slices.Equal(got, []string{"#security", "#data"}) {
		t.Errorf("posted to %v, want #security and #data", got)
	}
}

// TestNotifyLeaksNoSecret is alertmanager's AssertNotifyLeaksNoSecret for
// both transports: whatever fails, neither the error nor the log (at
// debug level) contains the token or the webhook URL.
func TestNotifyLeaksNoSecret(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL + "/"
	dead.Close()
	deadHook := dead.URL + slackfake.WebhookPath

	tests := []struct {
		name    string
		webhook bool
		method  string
		reply   slackfake.ReplyFunc
		dead    bool
	}{
		{name: "token, server down", dead: true},
		{name: "token, 500", method: slackfake.PostMessage, reply: status(http.StatusInternalServerError)},
		{name: "token, invalid_auth", method: slackfake.PostMessage, reply: slackError("invalid_auth")},
		{name: "token, rate limited", method: slackfake.PostMessage, reply: status(http.StatusTooManyRequests, "Retry-After", "99999")},
		{name: "webhook, server down", webhook: true, dead: true},
		{name: "webhook, 404 no_service", webhook: true, method: slackfake.Webhook, reply: status(http.StatusNotFound)},
		{name: "webhook, 500", webhook: true, method: slackfake.Webhook, reply: status(http.StatusInternalServerError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slackfake.New(t)
			if tt.reply != nil {
				srv.Reply(tt.method, tt.reply)
			}
			cfg := config.DefaultSlack()
			cfg.APIURL = srv.APIURL()
			creds := Credentials{}
			switch {
			case tt.webhook && tt.dead:
				creds.WebhookURL = deadHook
			case tt.webhook:
				creds.WebhookURL = srv.WebhookURL()
			default:
				creds.Token, cfg.Channel = testToken, "#security"
				if tt.dead {
					cfg.APIURL = deadURL
				}
			}
			n, logs, _ := testNotifier(t, cfg, creds)
			err := n.Notify(context.Background(), synthRun(1, 1, 0, func(int) string { return "a" }, ""), result.Location{Dir: "/r"})
			if err == nil {
				t.Fatal("Notify() = nil, want an error")
			}
			for _, secret := range []string{testToken, "SECRET", slackfake.WebhookPath} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks %q: %v", secret, err)
				}
				if strings.Contains(logs.String(), secret) {
					t.Errorf("log leaks %q:\n%s", secret, logs)
				}
			}
			if !strings.Contains(err.Error(), "webhook") && !strings.Contains(err.Error(), "chat.postMessage") {
				t.Errorf("error %v does not say which call failed", err)
			}
		})
	}
}

func TestNotifyDryRun(t *testing.T) {
	tests := []struct {
		name    string
		dryRun  config.DryRun
		creds   Credentials
		want    []string
		notWant []string
	}{
		{
			name: "not configured prints the text digest", creds: Credentials{},
			want:    []string{"not posted: Slack is not configured: set SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL", "Needs action now:", " user-of-management ", "data-ml 666666666666: AccessDenied", "── end of Slack digest ──"},
			notWant: []string{"*", "`", ":warning:", "&lt;", "&gt;", "&amp;"},
		},
		{
			name: "dry run with a token does not post", dryRun: config.DryRunText, creds: Credentials{Token: testToken},
			want:    []string{"Slack digest for #security (not posted: dry run (--slack-dry-run or slack.dry_run))", "#payments", "routed to this channel by OU ou-pay"},
			notWant: []string{"*", "`"},
		},
		{
			name: "json", dryRun: config.DryRunJSON, creds: Credentials{Token: testToken},
			want: []string{`"channel": "#security"`, `"blocks": [`, `"channel": "#payments"`, "`666666666666`", "*Needs action now:*"}, notWant: []string{"──"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slackfake.New(t)
			cfg := tokenConfig(srv.APIURL())
			cfg.DryRun = tt.dryRun
			cfg.Routes = []config.SlackRoute{{Channel: "#payments", OUs: []string{"ou-pay"}}}
			var out bytes.Buffer
			n, _, _ := testNotifier(t, cfg, tt.creds, WithOutput(&out))
			if n.Name() != "slack (dry run)" {
				t.Errorf("Name() = %q, want slack (dry run)", n.Name())
			}
			if err := n.Notify(context.Background(), routedRun(), result.Location{Dir: "/r"}); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			if srv.Calls(slackfake.PostMessage)+srv.Calls(slackfake.Webhook) != 0 {
				t.Error("a dry run called Slack")
			}
			for _, s := range tt.want {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(out.String(), s) {
					t.Errorf("output has %q:\n%s", s, out.String())
				}
			}
			if tt.dryRun == config.DryRunJSON {
				dec := json.NewDecoder(&out)
				for dec.More() {
					var m struct {
						Channel string
						Text    string
						Blocks  slackgo.Blocks
					}
					if err := dec.Decode(&m); err != nil || len(m.Blocks.BlockSet) == 0 {
						t.Errorf("JSON output does not decode as a message: %v", err)
						break
					}
				}
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tmpl := builtinTemplate(t)
	const hook = "https://hooks.slack.com/services/T1/B1/SECRETHOOK"
	tests := []struct {
		name    string
		cfg     func(*config.Slack)
		creds   Credentials
		wantErr string
	}{
		{name: "token without channel", creds: Credentials{Token: testToken}, wantErr: "a channel is required"},
		{name: "webhook with routes", creds: Credentials{WebhookURL: hook}, cfg: func(c *config.Slack) {
			c.Routes = []config.SlackRoute{{Channel: "#x", Accounts: []string{"111111111111"}}}
		}, wantErr: "routes need a bot token"},
		{name: "webhook with upload", creds: Credentials{WebhookURL: hook}, cfg: func(c *config.Slack) { c.Upload = config.UploadWorkbook }, wantErr: "needs a bot token"},
		{name: "webhook not a URL", creds: Credentials{WebhookURL: "hooks.slack.com/SECRETHOOK"}, wantErr: "is not an http(s) URL"},
		{name: "bad upload", cfg: func(c *config.Slack) { c.Upload = "pdf" }, wantErr: `slack.upload "pdf"`},
		{name: "route without criteria", cfg: func(c *config.Slack) { c.Routes = []config.SlackRoute{{Channel: "#x"}} }, wantErr: "matches nothing"},
		{name: "route with unquoted account", cfg: func(c *config.Slack) {
			c.Routes = []config.SlackRoute{{Channel: "#x", Accounts: []string{"12345678901"}}}
		}, wantErr: "not a 12-digit account ID"},
		{name: "bad api url", cfg: func(c *config.Slack) { c.APIURL = "slack.com/api" }, wantErr: "slack.api_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.DefaultSlack()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			_, err := New(&cfg, tt.creds, tmpl, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New() = %v, want an error containing %q", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "SECRET")) {
				t.Errorf("New() error leaks a secret: %v", err)
			}
		})
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokenFile := write("token", "xoxb-from-file\n")
	hookFile := write("hook", "  https://hooks.example/T/B/X  \n")
	empty := write("empty", "\n")
	tests := []struct {
		name    string
		env     map[string]string
		cfg     config.Slack
		want    Credentials
		wantErr string
	}{
		{name: "nothing", want: Credentials{}},
		{name: "environment", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-env", "SLACK_WEBHOOK_URL": "https://h/x"}, want: Credentials{"xoxb-env", "https://h/x"}},
		{name: "files, trimmed", cfg: config.Slack{TokenFile: tokenFile, WebhookURLFile: hookFile}, want: Credentials{"xoxb-from-file", "https://hooks.example/T/B/X"}},
		{name: "environment wins over the file", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-env"}, cfg: config.Slack{TokenFile: tokenFile}, want: Credentials{Token: "xoxb-env"}},
		{name: "missing file", cfg: config.Slack{TokenFile: filepath.Join(dir, "nope")}, wantErr: "slack.token_file"},
		{name: "empty file", cfg: config.Slack{WebhookURLFile: empty}, wantErr: "slack.webhook_url_file " + empty + " is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadCredentials(&tt.cfg, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("LoadCredentials() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("LoadCredentials() = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}
