package collect

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// userTagsJSON is a user tags file as an operator assembles it from
// `aws iam list-user-tags --user-name NAME` outputs (the CLI prints the
// Tags list; IsTruncated appears when the CLI is asked not to paginate).
const userTagsJSON = `{
    "alice": {"Tags": [{"Key": "owner", "Value": "alice@example.com"}, {"Key": "cost-center", "Value": "42"}]},
    "svc-etl": {"Tags": [{"Key": "team", "Value": "data"}], "IsTruncated": false},
    "bob": {"Tags": []}
}`

func TestParseUserTags(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]map[string]string
		err  string // substring of the error; "" for none
	}{
		{"the CLI's outputs", userTagsJSON, map[string]map[string]string{
			"alice":   {"owner": "alice@example.com", "cost-center": "42"},
			"svc-etl": {"team": "data"},
			"bob":     {},
		}, ""},
		{"empty object", `{}`, map[string]map[string]string{}, ""},
		{"markup is kept as data", `{"eve": {"Tags": [{"Key": "owner", "Value": "<!channel> [x](javascript:alert(1))"}]}}`,
			map[string]map[string]string{"eve": {"owner": "<!channel> [x](javascript:alert(1))"}}, ""},
		{"truncated", userTagsJSON[:60], nil, "line 2, column"},
		{"a syntax error is located", "{\n  \"alice\": {\"Tags\": [}\n}", nil, "line 2, column 22: invalid character"},
		{"a user twice", "{\n \"alice\": {\"Tags\": []},\n \"alice\": {\"Tags\": [{\"Key\": \"owner\", \"Value\": \"mallory\"}]}\n}", nil,
			`line 3, column 2: user "alice" appears twice`},
		{"a tag key twice", `{"alice": {"Tags": [{"Key": "owner", "Value": "a"}, {"Key": "owner", "Value": "b"}]}}`, nil,
			`line 1, column 11: user "alice": tag "owner" appears twice`},
		{"a list, not an object", `[{"Tags": []}]`, nil, "line 1, column 1: want an object"},
		{"one user's output alone", `{"Tags": [{"Key": "owner", "Value": "a"}]}`, nil, "cannot unmarshal array"},
		{"an entry without Tags", `{"alice": {"Owner": "x"}}`, nil, `line 1, column 11: user "alice": no Tags`},
		{"a wrong type", `{"alice": {"Tags": [{"Key": 1, "Value": "a"}]}}`, nil, "line 1, column"},
		{"data after the object", `{} {}`, nil, "line 1, column 4: invalid character '{' after top-level value"},
		{"empty file", ``, nil, "line 1, column 1: unexpected end of the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUserTags([]byte(tt.in))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("ParseUserTags() error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("ParseUserTags() error %v, want one containing %q", err, tt.err)
			case tt.err != "":
				return
			}
			if !maps.EqualFunc(got, tt.want, func(a, b map[string]string) bool { return maps.Equal(a, b) }) {
				t.Errorf("ParseUserTags() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDirSourceUserTags: the user tags file is read, kept as evidence,
// and a bad one is reported for its account, whose checks all stand.
func TestDirSourceUserTags(t *testing.T) {
	const id = "111122223333"
	tests := []struct {
		name    string
		content string // "" writes no file; "HUGE" one over MaxUserTagsFile
		tags    map[string]string
		err     string
	}{
		{"no file", "", nil, ""},
		{"read", userTagsJSON, map[string]string{"owner": "alice@example.com", "cost-center": "42"}, ""},
		{"malformed", `{"alice": {"Tags": [`, nil, "111122223333.user-tags.json: line 1, column"},
		{"duplicate user", `{"alice": {"Tags": []}, "alice": {"Tags": []}}`, nil, `111122223333.user-tags.json: line 1, column 25: user "alice" appears twice`},
		{"too large", "HUGE", nil, "read 111122223333.user-tags.json: larger than 33554432 bytes: refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, id+".csv", report)
			switch tt.content {
			case "":
			case "HUGE":
				// Sparse: the file is refused by its size, never read.
				f, err := os.Create(filepath.Join(dir, id+UserTagsSuffix))
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Truncate(MaxUserTagsFile + 1); err != nil {
					t.Fatal(err)
				}
				f.Close()
			default:
				write(t, dir, id+UserTagsSuffix, tt.content)
			}
			got, unused, err := collectDir(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(unused) != 0 {
				t.Errorf("unused files %v: the user tags file is part of the layout", unused)
			}
			res := got[id]
			if res.Status != Collected {
				t.Fatalf("status %s (%v): user tags never fail the account", res.Status, res.Err)
			}
			ut := res.UserTags
			if tt.err == "" {
				if ut.Err != nil {
					t.Fatalf("UserTags.Err = %v", ut.Err)
				}
				if !maps.Equal(ut.Tags["alice"], tt.tags) {
					t.Errorf("alice's tags %v, want %v", ut.Tags["alice"], tt.tags)
				}
			} else if ut.Err == nil || !ut.Failed || !strings.Contains(ut.Err.Error(), tt.err) {
				t.Fatalf("UserTags = %+v, want a failure containing %q", ut, tt.err)
			}
			evidence := false
			for _, f := range res.Posture.Evidence {
				evidence = evidence || f.Name == id+UserTagsSuffix
			}
			if want := tt.content != "" && tt.content != "HUGE"; evidence != want {
				t.Errorf("user tags file kept as evidence: %v, want %v", evidence, want)
			}
		})
	}
}

// TestDirSourceUserTagsUnused: a user tags file not named after an
// account with a report is listed as unused, with the reason.
func TestDirSourceUserTagsUnused(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "111122223333.csv", report)
	write(t, dir, "222233334444"+UserTagsSuffix, `{}`)
	write(t, dir, "prod"+UserTagsSuffix, `{}`)
	_, unused, err := collectDir(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"222233334444.user-tags.json": "no credential report for account 222233334444",
		"prod.user-tags.json":         "not named after a 12-digit account ID",
	}
	got := map[string]string{}
	for _, u := range unused {
		got[u.Name] = u.Reason
	}
	if !maps.Equal(got, want) {
		t.Errorf("unused files %v, want %v", got, want)
	}
}
