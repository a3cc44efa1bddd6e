package awsorg_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// faultyFake serves org with the faults of the fault file at path applied.
func faultyFake(t *testing.T, org awsfake.Org, path string, opts awsfake.Options) (*awsfake.Server, string) {
	t.Helper()
	ff, err := awsfake.ReadFaultFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ff.Apply(&org); err != nil {
		t.Fatal(err)
	}
	return fake(t, org, opts)
}

// TestFaultFileEndToEnd replays testdata/bad-day.yaml: the org source,
// with the SDK's real clients, against awsfake with the file's faults.
// Each faulty account fails with the precise error of its fault (or
// recovers, where retries absorb it); the healthy ones are collected.
func TestFaultFileEndToEnd(t *testing.T) {
	t.Parallel() // it waits for the stuck report's deadline
	const role = ":role/OrganizationAccountAccessRole"
	tests := []struct {
		id         string
		wantStatus collect.Status
		wantErr    string // the account's whole error, up to the request ID
		wantPolicy passwordpolicy.State
	}{
		{"100000000000", collect.Collected, "", passwordpolicy.Absent},
		{"100000000001", collect.Failed, "account 100000000001: sts:AssumeRole arn:aws:iam::100000000001" + role +
			": AccessDenied: User: arn:aws:iam::100000000000:user/awsfake-admin is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::100000000001" + role + " (request ID awsfake-", 0},
		{"100000000002", collect.Failed, "account 100000000002: iam:GetCredentialReport: Throttling: Rate exceeded (after 3 attempts, request ID awsfake-", 0},
		{"100000000003", collect.Collected, "", passwordpolicy.Absent},
		{"100000000004", collect.Collected, "", passwordpolicy.Absent},
		{"100000000005", collect.Failed, "account 100000000005: iam:GenerateCredentialReport: report still in progress after ", 0},
		{"100000000006", collect.Failed, "account 100000000006: iam:GenerateCredentialReport: LimitExceeded: Cannot start a credential report generation task: the maximum number of concurrent tasks was reached. (after 3 attempts, request ID awsfake-", 0},
		{"100000000007", collect.Failed, "account 100000000007: iam:GetCredentialReport: HTTP 502 Bad Gateway with a text/html body, not an AWS answer (a proxy or load balancer in between?) (after 3 attempts)", 0},
		{"100000000008", collect.Collected, "", passwordpolicy.NotCollected},
		{"100000000009", collect.Collected, "", passwordpolicy.Absent},
		{"100000000010", collect.Failed, "account 100000000010: iam:GetCredentialReport: ReportExpired: Credential report has expired. Use GenerateCredentialReport to generate a new report. [the report was generated 4 times]", 0},
		{"100000000011", collect.Failed, "account 100000000011: sts:AssumeRole arn:aws:iam::100000000011" + role + ": HTTP 503 Service Unavailable with a text/html body, not an AWS answer (a proxy or load balancer in between?) (after 3 attempts)", 0},
		{"100000000012", collect.Failed, "account 100000000012: iam:GetAccountPasswordPolicy: ServiceFailure: The request processing has failed because of an unknown error, exception or failure. (after 3 attempts, request ID awsfake-", 0},
		{"100000000013", collect.Collected, "", passwordpolicy.Absent},
	}
	srv, url := faultyFake(t, smallOrg(len(tests)), filepath.Join("testdata", "bad-day.yaml"), awsfake.Options{})
	opts := fastOptions(awsorg.ModeOrg)
	opts.MaxAttempts = 3
	// The stuck report of 100000000005 ends only with its account's
	// time: generous, so that no other account comes near it however
	// slow the machine.
	opts.AccountTimeout = deadline
	got := run(t, url, mgmtCreds, opts)
	if got.err != nil {
		t.Fatalf("Collect() = %v, want nil", got.err)
	}
	if len(got.results) != len(tests) {
		t.Errorf("Collect() yielded %d accounts, want %d", len(got.results), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			res := got.results[tt.id]
			if res.Status != tt.wantStatus {
				t.Fatalf("status = %s (%v), want %s", res.Status, res.Err, tt.wantStatus)
			}
			switch {
			case tt.wantErr == "" && res.Err != nil:
				t.Errorf("error = %v, want nil", res.Err)
			case tt.wantErr != "" && (res.Err == nil || !strings.HasPrefix(res.Err.Error(), tt.wantErr)):
				t.Errorf("error = %v\nwant it to start with %q", res.Err, tt.wantErr)
			}
			if res.Status == collect.Collected && (string(res.Report) != string(csvOf(tt.id)) || res.Policy.State != tt.wantPolicy) {
				t.Errorf("report %q, policy %s; want its own report and %s", res.Report, res.Policy.State, tt.wantPolicy)
			}
		})
	}
	if e := got.results["100000000005"].Err; e == nil || !strings.HasSuffix(e.Error(), "polls: account timeout exceeded ("+deadline.String()+")") {
		t.Errorf("stuck report error = %v, want it to end with the account timeout", e)
	}
	// Every answer about 100000000009 waited 60 ms: at least its AssumeRole,
	// two GenerateCredentialReport, GetCredentialReport and the policy.
	if d := got.results["100000000009"].Duration; d < 5*60*time.Millisecond {
		t.Errorf("slow account collected in %v, want at least 5 × 60ms", d)
	}
	if !strings.Contains(got.log, "password policy not collected") || !strings.Contains(got.log, "account=100000000008") {
		t.Errorf("log does not warn about the unreadable password policy of 100000000008:\n%s", got.log)
	}
	// Rate 50%: the second call of each pair was throttled, the first not.
	var answers []string
	for _, c := range srv.Calls() {
		if c.Caller == "100000000004" && c.Action == "GenerateCredentialReport" {
			answers = append(answers, c.Error)
		}
	}
	// STARTED, throttled, then COMPLETE when retried.
	if want := []string{"", "Throttling", ""}; !slices.Equal(answers, want) {
		t.Errorf("GenerateCredentialReport answers of 100000000004 = %q, want %q", answers, want)
	}
}

// TestListingFaultsFromFile fails ListAccounts part way through the
// listing, as a fault file says: Collect returns the precise error and
// yields, at most, collected accounts of the pages answered before.
func TestListingFaultsFromFile(t *testing.T) {
	tests := []struct {
		name      string
		fault     string
		wantErr   string
		wantPages int // pages answered before the fault
	}{
		{"service error on the third page", `{error: ServiceException, after_pages: 2}`,
			"organizations:ListAccounts: ServiceException: AWS Organizations can't complete your request because of an internal service error. Try again later. (after 3 attempts, request ID awsfake-", 2},
		{"throttled from the second page", `{error: TooManyRequestsException, after_pages: 1}`,
			"organizations:ListAccounts: TooManyRequestsException: Rate exceeded (after 3 attempts, request ID awsfake-", 1},
		{"HTML page on the second page", `{html: 503, after_pages: 1}`,
			"organizations:ListAccounts: HTTP 503 Service Unavailable with a text/html body, not an AWS answer (a proxy or load balancer in between?) (after 3 attempts)", 1},
		{"access denied on the first page", `{error: AccessDeniedException}`,
			"organizations:ListAccounts: AccessDeniedException: You don't have permissions to access this resource.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "faults.yaml")
			if err := os.WriteFile(path, []byte("accounts:\n  \"100000000000\":\n    ListAccounts: "+tt.fault+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			srv, url := faultyFake(t, smallOrg(10), path, awsfake.Options{PageSize: 3, ReportsReady: true})
			opts := fastOptions(awsorg.ModeOrg)
			opts.MaxAttempts = 3
			got := run(t, url, mgmtCreds, opts)
			if got.err == nil || !strings.Contains(got.err.Error(), "account 100000000000: "+tt.wantErr) {
				t.Errorf("Collect() = %v\nwant an error containing %q", got.err, tt.wantErr)
			}
			org := smallOrg(10)
			for id, res := range got.results {
				i := slices.IndexFunc(org.Accounts, func(a awsfake.Account) bool { return a.ID == id })
				if i < 0 || i >= 3*tt.wantPages || res.Status != collect.Collected {
					t.Errorf("account %s yielded as %s (%v), want only collected accounts of the %d pages answered", id, res.Status, res.Err, tt.wantPages)
				}
			}
			pages := 0
			for _, c := range srv.Calls() {
				if c.Action == "ListAccounts" && c.Error == "" {
					pages++
				}
			}
			if pages != tt.wantPages {
				t.Errorf("ListAccounts answered %d pages before failing, want %d", pages, tt.wantPages)
			}
		})
	}
}
