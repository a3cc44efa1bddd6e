package slack

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// Team is a routed team: the routes to one channel other than the
// default one, and the accounts of a run they match. Its digest goes to
// Channel; its own audit.xlsx and audit.md to the run folder's
// teams/<Folder>/.
type Team struct {
	// Name is the routes' name, else the channel (config.Slack.TeamName).
	Name string
	// Folder is Name made a safe folder name (runfolder.TeamFolder).
	Folder  string
	Channel string
	// Rule describes the routes, e.g. "OU ou-ab12-payments, tag team=payments".
	Rule string
	// Accounts are the IDs of the run's accounts the routes match.
	Accounts map[string]bool
	// Mention are the Slack user group and user IDs the routes mention.
	Mention []string
}

// Teams returns the teams of cfg's routes with the accounts of run each
// matches, in the order of the routes; routes naming the same channel
// are one team. Accounts no route matches belong to no team. Routes to
// the default channel, and teams that match no account, are left out;
// notes say why.
func Teams(run *result.Run, cfg *config.Slack) (teams []Team, notes []string) {
	var channels []string
	byChannel := map[string][]config.SlackRoute{}
	for _, r := range cfg.Routes {
		if _, ok := byChannel[r.Channel]; !ok {
			channels = append(channels, r.Channel)
		}
		byChannel[r.Channel] = append(byChannel[r.Channel], r)
	}
	for _, ch := range channels {
		routes := byChannel[ch]
		if ch == cfg.Channel {
			notes = append(notes, fmt.Sprintf("route to %s skipped: the default channel already gets the organization-wide digest", ch))
			continue
		}
		name := cfg.TeamName(ch)
		t := Team{Name: name, Folder: runfolder.TeamFolder(name), Channel: ch, Rule: describeRoutes(routes), Accounts: map[string]bool{}}
		for _, r := range routes {
			for _, id := range r.Mention {
				if !slices.Contains(t.Mention, id) {
					t.Mention = append(t.Mention, id)
				}
			}
		}
		for _, a := range run.Accounts {
			for _, r := range routes {
				if matches(&r, &a) {
					t.Accounts[a.ID] = true
					break
				}
			}
		}
		if len(t.Accounts) == 0 {
			notes = append(notes, fmt.Sprintf("route to %s (%s) matches no account of this run; no digest posted there and no team files written", ch, t.Rule))
			continue
		}
		teams = append(teams, t)
	}
	return teams, notes
}

// plan returns the digests to deliver for run: first the default
// channel's organization-wide digest, then one per team (routes naming
// the same channel are merged), scoped to the accounts its routes match.
// Accounts no route matches are covered by the default digest only.
// notes explain routes that were left out.
func plan(run *result.Run, cfg *config.Slack) (targets []target, notes []string) {
	targets = append(targets, target{channel: cfg.Channel, orgWide: true})
	teams, notes := Teams(run, cfg)
	for _, t := range teams {
		targets = append(targets, target{channel: t.Channel, rule: t.Rule, in: t.Accounts, folder: t.Folder, mention: t.Mention})
	}
	return targets, notes
}

// matches reports whether route r covers account a (config.SlackRoute.Matches).
func matches(r *config.SlackRoute, a *result.Account) bool { return r.Matches(a.ID, a.OUs, a.Tags) }

// Bounds of a rule (describeRoutes): its text lands in the digest's
// scope line, a context block Slack refuses past MaxSectionText, after
// escaping (which can make "<" four times longer). A channel can have
// hundreds of routes, and a tag value can be long.
const (
	maxRoutesDescribed = 3
	maxRuleItemLen     = 40  // bytes of one account, OU or tag, cut with …
	maxRuleLen         = 500 // bytes of the whole rule
)

// describeRoutes says in words what routes match, for the digest's scope
// line: "OU ou-ab12-payments, tag team=payments; account 111111111111".
// It describes at most maxRoutesDescribed routes ("; and 197 more
// routes"), at most four items of each kind per route, each item cut at
// maxRuleItemLen bytes, and the whole at maxRuleLen bytes.
func describeRoutes(routes []config.SlackRoute) string {
	var parts []string
	for _, r := range routes[:min(len(routes), maxRoutesDescribed)] {
		var p []string
		if len(r.Accounts) > 0 {
			p = append(p, list("account", "accounts", r.Accounts))
		}
		if len(r.OUs) > 0 {
			p = append(p, list("OU", "OUs", r.OUs))
		}
		if len(r.Tags) > 0 {
			var tags []string
			for k, v := range r.Tags {
				tags = append(tags, k+"="+v)
			}
			sort.Strings(tags)
			p = append(p, list("tag", "tags", tags))
		}
		parts = append(parts, strings.Join(p, ", "))
	}
	rule := strings.Join(parts, "; ")
	more := ""
	if n := len(routes) - maxRoutesDescribed; n > 0 {
		more = fmt.Sprintf("; and %d more route%s", n, plural(n))
	}
	return clipText(rule, maxRuleLen-len(more)) + more
}

// list names up to four items: "accounts 1, 2, 3, 4 and 6 more", each
// cut at maxRuleItemLen bytes.
func list(one, many string, items []string) string {
	const show = 4
	shown := make([]string, min(len(items), show))
	for i := range shown {
		shown[i] = clipText(items[i], maxRuleItemLen)
	}
	switch {
	case len(items) == 1:
		return one + " " + shown[0]
	case len(items) <= show:
		return many + " " + strings.Join(shown, ", ")
	}
	return fmt.Sprintf("%s %s and %d more", many, strings.Join(shown, ", "), len(items)-show)
}

// clipText cuts s to at most n bytes, at a character boundary, ending
// the cut text with "…".
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := s[:max(n-len(mark), 0)]
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut + mark
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
