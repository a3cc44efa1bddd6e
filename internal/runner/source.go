package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/result"
)

// OpenSource turns the configured source into a Source and its default
// as-of (zero: the start of the run).
func OpenSource(ctx context.Context, cfg *config.Config, log *slog.Logger) (collect.Source, time.Time, error) {
	spec := cfg.Source
	switch {
	case spec == "sample":
		src := sample.NewSource()
		if up := cfg.UnusedPermissions; up.Enabled {
			src.ReadLastAccessed(up.Scope())
		}
		return src, sample.AsOf, nil
	case strings.HasPrefix(spec, "dir:"):
		src, err := collect.NewDirSource(strings.TrimPrefix(spec, "dir:"))
		if up := cfg.UnusedPermissions; err == nil && up.Enabled {
			src.ReadLastAccessed(up.Scope())
		}
		return src, time.Time{}, err
	case spec == "org", spec == "account", spec == "":
		return openAWSSource(ctx, spec, cfg, log)
	}
	return nil, time.Time{}, fmt.Errorf("unknown --source %q: want org, account, sample, or dir:PATH", spec)
}

// openAWSSource opens --source org or account. An empty spec means org
// when AWS credentials are configured, and is an error otherwise.
func openAWSSource(ctx context.Context, spec string, cfg *config.Config, log *slog.Logger) (collect.Source, time.Time, error) {
	mode := awsorg.Mode(spec)
	if spec == "" {
		if !awsCredentialsConfigured(cfg.AWS.Profile) {
			return nil, time.Time{}, errors.New("--source is required: no AWS credentials are configured for --source org " +
				"(set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or pass --profile); try --source sample for the built-in example, or dir:PATH")
		}
		log.Info("no --source given and AWS credentials are configured: auditing the organization (--source org)")
		mode = awsorg.ModeOrg
	}
	c := cfg.AWS
	var loadOpts []func(*awsconfig.LoadOptions) error
	if c.Profile != "" {
		loadOpts = append(loadOpts, awsconfig.WithSharedConfigProfile(c.Profile))
	}
	if c.Region != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(c.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("AWS configuration: %w", err)
	}
	src, err := awsorg.New(awsCfg, awsorg.Options{
		Mode: mode, RoleName: c.RoleName, ExternalID: c.ExternalID, SessionName: c.SessionName,
		Concurrency: c.Concurrency, AccountTimeout: c.AccountTimeout, RunTimeout: c.RunTimeout,
		IncludeAccounts: c.IncludeAccounts, ExcludeAccounts: c.ExcludeAccounts,
		IncludeOUs: c.IncludeOUs, ExcludeOUs: c.ExcludeOUs,
		AccountTags:  c.AccountTags || routesUseTags(cfg) || len(cfg.OwnerTagKeys) > 0,
		OwnerTagKeys: cfg.OwnerTagKeys,
		LastAccessed: lastAccessedOptions(cfg.UnusedPermissions),
		Logger:       log.With("source", string(mode)),
	})
	return src, time.Time{}, err
}

// lastAccessedOptions are the AWS source's options of the opt-in
// unused-services check; nil when it is off.
func lastAccessedOptions(c config.UnusedPermissions) *awsorg.LastAccessedOptions {
	if !c.Enabled {
		return nil
	}
	return &awsorg.LastAccessedOptions{
		MinAge: time.Duration(c.Days) * 24 * time.Hour, Scope: c.Scope(), MaxPrincipals: c.MaxPrincipalsPerAccount,
		JobsPerAccount: c.JobsPerAccount, JobsInFlight: c.JobsInFlight, JobTimeout: c.JobTimeout,
	}
}

// thresholds are the run's thresholds, with the unused-services limit
// when that opt-in check is on (0, off, otherwise).
func thresholds(cfg *config.Config) audit.Thresholds {
	th := cfg.Thresholds
	th.UnusedPermissionsDays = 0
	if cfg.UnusedPermissions.Enabled {
		th.UnusedPermissionsDays = cfg.UnusedPermissions.Days
	}
	return th
}

// awsCredentialsConfigured reports whether the SDK's default chain has
// something to start from without asking the network: a profile, keys or
// web identity in the environment, ECS task credentials, or a shared
// config or credentials file. (EC2 instance roles are not detected: pass
// --source org there.)
func awsCredentialsConfigured(profile string) bool {
	if profile != "" {
		return true
	}
	for _, env := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	} {
		if os.Getenv(env) != "" {
			return true
		}
	}
	home, _ := os.UserHomeDir()
	for _, f := range []struct{ env, def string }{
		{"AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials")},
		{"AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config")},
	} {
		path := os.Getenv(f.env)
		if path == "" {
			if home == "" {
				continue
			}
			path = f.def
		}
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return true
		}
	}
	return false
}

// routesUseTags reports whether a Slack route matches accounts by tag, in
// which case the tags must be collected.
func routesUseTags(cfg *config.Config) bool {
	for _, r := range cfg.Slack.Routes {
		if len(r.Tags) > 0 {
			return true
		}
	}
	return false
}

// ownerOptions says where the run takes the owners of findings from: the
// owner tag keys, and the Slack routes that name an owner.
func ownerOptions(cfg *config.Config) app.OwnerOptions {
	opts := app.OwnerOptions{TagKeys: cfg.OwnerTagKeys}
	for _, r := range cfg.Slack.Routes {
		if r.Owner == "" {
			continue
		}
		opts.Routes = append(opts.Routes, app.RouteOwner{Owner: r.Owner, Covers: func(a *result.Account) bool {
			return r.Matches(a.ID, a.OUs, a.Tags)
		}})
	}
	return opts
}
