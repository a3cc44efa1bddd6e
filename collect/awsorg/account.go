package awsorg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/internal/redact"
)

// collectAccount gathers one account's credential report and password
// policy. Every failure becomes a Failed result, never an error.
func (s *Source) collectAccount(ctx context.Context, me caller, t target) collect.AccountResult {
	start := time.Now()
	res := collect.AccountResult{Account: t.acct}
	var tags chan map[string]string // the account's tags, read beside the rest
	done := func(status collect.Status, err error) collect.AccountResult {
		if tags != nil {
			res.Account.Tags = <-tags
		}
		res.Status, res.Err, res.Duration = status, err, time.Since(start)
		return res
	}
	switch {
	case t.skip != nil:
		return done(collect.Skipped, t.skip)
	case t.fail != nil:
		return done(collect.Failed, t.fail)
	case ctx.Err() != nil:
		return done(collect.Failed, fmt.Errorf("account %s: not collected: %w", t.acct.ID, context.Cause(ctx)))
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.AccountTimeout, s.accountTimeout)
	defer cancel()
	if s.opts.AccountTags && s.opts.Mode == ModeOrg {
		tags = make(chan map[string]string, 1)
		go func() { tags <- s.accountTags(ctx, t.acct.ID) }()
	}

	creds := s.cfg.Credentials
	if !t.base {
		var err error
		if creds, err = s.assumeRole(ctx, me, t.acct.ID); err != nil {
			return done(collect.Failed, err)
		}
	}
	client := s.newIAM(creds)
	// The password policy and the posture inputs are read while IAM
	// generates the report, off the account's critical path, one call at
	// a time (Options.Concurrency bounds the requests in flight); when
	// the report is ready at once, after it. They share the report's
	// session.
	othersRead := false
	readOthers := func() (err error) {
		othersRead = true
		if res.Policy, err = s.passwordPolicy(ctx, client, t.acct.ID); err != nil {
			return err
		}
		res.Posture = s.readPosture(ctx, client, t.acct.ID)
		return nil
	}
	fail := func(err error) collect.AccountResult {
		res.Posture = posture.Data{} // a failed account is not judged
		return done(collect.Failed, err)
	}
	report, generated, err := s.credentialReport(ctx, client, t.acct.ID, readOthers)
	if err != nil {
		return fail(err)
	}
	res.Report, res.ReportGeneratedAt = report, generated
	if !othersRead {
		if err := readOthers(); err != nil {
			return fail(err)
		}
	}
	res.UserTags = s.readUserTags(ctx, client, t.acct.ID, &res)
	if s.opts.LastAccessed != nil {
		// After the rest, so that the account's audit never waits on
		// these jobs; a job that fails fails only its principal.
		if d := res.Posture.Details; d != nil {
			var ev []posture.File
			res.Posture.LastAccessed, ev = s.lastAccessed(ctx, client, t.acct.ID, d)
			res.Posture.Evidence = append(res.Posture.Evidence, ev...)
		} else {
			res.Posture.Fail(posture.LastAccessedInput, errors.New("not asked for: the authorization details, which name the principals, were not collected"))
		}
	}
	return done(collect.Collected, nil)
}

// assumeRole returns cached credentials of the audit role in account,
// retrieved once now so that a refusal is reported as AssumeRole's.
func (s *Source) assumeRole(ctx context.Context, me caller, account string) (aws.CredentialsProvider, error) {
	roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", me.partition, account, s.opts.RoleName)
	provider := stscreds.NewAssumeRoleProvider(s.sts, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = s.opts.SessionName
		if s.opts.ExternalID != "" {
			o.ExternalID = aws.String(s.opts.ExternalID)
		}
	})
	cache := aws.NewCredentialsCache(provider)
	if _, err := cache.Retrieve(ctx); err != nil {
		e := opError(ctx, account, "sts:AssumeRole", roleARN, err)
		if id := s.opts.ExternalID; id != "" {
			// STS quotes an invalid ExternalId in its message; the
			// error reaches logs, reports and Slack.
			e.Message, e.Err = redact.String(e.Message, id), redact.Error(e.Err, id)
		}
		return nil, e
	}
	return cache, nil
}

// accountTags reads an account's Organizations tags with the base
// credentials. Tags only route notifications, so a failure is logged and
// the account is audited without them.
func (s *Source) accountTags(ctx context.Context, id string) map[string]string {
	tags := map[string]string{}
	p := organizations.NewListTagsForResourcePaginator(s.org, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			s.log.Warn("account tags not read; the account is audited without them", "account", id,
				"err", opError(ctx, id, "organizations:ListTagsForResource", "", err))
			return nil
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}
