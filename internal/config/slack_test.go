package config

import (
	"slices"
	"strings"
	"testing"
)

func TestSlackRoutesValidate(t *testing.T) {
	acct := []string{"111111111111"}
	tests := []struct {
		name   string
		routes []SlackRoute
		want   []string // substrings of the error; none when valid
	}{
		{name: "one team", routes: []SlackRoute{{Name: "payments", Channel: "#pay", Accounts: acct}}},
		{name: "channel names the team", routes: []SlackRoute{{Channel: "#pay", Accounts: acct}, {Channel: "#data", Accounts: acct}}},
		{name: "routes of one channel share a name", routes: []SlackRoute{
			{Channel: "#pay", Accounts: acct}, {Name: "payments", Channel: "#pay", OUs: []string{"ou-1"}},
		}},
		{name: "routes of one channel named twice", routes: []SlackRoute{
			{Name: "payments", Channel: "#pay", Accounts: acct}, {Name: "billing", Channel: "#pay", OUs: []string{"ou-1"}},
		}, want: []string{`slack.routes[1] (#pay): name "billing"`, `already named "payments"`}},
		{name: "names that collide once made safe", routes: []SlackRoute{
			{Name: "Payments Team", Channel: "#a", Accounts: acct}, {Name: "payments/team", Channel: "#b", Accounts: acct},
		}, want: []string{`slack.routes[1] (#b): team "payments/team" writes to teams/payments-team/, as the team of #a does`}},
		{name: "channel collides with a name", routes: []SlackRoute{
			{Name: "data", Channel: "#a", Accounts: acct}, {Channel: "#data", Accounts: acct},
		}, want: []string{`team "#data" writes to teams/data/`}},
		{name: "name without letters", routes: []SlackRoute{{Name: "../..", Channel: "#a", Accounts: acct}},
			want: []string{`team name "../.." has no ASCII letter or digit`}},
		{name: "mentions", routes: []SlackRoute{{Channel: "#a", Accounts: acct, Mention: []string{"S012AB3CD", "U024BE7LH", "W0123ABC"}}}},
		{name: "bad mentions", routes: []SlackRoute{{Channel: "#a", Accounts: acct, Mention: []string{"@here", "<!channel>", "u024be7lh", "C0123ABC", "S"}}},
			want: []string{`mention "@here"`, `mention "<!channel>"`, `mention "u024be7lh"`, `mention "C0123ABC"`, `mention "S"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultSlack()
			c.Routes = tt.routes
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestSlackMentionTagDomains reads slack.mention_tag_domains from the
// file and the environment, and refuses entries that are no domain.
func TestSlackMentionTagDomains(t *testing.T) {
	tests := []struct {
		name string
		file string // the configuration file, "" for none
		env  map[string]string
		want []string
		err  []string // substrings of the error; none when valid
	}{
		{name: "none by default"},
		{name: "from the file", file: "slack:\n  mention_tag_domains: [example.com, Corp.Example.org]\n", want: []string{"example.com", "Corp.Example.org"}},
		{name: "the environment, comma-separated, overrides the file", file: "slack:\n  mention_tag_domains: [example.com]\n",
			env: map[string]string{"REPORTER_SLACK_MENTION_TAG_DOMAINS": "acme.example,xn--bcher-kva.example"}, want: []string{"acme.example", "xn--bcher-kva.example"}},
		{name: "an address, not a domain", file: "slack:\n  mention_tag_domains: ['@example.com', alice@example.com]\n",
			err: []string{`slack.mention_tag_domains[0] "@example.com" (REPORTER_SLACK_MENTION_TAG_DOMAINS): want the domain alone, without the @`, `[1] "alice@example.com"`}},
		{name: "a wildcard", env: map[string]string{"REPORTER_SLACK_MENTION_TAG_DOMAINS": "*.example.com"},
			err: []string{`slack.mention_tag_domains[0] "*.example.com"`, "no wildcard: subdomains are not matched"}},
		{name: "not domains", file: "slack:\n  mention_tag_domains: ['', com, example..com, -x.example, x-.example, 'a b.example', 'ex\u00e4mple.com', '<!channel>.example']\n",
			err: []string{`[0] ""`, `[1] "com"`, `[2] "example..com"`, `[3] "-x.example"`, `[4] "x-.example"`, `[5] "a b.example"`, `[6] "exämple.com"`, `[7] "<!channel>.example"`}},
		{name: "a label too long", env: map[string]string{"REPORTER_SLACK_MENTION_TAG_DOMAINS": strings.Repeat("a", 64) + ".example"},
			err: []string{"want an email domain such as example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromFileAndEnv(t, tt.file, tt.env)
			if err == nil {
				err = c.Validate()
			}
			if len(tt.err) > 0 {
				if err == nil {
					t.Fatalf("error = nil, want %q", tt.err)
				}
				for _, w := range tt.err {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error = %v, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Slack.MentionTagDomains, tt.want) {
				t.Errorf("MentionTagDomains = %q, want %q", c.Slack.MentionTagDomains, tt.want)
			}
		})
	}
}

func TestSlackTeamName(t *testing.T) {
	c := Slack{Routes: []SlackRoute{
		{Channel: "#pay"}, {Channel: "#pay", Name: "payments"}, {Channel: "#data"},
	}}
	for ch, want := range map[string]string{"#pay": "payments", "#data": "#data", "#none": "#none"} {
		if got := c.TeamName(ch); got != want {
			t.Errorf("TeamName(%q) = %q, want %q", ch, got, want)
		}
	}
}

func TestS3ConsoleLink(t *testing.T) {
	tests := []struct {
		link, endpoint string
		want           bool
		err            string
	}{
		{link: "", want: true},
		{link: ConsoleLinkAuto, want: true},
		{link: ConsoleLinkAuto, endpoint: "http://127.0.0.1:7070", want: false},
		{link: ConsoleLinkAlways, endpoint: "https://bucket.vpce-1a2b.s3.eu-west-1.vpce.amazonaws.com", want: true},
		{link: ConsoleLinkNever, want: false},
		{link: "yes", err: `s3.console_link "yes": want auto, always or never`},
	}
	for _, tt := range tests {
		c := DefaultS3()
		c.Bucket, c.Endpoint, c.ConsoleLink = "b", tt.endpoint, tt.link
		err := c.Validate()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Validate(console_link %q) = %v, want %q", tt.link, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Validate(console_link %q) = %v", tt.link, err)
		}
		if got := c.WantConsoleLink(); got != tt.want {
			t.Errorf("WantConsoleLink(console_link %q, endpoint %q) = %v, want %v", tt.link, tt.endpoint, got, tt.want)
		}
	}
}
