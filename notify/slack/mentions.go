package slack

import (
	"context"
	"errors"
	"log/slog"
	"regexp"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/internal/config"
)

// People resolves the owner of a finding to the ID of the Slack user to
// mention, or "" to show the owner as plain text. A nil People mentions
// no one.
type People func(owner string) (userID string)

// plainEmail matches an owner that is an email address and nothing else:
// the only owners looked up in Slack.
var plainEmail = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)

// maxEmail is the longest email address looked up (RFC 5321 path limit).
const maxEmail = 254

// directory looks owners' emails up with users.lookupByEmail, once per
// email for one Notify call; a failed lookup is remembered as "" and
// never fails the digest.
type directory struct {
	api   *slackgo.Client
	log   *slog.Logger
	cache map[string]string
	// off stops the lookups after a failure that every lookup would
	// share (a missing scope, a revoked token); warned logs the first
	// failure only.
	off, warned bool
}

// people returns the People of one Notify call: nil (no mentions of
// owners) unless slack.mentions is on and a bot token can look users up;
// a dry run never calls Slack.
func (n *Notifier) people(ctx context.Context) (People, *directory) {
	if !n.cfg.Mentions {
		return nil, nil
	}
	if n.api == nil || n.dryRun != config.DryRunOff {
		// Route mentions still render; owners stay plain text.
		return func(string) string { return "" }, nil
	}
	d := &directory{api: n.api, log: n.log, cache: map[string]string{}}
	return func(owner string) string { return d.lookup(ctx, owner) }, d
}

// lookup returns the Slack user ID of the owner's email, or "".
func (d *directory) lookup(ctx context.Context, owner string) string {
	if len(owner) > maxEmail || !plainEmail.MatchString(owner) {
		return ""
	}
	if id, ok := d.cache[owner]; ok {
		return id
	}
	id := ""
	if !d.off {
		u, err := d.api.GetUserByEmailContext(ctx, owner)
		switch se, isSlack := errors.AsType[slackgo.SlackErrorResponse](err); {
		case err == nil && u != nil && config.IsSlackUserID(u.ID) && !u.Deleted:
			id = u.ID
		case err == nil:
		case isSlack && se.Err == "users_not_found":
			d.log.Debug("finding owner is no Slack user; shown as text", "owner_domain", domain(owner))
		default:
			_, err = classify(err)
			if !d.warned {
				d.log.Warn("Slack user lookup failed; owners are shown as text", "call", "users.lookupByEmail", "err", err)
			}
			d.warned = true
			if isSlack && se.Err != "ratelimited" {
				d.off = true
			}
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
