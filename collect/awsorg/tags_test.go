package awsorg_test

import (
	"testing"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// TestAccountTags: with AccountTags the Organizations tags of every
// account reach its result (for Slack routing by tag); without it no
// ListTagsForResource call is made.
func TestAccountTags(t *testing.T) {
	tests := []struct {
		name      string
		withTags  bool
		wantTags  map[string]string
		wantCalls int
	}{
		{"tags read", true, map[string]string{"team": "payments", "env": "prod"}, 3},
		{"tags not asked for", false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := smallOrg(3)
			org.Accounts[1].Tags = map[string]string{"team": "payments", "env": "prod"}
			srv, url := fake(t, org, awsfake.Options{})
			opts := fastOptions("org")
			opts.AccountTags = tt.withTags
			got := run(t, url, mgmtCreds, opts)
			if got.err != nil {
				t.Fatal(got.err)
			}
			res := got.results["100000000001"]
			if res.Status != collect.Collected || len(res.Account.Tags) != len(tt.wantTags) {
				t.Fatalf("account 100000000001: %s, tags %v; want collected with %v", res.Status, res.Account.Tags, tt.wantTags)
			}
			for k, v := range tt.wantTags {
				if res.Account.Tags[k] != v {
					t.Errorf("tag %s = %q, want %q", k, res.Account.Tags[k], v)
				}
			}
			if tags := got.results["100000000002"].Account.Tags; tags != nil {
				t.Errorf("untagged account has tags %v", tags)
			}
			calls := 0
			for _, c := range srv.Calls() {
				if c.Action == "ListTagsForResource" {
					calls++
				}
			}
			if calls != tt.wantCalls {
				t.Errorf("ListTagsForResource calls = %d, want %d", calls, tt.wantCalls)
			}
		})
	}
}
