package slack

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/result"
)

// TestTerminalText converts single mrkdwn texts as the digest and hostile
// data produce them.
func TestTerminalText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"bold heading", "*35 open findings:* 2 critical · 10 high", "35 open findings: 2 critical · 10 high"},
		{"bold inside a line", "• *critical* · acme-prod `222222222222` · `<root_account>`", "• critical · acme-prod 222222222222 · <root_account>"},
		{"italic and strike", "_see below_ and ~gone~", "see below and gone"},
		{"emoji", ":rotating_light: *Audit FAILED*\n:warning: *1 account*; x", "!! Audit FAILED\n! 1 account; x"},
		{"unknown emoji and times stay", ":tada: at 06:00:00 UTC", ":tada: at 06:00:00 UTC"},
		{"link", "*Full report:* <https://b.example/a?x=1&amp;y=2|open audit.xlsx>, archived", "Full report: open audit.xlsx (https://b.example/a?x=1&y=2), archived"},
		{"bare link", "see <https://b.example/>", "see https://b.example/"},
		{"entities decoded once", "a &amp;lt; b &lt;!channel&gt; &amp;", "a &lt; b <!channel> &"},
		{"snake_case and multiplication stay", "svc_legacy_etl 2*3*4 a * b", "svc_legacy_etl 2*3*4 a * b"},
		{"code keeps markup literal", "`*not bold* :warning: _x_`", "*not bold* :warning: _x_"},
		{"escaped markup in data is not a link", "&lt;https://evil.example|click&gt;", "<https://evil.example|click>"},
		{"emphasis does not cross lines", "*open\nclose*", "*open\nclose*"},
		{"bold around code", "*run `20261101T060000Z` done*", "run 20261101T060000Z done"},
		{"control characters", "acme\x1b[31mred\x1b]0;pwned\x07\u009b2J\u202eevil", "acme\ufffd[31mred\ufffd]0;pwned\ufffd\ufffd2J\ufffdevil"},
		{"placeholder lookalike", "a \x000\x00 b", "a \ufffd0\ufffd b"},
		{"entity of ESC is not decoded", "&amp;#27;[2J", "&#27;[2J"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terminalText(tt.in); got != tt.want {
				t.Errorf("terminalText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDryRunPrintsInertText prints the digest of a run whose account
// names and errors carry terminal escape sequences, markup and entities:
// the text print holds no control character, decodes what Slack would
// show, and the JSON print keeps the message exactly.
func TestDryRunPrintsInertText(t *testing.T) {
	const hostile = "evil\x1b[2J\x1b]0;pwned\x07\u009b31m *bold* & <b> `tick`"
	run := synthRun(3, 2, 1, func(int) string { return hostile }, "AccessDenied\x1b[1A\r\x1b[K <role> & more")
	for _, dry := range []config.DryRun{config.DryRunText, config.DryRunJSON} {
		t.Run(string(dry), func(t *testing.T) {
			cfg := config.DefaultSlack()
			cfg.DryRun, cfg.Channel = dry, "#security"
			var out bytes.Buffer
			n, _, _ := testNotifier(t, cfg, Credentials{}, WithOutput(&out))
			if err := n.Notify(context.Background(), run, result.Location{Dir: "/r"}); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			for i, r := range out.String() {
				if r != '\n' && unicode.IsControl(r) {
					t.Fatalf("output holds control character %U at byte %d:\n%q", r, i, out.String())
				}
			}
			want := []string{"evil\ufffd[2J\ufffd]0;pwned\ufffd\ufffd31m bold & <b> tick 100000000000", "AccessDenied\ufffd[1A \ufffd[K <role> & more"}
			if dry == config.DryRunJSON {
				want = []string{"evil\ufffd[2J\ufffd]0;pwned\ufffd\ufffd31m *bold* &amp; &lt;b&gt; `tick` `100000000000`", "*Needs action now:*"}
			}
			for _, w := range want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
