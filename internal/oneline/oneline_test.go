package oneline

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want, wantLines string
	}{
		{"plain ASCII", "acme-prod", "acme-prod", "acme-prod"},
		{"plain non-ASCII", "Zürich – 東京", "Zürich – 東京", "Zürich – 東京"},
		{"empty", "", "", ""},
		{"line feed", "a\nb", "a b", "a\nb"},
		{"CRLF", "a\r\nb", "a  b", "a \nb"},
		{"tab", "a\tb", "a b", "a b"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a b c", "a b c"},
		{"NUL, ESC, DEL, C1", "a\x00b\x1b[31mc\x7fd\u0085e", "a\uFFFDb\uFFFD[31mc\uFFFDd\uFFFDe", "a\uFFFDb\uFFFD[31mc\uFFFDd\uFFFDe"},
		{"right-to-left override", "acme-prod\u202Edorp-emca", "acme-prod\uFFFDdorp-emca", "acme-prod\uFFFDdorp-emca"},
		{"every embedding and override", "\u202A\u202B\u202C\u202D\u202E", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"},
		{"isolates", "\u2066a\u2067b\u2068c\u2069", "\uFFFDa\uFFFDb\uFFFDc\uFFFD", "\uFFFDa\uFFFDb\uFFFDc\uFFFD"},
		{"marks", "a\u200Eb\u200Fc\u061Cd", "a\uFFFDb\uFFFDc\uFFFDd", "a\uFFFDb\uFFFDc\uFFFDd"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"a control after a line feed", "a\n\u202Eb", "a \uFFFDb", "a\n\uFFFDb"},
		// Zero-width joiners and non-breaking spaces reorder nothing.
		{"joiners and spaces kept", "a\u200Db\u00A0c", "a\u200Db\u00A0c", "a\u200Db\u00A0c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := CleanLines(tt.in); got != tt.wantLines {
				t.Errorf("CleanLines(%q) = %q, want %q", tt.in, got, tt.wantLines)
			}
		})
	}
}

// Clean text costs nothing: the workbook cleans every cell of a million
// credential rows.
func TestCleanTextIsNotCopied(t *testing.T) {
	for _, s := range []string{"arn:aws:iam::111111111111:user/alice", "Zürich\nline two"} {
		if n := testing.AllocsPerRun(100, func() { _ = CleanLines(s) }); n != 0 {
			t.Errorf("CleanLines(%q) allocates %v times, want 0", s, n)
		}
	}
}

// TestIsCleanEveryPosition puts every byte value that needs cleaning (or
// may: LF, the first byte of a multi-byte character) at every position of
// ASCII texts around the eight-byte words isClean reads, and checks it
// against the byte-by-byte rule.
func TestIsCleanEveryPosition(t *testing.T) {
	slow := func(s string, keepLF bool) bool {
		for _, r := range s {
			if r == '\n' && keepLF {
				continue
			}
			if r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || unsafe(r) {
				return false
			}
		}
		return utf8.ValidString(s)
	}
	specials := []string{"\x00", "\x01", "\n", "\r", "\x1f", "\x7f", "\x80", "\xff", "é", "\u202e", "\u2028", "\ufffd", " ", "~"}
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for _, sp := range specials {
				s := strings.Repeat("a", pos) + sp + strings.Repeat("z", n-pos-1)
				for _, keepLF := range []bool{false, true} {
					if got, want := isClean(s, keepLF), slow(s, keepLF); got != want {
						t.Errorf("isClean(%q, keepLF %t) = %t, want %t", s, keepLF, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkIsCleanASCII(b *testing.B) {
	s := strings.Repeat("aws iam delete-login-profile --user-name bob.martin ", 6)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if !isClean(s, true) {
			b.Fatal("not clean")
		}
	}
}
