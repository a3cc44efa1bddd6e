package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// unusedParams are the settings of the opt-in unused-services check
// (issue 19, point 5): with -unused-permissions every account's first
// -principals users and roles get a service last-accessed job, which
// stays IN_PROGRESS for -job-delay; a -job-throttle fraction of the
// GenerateServiceLastAccessedDetails calls is answered Throttling once
// (the SDK retries it).
type unusedParams struct {
	on             bool
	principals     int
	jobDelay       time.Duration
	jobThrottle    float64
	jobsPerAccount int
	jobsInFlight   int
}

func (u *unusedParams) register(fs *flag.FlagSet) {
	fs.BoolVar(&u.on, "unused-permissions", false, "run the unused-services check's last-accessed jobs too")
	fs.IntVar(&u.principals, "principals", 50, "with -unused-permissions: principals asked about per account (the cap)")
	fs.DurationVar(&u.jobDelay, "job-delay", 2*time.Second, "with -unused-permissions: time a last-accessed job stays IN_PROGRESS")
	fs.Float64Var(&u.jobThrottle, "job-throttle", 0.1, "with -unused-permissions: fraction of GenerateServiceLastAccessedDetails calls throttled once")
	fs.IntVar(&u.jobsPerAccount, "jobs-per-account", awsorg.DefaultJobsPerAccount, "with -unused-permissions: jobs in flight per account")
	fs.IntVar(&u.jobsInFlight, "jobs-in-flight", awsorg.DefaultJobsInFlight, "with -unused-permissions: jobs in flight in all")
}

// childArgs passes the settings on to the fake's process.
func (u unusedParams) childArgs() []string {
	if !u.on {
		return nil
	}
	return []string{"-unused-permissions", "-principals", fmt.Sprint(u.principals), "-job-delay", u.jobDelay.String(),
		"-job-throttle", fmt.Sprint(u.jobThrottle)}
}

// fault adds the jobs' delay and throttling to an account's fault, and
// its last-accessed data.
func (u unusedParams) fault(a *awsfake.Account) {
	if !u.on {
		return
	}
	a.Fault.JobFor = u.jobDelay
	if u.jobThrottle > 0 {
		if a.Fault.Actions == nil {
			a.Fault.Actions = map[string]awsfake.ActionFault{}
		}
		a.Fault.Actions["GenerateServiceLastAccessedDetails"] = awsfake.ActionFault{Error: "Throttling", Rate: u.jobThrottle}
	}
	a.LastAccessed = awsfake.SyntheticLastAccessed(a.ID, a.Details, asOf)
}

// options are the collector's options of the check.
func (u unusedParams) options() *awsorg.LastAccessedOptions {
	if !u.on {
		return nil
	}
	return &awsorg.LastAccessedOptions{MinAge: 90 * 24 * time.Hour, MaxPrincipals: u.principals,
		JobsPerAccount: u.jobsPerAccount, JobsInFlight: u.jobsInFlight, Now: func() time.Time { return asOf }}
}

// jobPath is one job's critical path: Generate, the delay, the Get that
// finds it COMPLETED (one page at 10 services).
func (u unusedParams) jobPath(latency time.Duration) time.Duration { return u.jobDelay + 2*latency }

// ideal is the jobs' share of the wall: the larger of what the accounts
// collected at a time add to their rounds (ceil(principals / per
// account) jobs one after the other) and what the global bound allows
// (all jobs over the slots in flight).
func (u unusedParams) ideal(p params) (time.Duration, string) {
	if !u.on {
		return 0, ""
	}
	path := u.jobPath(p.latency)
	perAccount := time.Duration(rounds(p)) * time.Duration((u.principals+u.jobsPerAccount-1)/u.jobsPerAccount) * path
	slots := min(u.jobsInFlight, p.concurrency*u.jobsPerAccount)
	jobs := p.accounts * u.principals
	global := time.Duration((jobs+slots-1)/slots) * path
	if global > perAccount {
		return global, fmt.Sprintf("jobs: ceil(%d jobs / %d in flight) × %s = %s", jobs, slots, path, global)
	}
	return perAccount, fmt.Sprintf("jobs: %d rounds × ceil(%d principals / %d per account) × %s = %s", rounds(p), u.principals, u.jobsPerAccount, path, perAccount)
}

// isJobCall reports whether a call belongs to the last-accessed jobs.
func isJobCall(action string) bool { return strings.HasSuffix(action, "ServiceLastAccessedDetails") }

// describe is the jobs' settings, for the report; "" when off.
func (u unusedParams) describe() string {
	if !u.on {
		return ""
	}
	return fmt.Sprintf("%d principals per account, jobs COMPLETE after %s, %.0f%% of Generate throttled once, %d jobs per account, %d in flight",
		u.principals, u.jobDelay, 100*u.jobThrottle, u.jobsPerAccount, u.jobsInFlight)
}

// accountTimeout is the collector's account timeout: the default, or with
// the jobs on the whole run's (an account's jobs wait for the slots in
// flight).
func accountTimeout(p params) time.Duration {
	if !p.unused.on {
		return 0
	}
	return p.timeout
}
