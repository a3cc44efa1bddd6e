package awsorg_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// TestPolicyReadWhileReportInProgress checks the order of one member's IAM
// calls: the password policy and the posture inputs are read while the
// report is generated, not after it, one call at a time, and not at all
// once the account has failed.
func TestPolicyReadWhileReportInProgress(t *testing.T) {
	tests := []struct {
		name       string
		fault      awsfake.Fault
		ready      bool
		opts       func(*awsorg.Options)
		wantCalls  []string // "Action" or "Action STATE", retries included
		wantStatus collect.Status
		wantErr    string
	}{
		{
			name: "in progress", fault: awsfake.Fault{InProgressPolls: 2}, wantStatus: collect.Collected,
			wantCalls: []string{
				"GenerateCredentialReport STARTED", "GetAccountPasswordPolicy", "GetAccountAuthorizationDetails", "GetAccountSummary", "ListVirtualMFADevices",
				"GenerateCredentialReport INPROGRESS", "GenerateCredentialReport INPROGRESS", "GenerateCredentialReport COMPLETE",
				"GetCredentialReport",
			},
		},
		{
			name: "ready at once", ready: true, wantStatus: collect.Collected,
			wantCalls: []string{"GenerateCredentialReport COMPLETE", "GetCredentialReport", "GetAccountPasswordPolicy", "GetAccountAuthorizationDetails", "GetAccountSummary", "ListVirtualMFADevices"},
		},
		{
			name: "expired, generated again", fault: awsfake.Fault{ExpireReport: 1}, wantStatus: collect.Collected,
			wantCalls: []string{
				"GenerateCredentialReport STARTED", "GetAccountPasswordPolicy", "GetAccountAuthorizationDetails", "GetAccountSummary", "ListVirtualMFADevices", "GenerateCredentialReport COMPLETE", "GetCredentialReport",
				"GenerateCredentialReport STARTED", "GenerateCredentialReport COMPLETE", "GetCredentialReport",
			},
		},
		{
			name: "policy read fails while waiting", fault: awsfake.Fault{InProgressPolls: 2, Throttle: map[string]int{"GetAccountPasswordPolicy": 10}},
			opts:       func(o *awsorg.Options) { o.MaxAttempts = 2 },
			wantStatus: collect.Failed, wantErr: "account " + member + ": iam:GetAccountPasswordPolicy: Throttling: Rate exceeded (after 2 attempts",
			wantCalls: []string{"GenerateCredentialReport STARTED", "GetAccountPasswordPolicy", "GetAccountPasswordPolicy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := smallOrg(2)
			org.Accounts[1].Fault = tt.fault
			org.Accounts[1].Policy = passwordpolicy.Result{State: passwordpolicy.Absent}
			srv, url := fake(t, org, awsfake.Options{ReportsReady: tt.ready})
			opts := fastOptions(awsorg.ModeOrg)
			if tt.opts != nil {
				tt.opts(&opts)
			}
			got := run(t, url, mgmtCreds, opts)
			if got.err != nil {
				t.Fatal(got.err)
			}
			res := got.results[member]
			if res.Status != tt.wantStatus || (tt.wantErr == "") != (res.Err == nil) || (res.Err != nil && !strings.Contains(res.Err.Error(), tt.wantErr)) {
				t.Errorf("member = %s (%v), want %s (%q)", res.Status, res.Err, tt.wantStatus, tt.wantErr)
			}
			if res.Status == collect.Collected && (!slices.Equal(res.Report, csvOf(member)) || res.Policy.State != passwordpolicy.Absent) {
				t.Errorf("member report %q, policy %s; want its report and %s", res.Report, res.Policy.State, passwordpolicy.Absent)
			}
			var calls []string
			for _, c := range srv.Calls() {
				if c.Service == "iam" && c.Caller == member {
					calls = append(calls, strings.TrimSpace(c.Action+" "+c.ReportState))
				}
			}
			if !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("member IAM calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(tt.wantCalls, "\n"))
			}
		})
	}
}

// TestConnectionsPooled checks that the accounts share one connection
// pool sized for the concurrency: the SDK would otherwise give every
// per-account IAM client a transport, and so connections, of its own.
func TestConnectionsPooled(t *testing.T) {
	const accounts, concurrency = 60, 12 // above the SDK's 10 idle connections per host
	org := smallOrg(accounts)
	for i := range org.Accounts {
		org.Accounts[i].Fault = awsfake.Fault{Latency: 2 * time.Millisecond}
	}
	srv, err := awsfake.New(org, awsfake.Options{ReportsReady: true, GeneratedTime: generatedTime})
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int64
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	opts := fastOptions(awsorg.ModeOrg)
	opts.Concurrency = concurrency
	got := run(t, ts.URL, mgmtCreds, opts)
	if got.err != nil || len(got.results) != accounts {
		t.Fatalf("Collect() = %d accounts, %v; want %d, nil", len(got.results), got.err, accounts)
	}
	// One pool for IAM and Organizations, one for STS: each needs at most
	// a connection per account in flight, and one or two when racing.
	if n := opened.Load(); n > 2*concurrency+4 {
		t.Errorf("%d connections opened for %d accounts, %d at a time; want at most %d", n, accounts, concurrency, 2*concurrency+4)
	}
}

// TestResultsNotHeldForTheListing lists the organization's last page only
// once sink has received more results than the old bound on held results
// (4 × concurrency, plus the workers'), so it passes only if results reach
// sink while the listing goes on. At every result, the accounts the fake
// has answered their last call minus the results sink has taken are at
// most the concurrency: a finished account waits in its worker, never in
// a buffer, so the memory of the results waiting for sink does not grow
// with the organization. Deterministic: it waits on events, not times.
func TestResultsNotHeldForTheListing(t *testing.T) {
	const accounts, concurrency = 60, 2
	const before = 5*concurrency + 1 // results sink takes before the last page
	org := smallOrg(accounts)
	srv, err := awsfake.New(org, awsfake.Options{ReportsReady: true, GeneratedTime: generatedTime})
	if err != nil {
		t.Fatal(err)
	}
	const pages = accounts / 20
	var listed atomic.Int64
	enough, stop := make(chan struct{}), make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListAccounts") && listed.Add(1) == pages {
			select {
			case <-enough:
			case <-r.Context().Done():
				return
			case <-stop: // the run failed: let the server close
				return
			}
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(stop) }) // runs first
	opts := fastOptions(awsorg.ModeOrg)
	opts.Concurrency = concurrency
	src, err := awsorg.New(baseConfig(ts.URL, mgmtCreds), opts)
	if err != nil {
		t.Fatal(err)
	}
	// finished counts the accounts whose last call (the virtual MFA
	// devices, read after the ready report) the fake has answered.
	finished := func() int {
		n := 0
		for _, c := range srv.Calls() {
			if c.Action == "ListVirtualMFADevices" {
				n++
			}
		}
		return n
	}
	yielded, expectedAtFirst, maxWaiting := 0, -1, 0
	err = src.Collect(context.Background(), func(res collect.AccountResult) error {
		if yielded == 0 {
			expectedAtFirst = src.Expected()
		}
		// This result and those still in the workers.
		maxWaiting = max(maxWaiting, finished()-yielded)
		yielded++
		if yielded == before {
			close(enough)
		}
		if res.Status != collect.Collected || len(res.Posture.Evidence) == 0 {
			t.Errorf("account %s = %s (%v) with %d evidence files, want collected with its posture pages", res.Account.ID, res.Status, res.Err, len(res.Posture.Evidence))
		}
		return nil
	})
	if err != nil || yielded != accounts {
		t.Fatalf("Collect() = %v after %d results, want nil after %d (a result held until the listing ends blocks the last page until the run times out)", err, yielded, accounts)
	}
	if got := listed.Load(); got != pages {
		t.Errorf("%d ListAccounts pages read, want %d", got, pages)
	}
	if expectedAtFirst != 0 {
		t.Errorf("Expected() at the first result = %d, want 0: the organization was not listed yet", expectedAtFirst)
	}
	if got := src.Expected(); got != accounts {
		t.Errorf("Expected() after the run = %d, want %d", got, accounts)
	}
	if maxWaiting == 0 || maxWaiting > concurrency+1 {
		t.Errorf("at most %d finished accounts waited for sink (with the one it was given), want 1 to %d (one per worker)", maxWaiting, concurrency+1)
	}
}

// TestListingFailsOnALaterPage fails the third page of the listing after
// the accounts of the first pages have started: Collect returns the
// error; the accounts it yielded before are of the first pages and were
// collected (the ones cancelled by the failure are not yielded).
func TestListingFailsOnALaterPage(t *testing.T) {
	srv, err := awsfake.New(smallOrg(100), awsfake.Options{ReportsReady: true, GeneratedTime: generatedTime})
	if err != nil {
		t.Fatal(err)
	}
	var pages atomic.Int64
	assumed := make(chan struct{}) // closed once an account of the first pages has started
	var once sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".ListAccounts") && pages.Add(1) == 3 {
			select {
			case <-assumed:
			case <-r.Context().Done():
				return
			}
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"AccessDeniedException","Message":"You don't have permissions to access this resource."}`))
			return
		}
		srv.ServeHTTP(w, r)
		if slices.ContainsFunc(srv.Calls(), func(c awsfake.Call) bool { return c.Action == "AssumeRole" }) {
			once.Do(func() { close(assumed) })
		}
	}))
	t.Cleanup(ts.Close)
	got := run(t, ts.URL, mgmtCreds, fastOptions(awsorg.ModeOrg))
	if want := "organizations:ListAccounts: AccessDeniedException"; got.err == nil || !strings.Contains(got.err.Error(), want) {
		t.Errorf("Collect() = %v, want an error containing %q", got.err, want)
	}
	firstPages := map[string]bool{}
	for _, a := range smallOrg(100).Accounts[:40] {
		firstPages[a.ID] = true
	}
	for id, res := range got.results {
		if !firstPages[id] || res.Status != collect.Collected {
			t.Errorf("account %s yielded as %s (%v), want only collected accounts of the first two pages", id, res.Status, res.Err)
		}
	}
	if !slices.ContainsFunc(srv.Calls(), func(c awsfake.Call) bool { return c.Action == "AssumeRole" }) {
		t.Error("no account was started during the listing; the test checks nothing")
	}
}
