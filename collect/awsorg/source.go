// Package awsorg collects credential reports from live AWS accounts:
// every account of an AWS Organization (--source org) or only the account
// the credentials belong to (--source account).
//
// In org mode the source lists the organization's accounts, assumes a role
// in each member account (the account of the base credentials, normally
// the management account, is audited with those credentials) and, with a
// bounded number of accounts at a time, generates and downloads each
// credential report and reads the password policy. An account that fails
// becomes a Failed result with an *OpError; the others carry on.
package awsorg

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/reporter-dev/reporter/collect"
)

// Mode says which accounts a Source audits.
type Mode string

// The modes of a Source.
const (
	// ModeOrg audits every account of the organization.
	ModeOrg Mode = "org"
	// ModeAccount audits only the account the credentials belong to.
	ModeAccount Mode = "account"
)

// Defaults of Options.
const (
	DefaultRoleName        = "OrganizationAccountAccessRole"
	DefaultSessionName     = "iam-credential-reporter"
	DefaultConcurrency     = 16
	DefaultAccountTimeout  = 5 * time.Minute
	DefaultRunTimeout      = time.Hour
	DefaultMaxAttempts     = 8
	DefaultMaxBackoff      = 20 * time.Second
	DefaultPollInterval    = 250 * time.Millisecond
	DefaultMaxPollInterval = 30 * time.Second
	// DefaultMaxUserTagLookups is the default cap of iam:ListUserTags
	// lookups per account.
	DefaultMaxUserTagLookups = 200
)

// Options configure a Source. Zero values take the defaults above.
type Options struct {
	Mode Mode
	// RoleName is the role assumed in member accounts; it may carry a
	// path ("audit/IAMCredentialReporter").
	RoleName string
	// ExternalID is passed to AssumeRole when set.
	ExternalID string
	// SessionName is the role session name, visible in CloudTrail.
	SessionName string
	// Concurrency bounds the accounts collected at a time.
	Concurrency int
	// AccountTimeout bounds the collection of one account.
	AccountTimeout time.Duration
	// RunTimeout bounds the whole collection.
	RunTimeout time.Duration
	// IncludeAccounts, when set, restricts the audit to these account IDs.
	IncludeAccounts []string
	// ExcludeAccounts are never audited.
	ExcludeAccounts []string
	// IncludeOUs, when set, restricts the audit to accounts under these
	// OUs (or roots) at any depth.
	IncludeOUs []string
	// ExcludeOUs: accounts under these OUs at any depth are not audited.
	ExcludeOUs []string
	// AccountTags reads each account's Organizations tags
	// (ListTagsForResource), e.g. for routing Slack digests by team. Org
	// mode only; a failure is logged and the account audited without tags.
	AccountTags bool
	// OwnerTagKeys are the IAM user tag keys that name a finding's
	// owner. The authorization details' users keep only these tags; when
	// an account's details are missing, the users with findings (see
	// collect.UserSelector) are looked up with iam:ListUserTags, at most
	// MaxUserTagLookups per account. Empty reads no user tags.
	OwnerTagKeys []string
	// MaxUserTagLookups bounds the users looked up with iam:ListUserTags
	// in one account; 0 means DefaultMaxUserTagLookups.
	MaxUserTagLookups int
	// LastAccessed, when set, runs the service last-accessed jobs of the
	// opt-in unused-services check in every account.
	LastAccessed *LastAccessedOptions

	// MaxAttempts bounds the attempts of one AWS call that is throttled
	// (Throttling, TooManyRequestsException, IAM's LimitExceeded) or
	// fails transiently.
	MaxAttempts int
	// Backoff gives the delay before retrying a call; nil means
	// exponential backoff with full jitter, capped at MaxBackoff.
	Backoff    retry.BackoffDelayer
	MaxBackoff time.Duration
	// PollInterval is the shortest wait between two polls of a
	// credential report in progress (shorter only when reports typically
	// take less than 8 of them), and the first wait until the source has
	// seen a report complete. Once it has, the first poll of a report
	// comes when reports typically complete, and later ones after an
	// eighth of the time the report has been in progress, at most
	// MaxPollInterval.
	PollInterval    time.Duration
	MaxPollInterval time.Duration

	// Logger receives progress and warnings; nil discards them.
	Logger *slog.Logger
}

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	ouIDPattern        = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})$`)
	roleNamePattern    = regexp.MustCompile(`^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// withDefaults fills in the defaults and checks o.
func (o Options) withDefaults() (Options, error) {
	switch o.Mode {
	case "":
		o.Mode = ModeOrg
	case ModeOrg, ModeAccount:
	default:
		return o, fmt.Errorf("mode %q: want org or account", o.Mode)
	}
	setDefault(&o.RoleName, DefaultRoleName)
	setDefault(&o.SessionName, DefaultSessionName)
	setDefault(&o.Concurrency, DefaultConcurrency)
	setDefault(&o.AccountTimeout, DefaultAccountTimeout)
	setDefault(&o.RunTimeout, DefaultRunTimeout)
	setDefault(&o.MaxAttempts, DefaultMaxAttempts)
	setDefault(&o.MaxBackoff, DefaultMaxBackoff)
	setDefault(&o.PollInterval, DefaultPollInterval)
	setDefault(&o.MaxPollInterval, DefaultMaxPollInterval)
	setDefault(&o.MaxUserTagLookups, DefaultMaxUserTagLookups)
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Concurrency < 0 || o.AccountTimeout < 0 || o.RunTimeout < 0 || o.MaxAttempts < 0 || o.PollInterval < 0 || o.MaxUserTagLookups < 0 {
		return o, fmt.Errorf("concurrency, timeouts, attempts and poll interval must not be negative")
	}
	if o.LastAccessed != nil {
		la := *o.LastAccessed
		if err := la.withDefaults(); err != nil {
			return o, err
		}
		o.LastAccessed = &la
	}
	if !roleNamePattern.MatchString(o.RoleName) {
		return o, fmt.Errorf("role name %q is not a valid IAM role name", o.RoleName)
	}
	if !sessionNamePattern.MatchString(o.SessionName) {
		return o, fmt.Errorf("session name %q: want 2 to 64 of the characters A-Z a-z 0-9 _+=,.@-", o.SessionName)
	}
	for _, list := range []struct {
		name string
		ids  []string
		re   *regexp.Regexp
		want string
	}{
		{"include-accounts", o.IncludeAccounts, accountIDPattern, "a 12-digit account ID"},
		{"exclude-accounts", o.ExcludeAccounts, accountIDPattern, "a 12-digit account ID"},
		{"include-ous", o.IncludeOUs, ouIDPattern, "an OU ID (ou-…) or root ID (r-…)"},
		{"exclude-ous", o.ExcludeOUs, ouIDPattern, "an OU ID (ou-…) or root ID (r-…)"},
	} {
		for _, id := range list.ids {
			if !list.re.MatchString(id) {
				return o, fmt.Errorf("%s: %q is not %s", list.name, id, list.want)
			}
		}
	}
	return o, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Source collects from AWS. It implements collect.Source.
type Source struct {
	cfg  aws.Config
	opts Options
	log  *slog.Logger

	org    organizationsAPI
	sts    stsAPI
	newIAM func(aws.CredentialsProvider) iamAPI

	accountTimeout error // cause of an account's context ending on time
	runTimeout     error // cause of the run's context ending on time

	reports reportClock // how long credential reports take to generate
	// jobs learns how long last-accessed jobs take; jobSlots bounds
	// those in flight (LastAccessedOptions.JobsInFlight).
	jobs     reportClock
	jobSlots chan struct{}

	expected atomic.Int64 // accounts the current Collect yields

	// usersWithFindings selects the users to look up with ListUserTags;
	// set by SelectUsers before Collect.
	usersWithFindings func(*collect.AccountResult) []string
}

// SelectUsers implements collect.UserSelector. Call it before Collect.
func (s *Source) SelectUsers(users func(*collect.AccountResult) []string) {
	s.usersWithFindings = users
}

// New returns a Source that calls AWS with cfg's base credentials,
// endpoints and region (us-east-1 when cfg has none: IAM and
// Organizations are global services).
func New(cfg aws.Config, opts Options) (*Source, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("aws source: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("aws source: no AWS credentials configured")
	}
	s := &Source{
		cfg: cfg, opts: opts, log: opts.Logger,
		accountTimeout: fmt.Errorf("%w (%s)", ErrAccountTimeout, opts.AccountTimeout),
		runTimeout:     fmt.Errorf("%w (%s)", ErrRunTimeout, opts.RunTimeout),
		reports:        reportClock{peers: int64(opts.Concurrency)},
	}
	if la := opts.LastAccessed; la != nil {
		s.jobs = reportClock{peers: int64(min(la.JobsInFlight, opts.Concurrency*la.JobsPerAccount))}
		s.jobSlots = make(chan struct{}, la.JobsInFlight)
	}
	// aws.CredentialsCache calls AssumeRole with a context that is never
	// cancelled, so only the HTTP client's timeout can end a call that
	// hangs after its account has given up.
	var stsHTTP aws.HTTPClient
	cfg.HTTPClient, stsHTTP = pooledHTTPClients(cfg.HTTPClient, opts.Concurrency, min(opts.AccountTimeout, opts.RunTimeout))
	s.org = organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.Retryer = s.retryer(false) })
	s.sts = sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.Retryer = s.retryer(false)
		o.HTTPClient = stsHTTP
	})
	s.newIAM = func(creds aws.CredentialsProvider) iamAPI {
		return iam.NewFromConfig(cfg, func(o *iam.Options) {
			o.Credentials = creds
			o.Retryer = s.retryer(true)
		})
	}
	return s, nil
}

// pooledHTTPClients returns the HTTP client of the Organizations and IAM
// clients and that of the STS client (with timeout), each with a single
// connection pool that keeps an idle connection for every account
// collected at a time.
//
// The SDK gives every service client built from an
// *awshttp.BuildableClient (or from none) a transport of its own. As the
// source builds an IAM client per account, each account would otherwise
// open new connections, with a TLS handshake on its critical path, and
// leave them idle until they time out; and the SDK's default of 10 idle
// connections per host is below the usual concurrency. Frozen clients are
// shared as they are. A client of another type is the caller's choice and
// is used unchanged for both.
func pooledHTTPClients(c aws.HTTPClient, concurrency int, stsTimeout time.Duration) (shared, withTimeout aws.HTTPClient) {
	b, ok := c.(*awshttp.BuildableClient)
	switch {
	case c == nil:
		b = awshttp.NewBuildableClient()
	case !ok:
		return c, c
	}
	b = b.WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = max(tr.MaxIdleConnsPerHost, concurrency+1)
		if tr.MaxIdleConns > 0 { // 0 is no limit
			tr.MaxIdleConns = max(tr.MaxIdleConns, 3*(concurrency+1))
		}
	})
	return b.Freeze(), b.WithTimeout(stsTimeout).Freeze()
}

// Name implements collect.Source: "org" or "account".
func (s *Source) Name() string { return string(s.opts.Mode) }
