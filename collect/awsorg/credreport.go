package awsorg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
)

// maxRegenerations bounds how often a report that vanished between
// generation and download (ReportNotPresent, ReportExpired) is generated again.
const maxRegenerations = 3

// credentialReport generates the account's credential report until it is
// COMPLETE, then downloads it, polling while it is in progress and
// generating it again when it is missing or expired. It returns the CSV
// exactly as IAM sent it and IAM's GeneratedTime.
//
// meanwhile, when not nil, is called once while the report is in
// progress (or not at all when IAM has it ready at once), so that the
// account's other reads overlap the report's generation instead of
// following it; its error ends the collection of the account.
func (s *Source) credentialReport(ctx context.Context, client iamAPI, account string, meanwhile func() error) ([]byte, time.Time, error) {
	polls, regenerations := 0, 0
	generate := true
	// The generation in progress: when it was asked for, how often it was
	// polled, and whether its first poll was planned from the typical time.
	var started time.Time
	genPolls, estimated := 0, false
	inProgress := false // the report was last seen in progress, not complete
	// fail describes err of op; when the account's time ran out while
	// polling, it says how long the report stayed in progress.
	fail := func(op string, err error) *OpError {
		e := opError(ctx, account, op, "", err)
		if ctx.Err() != nil && inProgress {
			e.Err = fmt.Errorf("report still in progress after %d polls: %w", polls, e.Err)
		}
		return e
	}
	wait := func(op string) error {
		inProgress = true
		if started.IsZero() {
			started = time.Now() // in progress although Generate said COMPLETE
		}
		d, planned := s.pollDelay(genPolls, time.Since(started))
		if genPolls == 0 {
			estimated = planned
		}
		until := time.Now().Add(d)
		if f := meanwhile; f != nil {
			meanwhile = nil
			if err := f(); err != nil {
				return err
			}
		}
		if err := sleep(ctx, time.Until(until)); err != nil {
			return fail(op, err)
		}
		polls++
		genPolls++
		return nil
	}
	for {
		if generate {
			asked := time.Now()
			out, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
			if err != nil {
				return nil, time.Time{}, fail("iam:GenerateCredentialReport", err)
			}
			if out.State != types.ReportStateTypeComplete {
				if started.IsZero() {
					started = asked
				}
				if err := wait("iam:GenerateCredentialReport"); err != nil {
					return nil, time.Time{}, err
				}
				continue
			}
			if !started.IsZero() {
				s.reports.observe(asked.Sub(started), estimated, genPolls == 1)
			}
			generate, inProgress = false, false
		}
		out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		var notReady *types.CredentialReportNotReadyException
		var notPresent *types.CredentialReportNotPresentException
		var expired *types.CredentialReportExpiredException
		switch {
		case err == nil:
			if out.ReportFormat != "" && out.ReportFormat != types.ReportFormatTypeTextCsv {
				return nil, time.Time{}, &OpError{Account: account, Op: "iam:GetCredentialReport",
					Err: fmt.Errorf("report format is %q, want %q", out.ReportFormat, types.ReportFormatTypeTextCsv)}
			}
			return out.Content, aws.ToTime(out.GeneratedTime).UTC(), nil
		case errors.As(err, &notReady):
			if err := wait("iam:GetCredentialReport"); err != nil {
				return nil, time.Time{}, err
			}
		case errors.As(err, &notPresent), errors.As(err, &expired):
			if regenerations++; regenerations > maxRegenerations {
				e := fail("iam:GetCredentialReport", err)
				e.Message += fmt.Sprintf(" [the report was generated %d times]", regenerations)
				return nil, time.Time{}, e
			}
			s.log.Debug("credential report gone, generating it again", "account", account, "code", errorCode(err))
			generate, started, genPolls = true, time.Time{}, 0
		default:
			return nil, time.Time{}, fail("iam:GetCredentialReport", err)
		}
	}
}

// passwordPolicy reads the account's password policy. NoSuchEntity means
// the account has none (Absent). AccessDenied means the audit role may
// not read it: the policy is NotCollected, the account is still audited,
// and a warning is logged.
func (s *Source) passwordPolicy(ctx context.Context, client iamAPI, account string) (passwordpolicy.Result, error) {
	out, err := client.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	var noSuch *types.NoSuchEntityException
	switch {
	case err == nil:
		return passwordpolicy.Result{State: passwordpolicy.Present, Policy: convertPolicy(out.PasswordPolicy)}, nil
	case errors.As(err, &noSuch):
		return passwordpolicy.Result{State: passwordpolicy.Absent}, nil
	case ctx.Err() == nil && errorCode(err) == "AccessDenied":
		s.log.Warn("password policy not collected", "account", account,
			"err", opError(ctx, account, "iam:GetAccountPasswordPolicy", "", err))
		return passwordpolicy.Result{State: passwordpolicy.NotCollected}, nil
	}
	return passwordpolicy.Result{}, opError(ctx, account, "iam:GetAccountPasswordPolicy", "", err)
}

// convertPolicy maps the SDK's policy onto the reporter's.
func convertPolicy(p *types.PasswordPolicy) passwordpolicy.Policy {
	if p == nil {
		return passwordpolicy.Policy{}
	}
	toInt := func(v *int32) *int {
		if v == nil {
			return nil
		}
		n := int(*v)
		return &n
	}
	return passwordpolicy.Policy{
		MinimumPasswordLength:      toInt(p.MinimumPasswordLength),
		RequireSymbols:             p.RequireSymbols,
		RequireNumbers:             p.RequireNumbers,
		RequireUppercaseCharacters: p.RequireUppercaseCharacters,
		RequireLowercaseCharacters: p.RequireLowercaseCharacters,
		AllowUsersToChangePassword: p.AllowUsersToChangePassword,
		ExpirePasswords:            p.ExpirePasswords,
		MaxPasswordAge:             toInt(p.MaxPasswordAge),
		PasswordReusePrevention:    toInt(p.PasswordReusePrevention),
		HardExpiry:                 p.HardExpiry,
	}
}
