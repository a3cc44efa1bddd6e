package awsorg_test

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

const (
	mgmt   = "100000000000"
	member = "100000000001"
	other  = "100000000002"
)

// deadline is the account or run timeout of the tests whose subject is a
// timeout. The faulty account never answers, so the deadline always ends
// it; every other account must finish well within it, however loaded the
// machine, so it is generous rather than short.
const deadline = 3 * time.Second

func TestCollectAccountFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      awsfake.Fault
		policy     passwordpolicy.State
		opts       func(*awsorg.Options)
		wantStatus collect.Status
		wantErr    string // substring of the account's error
		wantReport []byte
	}{
		{name: "healthy", wantStatus: collect.Collected, wantReport: csvOf(member)},
		{name: "password policy present", policy: passwordpolicy.Present, wantStatus: collect.Collected, wantReport: csvOf(member)},
		{name: "password policy not readable", policy: passwordpolicy.NotCollected, wantStatus: collect.Collected, wantReport: csvOf(member)},
		{
			name: "AssumeRole denied", fault: awsfake.Fault{DenyAssumeRole: true}, wantStatus: collect.Failed,
			wantErr: "account " + member + ": sts:AssumeRole arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole: AccessDenied: User: arn:aws:iam::" + mgmt + ":user/awsfake-admin is not authorized to perform: sts:AssumeRole",
		},
		{
			name: "throttled below the attempt limit", wantStatus: collect.Collected, wantReport: csvOf(member),
			fault: awsfake.Fault{Throttle: map[string]int{"AssumeRole": 2, "GenerateCredentialReport": 3, "GetCredentialReport": 2, "GetAccountPasswordPolicy": 7}},
		},
		{
			name: "throttled past the attempt limit", fault: awsfake.Fault{Throttle: map[string]int{"GetCredentialReport": 50}},
			wantStatus: collect.Failed, wantErr: "account " + member + ": iam:GetCredentialReport: Throttling: Rate exceeded (after 8 attempts, request ID awsfake-",
		},
		{name: "LimitExceeded retried", fault: awsfake.Fault{LimitExceeded: 4}, wantStatus: collect.Collected, wantReport: csvOf(member)},
		{
			name: "LimitExceeded past the attempt limit", fault: awsfake.Fault{LimitExceeded: 50}, opts: func(o *awsorg.Options) { o.MaxAttempts = 3 },
			wantStatus: collect.Failed, wantErr: "iam:GenerateCredentialReport: LimitExceeded: Cannot start a credential report generation task",
		},
		{name: "in progress for 6 polls", fault: awsfake.Fault{InProgressPolls: 6}, wantStatus: collect.Collected, wantReport: csvOf(member)},
		{
			name: "in progress past the account timeout", fault: awsfake.Fault{ReportStuck: true},
			opts:       func(o *awsorg.Options) { o.AccountTimeout = deadline },
			wantStatus: collect.Failed, wantErr: "account " + member + ": iam:GenerateCredentialReport: report still in progress after",
		},
		{
			name: "in progress for a while", fault: awsfake.Fault{InProgressFor: 30 * time.Millisecond},
			wantStatus: collect.Collected, wantReport: csvOf(member),
		},
		{name: "expired once", fault: awsfake.Fault{ExpireReport: 1}, wantStatus: collect.Collected, wantReport: csvOf(member)},
		{
			name: "expired every time", fault: awsfake.Fault{ExpireReport: 100}, wantStatus: collect.Failed,
			wantErr: "iam:GetCredentialReport: ReportExpired: Credential report has expired. Use GenerateCredentialReport to generate a new report. [the report was generated 4 times]",
		},
		{name: "malformed CSV is kept as evidence", fault: awsfake.Fault{MalformedReport: true}, wantStatus: collect.Collected, wantReport: awsfake.MalformedReport},
		{
			name: "latency past the account timeout", fault: awsfake.Fault{Latency: awsfake.Forever},
			opts:       func(o *awsorg.Options) { o.AccountTimeout = deadline },
			wantStatus: collect.Failed, wantErr: "account " + member + ": sts:AssumeRole arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole: account timeout exceeded (" + deadline.String() + ")",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // the deadline cases wait for their deadline together
			org := smallOrg(3)
			org.Accounts[1].Fault = tt.fault
			org.Accounts[1].Policy = passwordpolicy.Result{State: tt.policy}
			if tt.policy == passwordpolicy.Present {
				org.Accounts[1].Policy.Policy.MinimumPasswordLength = new(int)
			}
			_, url := fake(t, org, awsfake.Options{})
			opts := fastOptions(awsorg.ModeOrg)
			if tt.opts != nil {
				tt.opts(&opts)
			}
			got := run(t, url, mgmtCreds, opts)
			if got.err != nil {
				t.Fatalf("Collect() = %v, want nil", got.err)
			}
			res := got.results[member]
			if res.Status != tt.wantStatus {
				t.Fatalf("member status = %s (%v), want %s", res.Status, res.Err, tt.wantStatus)
			}
			if tt.wantErr != "" && (res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr)) {
				t.Errorf("member error = %v, want it to contain %q", res.Err, tt.wantErr)
			}
			if tt.wantErr == "" && res.Err != nil {
				t.Errorf("member error = %v, want nil", res.Err)
			}
			if !bytes.Equal(res.Report, tt.wantReport) {
				t.Errorf("member report = %q, want %q", res.Report, tt.wantReport)
			}
			if res.Status == collect.Collected {
				if !res.ReportGeneratedAt.Equal(generatedTime) || res.Policy.State != tt.policy {
					t.Errorf("member generated at %v with policy %v, want %v and %v", res.ReportGeneratedAt, res.Policy.State, generatedTime, tt.policy)
				}
			}
			for _, id := range []string{mgmt, other} {
				if r := got.results[id]; r.Status != collect.Collected || !bytes.Equal(r.Report, csvOf(id)) {
					t.Errorf("account %s = %s (%v), want collected with its own report", id, r.Status, r.Err)
				}
			}
		})
	}
}

func TestCollectErrorIsOpError(t *testing.T) {
	org := smallOrg(2)
	org.Accounts[1].Fault = awsfake.Fault{DenyAssumeRole: true}
	_, url := fake(t, org, awsfake.Options{})
	got := run(t, url, mgmtCreds, fastOptions(awsorg.ModeOrg))
	var opErr *awsorg.OpError
	if err := got.results[member].Err; !errors.As(err, &opErr) || opErr.Code != "AccessDenied" || opErr.Op != "sts:AssumeRole" || opErr.Account != member {
		t.Errorf("member error = %#v, want an *OpError for AccessDenied on sts:AssumeRole of %s", err, member)
	}
}

func TestPagination(t *testing.T) {
	tests := []struct {
		name     string
		accounts int
		opts     awsfake.Options
	}{
		{"300 accounts in pages of 20", 300, awsfake.Options{}},
		{"250 accounts with empty pages", 250, awsfake.Options{EmptyPageEvery: 3}},
		{"120 accounts in pages of 7 with empty pages", 120, awsfake.Options{PageSize: 7, EmptyPageEvery: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.ReportsReady = true
			_, url := fake(t, smallOrg(tt.accounts), tt.opts)
			got := run(t, url, mgmtCreds, fastOptions(awsorg.ModeOrg))
			if got.err != nil {
				t.Fatal(got.err)
			}
			if len(got.results) != tt.accounts {
				t.Fatalf("Collect() yielded %d accounts, want %d", len(got.results), tt.accounts)
			}
			for id, res := range got.results {
				if res.Status != collect.Collected || !bytes.Equal(res.Report, csvOf(id)) {
					t.Fatalf("account %s = %s (%v), want collected with its own report", id, res.Status, res.Err)
				}
			}
		})
	}
}

func TestSkipsInactiveAccounts(t *testing.T) {
	org := smallOrg(6)
	org.Accounts[1].State = "SUSPENDED"
	org.Accounts[2].State = "CLOSED"
	org.Accounts[3].State = "PENDING_CLOSURE"
	org.Accounts[4].Status = "SUSPENDED" // legacy field only: State is not sent
	org.Accounts[5].Status = "ACTIVE"    // legacy field only
	srv, url := fake(t, org, awsfake.Options{ReportsReady: true})
	got := run(t, url, mgmtCreds, fastOptions(awsorg.ModeOrg))
	if got.err != nil {
		t.Fatal(got.err)
	}
	tests := []struct {
		id         string
		wantStatus collect.Status
		wantErr    string
	}{
		{"100000000000", collect.Collected, ""},
		{"100000000001", collect.Skipped, "account state is SUSPENDED: only ACTIVE accounts are audited"},
		{"100000000002", collect.Skipped, "account state is CLOSED"},
		{"100000000003", collect.Skipped, "account state is PENDING_CLOSURE"},
		{"100000000004", collect.Skipped, "account state is SUSPENDED"},
		{"100000000005", collect.Collected, ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			res := got.results[tt.id]
			if res.Status != tt.wantStatus || (tt.wantErr != "" && (res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr))) {
				t.Errorf("account %s = %s (%v), want %s (%q)", tt.id, res.Status, res.Err, tt.wantStatus, tt.wantErr)
			}
			if tt.wantStatus == collect.Skipped && res.Report != nil {
				t.Errorf("skipped account %s has a report", tt.id)
			}
		})
	}
	for _, c := range srv.Calls() {
		if c.Action == "AssumeRole" && c.Target != "100000000005" && c.Target != "" {
			t.Errorf("AssumeRole into %s, which is not active", c.Target)
		}
	}
}

func TestFilters(t *testing.T) {
	// Synthetic accounts i live under: i%5 == 0 root, 1 prod, 2 prod/web, 3 dev, 4 sandbox.
	ids := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, strconv.Itoa(100000000000+i))
		}
		return out
	}
	tests := []struct {
		name     string
		opts     func(*awsorg.Options)
		want     []string
		wantFail []string // include-accounts that are not in the organization
	}{
		{"no filter", func(*awsorg.Options) {}, ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), nil},
		{"include accounts", func(o *awsorg.Options) { o.IncludeAccounts = ids(1, 7) }, ids(1, 7), nil},
		{"include an unknown account", func(o *awsorg.Options) { o.IncludeAccounts = append(ids(3), "999999999999") }, ids(3), []string{"999999999999"}},
		{"exclude accounts", func(o *awsorg.Options) { o.ExcludeAccounts = ids(0, 9) }, ids(1, 2, 3, 4, 5, 6, 7, 8), nil},
		{"include an OU and its children", func(o *awsorg.Options) { o.IncludeOUs = []string{"ou-synt-prod0000"} }, ids(1, 2, 6, 7), nil},
		{"include a nested OU", func(o *awsorg.Options) { o.IncludeOUs = []string{"ou-synt-prodweb0"} }, ids(2, 7), nil},
		{"include the root", func(o *awsorg.Options) { o.IncludeOUs = []string{"r-synt"} }, ids(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), nil},
		{"exclude an OU", func(o *awsorg.Options) { o.ExcludeOUs = []string{"ou-synt-prod0000", "ou-synt-sandbox0"} }, ids(0, 3, 5, 8), nil},
		{"include and exclude OUs", func(o *awsorg.Options) {
			o.IncludeOUs = []string{"ou-synt-prod0000"}
			o.ExcludeOUs = []string{"ou-synt-prodweb0"}
		}, ids(1, 6), nil},
		{"accounts and OUs", func(o *awsorg.Options) {
			o.IncludeOUs = []string{"ou-synt-dev00000"}
			o.ExcludeAccounts = ids(3)
		}, ids(8), nil},
	}
	wantOUs := map[string][]string{
		"100000000002": {"ou-synt-prodweb0", "ou-synt-prod0000"},
		"100000000003": {"ou-synt-dev00000"},
		"100000000000": nil,
	}
	for _, omitPaths := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/omit paths %v", tt.name, omitPaths), func(t *testing.T) {
				_, url := fake(t, awsfake.Synthetic(10, generatedTime), awsfake.Options{OmitPaths: omitPaths, ReportsReady: true})
				opts := fastOptions(awsorg.ModeOrg)
				tt.opts(&opts)
				got := run(t, url, mgmtCreds, opts)
				if got.err != nil {
					t.Fatal(got.err)
				}
				var collected, failed []string
				for id, res := range got.results {
					switch res.Status {
					case collect.Collected:
						collected = append(collected, id)
					default:
						failed = append(failed, id)
						if !strings.Contains(fmt.Sprint(res.Err), "is in include-accounts but not in the organization") {
							t.Errorf("account %s = %s (%v), want the not-in-organization error", id, res.Status, res.Err)
						}
					}
				}
				slices.Sort(collected)
				if !slices.Equal(collected, tt.want) || !slices.Equal(failed, tt.wantFail) {
					t.Errorf("collected %v, failed %v; want %v, %v", collected, failed, tt.want, tt.wantFail)
				}
				filtering := len(opts.IncludeOUs)+len(opts.ExcludeOUs) > 0
				for id, want := range wantOUs {
					res, ok := got.results[id]
					if !ok || (omitPaths && !filtering) {
						continue // OUs are only walked for when filters need them
					}
					if !slices.Equal(res.Account.OUs, want) {
						t.Errorf("account %s OUs = %v, want %v", id, res.Account.OUs, want)
					}
				}
			})
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name    string
		opts    awsorg.Options
		wantErr string
	}{
		{"defaults", awsorg.Options{}, ""},
		{"bad mode", awsorg.Options{Mode: "all"}, `mode "all"`},
		{"bad account", awsorg.Options{IncludeAccounts: []string{"12345"}}, `include-accounts: "12345" is not a 12-digit account ID`},
		{"bad OU", awsorg.Options{ExcludeOUs: []string{"prod"}}, `exclude-ous: "prod" is not an OU ID`},
		{"bad role", awsorg.Options{RoleName: "no spaces"}, `role name "no spaces"`},
		{"role with a path", awsorg.Options{RoleName: "audit/Reporter"}, ""},
		{"bad session", awsorg.Options{SessionName: "x"}, `session name "x"`},
		{"negative concurrency", awsorg.Options{Concurrency: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsorg.New(baseConfig("http://127.0.0.1:1", mgmtCreds), tt.opts)
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("New() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
