package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/reporter-dev/reporter/collect/posture"
)

// UnusedPermissions configures the opt-in unused-services check: IAM's
// service last-accessed data of every user and role that holds a policy
// (iam:GenerateServiceLastAccessedDetails and
// iam:GetServiceLastAccessedDetails, one job per principal, in each
// account's session; a dir: source reads <account>.service-last-accessed.json).
type UnusedPermissions struct {
	// Enabled turns the check on. It costs one job per principal: two
	// IAM calls and more for polls and pages, under IAM's shared,
	// fixed rate limits.
	Enabled bool `yaml:"enabled"`
	// Days is the limit: principals created more than this many days
	// before the run's as-of are judged, and a granted service not used
	// for more than this many days is unused.
	Days int `yaml:"days"`
	// JobsPerAccount bounds the jobs in flight in one account.
	JobsPerAccount int `yaml:"jobs_per_account"`
	// JobsInFlight bounds the jobs in flight in the whole organization.
	JobsInFlight int `yaml:"jobs_in_flight"`
	// JobTimeout bounds one principal's job; a job that takes longer
	// leaves only that principal not judged, named in the reports.
	JobTimeout time.Duration `yaml:"job_timeout"`
	// IncludePaths, when set, restricts the check to principals whose IAM
	// path matches one of these patterns ("/engineering/" covers that path
	// and those under it; others are shell patterns such as "/team-*/").
	IncludePaths []string `yaml:"include_paths"`
	// ExcludePaths: principals whose IAM path matches one of these
	// patterns are not judged.
	ExcludePaths []string `yaml:"exclude_paths"`
	// MaxPrincipalsPerAccount caps the principals asked about per account
	// (0: no cap); the reports state how many were left out.
	MaxPrincipalsPerAccount int `yaml:"max_principals_per_account"`
}

// DefaultUnusedPermissions returns the defaults: off, 90 days (IAM
// Access Analyzer's console default), 2 jobs per account, 32 in all,
// 2 minutes per job.
func DefaultUnusedPermissions() UnusedPermissions {
	return UnusedPermissions{Days: 90, JobsPerAccount: 2, JobsInFlight: 32, JobTimeout: 2 * time.Minute}
}

// RegisterFlags binds the unused-permissions flags to the fields of c.
func (c *UnusedPermissions) RegisterFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&c.Enabled, "unused-permissions", c.Enabled, "run the opt-in unused-services check from IAM's service last-accessed data (one IAM job per user and role)")
	fs.IntVar(&c.Days, "unused-permissions-days", c.Days, "unused-services judges principals older than this many days and reports services unused for longer")
	fs.IntVar(&c.JobsPerAccount, "unused-permissions-jobs-per-account", c.JobsPerAccount, "last-accessed jobs in flight per account")
	fs.IntVar(&c.JobsInFlight, "unused-permissions-jobs", c.JobsInFlight, "last-accessed jobs in flight in the whole organization")
	fs.DurationVar(&c.JobTimeout, "unused-permissions-job-timeout", c.JobTimeout, "time allowed for one principal's last-accessed job")
	fs.Var(&awsListFlag{list: &c.IncludePaths}, "unused-permissions-include-paths", "comma-separated IAM path patterns: judge only these principals (\"/team/\" covers the paths under it)")
	fs.Var(&awsListFlag{list: &c.ExcludePaths}, "unused-permissions-exclude-paths", "comma-separated IAM path patterns whose principals are not judged")
	fs.IntVar(&c.MaxPrincipalsPerAccount, "unused-permissions-max-principals", c.MaxPrincipalsPerAccount, "at most this many principals asked about per account (0: no cap)")
}

// Scope returns the path scope of the check.
func (c *UnusedPermissions) Scope() posture.PathScope {
	return posture.PathScope{Include: c.IncludePaths, Exclude: c.ExcludePaths}
}

// Validate checks the limits and patterns (also when the check is off,
// so that a mistake is found before it is turned on).
func (c *UnusedPermissions) Validate() error {
	var errs []error
	if c.Days < 1 {
		errs = append(errs, fmt.Errorf("unused_permissions.days %d (--unused-permissions-days): want 1 or more", c.Days))
	}
	if c.JobsPerAccount < 1 {
		errs = append(errs, fmt.Errorf("unused_permissions.jobs_per_account %d (--unused-permissions-jobs-per-account): want 1 or more", c.JobsPerAccount))
	}
	if c.JobsInFlight < 1 {
		errs = append(errs, fmt.Errorf("unused_permissions.jobs_in_flight %d (--unused-permissions-jobs): want 1 or more", c.JobsInFlight))
	}
	if c.JobTimeout <= 0 {
		errs = append(errs, fmt.Errorf("unused_permissions.job_timeout %s (--unused-permissions-job-timeout): want more than 0", c.JobTimeout))
	}
	if c.MaxPrincipalsPerAccount < 0 {
		errs = append(errs, fmt.Errorf("unused_permissions.max_principals_per_account %d (--unused-permissions-max-principals): want 0 (no cap) or more", c.MaxPrincipalsPerAccount))
	}
	if err := c.Scope().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("unused_permissions include_paths/exclude_paths: %w", err))
	}
	return errors.Join(errs...)
}
