package slack

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/internal/oneline"
)

// PlainText renders m for a person at a terminal, block by block: no
// mrkdwn markup (*bold*, _italic_, ~strike~, `code`), emoji shortcodes as
// short words or symbols (:warning: → !), links as "label (url)" and the
// entities &lt; &gt; &amp; decoded. It is what a dry run prints. The
// result stays inert: it holds no control character but line breaks, so
// text from AWS cannot move the cursor or retitle the terminal.
func PlainText(m *Message) string { return blockText(m, terminalText) }

// MrkdwnText renders m block by block as Slack receives it, markup kept,
// with links spelled out and entities decoded: the review form of the
// message that the golden files pin.
func MrkdwnText(m *Message) string { return blockText(m, plain) }

// blockText writes the text of each block of m on lines of its own, each
// mrkdwn text converted by conv.
func blockText(m *Message, conv func(string) string) string {
	var b strings.Builder
	for _, block := range m.Blocks.BlockSet {
		switch bl := block.(type) {
		case *slackgo.HeaderBlock:
			if bl.Text != nil {
				t := inert(mrkdwnUnescaper.Replace(bl.Text.Text))
				b.WriteString(t + "\n" + strings.Repeat("=", len([]rune(t))) + "\n")
			}
		case *slackgo.SectionBlock:
			if bl.Text != nil {
				b.WriteString(conv(bl.Text.Text) + "\n")
			}
			for _, f := range bl.Fields {
				b.WriteString(conv(f.Text) + "\n")
			}
		case *slackgo.ContextBlock:
			var parts []string
			for _, e := range bl.ContextElements.Elements {
				if t, ok := e.(*slackgo.TextBlockObject); ok {
					parts = append(parts, conv(t.Text))
				}
			}
			b.WriteString(strings.Join(parts, " ") + "\n")
		case *slackgo.DividerBlock:
			b.WriteString(strings.Repeat("-", 60) + "\n")
		}
	}
	return b.String()
}

var link = regexp.MustCompile(`<([^|>]+)\|([^>]+)>|<([^|>]+)>`)

var mrkdwnUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// plain spells out links and mentions and decodes entities.
func plain(s string) string {
	s = link.ReplaceAllStringFunc(s, func(l string) string {
		m := link.FindStringSubmatch(l)
		if m[3] != "" {
			return mrkdwnUnescaper.Replace(bare(m[3]))
		}
		return mrkdwnUnescaper.Replace(m[2]) + " (" + mrkdwnUnescaper.Replace(m[1]) + ")"
	})
	return mrkdwnUnescaper.Replace(s)
}

// bare returns the inside of a bare <…> as a person reads it: a mention
// of a user (@U…) as it is, of a user group (!subteam^S…) or a special
// mention (!here) as @S… or @here, anything else (a URL) unchanged.
func bare(s string) string {
	if !strings.HasPrefix(s, "!") {
		return s
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "!"), "subteam^")
	return "@" + s
}

// emoji are the words or symbols a terminal shows for the shortcodes the
// digest uses; other shortcodes are left as written.
var emoji = map[string]string{
	"warning":            "!",
	"rotating_light":     "!!",
	"white_check_mark":   "OK",
	"heavy_check_mark":   "OK",
	"x":                  "X",
	"information_source": "i",
}

var (
	// code matches a code span; Slack shows its content literally.
	code = regexp.MustCompile("`[^`\n]+`")
	// shortcode matches an emoji shortcode such as :warning:.
	shortcode = regexp.MustCompile(`:[a-z0-9_+-]+:`)
	// slot matches what hold replaced by a placeholder.
	slot = regexp.MustCompile("\x00([0-9]+)\x00")
)

// terminalText converts one mrkdwn text to plain text (see PlainText).
func terminalText(s string) string {
	// Control characters go first: NUL then marks the placeholders of
	// the literal parts (code spans and links) that the markup steps
	// must leave alone.
	s = inert(s)
	var literal []string
	hold := func(t string) string {
		literal = append(literal, t)
		return "\x00" + strconv.Itoa(len(literal)-1) + "\x00"
	}
	s = code.ReplaceAllStringFunc(s, func(c string) string { return hold(c[1 : len(c)-1]) })
	s = link.ReplaceAllStringFunc(s, func(l string) string {
		m := link.FindStringSubmatch(l)
		if m[3] != "" {
			return hold(bare(m[3]))
		}
		return hold(stripEmphasis(m[2]) + " (" + m[1] + ")")
	})
	s = shortcode.ReplaceAllStringFunc(s, func(c string) string {
		if w, ok := emoji[c[1:len(c)-1]]; ok {
			return w
		}
		return c
	})
	s = stripEmphasis(s)
	s = slot.ReplaceAllStringFunc(s, func(p string) string {
		i, _ := strconv.Atoi(p[1 : len(p)-1])
		return literal[i]
	})
	return mrkdwnUnescaper.Replace(s)
}

// stripEmphasis removes the *bold*, _italic_ and ~strike~ delimiters
// Slack would format, line by line: an opening one at the start or after
// a character that is no letter or digit, before a non-space; its closing
// one after a non-space, at the end or before a character that is no
// letter or digit. Other delimiters, as in snake_case, stay.
func stripEmphasis(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = string(stripLine([]rune(l)))
	}
	return strings.Join(lines, "\n")
}

func stripLine(r []rune) []rune {
	word := func(i int) bool {
		return i >= 0 && i < len(r) && (unicode.IsLetter(r[i]) || unicode.IsDigit(r[i]))
	}
	space := func(i int) bool { return i < 0 || i >= len(r) || unicode.IsSpace(r[i]) }
	out := make([]rune, 0, len(r))
	for i := 0; i < len(r); i++ {
		c := r[i]
		if (c == '*' || c == '_' || c == '~') && !word(i-1) && !space(i+1) && r[i+1] != c {
			if j := closing(r, i, word, space); j > 0 {
				out = append(out, stripLine(r[i+1:j])...)
				i = j
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// closing is the index of the delimiter closing the one at i, or -1.
func closing(r []rune, i int, word func(int) bool, space func(int) bool) int {
	for j := i + 2; j < len(r); j++ {
		if r[j] == r[i] && !space(j-1) && !word(j+1) {
			return j
		}
	}
	return -1
}

// inert cleans s as oneline.CleanLines does, line breaks kept (the
// digest's texts are cleaned already; this holds for any template).
func inert(s string) string { return oneline.CleanLines(s) }
