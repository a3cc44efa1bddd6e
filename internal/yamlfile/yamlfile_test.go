package yamlfile

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind yaml.Kind // of the root when there is no error; 0: nil root
		err  string    // substring of the error; "" when none
	}{
		{"empty", "", 0, ""},
		{"only a comment", "# nothing yet\n", 0, ""},
		{"mapping", "a: 1\nb: [x, y]\n", yaml.MappingNode, ""},
		{"sequence", "- a\n- b\n", yaml.SequenceNode, ""},
		{"top-level key twice", "exceptions:\n  - a: 1\nother: 2\nexceptions:\n  - b: 2\n", 0,
			`f.yaml:4: key "exceptions" is defined twice (first at line 1)`},
		{"nested key twice", "s3:\n  bucket: a\n  prefix: p\n  bucket: b\n", 0, `f.yaml:4: key "bucket" is defined twice (first at line 2)`},
		{"key twice in a list item", "l:\n  - name: x\n    name: y\n", 0, `f.yaml:3: key "name" is defined twice (first at line 2)`},
		{"flow mapping", "tags: {team: a, team: b}\n", 0, `f.yaml:1: key "team" is defined twice`},
		{"quoted and plain spelling", "a: 1\n\"a\": 2\n", 0, `f.yaml:2: key "a" is defined twice`},
		{"every duplicate reported", "a: 1\na: 2\nm:\n  b: 1\n  b: 2\n", 0, `f.yaml:5: key "b"`},
		{"same key in different mappings", "a:\n  x: 1\nb:\n  x: 2\n", yaml.MappingNode, ""},
		{"alias repeats no key", "base: &b\n  x: 1\ncopy: *b\n", yaml.MappingNode, ""},
		{"second document", "a: 1\n---\na: 2\n", 0, "f.yaml:2: a second YAML document"},
		{"syntax error has file and line", "a: 1\nb: [\n", 0, "f.yaml:"},
		{"tab indentation", "a:\n\tb: 1\n", 0, "f.yaml:2: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := Parse([]byte(tt.in), "f.yaml")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse() error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			switch {
			case tt.kind == 0 && root != nil:
				t.Errorf("Parse() = %v, want no document", root.Kind)
			case tt.kind != 0 && (root == nil || root.Kind != tt.kind):
				t.Errorf("Parse() root = %+v, want kind %v", root, tt.kind)
			}
		})
	}
}

// TestParseReportsEveryDuplicate: an operator fixes all of them at once.
func TestParseReportsEveryDuplicate(t *testing.T) {
	_, err := Parse([]byte("a: 1\na: 2\nm:\n  b: 1\n  b: 2\n"), "f.yaml")
	if err == nil {
		t.Fatal("Parse() accepted repeated keys")
	}
	got := err.Error()
	if !strings.Contains(got, `f.yaml:2: key "a"`) || !strings.Contains(got, `f.yaml:5: key "b"`) ||
		strings.Index(got, "f.yaml:2") > strings.Index(got, "f.yaml:5") {
		t.Errorf("Parse() error = %q, want both duplicates in file order", got)
	}
}
