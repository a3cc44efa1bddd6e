package slack

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/config"
)

// People resolves the owner of a finding, with its source
// (Finding.OwnerSource), to the ID of the Slack user to mention, or "" to
// show the owner as plain text. A nil People mentions no one.
type People func(owner, source string) (userID string)

// plainEmail matches an owner that is an email address and nothing else:
// the only owners looked up in Slack.
var plainEmail = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)

// maxEmail is the longest email address looked up (RFC 5321 path limit).
const maxEmail = 254

// MaxLookups caps the users.lookupByEmail calls of one Notify call (all
// its digests together). The digests list few findings, so a run needs
// far fewer; the cap keeps a run with many teams and owners within one
// minute of Slack's rate for the method (Tier 4, 100+ per minute) and
// the digests from waiting on hundreds of calls. Owners beyond it are
// shown as text.
const MaxLookups = 100

// directory looks owners' emails up with users.lookupByEmail, once per
// email (case-folded) for one Notify call, at most MaxLookups times; a
// failed lookup is remembered as "" and never fails the digest.
type directory struct {
	api   *slackgo.Client
	log   *slog.Logger
	cache map[string]string
	// calls counts the lookups made.
	calls int
	// off stops the lookups after the first failure (a missing scope, a
	// revoked token, a rate limit, an answer that is no JSON, Slack
	// unreachable): the next lookups would likely fail alike, each
	// delaying the digests. warned logs the first failure only.
	off, warned bool
}

// people returns the People of one Notify call: nil (no mentions of
// owners) unless slack.mentions is on and a bot token can look users up;
// a dry run never calls Slack. Only owners mayLookUp allows are looked
// up.
func (n *Notifier) people(ctx context.Context) (People, *directory) {
	if !n.cfg.Mentions {
		return nil, nil
	}
	if n.api == nil || n.dryRun != config.DryRunOff {
		// Route mentions still render; owners stay plain text.
		return func(string, string) string { return "" }, nil
	}
	d := &directory{api: n.api, log: n.log, cache: map[string]string{}}
	return func(owner, source string) string {
		if !mayLookUp(owner, source, n.cfg.MentionTagDomains) {
			return ""
		}
		return d.lookup(ctx, owner)
	}, d
}

// mayLookUp reports whether an owner from source may be looked up in
// Slack, and so become a mention: an owner the operator's own files give
// (an exception's, a route's) always; one from an IAM user or account tag
// only when its email's domain is one of tagDomains
// (slack.mention_tag_domains, compared without regard to case), since
// anyone able to tag a user in a member account chooses its text; an
// owner of any other or no source (a run written before owner_source)
// never.
func mayLookUp(owner, source string, tagDomains []string) bool {
	switch {
	case source == audit.OwnerFromException || source == audit.OwnerFromRoute:
		return true
	case audit.OwnerFromTag(source):
		at := strings.LastIndexByte(owner, '@')
		if at < 0 {
			return false
		}
		return slices.ContainsFunc(tagDomains, func(d string) bool { return strings.EqualFold(d, owner[at+1:]) })
	}
	return false
}

// lookup returns the Slack user ID of the owner's email, or "".
func (d *directory) lookup(ctx context.Context, owner string) string {
	if len(owner) > maxEmail || !plainEmail.MatchString(owner) {
		return ""
	}
	// Email addresses are matched regardless of case, as mail systems
	// and Slack's profiles do in practice.
	owner = strings.ToLower(owner)
	if id, ok := d.cache[owner]; ok {
		return id
	}
	id := ""
	switch {
	case d.off:
	case d.calls == MaxLookups:
		d.off = true
		d.log.Warn("Slack user lookups capped; the other owners are shown as text", "call", "users.lookupByEmail", "max_lookups", MaxLookups)
	default:
		d.calls++
		u, err := d.api.GetUserByEmailContext(ctx, owner)
		switch se, isSlack := errors.AsType[slackgo.SlackErrorResponse](err); {
		case err == nil && u != nil && config.IsSlackUserID(u.ID) && !u.Deleted && !u.IsBot:
			id = u.ID
		case err == nil:
			d.log.Debug("finding owner is a deactivated or bot Slack user; shown as text", "owner_domain", domain(owner))
		case isSlack && se.Err == "users_not_found":
			d.log.Debug("finding owner is no Slack user; shown as text", "owner_domain", domain(owner))
		default:
			_, err = classify(err)
			if !d.warned {
				d.log.Warn("Slack user lookup failed; owners are shown as text", "call", "users.lookupByEmail", "err", err)
			}
			d.warned, d.off = true, true
		}
	}
	d.cache[owner] = id
	return id
}

// domain is the part of an email after the @, for logs that must not
// hold the address itself.
func domain(email string) string {
	for i := len(email) - 1; i >= 0; i-- {
		if email[i] == '@' {
			return email[i+1:]
		}
	}
	return ""
}
