package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify/slack/slackfake"
	"github.com/reporter-dev/reporter/result"
)

func TestDescribeRoutes(t *testing.T) {
	long := strings.Repeat("x", 100)
	many := func(n int) []config.SlackRoute {
		routes := make([]config.SlackRoute, n)
		for i := range routes {
			routes[i] = config.SlackRoute{Channel: "#pay", Tags: map[string]string{"team": fmt.Sprintf("t%d", i)}}
		}
		return routes
	}
	tests := []struct {
		name   string
		routes []config.SlackRoute
		want   string
	}{
		{"one route", []config.SlackRoute{{OUs: []string{"ou-ab12-payments"}, Tags: map[string]string{"team": "payments"}}},
			"OU ou-ab12-payments, tag team=payments"},
		{"routes joined", []config.SlackRoute{{OUs: []string{"ou-a"}}, {Accounts: []string{"111111111111", "222222222222"}}},
			"OU ou-a; accounts 111111111111, 222222222222"},
		{"items shortened", []config.SlackRoute{{Accounts: []string{"1", "2", "3", "4", "5", "6"}}}, "accounts 1, 2, 3, 4 and 2 more"},
		{"three routes", many(3), "tag team=t0; tag team=t1; tag team=t2"},
		{"four routes", many(4), "tag team=t0; tag team=t1; tag team=t2; and 1 more route"},
		{"two hundred routes", many(200), "tag team=t0; tag team=t1; tag team=t2; and 197 more routes"},
		{"long tag value", []config.SlackRoute{{Tags: map[string]string{"team": long}}}, "tag team=" + strings.Repeat("x", 40-len("team=")-len("…")) + "…"},
		{"cut inside a character", []config.SlackRoute{{Tags: map[string]string{"t": strings.Repeat("é", 30)}}},
			"tag t=" + strings.Repeat("é", (40-len("t=")-len("…"))/2) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeRoutes(tt.routes); got != tt.want {
				t.Errorf("describeRoutes() = %q, want %q", got, tt.want)
			}
		})
	}
	// The worst case stays within the bound.
	var worst []config.SlackRoute
	for i := range 10 {
		r := config.SlackRoute{Tags: map[string]string{}}
		for j := range 10 {
			r.Tags[fmt.Sprintf("k%d-%d", i, j)] = strings.Repeat("<", 1000)
			r.OUs = append(r.OUs, strings.Repeat("&", 1000))
			r.Accounts = append(r.Accounts, fmt.Sprintf("%012d", j))
		}
		worst = append(worst, r)
	}
	if got := describeRoutes(worst); len(got) > maxRuleLen {
		t.Errorf("describeRoutes(worst) is %d bytes, want at most %d", len(got), maxRuleLen)
	}
}

// TestDigestScopeWithManyRoutes: every route of a channel used to be
// described in the digest's scope line, so 200 routes (or long tag
// values) pushed the block past Slack's limit and the team got no
// digest. The description is bounded; the digest is posted.
func TestDigestScopeWithManyRoutes(t *testing.T) {
	run, dir := sampleRun(t)
	srv := slackfake.New(t)
	cfg := tokenConfig(srv.APIURL())
	for i := range 200 {
		cfg.Routes = append(cfg.Routes, config.SlackRoute{Channel: "#payments",
			Accounts: []string{"222222222222"},
			OUs:      []string{fmt.Sprintf("ou-%03d-%s", i, strings.Repeat("<&>", 50))},
			Tags:     map[string]string{"team": fmt.Sprintf("payments-%03d-%s", i, strings.Repeat("&", 200)), "cost-center": strings.Repeat("<", 300)}})
	}
	n, _, _ := testNotifier(t, cfg, Credentials{Token: testToken})
	if err := n.Notify(context.Background(), run, result.Location{Dir: dir}); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	var team *slackfake.Post
	posts := srv.Posts()
	for i := range posts {
		if posts[i].Channel == "#payments" {
			team = &posts[i]
		}
	}
	if team == nil {
		t.Fatalf("no digest posted to #payments; posts: %d", len(posts))
	}
	var blocks slackgo.Blocks
	if err := json.Unmarshal(team.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if err := CheckLimits(&Message{Text: team.Text, Blocks: blocks}); err != nil {
		t.Errorf("the #payments digest breaks Slack's limits: %v", err)
	}
	var scope string
	for _, b := range blocks.BlockSet {
		if c, ok := b.(*slackgo.ContextBlock); ok {
			for _, e := range c.ContextElements.Elements {
				if tx, ok := e.(*slackgo.TextBlockObject); ok && strings.Contains(tx.Text, "*Scope:*") {
					scope = tx.Text
				}
			}
		}
	}
	if !strings.Contains(scope, "; and 197 more routes") || len(scope) > MaxSectionText {
		t.Errorf("scope line (%d bytes) = %q, want the first routes and \"and 197 more routes\"", len(scope), scope)
	}
}
