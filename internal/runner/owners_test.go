package runner

import (
	"slices"
	"testing"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/result"
)

// TestOwnerOptions: the run gets the configured tag keys and, in
// configuration order, the routes that name an owner, each matching the
// accounts its route matches.
func TestOwnerOptions(t *testing.T) {
	cfg := config.Default()
	cfg.Slack.Routes = []config.SlackRoute{
		{Channel: "#all-prod", OUs: []string{"ou-ab12-prod"}},
		{Channel: "#payments", Tags: map[string]string{"team": "payments"}, Owner: "payments-oncall"},
		{Channel: "#legacy", Accounts: []string{"111111111111"}, Owner: "legacy-owners"},
	}
	got := ownerOptions(&cfg)
	if !slices.Equal(got.TagKeys, []string{"owner", "team"}) {
		t.Errorf("TagKeys = %q, want the default owner, team", got.TagKeys)
	}
	if len(got.Routes) != 2 || got.Routes[0].Owner != "payments-oncall" || got.Routes[1].Owner != "legacy-owners" {
		t.Fatalf("Routes = %+v, want the two routes with an owner, in order", got.Routes)
	}
	for _, tt := range []struct {
		acct result.Account
		want []bool
	}{
		{result.Account{ID: "111111111111", Tags: map[string]string{"team": "payments"}}, []bool{true, true}},
		{result.Account{ID: "222222222222", Tags: map[string]string{"team": "platform"}, OUs: []string{"ou-ab12-prod"}}, []bool{false, false}},
		{result.Account{ID: "111111111111"}, []bool{false, true}},
	} {
		for i, r := range got.Routes {
			if c := r.Covers(&tt.acct); c != tt.want[i] {
				t.Errorf("route %s covers %+v: %v, want %v", r.Owner, tt.acct, c, tt.want[i])
			}
		}
	}
}
