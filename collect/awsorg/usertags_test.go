package awsorg_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// userTagsOrg is smallOrg(3) whose first member's authorization details
// tag its users, and whose second member has no details (GAAD answers
// AccessDenied), alice and bob in its report and tags only ListUserTags
// serves.
func userTagsOrg() awsfake.Org {
	org := smallOrg(3)
	withDetails := &org.Accounts[1]
	users := withDetails.Details.UserDetailList
	users[0].Tags = []posture.Tag{{Key: "cost-center", Value: "42"}, {Key: "team", Value: "data"}, {Key: "owner", Value: "dana@example.com"}}
	users[1].Tags = []posture.Tag{{Key: "env", Value: "prod"}}
	without := &org.Accounts[2]
	without.Details = nil
	without.Report = []byte("user,arn,user_creation_time\n<root_account>,arn:aws:iam::" + without.ID + ":root,2020-01-01T00:00:00+00:00\n" +
		"alice,arn:aws:iam::" + without.ID + ":user/alice,2020-01-01T00:00:00+00:00\n" +
		"bob,arn:aws:iam::" + without.ID + ":user/bob,2020-01-01T00:00:00+00:00\n")
	without.UserTags = map[string][]posture.Tag{
		"alice": {{Key: "a", Value: "1"}, {Key: "team", Value: "payments"}, {Key: "b", Value: "2"}, {Key: "owner", Value: "alice@example.com"}},
	}
	return org
}

// collectSelecting collects with users as the source's user selector.
func collectSelecting(t *testing.T, url string, opts awsorg.Options, users func(*collect.AccountResult) []string) map[string]collect.AccountResult {
	t.Helper()
	src, err := awsorg.New(baseConfig(url, mgmtCreds), opts)
	if err != nil {
		t.Fatal(err)
	}
	if users != nil {
		src.SelectUsers(users)
	}
	out := map[string]collect.AccountResult{}
	if err := src.Collect(context.Background(), func(res collect.AccountResult) error {
		out[res.Account.ID] = res
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUserTags(t *testing.T) {
	org := userTagsOrg()
	withDetails, without := org.Accounts[1].ID, org.Accounts[2].ID
	// The users "with findings": bob has no tags, ghost was deleted
	// since the report (NoSuchEntity).
	selected := func(res *collect.AccountResult) []string { return []string{"bob", "ghost", "alice", "bob"} }
	keys := []string{"owner", "team"}
	tests := []struct {
		name     string
		opts     func(*awsorg.Options)
		fault    *awsfake.Fault
		users    func(*collect.AccountResult) []string
		want     map[string]map[string]string // the second member's UserTags.Tags
		err      string                       // substring of its UserTags.Err
		failed   bool
		notRead  int
		lookups  int               // ListUserTags calls that succeeded
		detailed map[string]string // user0's tags in the first member's details
	}{
		{name: "paginated lookups, only the owner keys kept",
			want: map[string]map[string]string{"alice": {"owner": "alice@example.com", "team": "payments"}}, lookups: 4 + 1,
			detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
		{name: "no owner keys: no lookups, no tags kept", opts: func(o *awsorg.Options) { o.OwnerTagKeys = nil }},
		{name: "no selector: no lookups", users: func(*collect.AccountResult) []string { return nil },
			want: map[string]map[string]string{}, detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
		{name: "capped per account", opts: func(o *awsorg.Options) { o.MaxUserTagLookups = 1 },
			want: map[string]map[string]string{"alice": {"owner": "alice@example.com", "team": "payments"}}, lookups: 4,
			err: "tags of 2 of the 3 users with findings not read: iam:ListUserTags looks up at most 1 users per account", notRead: 2,
			detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
		{name: "access denied", fault: &awsfake.Fault{Actions: map[string]awsfake.ActionFault{"ListUserTags": {Error: "AccessDenied"}}},
			want: map[string]map[string]string{}, failed: true, notRead: 3,
			err:      "iam:ListUserTags alice: AccessDenied: User: arn:aws:sts::",
			detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
		{name: "throttled, then answered", fault: &awsfake.Fault{Throttle: map[string]int{"ListUserTags": 2}},
			want: map[string]map[string]string{"alice": {"owner": "alice@example.com", "team": "payments"}}, lookups: 4 + 1,
			detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
		// A listing that never ends stops the account's lookups, after
		// two calls (the Marker repeats) or at the page cap.
		{name: "endless pages, same Marker", fault: &awsfake.Fault{Endless: map[string]awsfake.Endless{"ListUserTags": awsfake.EndlessSameMarker}},
			want: map[string]map[string]string{}, failed: true, notRead: 3, lookups: 2,
			err:      "iam:ListUserTags alice: the listing does not end: page 2 repeats an earlier Marker",
			detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
		{name: "endless pages, new Markers", fault: &awsfake.Fault{Endless: map[string]awsfake.Endless{"ListUserTags": awsfake.EndlessNewMarker}},
			want: map[string]map[string]string{}, failed: true, notRead: 3, lookups: 50,
			err:      "iam:ListUserTags alice: the listing does not end: more than 50 pages, for at most 50 tags",
			detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
		{name: "throttled past the retries", opts: func(o *awsorg.Options) { o.MaxAttempts = 2 },
			fault: &awsfake.Fault{Actions: map[string]awsfake.ActionFault{"ListUserTags": {Error: "Throttling", AfterPages: 1}}},
			want:  map[string]map[string]string{}, failed: true, notRead: 3, lookups: 1,
			err:      "iam:ListUserTags alice: Throttling: Rate exceeded (after 2 attempts",
			detailed: map[string]string{"team": "data", "owner": "dana@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := userTagsOrg()
			if tt.fault != nil {
				org.Accounts[2].Fault = *tt.fault
			}
			srv, url := fake(t, org, awsfake.Options{IAMPageSize: 1})
			opts := fastOptions(awsorg.ModeOrg)
			opts.OwnerTagKeys = keys
			if tt.opts != nil {
				tt.opts(&opts)
			}
			users := selected
			if tt.users != nil {
				users = tt.users
			}
			got := collectSelecting(t, url, opts, users)
			res := got[without]
			if res.Status != collect.Collected || len(res.Report) == 0 {
				t.Fatalf("account %s: %s (%v): user tags never fail an account", without, res.Status, res.Err)
			}
			ut := res.UserTags
			if !maps.EqualFunc(ut.Tags, tt.want, func(a, b map[string]string) bool { return maps.Equal(a, b) }) {
				t.Errorf("UserTags.Tags = %v, want %v", ut.Tags, tt.want)
			}
			switch {
			case tt.err == "" && ut.Err != nil:
				t.Errorf("UserTags.Err = %v", ut.Err)
			case tt.err != "" && (ut.Err == nil || !strings.Contains(ut.Err.Error(), tt.err)):
				t.Errorf("UserTags.Err = %v, want one containing %q", ut.Err, tt.err)
			}
			if ut.Failed != tt.failed || ut.NotLookedUp != tt.notRead {
				t.Errorf("UserTags Failed %v, NotLookedUp %d; want %v, %d", ut.Failed, ut.NotLookedUp, tt.failed, tt.notRead)
			}
			// The details keep the owner keys only; an account with
			// details is never looked up user by user.
			if d := got[withDetails].Posture.Details; d == nil {
				t.Fatal("details of the first member not collected")
			} else if g := tagMap(d.UserDetailList[0].Tags); !maps.Equal(g, tt.detailed) {
				t.Errorf("details user0 tags %v, want %v", g, tt.detailed)
			} else if len(d.UserDetailList[1].Tags) != 0 {
				t.Errorf("details user1 tags %v: none is an owner key", d.UserDetailList[1].Tags)
			}
			var ok int
			session := map[string]string{}
			for _, c := range srv.Calls() {
				if c.Action == "GetCredentialReport" {
					session[c.Caller] = c.AccessKeyID
				}
			}
			for _, c := range srv.Calls() {
				if c.Action != "ListUserTags" {
					continue
				}
				if c.Caller != without {
					t.Errorf("ListUserTags in account %s, which has its details", c.Caller)
				}
				if c.AccessKeyID != session[c.Caller] {
					t.Errorf("ListUserTags signed by %s, the credential report by %s: not the account's session", c.AccessKeyID, session[c.Caller])
				}
				if c.Error == "" {
					ok++
				}
			}
			if ok != tt.lookups {
				t.Errorf("%d ListUserTags answered, want %d", ok, tt.lookups)
			}
		})
	}
}

func tagMap(tags []posture.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// TestUserTagsNoSuchEntity: the fake answers NoSuchEntity for a user in
// neither the details, its tags nor the report, and the source reads it as
// a user without tags.
func TestUserTagsNoSuchEntity(t *testing.T) {
	org := userTagsOrg()
	srv, url := fake(t, org, awsfake.Options{})
	opts := fastOptions(awsorg.ModeOrg)
	opts.OwnerTagKeys = []string{"owner"}
	got := collectSelecting(t, url, opts, func(*collect.AccountResult) []string { return []string{"ghost"} })
	if ut := got[org.Accounts[2].ID].UserTags; ut.Err != nil || len(ut.Tags) != 0 {
		t.Errorf("UserTags = %+v, want none and no error", ut)
	}
	codes := []string{}
	for _, c := range srv.Calls() {
		if c.Action == "ListUserTags" {
			codes = append(codes, c.Error)
		}
	}
	if !slices.Equal(codes, []string{"NoSuchEntity"}) {
		t.Errorf("ListUserTags answered %q, want one NoSuchEntity", codes)
	}
}
