package slack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify/slack/slackfake"
	"github.com/reporter-dev/reporter/result"
)

// paymentsRoute routes two sample accounts to #payments, mentioning a
// user group and a user.
var paymentsRoute = config.SlackRoute{
	Name: "Payments", Channel: "#payments", Accounts: []string{"222222222222", "333333333333"},
	Mention: []string{"S012AB3CD", "U0G9QF9C6"},
}

// postTo returns the blocks posted to channel, or fails the test.
func postTo(t *testing.T, srv *slackfake.Server, channel string) string {
	t.Helper()
	for _, p := range srv.Posts() {
		if p.Channel == channel {
			return string(unescapeHTML(p.Blocks)) // slack-go sends &, < and > as \u escapes
		}
	}
	t.Fatalf("nothing posted to %s; posts: %+v", channel, srv.Posts())
	return ""
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestMentions posts the sample run's digests to slacktest with owners
// set on its findings: mentions only when slack.mentions is on, owners'
// emails looked up once per run, lookups that fail leave plain text and
// never fail the digest, and text from AWS never becomes a mention.
func TestMentions(t *testing.T) {
	tests := []struct {
		name     string
		mentions bool
		dryRun   bool
		reply    slackfake.ReplyFunc // answers users.lookupByEmail
		// wantAlice is how alice's finding shows its owner.
		wantAlice   string
		wantGroup   bool
		wantLookups int // calls of users.lookupByEmail
		wantLog     string
	}{
		{name: "on", mentions: true, wantAlice: "owner <@U024BE7LH>", wantGroup: true, wantLookups: 2},
		{name: "off", mentions: false, wantAlice: "owner alice.chen@acme.example", wantLookups: 0},
		{name: "scope missing", mentions: true, reply: slackError("missing_scope"), wantAlice: "owner alice.chen@acme.example", wantGroup: true,
			wantLookups: 1, wantLog: "Slack user lookup failed; owners are shown as text"},
		// A failed lookup stops the others: they would wait on Slack too.
		{name: "rate limited", mentions: true, reply: status(429, "Retry-After", "30"), wantAlice: "owner alice.chen@acme.example", wantGroup: true,
			wantLookups: 1, wantLog: "Slack user lookup failed"},
		{name: "server error", mentions: true, reply: status(500), wantAlice: "owner alice.chen@acme.example", wantGroup: true,
			wantLookups: 1, wantLog: "Slack user lookup failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slackfake.New(t)
			srv.AddUser("alice.chen@acme.example", "U024BE7LH")
			if tt.reply != nil {
				srv.Reply(slackfake.LookupByEmail, tt.reply)
			}
			run, dir := sampleRun(t)
			actionable(t, run)
			cfg := tokenConfig(srv.APIURL())
			cfg.Mentions, cfg.Routes = tt.mentions, []config.SlackRoute{paymentsRoute}
			n, logs, _ := testNotifier(t, cfg, Credentials{Token: testToken})
			if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			org, team := postTo(t, srv, "#security"), postTo(t, srv, "#payments")
			for name, blocks := range map[string]string{"#security": org, "#payments": team} {
				if !strings.Contains(blocks, tt.wantAlice) {
					t.Errorf("%s: alice's owner is not shown as %q:\n%s", name, tt.wantAlice, blocks)
				}
				// The hostile owner tag stays text; only the mentions made
				// from the configuration and Slack's own answer are markup.
				for _, raw := range []string{"<!channel>", "<@U999>", "<!here>"} {
					if strings.Contains(blocks, raw) {
						t.Errorf("%s: %s from an owner tag became a mention:\n%s", name, raw, blocks)
					}
				}
				if !strings.Contains(blocks, "owner &lt;!channel&gt; &lt;@U999&gt; billing@acme.example") && name == "#security" {
					t.Errorf("%s: the hostile owner is not shown escaped:\n%s", name, blocks)
				}
				if strings.Contains(blocks, "owner <@") != (tt.wantAlice == "owner <@U024BE7LH>") {
					t.Errorf("%s: owner mentions present = %v, want %v", name, !tt.wantGroup, tt.wantGroup)
				}
			}
			if got := strings.Contains(team, "*For:* <!subteam^S012AB3CD> <@U0G9QF9C6>"); got != tt.wantGroup {
				t.Errorf("#payments mentions the route's group and user = %v, want %v:\n%s", got, tt.wantGroup, team)
			}
			if strings.Contains(org, "subteam") {
				t.Errorf("the organization-wide digest mentions a team's group:\n%s", org)
			}
			if got := srv.Calls(slackfake.LookupByEmail); got != tt.wantLookups {
				t.Errorf("users.lookupByEmail called %d times (%v), want %d", got, srv.Lookups(), tt.wantLookups)
			}
			for _, email := range srv.Lookups() {
				if count(srv.Lookups(), email) > 1 {
					t.Errorf("%s looked up %d times in one run, want once", email, count(srv.Lookups(), email))
				}
				if email != "alice.chen@acme.example" && email != "new.hire@acme.example" {
					t.Errorf("looked up %q: only plain email owners are looked up", email)
				}
			}
			if tt.wantLog != "" && strings.Count(logs.String(), tt.wantLog) != 1 {
				t.Errorf("log has %d lines %q, want 1:\n%s", strings.Count(logs.String(), tt.wantLog), tt.wantLog, logs)
			}
			if strings.Contains(logs.String(), "alice.chen@acme.example") || strings.Contains(logs.String(), testToken) {
				t.Errorf("log holds an owner's email or the token:\n%s", logs)
			}
		})
	}
}

// TestMentionsOwnerSources posts the sample run's digest with one owner,
// alice's, from each source: owners from the configuration (an
// exception, a route) are looked up as ever; owners from IAM user or
// account tags, which anyone able to tag them chooses, only in a domain
// of slack.mention_tag_domains, and otherwise stay plain text without a
// lookup.
func TestMentionsOwnerSources(t *testing.T) {
	const mention, alice = "owner <@U024BE7LH>", "alice.chen@acme.example"
	tests := []struct {
		name, owner, source string
		domains             []string
		mentioned           bool
	}{
		{name: "an exception's owner", owner: alice, source: audit.OwnerFromException, mentioned: true},
		{name: "a route's owner", owner: alice, source: audit.OwnerFromRoute, mentioned: true},
		{name: "a route's owner, whatever the allow-list", owner: alice, source: audit.OwnerFromRoute, domains: []string{"example.com"}, mentioned: true},
		{name: "a user tag, no allow-list", owner: alice, source: audit.OwnerFromUserTag + "owner"},
		{name: "an account tag, no allow-list", owner: alice, source: audit.OwnerFromAccountTag + "team"},
		{name: "a user tag outside the allow-list", owner: alice, source: audit.OwnerFromUserTag + "owner", domains: []string{"example.com"}},
		{name: "a user tag in the allow-list", owner: alice, source: audit.OwnerFromUserTag + "owner", domains: []string{"example.com", "acme.example"}, mentioned: true},
		{name: "an account tag in the allow-list, in other cases", owner: "Alice.Chen@ACME.example", source: audit.OwnerFromAccountTag + "owner",
			domains: []string{"Acme.Example"}, mentioned: true},
		{name: "a subdomain is not the domain", owner: "alice.chen@eu.acme.example", source: audit.OwnerFromUserTag + "owner", domains: []string{"acme.example"}},
		{name: "a look-alike domain", owner: "alice.chen@acme.example.evil", source: audit.OwnerFromUserTag + "owner", domains: []string{"acme.example"}},
		{name: "the domain as the local part", owner: "acme.example@evil.example", source: audit.OwnerFromUserTag + "owner", domains: []string{"acme.example"}},
		{name: "no source (a run written before owner_source)", owner: alice, source: "", domains: []string{"acme.example"}},
		{name: "an unknown source", owner: alice, source: "tag", domains: []string{"acme.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slackfake.New(t)
			// Every address is a Slack user: only the policy keeps it
			// from becoming a mention.
			for _, email := range []string{alice, "alice.chen@eu.acme.example", "alice.chen@acme.example.evil", "acme.example@evil.example"} {
				srv.AddUser(email, "U024BE7LH")
			}
			run, dir := sampleRun(t)
			actionable(t, run)
			err := run.FindingSet().Update(func(fs []audit.Finding) error {
				for i := range fs {
					if fs[i].Principal == "alice.chen" {
						fs[i].Owner, fs[i].OwnerSource = tt.owner, tt.source
					} else {
						fs[i].Owner, fs[i].OwnerSource = "", ""
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg := tokenConfig(srv.APIURL())
			cfg.Mentions, cfg.MentionTagDomains = true, tt.domains
			n, _, _ := testNotifier(t, cfg, Credentials{Token: testToken})
			if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			blocks := postTo(t, srv, "#security")
			want, lookups := "owner "+tt.owner, 0
			if tt.mentioned {
				want, lookups = mention, 1
			}
			if !strings.Contains(blocks, want) {
				t.Errorf("alice's owner is not shown as %q:\n%s", want, blocks)
			}
			if !tt.mentioned && strings.Contains(blocks, "<@U024BE7LH>") {
				t.Errorf("an owner from %q became a mention:\n%s", tt.source, blocks)
			}
			if got := srv.Calls(slackfake.LookupByEmail); got != lookups {
				t.Errorf("users.lookupByEmail called %d times (%v), want %d", got, srv.Lookups(), lookups)
			}
		})
	}
}

// TestMentionTagDomainsWithoutMentions: mention_tag_domains with
// slack.mentions off mentions nobody, looks nobody up, and says so.
func TestMentionTagDomainsWithoutMentions(t *testing.T) {
	srv := slackfake.New(t)
	srv.AddUser("new.hire@acme.example", "U024BE7LH")
	run, dir := sampleRun(t)
	actionable(t, run)
	cfg := tokenConfig(srv.APIURL())
	cfg.MentionTagDomains = []string{"acme.example"}
	n, logs, _ := testNotifier(t, cfg, Credentials{Token: testToken})
	if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	if got := srv.Calls(slackfake.LookupByEmail); got != 0 {
		t.Errorf("users.lookupByEmail called %d times with slack.mentions off, want 0", got)
	}
	if blocks := postTo(t, srv, "#security"); strings.Contains(blocks, "<@") {
		t.Errorf("a digest mentions someone with slack.mentions off:\n%s", blocks)
	}
	if !strings.Contains(logs.String(), "slack.mention_tag_domains is set but slack.mentions is off") {
		t.Errorf("the log does not say the domains do nothing:\n%s", logs)
	}
}

// TestMentionsDryRun: a dry run renders the route's mentions as words
// and never calls Slack to look owners up.
func TestMentionsDryRun(t *testing.T) {
	srv := slackfake.New(t)
	srv.AddUser("alice.chen@acme.example", "U024BE7LH")
	run, dir := sampleRun(t)
	actionable(t, run)
	cfg := tokenConfig(srv.APIURL())
	cfg.Mentions, cfg.Routes, cfg.DryRun = true, []config.SlackRoute{paymentsRoute}, config.DryRunText
	var out strings.Builder
	n, _, _ := testNotifier(t, cfg, Credentials{Token: testToken}, WithOutput(&out))
	if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	if srv.Calls(slackfake.LookupByEmail) != 0 || len(srv.Posts()) != 0 {
		t.Errorf("a dry run called Slack: %d lookups, %d posts", srv.Calls(slackfake.LookupByEmail), len(srv.Posts()))
	}
	text := out.String()
	for _, want := range []string{"For: @S012AB3CD @U0G9QF9C6", "owner alice.chen@acme.example", "12 days overdue"} {
		if !strings.Contains(text, want) {
			t.Errorf("dry run does not print %q:\n%s", want, text)
		}
	}
	for _, markup := range []string{"<@U0G9QF9C6>", "<!subteam", "*For:*", "&lt;", "&gt;"} {
		if strings.Contains(text, markup) {
			t.Errorf("dry run prints Slack markup %q:\n%s", markup, text)
		}
	}
}

func TestMentionString(t *testing.T) {
	tests := []struct{ id, want string }{
		{"S012AB3CD", "<!subteam^S012AB3CD>"},
		{"U024BE7LH", "<@U024BE7LH>"},
		{"W0123ABCD", "<@W0123ABCD>"},
		{"channel", ""},
		{"!channel", ""},
		{"U024BE7LH><!channel", ""},
		{"C0123ABCD", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Mention(tt.id).String(); got != tt.want {
			t.Errorf("Mention(%q).String() = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// TestTeamDigestLinksTeamFiles audits the sample organization with a
// route, as the runner does: the team's own audit.xlsx and audit.md are
// in the run folder, and the team's digest points at them while the
// organization-wide digest points at the run's.
func TestTeamDigestLinksTeamFiles(t *testing.T) {
	cfg := config.DefaultSlack()
	cfg.Channel, cfg.Routes, cfg.DryRun = "#security", []config.SlackRoute{paymentsRoute}, config.DryRunText
	res, err := app.RunOnce(context.Background(), app.Options{
		Source: sample.NewSource(), OutDir: t.TempDir(), AsOf: sample.AsOf,
		Thresholds: audit.DefaultThresholds(), Version: "test",
		Clock: func() time.Time { return sample.AsOf },
		Teams: func(run *result.Run) []app.Team {
			teams, _ := Teams(run, &cfg)
			var out []app.Team
			for _, t := range teams {
				out = append(out, app.Team{Name: t.Name, Folder: t.Folder, Accounts: t.Accounts})
			}
			return out
		},
	})
	if err != nil {
		t.Fatalf("RunOnce = %v", err)
	}
	defer res.Close()
	for _, f := range []string{"audit.xlsx", "audit.md"} {
		if _, err := os.Stat(filepath.Join(res.Dir, "teams", "payments", f)); err != nil {
			t.Errorf("team file: %v", err)
		}
	}
	var out strings.Builder
	n, _, _ := testNotifier(t, cfg, Credentials{}, WithOutput(&out))
	if err := n.Notify(context.Background(), res.Run, result.Location{Dir: res.Dir}); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	digests := strings.Split(out.String(), "── Slack digest for ")
	if len(digests) != 3 {
		t.Fatalf("%d digests printed, want 2:\n%s", len(digests)-1, out.String())
	}
	org, team := digests[1], digests[2]
	if want := "Full report: " + filepath.Join(res.Dir, "audit.xlsx") + " on the host"; !strings.Contains(org, want) {
		t.Errorf("organization-wide digest does not point at %q:\n%s", want, org)
	}
	if want := "Your team's report: " + filepath.Join(res.Dir, "teams", "payments", "audit.xlsx") + " on the host"; !strings.Contains(team, want) {
		t.Errorf("team digest does not point at %q:\n%s", want, team)
	}
	if !slices.Contains(strings.Fields(team), "#payments") {
		t.Errorf("second digest is not #payments':\n%s", team)
	}
}
