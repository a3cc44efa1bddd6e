// Package oneline makes text from AWS or input files safe to show on one
// line of a report, a chat message or a terminal (or, with CleanLines, on
// several lines of a workbook cell): no line breaks, no control
// characters, no bidirectional controls, valid UTF-8.
//
// It removes what no output medium should receive; each medium (audit.md,
// Slack mrkdwn) still escapes its own syntax on top.
package oneline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Replacement stands for a character that cannot be shown: a control
// character, a bidirectional control or an invalid UTF-8 byte.
const Replacement = '\uFFFD'

// Clean returns s on one line: tabs and line breaks (LF, CR, U+2028,
// U+2029) become spaces; other control characters (NUL, ESC, DEL, C1),
// bidirectional controls (the embeddings, overrides and isolates
// U+202A–U+202E and U+2066–U+2069, and the marks U+200E, U+200F and
// U+061C) and invalid UTF-8 become U+FFFD. Text without any of them is
// returned as is.
func Clean(s string) string { return clean(s, false) }

// CleanLines is Clean for text shown on several lines, such as a
// workbook cell: each line is cleaned as Clean cleans it, and the line
// feeds (LF) between them are kept. Text without anything to clean is
// returned as is.
func CleanLines(s string) string { return clean(s, true) }

func clean(s string, keepLF bool) string {
	if isClean(s, keepLF) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, string(Replacement)) {
		switch {
		case r == '\n' && keepLF:
			b.WriteByte('\n')
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			b.WriteByte(' ')
		case unsafe(r):
			b.WriteRune(Replacement)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isClean reports whether clean would return s unchanged. Every text
// cell of a workbook of a million rows passes here, so plain ASCII is
// checked eight bytes at a time: a word with no byte below 0x20, none
// equal to 0x7f and none of 0x80 or more is clean; any other word is
// looked at byte by byte.
func isClean(s string, keepLF bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		below := (w - ones*0x20) & ^w & highs // a byte below 0x20
		del := w ^ (ones * 0x7f)
		del = (del - ones) & ^del & highs // a byte equal to 0x7f
		if below|del|(w&highs) != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; (c < ' ' && !(c == '\n' && keepLF)) || c == 0x7f {
			return false
		} else if c >= utf8.RuneSelf {
			return cleanRunes(s[i:], keepLF)
		}
	}
	return true
}

func cleanRunes(s string, keepLF bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '\n' && keepLF {
			continue
		}
		if r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || unsafe(r) {
			return false
		}
	}
	return true
}

// unsafe reports whether r is a control character or a bidirectional
// control that could reorder the text around it (the "Trojan Source"
// characters, CVE-2021-42574).
func unsafe(r rune) bool {
	return unicode.IsControl(r) || ('\u202A' <= r && r <= '\u202E') || ('\u2066' <= r && r <= '\u2069') ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}
