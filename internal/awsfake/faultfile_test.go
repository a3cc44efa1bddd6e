package awsfake_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/reporter-dev/reporter/internal/awsfake"
)

func TestParseFaultFile(t *testing.T) {
	const file = `# every kind of fault
accounts:
  "222222222222":
    AssumeRole: {error: AccessDenied, times: 2}
  333333333333:
    latency: 150ms
    GetCredentialReport: {html: 503, rate: 25%, malformed_csv: true}
    GenerateCredentialReport:
      in_progress: forever
      latency: 1s
  "444444444444":
    GenerateCredentialReport: {in_progress: 3}
    GetAccountPasswordPolicy: {error: Throttling, rate: 0.5}
  "111111111111":
    ListAccounts: {error: ServiceException, after_pages: 2}
`
	ff, err := awsfake.ParseFaultFile("f.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []awsfake.FaultEntry{
		{Account: "222222222222", Line: 3, Fault: awsfake.Fault{Actions: map[string]awsfake.ActionFault{"AssumeRole": {Error: "AccessDenied", Times: 2}}}},
		{Account: "333333333333", Line: 5, Fault: awsfake.Fault{Latency: 150 * time.Millisecond, MalformedReport: true, ReportStuck: true,
			Actions: map[string]awsfake.ActionFault{"GetCredentialReport": {HTML: 503, Rate: 0.25}, "GenerateCredentialReport": {Latency: time.Second}}}},
		{Account: "444444444444", Line: 11, Fault: awsfake.Fault{InProgressPolls: 3,
			Actions: map[string]awsfake.ActionFault{"GetAccountPasswordPolicy": {Error: "Throttling", Rate: 0.5}}}},
		{Account: "111111111111", Line: 14, Fault: awsfake.Fault{Actions: map[string]awsfake.ActionFault{"ListAccounts": {Error: "ServiceException", AfterPages: 2}}}},
	}
	if len(ff.Entries) != len(want) {
		t.Fatalf("ParseFaultFile() = %d entries, want %d", len(ff.Entries), len(want))
	}
	for i, e := range ff.Entries {
		w := want[i]
		if e.Account != w.Account || e.Line != w.Line || !reflect.DeepEqual(withoutActions(e.Fault), withoutActions(w.Fault)) || !maps.Equal(e.Fault.Actions, w.Fault.Actions) {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
	}
	org := testOrg()
	org.Accounts = org.Accounts[:3] // no 444444444444
	if err := ff.Apply(&org); err == nil || err.Error() != "f.yaml:11: account 444444444444 is not in the organization served" {
		t.Errorf("Apply() to an organization without 444444444444 = %v, want its line", err)
	}
}

func withoutActions(f awsfake.Fault) awsfake.Fault {
	f.Actions = nil
	return f
}

func TestParseFaultFileErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"empty", "", "f.yaml:1: empty fault file: want a mapping with the key accounts"},
		{"YAML syntax", "accounts:\n  a: b\n   c: d\n", "f.yaml:3: mapping values are not allowed in this context"},
		{"tab", "accounts:\n\t\"222222222222\": {}\n", "f.yaml:2: found character that cannot start any token"},
		{"unknown top-level key", "accounts: {}\nfaults: {}\n", `f.yaml:2:1: unknown key "faults" in the fault file (want one of accounts)`},
		{"not a mapping", "accounts: [222222222222]\n", "f.yaml:1:11: accounts: want a mapping, got a list"},
		{"bad account ID", "accounts:\n  \"2222\": {}\n", `f.yaml:2:3: account "2222": want a 12-digit account ID (quote it in YAML to keep leading zeros)`},
		{"duplicate account", "accounts:\n  \"222222222222\": {latency: 1s}\n  \"222222222222\": {latency: 2s}\n",
			`f.yaml:3:3: duplicate key "222222222222" in accounts (first on line 2)`},
		{"unknown action", "accounts:\n  \"222222222222\":\n    AssumeRoel: {error: AccessDenied}\n",
			`f.yaml:3:5: unknown key "AssumeRoel" in account 222222222222 (want one of latency, AssumeRole, DescribeOrganization, GenerateCredentialReport, GenerateServiceLastAccessedDetails, GetAccountAuthorizationDetails, GetAccountPasswordPolicy, GetAccountSummary, GetCallerIdentity, GetCredentialReport, GetServiceLastAccessedDetails, ListAccounts, ListAccountsForParent, ListChildren, ListParents, ListTagsForResource, ListUserTags, ListVirtualMFADevices)`},
		{"unknown fault key", "accounts:\n  \"222222222222\":\n    GetCredentialReport:\n      error: Throttling\n      tims: 3\n",
			`f.yaml:5:7: unknown key "tims" in account 222222222222 GetCredentialReport (want one of error, html, times, rate, after_pages, latency, malformed_csv)`},
		{"report key on another action", "accounts:\n  \"222222222222\":\n    GetCredentialReport: {in_progress: forever}\n",
			`f.yaml:3:27: unknown key "in_progress" in account 222222222222 GetCredentialReport (want one of error, html, times, rate, after_pages, latency, malformed_csv)`},
		{"duplicate fault key", "accounts:\n  \"222222222222\":\n    AssumeRole:\n      error: AccessDenied\n      error: Throttling\n",
			`f.yaml:5:7: duplicate key "error" in account 222222222222 AssumeRole (first on line 4)`},
		{"code of another service", "accounts:\n  \"111111111111\":\n    ListAccounts: {error: Throttling}\n",
			`f.yaml:3:19: account 111111111111 ListAccounts: error "Throttling" is not one ListAccounts answers (want one of AWSOrganizationsNotInUseException, AccessDeniedException, ServiceException, TooManyRequestsException)`},
		{"code of another action", "accounts:\n  \"222222222222\":\n    GetCredentialReport: {error: LimitExceeded}\n",
			`f.yaml:3:26: account 222222222222 GetCredentialReport: error "LimitExceeded" is not one GetCredentialReport answers (want one of AccessDenied, ReportExpired, ReportNotPresent, ServiceFailure, Throttling)`},
		{"HTML status", "accounts:\n  \"222222222222\":\n    AssumeRole: {html: 404}\n", "f.yaml:3:17: account 222222222222 AssumeRole: html status 404: want 502, 503 or 504"},
		{"error and html", "accounts:\n  \"222222222222\":\n    AssumeRole: {html: 502, error: AccessDenied}\n", "f.yaml:3:17: account 222222222222 AssumeRole: error and html are exclusive"},
		{"times without a fault", "accounts:\n  \"222222222222\":\n    AssumeRole: {times: 3}\n", "f.yaml:3:17: account 222222222222 AssumeRole: times, rate and after_pages need an error or html"},
		{"times and rate", "accounts:\n  \"222222222222\":\n    AssumeRole: {error: Throttling, times: 3, rate: 0.5}\n", "f.yaml:3:17: account 222222222222 AssumeRole: times and rate are exclusive"},
		{"zero times", "accounts:\n  \"222222222222\":\n    AssumeRole: {error: Throttling, times: 0}\n", "f.yaml:3:44: account 222222222222 AssumeRole: times 0: want at least 1 (leave times out for every call)"},
		{"rate above 1", "accounts:\n  \"222222222222\":\n    AssumeRole: {error: Throttling, rate: 150%}\n", `f.yaml:3:43: account 222222222222 AssumeRole: rate: want a fraction in (0, 1] such as 0.25, or a percentage such as 25%, got "150%"`},
		{"after_pages on an unpaginated action", "accounts:\n  \"111111111111\":\n    DescribeOrganization: {error: ServiceException, after_pages: 1}\n",
			"f.yaml:3:27: account 111111111111 DescribeOrganization: after_pages applies to ListAccounts, ListAccountsForParent, ListChildren, GetAccountAuthorizationDetails, ListVirtualMFADevices, GetServiceLastAccessedDetails, ListUserTags only"},
		{"bad latency", "accounts:\n  \"222222222222\":\n    latency: 5\n", `f.yaml:3:14: account 222222222222: latency: want a duration such as 250ms or 2s, or forever, got "5"`},
		{"bad in_progress", "accounts:\n  \"222222222222\":\n    GenerateCredentialReport: {in_progress: soon}\n",
			`f.yaml:3:45: account 222222222222 GenerateCredentialReport: in_progress (a number of polls, a duration or forever): want a duration such as 250ms or 2s, or forever, got "soon"`},
		{"empty action", "accounts:\n  \"222222222222\":\n    AssumeRole: {}\n", "f.yaml:3:17: account 222222222222 AssumeRole: no fault given (want one of error, html, times, rate, after_pages, latency)"},
		{"alias", "accounts:\n  \"222222222222\": &a {latency: 1s}\n  \"333333333333\": *a\n", "f.yaml:3:19: account 333333333333: aliases are not supported in a fault file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsfake.ParseFaultFile("f.yaml", []byte(tt.file))
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseFaultFile() = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestApplyOrganizationsFaultsToManagementOnly(t *testing.T) {
	ff, err := awsfake.ParseFaultFile("f.yaml", []byte("accounts:\n  \"222222222222\":\n    latency: 1s\n    ListAccounts: {error: ServiceException}\n"))
	if err != nil {
		t.Fatal(err)
	}
	org := testOrg()
	want := "f.yaml:4: account 222222222222: Organizations actions are answered by the management account (111111111111): put their faults under it"
	if err := ff.Apply(&org); err == nil || err.Error() != want {
		t.Errorf("Apply() = %v, want %s", err, want)
	}
}

// recorder keeps the last answer a server sent.
type recorder struct {
	h      http.Handler
	mu     sync.Mutex
	status int
	header http.Header
	body   string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	r.mu.Lock()
	r.status, r.header, r.body = rec.Code, rec.Header().Clone(), rec.Body.String()
	r.mu.Unlock()
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// TestFaultWireShapes checks the status, content type and body of each
// kind of injected answer, as the SDK's clients receive them.
func TestFaultWireShapes(t *testing.T) {
	const file = `accounts:
  "111111111111":
    GenerateCredentialReport: {error: LimitExceeded}
    GetCredentialReport: {error: ReportExpired}
    GetAccountPasswordPolicy: {error: ServiceFailure}
    ListAccounts: {error: TooManyRequestsException}
    DescribeOrganization: {error: ServiceException}
    ListChildren: {html: 503}
  "222222222222":
    AssumeRole: {error: AccessDenied, times: 1}
    GetCredentialReport: {html: 502}
`
	path := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	ff, err := awsfake.ReadFaultFile(path)
	if err != nil {
		t.Fatal(err)
	}
	org := testOrg()
	org.Accounts[1].Policy = org.Accounts[0].Policy
	if err := ff.Apply(&org); err != nil {
		t.Fatal(err)
	}
	srv, err := awsfake.New(org, awsfake.Options{ReportsReady: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: srv}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	ctx := context.Background()
	mgmt := cfg(ts.URL, mgmtCreds)
	iamc, orgc := iam.NewFromConfig(mgmt), organizations.NewFromConfig(mgmt)
	roleA := "arn:aws:iam::" + memberA + ":role/" + awsfake.DefaultRoleName
	assumeA := func() error {
		_, err := sts.NewFromConfig(mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleA), RoleSessionName: aws.String("s1")})
		return err
	}
	tests := []struct {
		name       string
		call       func() error
		wantCode   string // "" for an HTML page
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{"LimitExceeded", func() error { _, err := iamc.GenerateCredentialReport(ctx, nil); return err },
			"LimitExceeded", 409, "text/xml", "<Error><Type>Sender</Type><Code>LimitExceeded</Code>"},
		{"ReportExpired", func() error { _, err := iamc.GetCredentialReport(ctx, nil); return err },
			"ReportExpired", 410, "text/xml", "<Code>ReportExpired</Code><Message>Credential report has expired."},
		{"ServiceFailure", func() error { _, err := iamc.GetAccountPasswordPolicy(ctx, nil); return err },
			"ServiceFailure", 500, "text/xml", "<Error><Type>Receiver</Type><Code>ServiceFailure</Code>"},
		{"TooManyRequestsException", func() error { _, err := orgc.ListAccounts(ctx, nil); return err },
			"TooManyRequestsException", 400, "application/x-amz-json-1.1", `{"Message":"Rate exceeded","__type":"TooManyRequestsException"}`},
		{"ServiceException", func() error { _, err := orgc.DescribeOrganization(ctx, nil); return err },
			"ServiceException", 500, "application/x-amz-json-1.1", `"__type":"ServiceException"`},
		{"HTML page for Organizations", func() error {
			_, err := orgc.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String("r-fake"), ChildType: "ACCOUNT"})
			return err
		}, "", 503, "text/html", "<title>503 Service Unavailable</title>"},
		{"AccessDenied on AssumeRole", assumeA, "AccessDenied", 403, "text/xml",
			"<Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/awsfake-admin is not authorized to perform: sts:AssumeRole on resource: " + roleA + "</Message>"},
		{"AssumeRole once denied, then granted", assumeA, "-", 200, "text/xml", "<AssumeRoleResult>"},
		{"HTML page for IAM", func() error {
			_, err := iam.NewFromConfig(cfg(ts.URL, assume(t, ts.URL, memberA))).GetCredentialReport(ctx, nil)
			return err
		}, "", 502, "text/html", "<h1>502 Bad Gateway</h1>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			switch tt.wantCode {
			case "-":
				if err != nil {
					t.Errorf("call = %v, want success", err)
				}
			case "":
				if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("StatusCode: %d", tt.wantStatus)) {
					t.Errorf("call = %v, want an error", err)
				}
			default:
				if got := code(t, err); got != tt.wantCode {
					t.Errorf("call code = %q (%v), want %q", got, err, tt.wantCode)
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if rec.status != tt.wantStatus || rec.header.Get("Content-Type") != tt.wantType || !strings.Contains(rec.body, tt.wantBody) {
				t.Errorf("answer = %d %s %q, want %d %s containing %q", rec.status, rec.header.Get("Content-Type"), rec.body, tt.wantStatus, tt.wantType, tt.wantBody)
			}
		})
	}
}
