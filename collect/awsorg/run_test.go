package awsorg_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

func TestCredentialsPerAccount(t *testing.T) {
	srv, url := fake(t, smallOrg(8), awsfake.Options{ExternalID: "ext-42"})
	opts := fastOptions(awsorg.ModeOrg)
	opts.ExternalID = "ext-42"
	got := run(t, url, mgmtCreds, opts)
	if got.err != nil {
		t.Fatal(got.err)
	}
	for id, res := range got.results {
		if res.Status != collect.Collected {
			t.Errorf("account %s = %s (%v), want collected", id, res.Status, res.Err)
		}
	}
	assumed := map[string]int{}
	for _, c := range srv.Calls() {
		switch {
		case c.Error != "" && c.Error != "NoSuchEntity": // no password policy is an answer
			t.Errorf("call %+v failed", c)
		case c.Action == "AssumeRole":
			assumed[c.Target]++
			if c.AccessKeyID != awsfake.DefaultAccessKeyID || c.Session != awsorg.DefaultSessionName {
				t.Errorf("AssumeRole into %s signed by %s with session %q, want the base key and %q", c.Target, c.AccessKeyID, c.Session, awsorg.DefaultSessionName)
			}
		case c.Service == "iam" && c.Caller == mgmt:
			if c.AccessKeyID != awsfake.DefaultAccessKeyID {
				t.Errorf("IAM %s of the management account signed by %s, want the base credentials", c.Action, c.AccessKeyID)
			}
		case c.Service == "iam":
			if !strings.HasPrefix(c.AccessKeyID, "ASIA") {
				t.Errorf("IAM %s of account %s signed by %s, want a session of that account", c.Action, c.Caller, c.AccessKeyID)
			}
		}
	}
	if assumed[mgmt] != 0 || len(assumed) != 7 {
		t.Errorf("AssumeRole calls per account = %v, want one into each of the 7 members and none into the management account", assumed)
	}
	for id, n := range assumed {
		if n != 1 {
			t.Errorf("AssumeRole into %s called %d times, want once (credentials are cached)", id, n)
		}
	}
}

func TestAccountMode(t *testing.T) {
	srv, url := fake(t, smallOrg(3), awsfake.Options{ReportsReady: true})
	out, err := sts.NewFromConfig(baseConfig(url, mgmtCreds)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + other + ":role/" + awsfake.DefaultRoleName), RoleSessionName: aws.String("someone"),
	})
	if err != nil {
		t.Fatal(err)
	}
	session := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	tests := []struct {
		name  string
		creds aws.Credentials
		want  string
	}{
		{"management credentials", mgmtCreds, mgmt},
		{"a member's session", session, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Calls())
			got := run(t, url, tt.creds, fastOptions(awsorg.ModeAccount))
			if got.err != nil {
				t.Fatal(got.err)
			}
			if res := got.results[tt.want]; len(got.results) != 1 || res.Status != collect.Collected || string(res.Report) != string(csvOf(tt.want)) {
				t.Errorf("Collect() = %d results, %s: %s (%v); want only %s collected", len(got.results), tt.want, res.Status, res.Err, tt.want)
			}
			for _, c := range srv.Calls()[before:] {
				if c.Service == "organizations" || c.Action == "AssumeRole" {
					t.Errorf("account mode called %s %s", c.Service, c.Action)
				}
			}
		})
	}
}

func TestListingFailures(t *testing.T) {
	org := smallOrg(3)
	tests := []struct {
		name    string
		fault   awsfake.Fault
		creds   func(t *testing.T, url string) aws.Credentials
		wantErr string
	}{
		{
			name:    "not the management account",
			creds:   memberSession,
			wantErr: "account " + member + ": organizations:DescribeOrganization: AccessDeniedException: You don't have permissions to access this resource.",
		},
		{
			name:    "ListAccounts throttled past the attempt limit",
			fault:   awsfake.Fault{Throttle: map[string]int{"ListAccounts": 100}},
			creds:   func(*testing.T, string) aws.Credentials { return mgmtCreds },
			wantErr: "organizations:ListAccounts: TooManyRequestsException: Rate exceeded (after 8 attempts",
		},
		{
			name: "unknown credentials",
			creds: func(*testing.T, string) aws.Credentials {
				return aws.Credentials{AccessKeyID: "AKIANOBODY0000000000", SecretAccessKey: "x"}
			},
			wantErr: "identify the AWS credentials: sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org.Accounts[0].Fault = tt.fault
			_, url := fake(t, org, awsfake.Options{})
			got := run(t, url, tt.creds(t, url), fastOptions(awsorg.ModeOrg))
			if got.err == nil || !strings.Contains(got.err.Error(), tt.wantErr) {
				t.Errorf("Collect() = %v, want an error containing %q", got.err, tt.wantErr)
			}
			if len(got.results) != 0 {
				t.Errorf("Collect() yielded %d accounts, want none", len(got.results))
			}
		})
	}
}

// memberSession assumes the role into the member account.
func memberSession(t *testing.T, url string) aws.Credentials {
	out, err := sts.NewFromConfig(baseConfig(url, mgmtCreds)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/" + awsfake.DefaultRoleName), RoleSessionName: aws.String("test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
}

func TestRunTimeout(t *testing.T) {
	t.Parallel() // it waits for its deadline
	org := smallOrg(12)
	slow := map[string]bool{}
	for _, i := range []int{3, 7, 11} {
		org.Accounts[i].Fault = awsfake.Fault{Latency: awsfake.Forever}
		slow[org.Accounts[i].ID] = true
	}
	_, url := fake(t, org, awsfake.Options{ReportsReady: true})
	opts := fastOptions(awsorg.ModeOrg)
	// The slow accounts hold 3 of the 4 workers until the run timeout; the
	// 9 others, one at a time on the last worker, must finish before it.
	opts.RunTimeout, opts.AccountTimeout, opts.Concurrency = deadline, time.Hour, 4
	got := run(t, url, mgmtCreds, opts)
	if !errors.Is(got.err, awsorg.ErrRunTimeout) {
		t.Errorf("Collect() = %v, want ErrRunTimeout", got.err)
	}
	if len(got.results) != 12 {
		t.Fatalf("Collect() yielded %d accounts, want all 12", len(got.results))
	}
	for id, res := range got.results {
		switch {
		case slow[id]:
			if res.Status != collect.Failed || !errors.Is(res.Err, awsorg.ErrRunTimeout) || !strings.Contains(res.Err.Error(), "account "+id+": sts:AssumeRole") {
				t.Errorf("slow account %s = %s (%v), want failed on sts:AssumeRole by the run timeout", id, res.Status, res.Err)
			}
		case res.Status != collect.Collected:
			t.Errorf("account %s = %s (%v), want collected", id, res.Status, res.Err)
		}
	}
}

func TestConcurrencyBound(t *testing.T) {
	org := smallOrg(12)
	for i := range org.Accounts {
		org.Accounts[i].Fault = awsfake.Fault{Latency: 5 * time.Millisecond}
	}
	srv, err := awsfake.New(org, awsfake.Options{ReportsReady: true})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	inFlight, peak := 0, 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		srv.ServeHTTP(w, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	opts := fastOptions(awsorg.ModeOrg)
	opts.Concurrency = 3
	got := run(t, ts.URL, mgmtCreds, opts)
	if got.err != nil || len(got.results) != 12 {
		t.Fatalf("Collect() = %d accounts, %v; want 12, nil", len(got.results), got.err)
	}
	// Each account makes one request at a time.
	if peak > opts.Concurrency {
		t.Errorf("peak requests in flight = %d, want at most %d", peak, opts.Concurrency)
	}
}

func TestSinkError(t *testing.T) {
	_, url := fake(t, smallOrg(30), awsfake.Options{ReportsReady: true})
	src, err := awsorg.New(baseConfig(url, mgmtCreds), fastOptions(awsorg.ModeOrg))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("disk full")
	calls := 0
	err = src.Collect(context.Background(), func(collect.AccountResult) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Collect() = %v after %d sink calls, want %v after 1", err, calls, stop)
	}
}

func TestNoSecretsInLogsOrErrors(t *testing.T) {
	org := smallOrg(4)
	org.Accounts[1].Fault = awsfake.Fault{DenyAssumeRole: true}
	org.Accounts[2].Fault = awsfake.Fault{Throttle: map[string]int{"GetCredentialReport": 100}}
	srv, url := fake(t, org, awsfake.Options{})
	got := run(t, url, mgmtCreds, fastOptions(awsorg.ModeOrg))
	var text strings.Builder
	text.WriteString(got.log)
	for _, res := range got.results {
		if res.Err != nil {
			text.WriteString(res.Err.Error())
		}
	}
	secrets := []string{awsfake.DefaultSecretAccessKey, "FwoGZXIvYXdzfake"} // the base secret and the prefix of every session token
	for _, c := range srv.Calls() {
		if strings.HasPrefix(c.AccessKeyID, "ASIA") {
			secrets = append(secrets, c.AccessKeyID)
		}
	}
	if len(secrets) < 3 {
		t.Fatalf("no session was issued; the test checks nothing")
	}
	for _, s := range secrets {
		if strings.Contains(text.String(), s) {
			t.Errorf("logs or errors contain the secret %q:\n%s", s, text.String())
		}
	}
}
