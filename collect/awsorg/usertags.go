package awsorg

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/posture"
)

// ownerTags returns the tags of keys among tags, in the order of tags;
// nil when there is none.
func ownerTags(tags []types.Tag, keys []string) []posture.Tag {
	var out []posture.Tag
	for _, t := range tags {
		if k := aws.ToString(t.Key); slices.Contains(keys, k) {
			out = append(out, posture.Tag{Key: k, Value: aws.ToString(t.Value)})
		}
	}
	return out
}

// readUserTags looks up the owner tags of the account's users with
// findings with iam:ListUserTags, when the authorization details (which
// carry every user's tags) are missing: the users are sorted and at most
// Options.MaxUserTagLookups are looked up, one after the other. A user
// deleted since the credential report (NoSuchEntity) has no tags; any
// other failure ends the lookups and is the result's Err.
func (s *Source) readUserTags(ctx context.Context, client iamAPI, account string, res *collect.AccountResult) collect.UserTags {
	if len(s.opts.OwnerTagKeys) == 0 || res.Posture.Details != nil || s.usersWithFindings == nil {
		return collect.UserTags{}
	}
	users := slices.Compact(slices.Sorted(slices.Values(s.usersWithFindings(res))))
	out := collect.UserTags{Tags: map[string]map[string]string{}}
	total := len(users)
	if over := total - s.opts.MaxUserTagLookups; over > 0 {
		out.NotLookedUp = over
		out.Err = fmt.Errorf("tags of %d of the %d users with findings not read: iam:ListUserTags looks up at most %d users per account",
			over, total, s.opts.MaxUserTagLookups)
		users = users[:s.opts.MaxUserTagLookups]
	}
	for i, user := range users {
		tags, err := s.userTags(ctx, client, user)
		var gone *types.NoSuchEntityException
		switch {
		case errors.As(err, &gone):
			continue
		case err != nil:
			out.NotLookedUp += len(users) - i
			out.Err = fmt.Errorf("%w; tags of %d of the %d users with findings not read", opError(ctx, "", "iam:ListUserTags", user, err),
				out.NotLookedUp, total)
			out.Failed = true
			s.log.Warn("user tags not read; findings get no owner from them", "account", account, "err", out.Err)
			return out
		}
		if len(tags) > 0 {
			out.Tags[user] = tags
		}
	}
	return out
}

// userTags reads every page of one user's tags and keeps the owner tag
// keys. A listing that does not end (IsTruncated for ever, the same
// Marker again, as a broken endpoint or proxy can answer) is an error
// after at most maxUserTagPages calls.
func (s *Source) userTags(ctx context.Context, client iamAPI, user string) (map[string]string, error) {
	tags := map[string]string{}
	in := &iam.ListUserTagsInput{UserName: aws.String(user)}
	guard := newPageGuard(maxUserTagPages, "for at most 50 tags")
	for {
		page, err := client.ListUserTags(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, t := range ownerTags(page.Tags, s.opts.OwnerTagKeys) {
			tags[t.Key] = t.Value
		}
		more, err := guard.next(page.IsTruncated, page.Marker)
		if !more {
			if err != nil {
				return nil, err
			}
			return tags, nil
		}
		in.Marker = page.Marker
	}
}
