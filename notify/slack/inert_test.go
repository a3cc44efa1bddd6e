package slack

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/notify/slack/slackfake"
	"github.com/reporter-dev/reporter/result"
)

// hostileAccountNames are account names an attacker can set in
// Organizations or in a dir: folder's accounts.json. INJECTED marks text
// after a line break, which must not start a line of the digest.
var hostileAccountNames = map[string]string{
	"111111111111": "[click](https://evil.example) <https://evil.example|click here>",
	"222222222222": "prod <!channel> <@U012AB3CD> <!subteam^S012>",
	"333333333333": "dev\nINJECTED *Needs action now:* nothing",
	"444444444444": "sandbox\r\nINJECTED\x00 `code` https://evil.example #general @here",
	"555555555555": "sec\u2028INJECTED & <#C012|general>",
}

// hostileRun audits the sample organization under hostile account names,
// with one account (444444444444) whose report is an HTML page.
func hostileRun(t *testing.T) *app.Result {
	t.Helper()
	dir := t.TempDir()
	org := filepath.Join("..", "..", "collect", "sample", "org")
	entries, err := os.ReadDir(org)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(org, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var doc struct{ Accounts []map[string]string }
	for id, name := range hostileAccountNames {
		doc.Accounts = append(doc.Accounts, map[string]string{"Id": id, "Name": name})
	}
	data, _ := json.Marshal(doc)
	if err := os.WriteFile(filepath.Join(dir, "accounts.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "444444444444.csv"), []byte("<html>Service <@U0> Unavailable\n<!channel></html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := collect.NewDirSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	res, err := app.RunOnce(context.Background(), app.Options{
		Source: src, OutDir: t.TempDir(), AsOf: now, Thresholds: audit.DefaultThresholds(), Version: "test",
		Clock: func() time.Time { now = now.Add(time.Second); return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	if res.Run.Summary.AccountsFailed != 1 {
		t.Fatalf("summary %+v, want one failed account", res.Run.Summary)
	}
	return res
}

// TestDigestHostileNames posts the digest of a run with hostile account
// names through the fake Slack, by bot token and by webhook: no name
// becomes a link, a mention or a line of its own, and Slack is told not
// to link URLs, channels or names in any text (verbatim).
func TestDigestHostileNames(t *testing.T) {
	res := hostileRun(t)
	srv := slackfake.New(t)
	for _, how := range []string{"token", "webhook"} {
		t.Run(how, func(t *testing.T) {
			cfg, creds := tokenConfig(srv.APIURL()), Credentials{Token: testToken}
			if how == "webhook" {
				cfg.Channel, creds = "", Credentials{WebhookURL: srv.WebhookURL()}
			}
			n, _, _ := testNotifier(t, cfg, creds)
			if err := n.Notify(context.Background(), res.Run, result.Location{Dir: res.Dir}); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			var blocks slackgo.Blocks
			if how == "token" {
				posts := srv.Posts()
				if err := json.Unmarshal(posts[len(posts)-1].Blocks, &blocks); err != nil {
					t.Fatal(err)
				}
			} else {
				hooks := srv.Webhooks()
				blocks = *hooks[len(hooks)-1].Blocks
			}
			checkInertBlocks(t, blocks)
		})
	}
}

func checkInertBlocks(t *testing.T, blocks slackgo.Blocks) {
	t.Helper()
	var texts []*slackgo.TextBlockObject
	for _, b := range blocks.BlockSet {
		switch b := b.(type) {
		case *slackgo.SectionBlock:
			texts = append(texts, b.Text)
			texts = append(texts, b.Fields...)
		case *slackgo.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if tx, ok := e.(*slackgo.TextBlockObject); ok {
					texts = append(texts, tx)
				}
			}
		}
	}
	var all strings.Builder
	for _, tx := range texts {
		if tx == nil || tx.Type != slackgo.MarkdownType {
			continue
		}
		if !tx.Verbatim {
			t.Errorf("mrkdwn text is not verbatim, so Slack links URLs and names in it: %q", tx.Text)
		}
		if i := strings.IndexByte(withoutDocLinks(tx.Text), '<'); i >= 0 {
			t.Errorf("mrkdwn text holds a link or mention (other than a check's documentation) at %d: %q", i, tx.Text)
		}
		for _, line := range strings.Split(tx.Text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "INJECTED") {
				t.Errorf("a name starts a line of its own: %q", line)
			}
		}
		if strings.ContainsAny(tx.Text, "\r\x00\u2028") {
			t.Errorf("mrkdwn text holds a CR, NUL or line separator: %q", tx.Text)
		}
		all.WriteString(tx.Text + "\n")
	}
	for id, want := range map[string]string{
		"111111111111": "[click](https://evil.example) &lt;https://evil.example|click here&gt;",
		"222222222222": "prod &lt;!channel&gt; &lt;@U012AB3CD&gt; &lt;!subteam^S012&gt;",
		"333333333333": "dev INJECTED *Needs action now:* nothing",
		"444444444444": "sandbox  INJECTED\ufffd `code` https://evil.example #general @here",
	} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("the digest does not name %s as %q:\n%s", id, want, all.String())
		}
	}
}

// docLink is a link of the digest's own: a check's title linked to the
// AWS documentation page of its fix.
var docLink = regexp.MustCompile(`<([^|<>]*)\|[^<>]*>`)

// withoutDocLinks returns text without the links to the catalog's
// documentation pages, the only links the digest may hold; any other
// link stays.
func withoutDocLinks(text string) string {
	return docLink.ReplaceAllStringFunc(text, func(link string) string {
		url := docLink.FindStringSubmatch(link)[1]
		for _, c := range audit.Checks {
			if r, ok := audit.RemediationOf(c.ID); ok && r.DocURL == url {
				return ""
			}
		}
		return link
	})
}
