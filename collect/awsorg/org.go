package awsorg

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/reporter-dev/reporter/collect"
)

// caller is who the base credentials belong to.
type caller struct {
	account   string
	partition string // "aws", "aws-us-gov", "aws-cn"…
	arn       string
}

// target is one account to report on.
type target struct {
	acct collect.Account
	// base: audit with the base credentials (the caller's own account).
	base bool
	// skip or fail, when set, is the result without any call.
	skip error
	fail error
}

// whoAmI asks STS who the base credentials belong to.
func (s *Source) whoAmI(ctx context.Context) (caller, error) {
	out, err := s.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return caller{}, fmt.Errorf("identify the AWS credentials: %w", opError(ctx, "", "sts:GetCallerIdentity", "", err))
	}
	c := caller{account: aws.ToString(out.Account), arn: aws.ToString(out.Arn), partition: "aws"}
	if parts := strings.SplitN(c.arn, ":", 3); len(parts) == 3 && parts[0] == "arn" {
		c.partition = parts[1]
	}
	return c, nil
}

// planOrg lists the organization's accounts and passes emit, as each
// page is read, what to do with each account: audit it, or skip it (not
// ACTIVE); accounts the filters leave out are not passed. After the last
// page it passes the include-accounts that are not in the organization,
// to fail. It returns the number of targets passed.
//
// An empty page with a NextToken does not end the list. OU chains come
// from the accounts' Paths; when Organizations does not send them and OU
// filters need them, the OU tree is walked once, at the first account
// without.
func (s *Source) planOrg(ctx context.Context, me caller, emit func(target)) (int, error) {
	orgOut, err := s.org.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return 0, orgHint(opError(ctx, me.account, "organizations:DescribeOrganization", "", err))
	}
	mgmt := aws.ToString(orgOut.Organization.MasterAccountId)
	if mgmt != me.account {
		s.log.Info("the credentials are not the management account's: the management account is assumed into like any member",
			"caller_account", me.account, "management_account", mgmt)
	}

	f := newFilter(s.opts)
	filterOUs := len(s.opts.IncludeOUs)+len(s.opts.ExcludeOUs) > 0
	var walked map[string][]string // the OU tree, when walked
	found := map[string]bool{}
	listed, filtered, n := 0, 0, 0
	p := organizations.NewListAccountsPaginator(s.org, &organizations.ListAccountsInput{MaxResults: aws.Int32(20)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, orgHint(opError(ctx, me.account, "organizations:ListAccounts", "", err))
		}
		listed += len(page.Accounts)
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			if found[id] {
				continue // listed twice across pages
			}
			found[id] = true
			chain, ok := chainFromPaths(a.Paths)
			if !ok && filterOUs {
				if walked == nil {
					if walked, err = s.walkOUs(ctx, me, id); err != nil {
						return n, err
					}
				}
				chain = walked[id]
			}
			if !f.keep(id, chain) {
				filtered++
				s.log.Debug("account filtered out", "account", id, "ous", chain)
				continue
			}
			t := target{acct: collect.Account{ID: id, Name: aws.ToString(a.Name), OUs: ousOnly(chain)}, base: id == me.account}
			if state := accountState(a); state != "ACTIVE" {
				t.skip = fmt.Errorf("account state is %s: only ACTIVE accounts are audited", or(state, "unknown"))
			}
			emit(t)
			n++
		}
	}
	for _, id := range s.opts.IncludeAccounts {
		if !found[id] && !slices.Contains(s.opts.ExcludeAccounts, id) {
			emit(target{acct: collect.Account{ID: id},
				fail: fmt.Errorf("account %s is in include-accounts but not in the organization", id)})
			n++
		}
	}
	s.log.Info("organization listed", "organization", aws.ToString(orgOut.Organization.Id), "management_account", mgmt,
		"accounts", listed, "filtered_out", filtered, "to_collect", n)
	return n, nil
}

// accountState reads State, falling back to the older Status field.
func accountState(a types.Account) string {
	if a.State != "" {
		return string(a.State)
	}
	return string(a.Status)
}

// orgHint adds what to do when Organizations refuses the caller.
func orgHint(e *OpError) error {
	switch e.Code {
	case "AccessDeniedException":
		return fmt.Errorf("%w (org mode needs the management account's or a delegated administrator's credentials with the organizations permissions of deploy/iam/reporter-management-policy.json; --source account audits only the caller's account)", e)
	case "AWSOrganizationsNotInUseException":
		return fmt.Errorf("%w (this account is not in an organization: use --source account)", e)
	}
	return e
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
