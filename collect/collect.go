// Package collect gathers each account's credential report and password
// policy from a Source: a directory, the built-in sample organization, or
// (in collect/awsorg) a live AWS Organization.
package collect

import (
	"context"
	"time"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/collect/posture"
)

// Status is the collection outcome of one account.
type Status string

// The collection outcomes.
const (
	// Collected means the credential report was retrieved.
	Collected Status = "collected"
	// Failed means collection or parsing failed; Err says why.
	Failed Status = "failed"
	// Skipped means the account was deliberately not audited (for
	// example because it is suspended); Err says why.
	Skipped Status = "skipped"
)

// Account identifies an account of the organization.
type Account struct {
	ID   string
	Name string
	// OUs are the IDs of the organizational units containing the account,
	// innermost first; empty when unknown.
	OUs []string
	// Tags are the account's Organizations tags, when collected.
	Tags map[string]string
}

// AccountResult is what a Source learned about one account.
type AccountResult struct {
	Account Account
	Status  Status
	// Err explains a Failed or Skipped account.
	Err error
	// Report is the credential report CSV exactly as received, when any
	// was received (even if it later fails to parse).
	Report []byte
	// ReportGeneratedAt is IAM's GeneratedTime of the report; zero when
	// unknown (for example a directory of CSV files).
	ReportGeneratedAt time.Time
	// Policy is the account's password policy.
	Policy passwordpolicy.Result
	// Posture is the account's authorization details, account summary
	// and virtual MFA devices, each with why it is missing if it is. A
	// failure there leaves the account Collected: only the checks that
	// need the missing input do not run.
	Posture posture.Data
	// UserTags are users' tags read for owners beyond those of
	// Posture.Details (a file, or iam:ListUserTags when the authorization
	// details are missing). A failure there leaves the account Collected.
	UserTags UserTags
	// Duration is how long collecting this account took.
	Duration time.Duration
}

// Source yields one AccountResult per account of the organization.
// asOfKey keys the run's as-of in a Collect context.
type asOfKey struct{}

// WithAsOf returns ctx carrying the run's as-of, for the sources whose
// collection depends on it (which principals the last-accessed jobs ask
// about). A run passes it to Collect.
func WithAsOf(ctx context.Context, asOf time.Time) context.Context {
	return context.WithValue(ctx, asOfKey{}, asOf)
}

// AsOf returns the run's as-of that ctx carries, if any.
func AsOf(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(asOfKey{}).(time.Time)
	return t, ok && !t.IsZero()
}

type Source interface {
	// Name describes the source for logs and reports, e.g. "dir:./reports".
	Name() string
	// Collect calls sink once per account, never concurrently. A per-account
	// failure is an AccountResult with Status Failed, not an error; Collect
	// returns an error only when nothing can be collected at all (for
	// example the account list cannot be read) or sink returns one.
	Collect(ctx context.Context, sink func(AccountResult) error) error
}

// Counter is implemented by sources that know, once Collect has started,
// how many accounts they will yield. It is used for progress display.
type Counter interface {
	Expected() int
}

// UserSelector is implemented by sources that read users' tags one user
// at a time (collect/awsorg's iam:ListUserTags, when an account's
// authorization details are missing). Before Collect, the run gives them
// the function that returns the users of an account's result that have
// findings, so that only those are looked up. It may be called from
// several goroutines at once.
type UserSelector interface {
	SelectUsers(users func(res *AccountResult) []string)
}
