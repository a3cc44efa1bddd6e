package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestOwnerTagKeys: owner_tag_keys from the defaults, the file, the
// environment and the flag, and its validation.
func TestOwnerTagKeys(t *testing.T) {
	tests := []struct {
		name  string
		file  string // YAML; "" for none
		env   map[string]string
		flags []string
		want  []string
		err   string
	}{
		{name: "default: owner, then team", want: []string{"owner", "team"}},
		{name: "file", file: "owner_tag_keys: [Owner, cost-center]\n", want: []string{"Owner", "cost-center"}},
		{name: "an empty list in the file turns owners from tags off", file: "owner_tag_keys: []\n", want: []string{}},
		{name: "environment", env: map[string]string{"REPORTER_OWNER_TAG_KEYS": "team,owner"}, want: []string{"team", "owner"}},
		{name: "flag", flags: []string{"--owner-tag-keys", "contact, owner"}, want: []string{"contact", "owner"}},
		{name: "a key twice", file: "owner_tag_keys: [owner, team, owner]\n", err: `owner_tag_keys[2] (--owner-tag-keys): "owner" is given twice`},
		{name: "an empty key", file: "owner_tag_keys: [owner, ' ']\n", err: "owner_tag_keys[1] (--owner-tag-keys): empty key"},
		{name: "a key too long", file: "owner_tag_keys: [" + strings.Repeat("k", 129) + "]\n", err: "129 characters: IAM tag keys have at most 128"},
		{name: "too many keys", file: "owner_tag_keys: [a, b, c, d, e, f, g, h, i, j, k]\n", err: "11 keys: want at most 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromFileAndEnv(t, tt.file, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			c.RegisterFlags(fs)
			if err := fs.Parse(tt.flags); err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Validate() = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.OwnerTagKeys, tt.want) {
				t.Errorf("OwnerTagKeys = %q, want %q", c.OwnerTagKeys, tt.want)
			}
		})
	}
}

func TestSlackRouteOwnerAndMatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reporter.yaml")
	doc := "slack:\n  routes:\n    - channel: '#payments'\n      tags: {team: payments}\n      ous: [ou-ab12-payments]\n      owner: payments-oncall@example.com\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Slack.Routes[0]
	if r.Owner != "payments-oncall@example.com" {
		t.Errorf("route owner %q", r.Owner)
	}
	for _, tt := range []struct {
		name string
		id   string
		ous  []string
		tags map[string]string
		want bool
	}{
		{"tag", "111111111111", nil, map[string]string{"team": "payments"}, true},
		{"other tag value", "111111111111", nil, map[string]string{"team": "platform"}, false},
		{"OU at any depth", "111111111111", []string{"ou-ab12-inner", "ou-ab12-payments"}, nil, true},
		{"nothing", "111111111111", []string{"ou-ab12-other"}, nil, false},
	} {
		if got := r.Matches(tt.id, tt.ous, tt.tags); got != tt.want {
			t.Errorf("%s: Matches() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
