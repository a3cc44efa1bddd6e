package awsfake

import (
	"maps"
	"time"
)

// Fault injects failures into the calls about one account: its IAM calls,
// AssumeRole into it, and, for the management account, the Organizations
// calls. Counters count down as calls consume them.
type Fault struct {
	// DenyAssumeRole answers AccessDenied to AssumeRole into the account,
	// as when an invited account lacks the audit role.
	DenyAssumeRole bool
	// Throttle answers this many throttling errors (Throttling for IAM and
	// STS, TooManyRequestsException for Organizations) to the named action
	// before it succeeds, e.g. {"GetCredentialReport": 2}.
	Throttle map[string]int
	// LimitExceeded answers this many GenerateCredentialReport calls with
	// IAM's LimitExceeded (HTTP 409), which the SDK does not retry.
	LimitExceeded int
	// InProgressPolls keeps a started report in progress for this many
	// GenerateCredentialReport or GetCredentialReport calls.
	InProgressPolls int
	// InProgressFor keeps a started report in progress for this long.
	InProgressFor time.Duration
	// ExpireReport answers this many GetCredentialReport calls of a
	// complete report with ReportExpired (HTTP 410) and discards the
	// report, so it must be generated again.
	ExpireReport int
	// MalformedReport serves a credential report that is not valid CSV.
	MalformedReport bool
	// Latency delays every answer about the account.
	Latency time.Duration
}

// MalformedReport is the body served for a Fault.MalformedReport: a bare
// quote in an unquoted field, which encoding/csv rejects.
var MalformedReport = []byte("user,arn,user_creation_time\n<root_account>,arn:aws:iam::000000000000:root,2020-01-01T00:00:00+00:00\nbad\"user,arn,\"unterminated\n")

// clone copies f so that counting down does not touch the caller's map.
func (f Fault) clone() Fault {
	f.Throttle = maps.Clone(f.Throttle)
	return f
}

// takeThrottle consumes one injected throttle of action, if any is left.
func (f *Fault) takeThrottle(action string) bool {
	if f.Throttle[action] > 0 {
		f.Throttle[action]--
		return true
	}
	return false
}
