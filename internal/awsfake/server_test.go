package awsfake_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

const (
	mgmtID    = "111111111111"
	memberA   = "222222222222"
	memberB   = "333333333333"
	suspended = "444444444444"
)

// testOrg has a management account, two members and a suspended account.
func testOrg() awsfake.Org {
	report := func(id string) []byte {
		return []byte("user,arn\n<root_account>,arn:aws:iam::" + id + ":root\n")
	}
	return awsfake.Org{
		OUs: []awsfake.OU{{ID: "ou-fake-11111111", Name: "prod"}},
		Accounts: []awsfake.Account{
			{ID: mgmtID, Name: "mgmt", Report: report(mgmtID), Policy: passwordpolicy.Result{State: passwordpolicy.Absent}},
			{ID: memberA, Name: "a", Parent: "ou-fake-11111111", Report: report(memberA)},
			{ID: memberB, Name: "b", Report: report(memberB), Policy: passwordpolicy.Result{State: passwordpolicy.Present,
				Policy: passwordpolicy.Policy{MinimumPasswordLength: ptr(14), RequireSymbols: true}}},
			{ID: suspended, Name: "gone", State: "SUSPENDED", Report: report(suspended)},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// start serves org on a test server and returns it with its URL.
func start(t *testing.T, org awsfake.Org, opts awsfake.Options) (*awsfake.Server, string) {
	t.Helper()
	srv, err := awsfake.New(org, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// cfg returns an SDK configuration for url with static credentials and no retries.
func cfg(url string, creds aws.Credentials) aws.Config {
	return aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

var mgmtCreds = aws.Credentials{AccessKeyID: awsfake.DefaultAccessKeyID, SecretAccessKey: awsfake.DefaultSecretAccessKey}

// assume returns session credentials for the default role in account.
func assume(t *testing.T, url, account string) aws.Credentials {
	t.Helper()
	out, err := sts.NewFromConfig(cfg(url, mgmtCreds)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + account + ":role/" + awsfake.DefaultRoleName),
		RoleSessionName: aws.String("test-session"),
	})
	if err != nil {
		t.Fatalf("AssumeRole(%s) = %v", account, err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || c.Expiration.Year() < 2090 {
		t.Errorf("AssumeRole(%s) credentials = %s expiring %v, want ASIA… far in the future", account, *c.AccessKeyId, c.Expiration)
	}
	return aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
}

// code returns the AWS error code of err, "" for nil.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	return apiErr.ErrorCode()
}

func TestSigV4(t *testing.T) {
	_, url := start(t, testOrg(), awsfake.Options{})
	a, b := assume(t, url, memberA), assume(t, url, memberB)
	tests := []struct {
		name        string
		creds       aws.Credentials
		wantCode    string
		wantAccount string
	}{
		{"management key pair", mgmtCreds, "", mgmtID},
		{"session of A", a, "", memberA},
		{"session of B", b, "", memberB},
		{"wrong secret", aws.Credentials{AccessKeyID: awsfake.DefaultAccessKeyID, SecretAccessKey: "nope"}, "SignatureDoesNotMatch", ""},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"}, "InvalidClientTokenId", ""},
		{"A's key with B's token", aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey, SessionToken: b.SessionToken}, "InvalidClientTokenId", ""},
		{"A's key with B's secret", aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: b.SecretAccessKey, SessionToken: a.SessionToken}, "SignatureDoesNotMatch", ""},
		{"A's key without its token", aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey}, "InvalidClientTokenId", ""},
		{"management key with A's token", aws.Credentials{AccessKeyID: mgmtCreds.AccessKeyID, SecretAccessKey: mgmtCreds.SecretAccessKey, SessionToken: a.SessionToken}, "InvalidClientTokenId", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			out, err := sts.NewFromConfig(cfg(url, tt.creds)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if got := code(t, err); got != tt.wantCode {
				t.Fatalf("GetCallerIdentity() error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if err == nil && *out.Account != tt.wantAccount {
				t.Errorf("GetCallerIdentity() account = %s, want %s", *out.Account, tt.wantAccount)
			}
			// IAM answers for the account of the credentials, or refuses them alike.
			_, err = iam.NewFromConfig(cfg(url, tt.creds)).GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
			if got := code(t, err); got != tt.wantCode {
				t.Errorf("GenerateCredentialReport() error code = %q (%v), want %q", got, err, tt.wantCode)
			}
		})
	}
}

func TestSessionCannotCrossAccounts(t *testing.T) {
	_, url := start(t, testOrg(), awsfake.Options{})
	a := assume(t, url, memberA)
	ctx := context.Background()

	_, err := sts.NewFromConfig(cfg(url, a)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + memberB + ":role/" + awsfake.DefaultRoleName), RoleSessionName: aws.String("chain"),
	})
	if got := code(t, err); got != "AccessDenied" {
		t.Errorf("AssumeRole into B with A's session: code %q (%v), want AccessDenied", got, err)
	}
	_, err = organizations.NewFromConfig(cfg(url, a)).ListAccounts(ctx, &organizations.ListAccountsInput{})
	if got := code(t, err); got != "AccessDeniedException" {
		t.Errorf("ListAccounts with A's session: code %q (%v), want AccessDeniedException", got, err)
	}
	_, err = organizations.NewFromConfig(cfg(url, aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"})).
		ListAccounts(ctx, &organizations.ListAccountsInput{})
	if got := code(t, err); got != "UnrecognizedClientException" {
		t.Errorf("ListAccounts with an unknown key: code %q (%v), want UnrecognizedClientException", got, err)
	}
}

// TestSignatureCoversBody signs a request, then changes its body.
func TestSignatureCoversBody(t *testing.T) {
	_, url := start(t, testOrg(), awsfake.Options{})
	tests := []struct {
		name     string
		tamper   func(r *http.Request)
		wantCode int
	}{
		{"untouched", func(*http.Request) {}, http.StatusOK},
		{"body changed", func(r *http.Request) {
			body := "Action=GetCallerIdentity&Version=2011-06-15&X=1"
			r.Body, r.ContentLength = ioNopCloser(body), int64(len(body))
		}, http.StatusForbidden},
		{"signed header changed", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, http.StatusForbidden},
		{"no signature", func(r *http.Request) { r.Header.Del("Authorization") }, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "Action=GetCallerIdentity&Version=2011-06-15"
			req, err := http.NewRequest(http.MethodPost, url+"/", ioNopCloser(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sum := sha256.Sum256([]byte(body))
			if err := v4.NewSigner().SignHTTP(context.Background(), mgmtCreds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			tt.tamper(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
		})
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func ioNopCloser(s string) nopCloser { return nopCloser{bytes.NewReader([]byte(s))} }

func TestAssumeRole(t *testing.T) {
	tests := []struct {
		name     string
		opts     awsfake.Options
		fault    awsfake.Fault
		account  string
		role     string
		external string
		wantCode string
	}{
		{name: "member", account: memberA, role: awsfake.DefaultRoleName},
		{name: "wrong role", account: memberA, role: "Other", wantCode: "AccessDenied"},
		{name: "management account has no role", account: mgmtID, role: awsfake.DefaultRoleName, wantCode: "AccessDenied"},
		{name: "not in the organization", account: "999999999999", role: awsfake.DefaultRoleName, wantCode: "AccessDenied"},
		{name: "suspended", account: suspended, role: awsfake.DefaultRoleName, wantCode: "AccessDenied"},
		{name: "denied by fault", account: memberA, role: awsfake.DefaultRoleName, fault: awsfake.Fault{DenyAssumeRole: true}, wantCode: "AccessDenied"},
		{name: "throttled", account: memberA, role: awsfake.DefaultRoleName, fault: awsfake.Fault{Throttle: map[string]int{"AssumeRole": 1}}, wantCode: "Throttling"},
		{name: "external ID given", opts: awsfake.Options{ExternalID: "ext-1"}, account: memberA, role: awsfake.DefaultRoleName, external: "ext-1"},
		{name: "external ID missing", opts: awsfake.Options{ExternalID: "ext-1"}, account: memberA, role: awsfake.DefaultRoleName, wantCode: "AccessDenied"},
		{name: "custom role", opts: awsfake.Options{RoleName: "audit/Reporter"}, account: memberA, role: "audit/Reporter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := start(t, testOrg(), tt.opts)
			if tt.account == memberA {
				if err := srv.SetFault(memberA, tt.fault); err != nil {
					t.Fatal(err)
				}
			}
			in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + tt.account + ":role/" + tt.role), RoleSessionName: aws.String("s1")}
			if tt.external != "" {
				in.ExternalId = aws.String(tt.external)
			}
			_, err := sts.NewFromConfig(cfg(url, mgmtCreds)).AssumeRole(context.Background(), in)
			if got := code(t, err); got != tt.wantCode {
				t.Errorf("AssumeRole() code = %q (%v), want %q", got, err, tt.wantCode)
			}
			calls := srv.Calls()
			if last := calls[len(calls)-1]; last.Target != tt.account || last.Session != "s1" || last.Error != tt.wantCode {
				t.Errorf("last call = %+v, want target %s, session s1, error %q", last, tt.account, tt.wantCode)
			}
		})
	}
}

// step is one IAM call and what it must answer.
type step struct {
	op        string // generate, get, policy
	wantState iamtypes.ReportStateType
	wantCode  string
}

func TestIAMReportLifecycle(t *testing.T) {
	tests := []struct {
		name  string
		fault awsfake.Fault
		steps []step
	}{
		{"not generated", awsfake.Fault{}, []step{{op: "get", wantCode: "ReportNotPresent"}, {op: "generate", wantState: "STARTED"}, {op: "get"}}},
		{"quick", awsfake.Fault{}, []step{{op: "generate", wantState: "STARTED"}, {op: "generate", wantState: "COMPLETE"}, {op: "get"}, {op: "generate", wantState: "COMPLETE"}}},
		{"in progress for 2 polls", awsfake.Fault{InProgressPolls: 2}, []step{
			{op: "generate", wantState: "STARTED"}, {op: "generate", wantState: "INPROGRESS"},
			{op: "get", wantCode: "ReportInProgress"}, {op: "get"},
		}},
		{"in progress for an hour", awsfake.Fault{InProgressFor: time.Hour}, []step{
			{op: "generate", wantState: "STARTED"}, {op: "generate", wantState: "INPROGRESS"}, {op: "get", wantCode: "ReportInProgress"},
		}},
		{"expired once", awsfake.Fault{ExpireReport: 1}, []step{
			{op: "generate", wantState: "STARTED"}, {op: "get", wantCode: "ReportExpired"}, {op: "get", wantCode: "ReportNotPresent"},
			{op: "generate", wantState: "STARTED"}, {op: "get"},
		}},
		{"limit exceeded twice", awsfake.Fault{LimitExceeded: 2}, []step{
			{op: "generate", wantCode: "LimitExceeded"}, {op: "generate", wantCode: "LimitExceeded"}, {op: "generate", wantState: "STARTED"},
		}},
		{"throttled", awsfake.Fault{Throttle: map[string]int{"GetCredentialReport": 1, "GetAccountPasswordPolicy": 1}}, []step{
			{op: "generate", wantState: "STARTED"}, {op: "get", wantCode: "Throttling"}, {op: "get"},
			{op: "policy", wantCode: "Throttling"}, {op: "policy", wantCode: "AccessDenied"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := start(t, testOrg(), awsfake.Options{})
			if err := srv.SetFault(memberA, tt.fault); err != nil {
				t.Fatal(err)
			}
			client := iam.NewFromConfig(cfg(url, assume(t, url, memberA)))
			ctx := context.Background()
			for i, st := range tt.steps {
				var err error
				var state iamtypes.ReportStateType
				switch st.op {
				case "generate":
					var out *iam.GenerateCredentialReportOutput
					if out, err = client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}); err == nil {
						state = out.State
					}
				case "get":
					var out *iam.GetCredentialReportOutput
					if out, err = client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); err == nil {
						if want := testOrg().Accounts[1].Report; !bytes.Equal(out.Content, want) || out.GeneratedTime == nil {
							t.Errorf("step %d: report = %q at %v, want %q with a GeneratedTime", i, out.Content, out.GeneratedTime, want)
						}
					}
				case "policy":
					_, err = client.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
				}
				if got := code(t, err); got != st.wantCode || state != st.wantState {
					t.Fatalf("step %d (%s) = state %q, code %q (%v); want state %q, code %q", i, st.op, state, got, err, st.wantState, st.wantCode)
				}
			}
			// The call log records the state each GenerateCredentialReport answered.
			var logged, want []string
			for _, c := range srv.Calls() {
				if c.Action == "GenerateCredentialReport" {
					logged = append(logged, c.ReportState)
				} else if c.ReportState != "" {
					t.Errorf("%s call logged with report state %q, want none", c.Action, c.ReportState)
				}
			}
			for _, st := range tt.steps {
				if st.op == "generate" {
					want = append(want, string(st.wantState))
				}
			}
			if !slices.Equal(logged, want) {
				t.Errorf("GenerateCredentialReport calls logged with states %q, want %q", logged, want)
			}
		})
	}
}

func TestPasswordPolicy(t *testing.T) {
	_, url := start(t, testOrg(), awsfake.Options{})
	tests := []struct {
		name     string
		creds    aws.Credentials
		wantCode string
		wantLen  int32
	}{
		{"absent", mgmtCreds, "NoSuchEntity", 0},
		{"not readable", assume(t, url, memberA), "AccessDenied", 0},
		{"present", assume(t, url, memberB), "", 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := iam.NewFromConfig(cfg(url, tt.creds)).GetAccountPasswordPolicy(context.Background(), &iam.GetAccountPasswordPolicyInput{})
			if got := code(t, err); got != tt.wantCode {
				t.Fatalf("GetAccountPasswordPolicy() code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if err == nil && (aws.ToInt32(out.PasswordPolicy.MinimumPasswordLength) != tt.wantLen || !out.PasswordPolicy.RequireSymbols) {
				t.Errorf("policy = %+v, want length %d with symbols", out.PasswordPolicy, tt.wantLen)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	srv, url := start(t, testOrg(), awsfake.Options{})
	if err := srv.SetFault(mgmtID, awsfake.Fault{Latency: awsfake.Forever}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := iam.NewFromConfig(cfg(url, mgmtCreds)).GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GenerateCredentialReport() that never answers = %v, want the context deadline", err)
	}
}
