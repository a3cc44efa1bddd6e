package markdown

import (
	"strings"

	"github.com/reporter-dev/reporter/internal/oneline"
)

// How audit.md shows text that comes from AWS or an input file (account
// names, principals, error messages, exception fields): inert, in any
// CommonMark or GitHub-flavoured renderer and in a terminal. It never
// becomes a link, an image, raw HTML, a heading, a list, a quote, a table
// column or a second line, and it reads back as the original text (line
// breaks, control characters and spaces at either end excepted: see
// oneline.Clean).

// markdownEscaped are the ASCII characters escaped with a backslash
// wherever they appear: HTML and autolinks (<, >, &), links and images
// ([, ]), code (`), emphasis and strikethrough (*, _, ~), headings (#),
// table cells (|), e-mail autolinks (@), GitHub math ($) and the
// backslash itself.
var markdownEscaped = [256]bool{
	'\\': true, '`': true, '*': true, '_': true, '~': true, '[': true, ']': true,
	'<': true, '>': true, '&': true, '#': true, '|': true, '@': true, '$': true,
}

// escapeMarkdown returns s as inert Markdown text, valid in a table cell,
// a list item, a heading or a sentence. Besides markdownEscaped it
// escapes what starts a block at the beginning (-, +, =, "1." or "1)")
// and breaks the extended autolinks of GitHub ("https://", "www.").
func escapeMarkdown(s string) string {
	// Renderers drop spaces at both ends of a cell, item or heading; four
	// at the start of an item would begin a code block.
	s = strings.Trim(oneline.Clean(s), " ")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	start := true // at the first character
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case start && isASCIIDigit(c):
			j := i
			for j < len(s) && isASCIIDigit(s[j]) {
				j++
			}
			b.WriteString(s[i:j])
			if j < len(s) && (s[j] == '.' || s[j] == ')') {
				b.WriteByte('\\')
				b.WriteByte(s[j])
				j++
			}
			i, start = j-1, false
			continue
		case markdownEscaped[c],
			start && (c == '-' || c == '+' || c == '='),
			c == ':' && strings.HasPrefix(s[i+1:], "//"),
			c == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www"):
			b.WriteByte('\\')
		}
		start = false
		b.WriteByte(c)
	}
	return b.String()
}

// markdownCode returns s as an inline code span, which no renderer
// interprets, with a fence longer than any run of backticks in s. Text
// with a | is escaped as text instead: a code span cannot hold a pipe in
// every kind of table cell.
func markdownCode(s string) string {
	s = oneline.Clean(s)
	if strings.Trim(s, " ") == "" || strings.Contains(s, "|") {
		return escapeMarkdown(s)
	}
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	// A renderer strips one space at each end when both are there, and a
	// backtick at an end would join the fence.
	if s[0] == '`' || s[len(s)-1] == '`' || (s[0] == ' ' && s[len(s)-1] == ' ') {
		s = " " + s + " "
	}
	return fence + s + fence
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }
