package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// AWS configures collection from live AWS accounts (collect/awsorg, the org
// and account sources). Credentials come from the SDK's default chain
// (environment, shared config and credentials files, web identity, ECS or
// EC2 roles); Profile picks a shared-config profile.
type AWS struct {
	// Profile is the shared-config profile; empty means the default chain.
	Profile string `yaml:"profile"`
	// Region is the region of the STS endpoint; empty means the SDK's
	// (AWS_REGION, the profile), else us-east-1. IAM and Organizations
	// are global.
	Region string `yaml:"region"`
	// RoleName is the role assumed in every member account; it may
	// carry a path ("audit/IAMCredentialReporter").
	RoleName string `yaml:"role_name"`
	// ExternalID is passed to AssumeRole when set. It is treated as a
	// secret: redacted in printed configuration, errors and logs.
	ExternalID string `yaml:"external_id" secret:"true"`
	// SessionName is the role session name, visible in CloudTrail.
	SessionName string `yaml:"session_name"`
	// Concurrency bounds the accounts collected at a time.
	Concurrency int `yaml:"concurrency"`
	// AccountTimeout bounds the collection of one account.
	AccountTimeout time.Duration `yaml:"account_timeout"`
	// RunTimeout bounds the collection of the whole organization.
	RunTimeout time.Duration `yaml:"run_timeout"`
	// IncludeAccounts, when set, restricts the audit to these account IDs.
	IncludeAccounts []string `yaml:"include_accounts"`
	// ExcludeAccounts are never audited.
	ExcludeAccounts []string `yaml:"exclude_accounts"`
	// IncludeOUs, when set, restricts the audit to the accounts under
	// these OUs (ou-…) or roots (r-…), at any depth.
	IncludeOUs []string `yaml:"include_ous"`
	// ExcludeOUs: the accounts under these OUs, at any depth, are not audited.
	ExcludeOUs []string `yaml:"exclude_ous"`
	// AccountTags reads every account's Organizations tags
	// (organizations:ListTagsForResource, one call per account). It is
	// turned on by itself when a Slack route matches on tags or
	// owner_tag_keys is not empty (owners from the account's tags).
	AccountTags bool `yaml:"account_tags"`
}

// DefaultAWS returns the AWS defaults.
func DefaultAWS() AWS {
	return AWS{
		RoleName:       "OrganizationAccountAccessRole",
		SessionName:    "iam-credential-reporter",
		Concurrency:    16,
		AccountTimeout: 5 * time.Minute,
		RunTimeout:     time.Hour,
	}
}

// RegisterFlags binds the AWS flags to the fields of c.
func (c *AWS) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Profile, "profile", c.Profile, "AWS shared-config profile (default: the SDK's default credential chain)")
	fs.StringVar(&c.Region, "region", c.Region, "AWS region of the STS endpoint (default: AWS_REGION or the profile's, else us-east-1)")
	fs.StringVar(&c.RoleName, "role-name", c.RoleName, "role assumed in each member account by --source org")
	fs.StringVar(&c.ExternalID, "external-id", c.ExternalID, "ExternalId passed to AssumeRole (none when empty)")
	fs.StringVar(&c.SessionName, "session-name", c.SessionName, "role session name, visible in the member accounts' CloudTrail")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "accounts collected at a time")
	fs.DurationVar(&c.AccountTimeout, "account-timeout", c.AccountTimeout, "time allowed to collect one account")
	fs.DurationVar(&c.RunTimeout, "run-timeout", c.RunTimeout, "time allowed to collect the whole organization")
	fs.Var(&awsListFlag{list: &c.IncludeAccounts}, "include-accounts", "comma-separated account IDs: audit only these")
	fs.Var(&awsListFlag{list: &c.ExcludeAccounts}, "exclude-accounts", "comma-separated account IDs never audited")
	fs.Var(&awsListFlag{list: &c.IncludeOUs}, "include-ous", "comma-separated OU (ou-…) or root (r-…) IDs: audit only the accounts under them")
	fs.Var(&awsListFlag{list: &c.ExcludeOUs}, "exclude-ous", "comma-separated OU IDs whose accounts are never audited")
	fs.BoolVar(&c.AccountTags, "account-tags", c.AccountTags, "read each account's Organizations tags (automatic when a Slack route uses tags or owner_tag_keys is set)")
}

// Validate checks the limits of the AWS collection. The role and session
// names and the account and OU lists are checked by the org source when
// it opens (collect/awsorg), which `reporter config check` does too.
func (c *AWS) Validate() error {
	var errs []error
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("aws.concurrency %d (--concurrency): want 1 or more", c.Concurrency))
	}
	if c.AccountTimeout <= 0 {
		errs = append(errs, fmt.Errorf("aws.account_timeout %s (--account-timeout): want more than 0", c.AccountTimeout))
	}
	if c.RunTimeout <= 0 {
		errs = append(errs, fmt.Errorf("aws.run_timeout %s (--run-timeout): want more than 0", c.RunTimeout))
	}
	return errors.Join(errs...)
}

// awsListFlag is a comma-separated list flag. Its first use replaces the
// configured list; repeating the flag adds to it.
type awsListFlag struct {
	list *[]string
	set  bool
	// kind names the items in the help; "ids" when empty.
	kind string
}

// String implements pflag.Value.
func (f *awsListFlag) String() string {
	if f == nil || f.list == nil {
		return ""
	}
	return strings.Join(*f.list, ",")
}

// Type names the flag's value in the help.
func (f *awsListFlag) Type() string {
	if f.kind != "" {
		return f.kind
	}
	return "ids"
}

// Set implements pflag.Value.
func (f *awsListFlag) Set(v string) error {
	if !f.set {
		*f.list, f.set = nil, true
	}
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*f.list = append(*f.list, item)
		}
	}
	return nil
}
