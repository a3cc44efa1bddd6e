package markdown

import (
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/internal/mdcheck"
	"github.com/reporter-dev/reporter/internal/oneline"
)

// hostileText is text an attacker can put in an account name (dir:
// accounts.json, Organizations), a user name or an exception file.
var hostileText = []struct{ name, in string }{
	{"link", "[click](https://evil.example)"},
	{"image", "![x](https://evil.example/pixel.png)"},
	{"reference link", "[click][1]"},
	{"html", "<img src=x onerror=alert(1)>"},
	{"backtick then html", "`x` <img src=x onerror=alert(1)>"},
	{"backticks", "a `` b ` c"},
	{"autolink", "<https://evil.example>"},
	{"bare url", "see https://evil.example/x"},
	{"www", "www.evil.example"},
	{"WWW", "WWW.evil.example"},
	{"email", "alice@evil.example"},
	{"mailto", "mailto:alice@evil.example"},
	{"pipe", "a | b || c"},
	{"heading", "# Heading"},
	{"closing hashes", "name ##"},
	{"quote", "> quoted"},
	{"list", "- item"},
	{"plus list", "+ item"},
	{"ordered list", "1. item"},
	{"ordered list paren", "12) item"},
	{"thematic break", "***"},
	{"emphasis", "*em* _em_ __strong__"},
	{"strikethrough", "~~gone~~"},
	{"entity", "&lt;b&gt; &#91;x&#93;(y)"},
	{"math", "$x^2$"},
	{"backslash", `C:\path\ \|`},
	{"trailing backslash", `name\`},
	{"html comment", "<!-- hidden -->"},
	{"newline", "prod\n# injected heading\n[x](https://evil.example)"},
	{"cr", "prod\rnext"},
	{"nul and esc", "a\x00b\x1b[31mred"},
	{"bidi override", "abc\u202edcba"},
	{"invalid utf-8", "a\xffb"},
	{"leading spaces", "     - item"},
	{"plain", "acme-prod.example 2026"},
}

func TestEscapeMarkdownIsInert(t *testing.T) {
	contexts := []struct {
		name, tag   string
		src         func(v string) string
		fixedSuffix string
	}{
		{"table cell", "td", func(v string) string { return "| a | b |\n|---|---|\n| x | " + v + " |\n" }, ""},
		{"list item", "li", func(v string) string { return "- " + v + "\n" }, ""},
		{"heading", "h3", func(v string) string { return "### " + v + " (111111111111)\n" }, " (111111111111)"},
		{"sentence", "p", func(v string) string { return "Owner " + v + " said.\n" }, ""},
	}
	for _, tt := range hostileText {
		for _, c := range contexts {
			t.Run(tt.name+"/"+c.name, func(t *testing.T) {
				src := c.src(escapeMarkdown(tt.in))
				if active := mdcheck.Active([]byte(src)); len(active) > 0 {
					t.Errorf("escapeMarkdown(%q) in a %s renders %v:\n%s", tt.in, c.name, active, src)
				}
				if strings.Count(src, "\n") != strings.Count(c.src(""), "\n") || strings.ContainsAny(src, "\r\x00\x1b") {
					t.Errorf("escapeMarkdown(%q) in a %s adds a line or a control character: %q", tt.in, c.name, src)
				}
				texts, err := mdcheck.Texts([]byte(src), c.tag)
				if err != nil {
					t.Fatal(err)
				}
				want := strings.Trim(oneline.Clean(tt.in), " ")
				switch c.name {
				case "heading":
					want += c.fixedSuffix
				case "table cell":
					texts = texts[1:] // the "x" cell
				case "sentence":
					want = "Owner " + want + " said."
				}
				if len(texts) != 1 || texts[0] != want {
					t.Errorf("escapeMarkdown(%q) in a %s reads %q, want %q\n%s", tt.in, c.name, texts, want, src)
				}
			})
		}
	}
}

func TestMarkdownCodeIsInert(t *testing.T) {
	for _, tt := range hostileText {
		t.Run(tt.name, func(t *testing.T) {
			src := "| a | b |\n|---|---|\n| x | " + markdownCode(tt.in) + " |\n"
			if active := mdcheck.Active([]byte(src)); len(active) > 0 {
				t.Errorf("markdownCode(%q) renders %v:\n%s", tt.in, active, src)
			}
			texts, err := mdcheck.Texts([]byte(src), "td")
			if err != nil {
				t.Fatal(err)
			}
			want := oneline.Clean(tt.in)
			if strings.Contains(want, "|") || strings.Trim(want, " ") == "" {
				want = strings.Trim(want, " ")
			}
			if len(texts) != 2 || texts[1] != want {
				t.Errorf("markdownCode(%q) reads %q, want %q\n%s", tt.in, texts, want, src)
			}
		})
	}
}
