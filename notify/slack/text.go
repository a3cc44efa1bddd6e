package slack

import (
	"regexp"
	"strings"

	slackgo "github.com/slack-go/slack"
)

// PlainText renders m for a terminal, block by block: mrkdwn entities
// decoded and links spelled out as "label (url)". It is what a dry run
// prints.
func PlainText(m *Message) string {
	var b strings.Builder
	for _, block := range m.Blocks.BlockSet {
		switch bl := block.(type) {
		case *slackgo.HeaderBlock:
			if bl.Text != nil {
				t := plain(bl.Text.Text)
				b.WriteString(t + "\n" + strings.Repeat("=", len([]rune(t))) + "\n")
			}
		case *slackgo.SectionBlock:
			if bl.Text != nil {
				b.WriteString(plain(bl.Text.Text) + "\n")
			}
			for _, f := range bl.Fields {
				b.WriteString(plain(f.Text) + "\n")
			}
		case *slackgo.ContextBlock:
			var parts []string
			for _, e := range bl.ContextElements.Elements {
				if t, ok := e.(*slackgo.TextBlockObject); ok {
					parts = append(parts, plain(t.Text))
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

// plain spells out links and decodes entities.
func plain(s string) string {
	s = link.ReplaceAllStringFunc(s, func(l string) string {
		m := link.FindStringSubmatch(l)
		if m[3] != "" {
			return mrkdwnUnescaper.Replace(m[3])
		}
		return mrkdwnUnescaper.Replace(m[2]) + " (" + mrkdwnUnescaper.Replace(m[1]) + ")"
	})
	return mrkdwnUnescaper.Replace(s)
}
