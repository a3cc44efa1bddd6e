package slack

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/notify/slack/slackfake"
)

// userReply answers users.lookupByEmail with a user shaped by fields.
func userReply(fields string) slackfake.ReplyFunc {
	return func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":"U0DELETED",%s}}`, fields)
		return true
	}
}

// TestDirectoryLookup looks owners up as a bad day would have them: odd
// spellings, users Slack must not be asked to mention, and a Slack that
// fails, answers garbage or rate-limits. Each owner is asked once at
// most; after a failure nobody is asked again in the run.
func TestDirectoryLookup(t *testing.T) {
	tests := []struct {
		name   string
		reply  slackfake.ReplyFunc
		owners []string
		// want are the IDs, one per owner.
		want []string
		// wantAsked are the emails Slack was asked about (recorded by
		// the fake when it answers itself).
		wantAsked []string
		wantCalls int
		wantLog   string
	}{
		{
			name:      "case folded, asked once",
			owners:    []string{"Alice.Chen@ACME.example", "alice.chen@acme.example", "ALICE.CHEN@acme.EXAMPLE"},
			want:      []string{"U024BE7LH", "U024BE7LH", "U024BE7LH"},
			wantAsked: []string{"alice.chen@acme.example"}, wantCalls: 1,
		},
		{
			name:   "not an email alone: never asked",
			owners: []string{" alice.chen@acme.example", "alice.chen@acme.example\n", "Alice <alice.chen@acme.example>", "alice.chen@acme.example,bob@acme.example", strings.Repeat("a", 250) + "@acme.example"},
			want:   []string{"", "", "", "", ""},
		},
		{
			name:      "plus addressing is asked as written",
			owners:    []string{"alice.chen+aws@acme.example"},
			want:      []string{""},
			wantAsked: []string{"alice.chen+aws@acme.example"}, wantCalls: 1,
		},
		{name: "deactivated user", reply: userReply(`"deleted":true`), owners: []string{"gone@acme.example"}, want: []string{""}, wantCalls: 1},
		{name: "bot user", reply: userReply(`"is_bot":true`), owners: []string{"bot@acme.example"}, want: []string{""}, wantCalls: 1},
		{name: "user ID of another shape", reply: userReply(`"id":"<!channel>"`), owners: []string{"odd@acme.example"}, want: []string{""}, wantCalls: 1},
		{
			name: "malformed JSON", owners: []string{"alice.chen@acme.example", "bob@acme.example"}, want: []string{"", ""},
			reply: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"ok":true,"user":{"id":`)
				return true
			},
			wantCalls: 1, wantLog: "Slack user lookup failed",
		},
		{
			name: "429 with Retry-After", reply: status(429, "Retry-After", "30"),
			owners: []string{"alice.chen@acme.example", "bob@acme.example", "carol@acme.example"}, want: []string{"", "", ""},
			wantCalls: 1, wantLog: "Slack user lookup failed",
		},
		{
			name: "missing scope", reply: slackError("missing_scope"),
			owners: []string{"alice.chen@acme.example", "bob@acme.example"}, want: []string{"", ""},
			wantCalls: 1, wantLog: "Slack user lookup failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slackfake.New(t)
			srv.AddUser("alice.chen@acme.example", "U024BE7LH")
			if tt.reply != nil {
				srv.Reply(slackfake.LookupByEmail, tt.reply)
			}
			var logs bytes.Buffer
			d := &directory{
				api: slackgo.New(testToken, slackgo.OptionAPIURL(srv.APIURL())),
				log: slog.New(slog.NewTextHandler(&logs, nil)), cache: map[string]string{},
			}
			for i, owner := range tt.owners {
				if got := d.lookup(context.Background(), owner); got != tt.want[i] {
					t.Errorf("lookup(%q) = %q, want %q", owner, got, tt.want[i])
				}
			}
			if got := srv.Calls(slackfake.LookupByEmail); got != tt.wantCalls {
				t.Errorf("users.lookupByEmail called %d times, want %d", got, tt.wantCalls)
			}
			if tt.reply == nil && strings.Join(srv.Lookups(), ",") != strings.Join(tt.wantAsked, ",") {
				t.Errorf("Slack was asked about %q, want %q", srv.Lookups(), tt.wantAsked)
			}
			if tt.wantLog != "" && strings.Count(logs.String(), tt.wantLog) != 1 {
				t.Errorf("log has %d lines %q, want 1:\n%s", strings.Count(logs.String(), tt.wantLog), tt.wantLog, logs.String())
			}
			if strings.Contains(logs.String(), "alice.chen") {
				t.Errorf("log holds an owner's email:\n%s", logs.String())
			}
		})
	}
}

// TestDirectoryLookupCap: 1,000 distinct owners cost MaxLookups calls;
// the others are text, said once in the log, and known owners already
// looked up keep their mention.
func TestDirectoryLookupCap(t *testing.T) {
	srv := slackfake.New(t)
	srv.AddUser("owner0@acme.example", "U000000AA")
	var logs bytes.Buffer
	d := &directory{
		api: slackgo.New(testToken, slackgo.OptionAPIURL(srv.APIURL())),
		log: slog.New(slog.NewTextHandler(&logs, nil)), cache: map[string]string{},
	}
	mentioned := 0
	for i := range 1000 {
		if d.lookup(context.Background(), fmt.Sprintf("owner%d@acme.example", i)) != "" {
			mentioned++
		}
	}
	if got := srv.Calls(slackfake.LookupByEmail); got != MaxLookups {
		t.Errorf("users.lookupByEmail called %d times for 1,000 owners, want %d", got, MaxLookups)
	}
	if mentioned != 1 || d.lookup(context.Background(), "owner0@acme.example") != "U000000AA" {
		t.Errorf("%d owners mentioned, want owner0 only, still after the cap", mentioned)
	}
	if n := strings.Count(logs.String(), "Slack user lookups capped"); n != 1 {
		t.Errorf("log says the cap %d times, want once:\n%s", n, logs.String())
	}
}
