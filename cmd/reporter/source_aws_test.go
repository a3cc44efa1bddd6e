package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/awsfake"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// awsEndpointEnv points the SDK at url with the fake's management key
// pair, and keeps the host's AWS configuration out of the test.
func awsEndpointEnv(t *testing.T, url string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": url, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": awsfake.DefaultAccessKeyID, "AWS_SECRET_ACCESS_KEY": awsfake.DefaultSecretAccessKey,
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
		"REPORTER_SOURCE": "",
	} {
		t.Setenv(k, v)
	}
}

// sampleFake serves the built-in sample organization.
func sampleFake(t *testing.T) string {
	t.Helper()
	org, err := awsfake.LoadFS(sample.FS(), "sample")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := awsfake.New(org, awsfake.Options{ReportsReady: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

// runFindings runs the reporter into a new OUT and returns its status,
// output and findings.json (nil when no run folder was written).
func runFindings(t *testing.T, args ...string) (int, string, *result.Run) {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append(args, "--out", out, "--as-of", sample.AsOf.Format(time.RFC3339)), &stdout, &stderr)
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "*", "*", "findings.json"))
	if len(dirs) != 1 {
		return code, stdout.String() + stderr.String(), nil
	}
	f, err := os.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := jsonfile.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String() + stderr.String(), r
}

func TestRunSourceOrgAgainstEndpoint(t *testing.T) {
	url := sampleFake(t)
	awsEndpointEnv(t, url)
	_, _, want := runFindings(t, "run", "--source", "sample")
	if want == nil || want.Findings.Len() == 0 {
		t.Fatal("the sample run wrote no findings")
	}
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string
		sameAsDir bool // findings equal to the sample run's
	}{
		{"org", []string{"run", "--source", "org"}, exitOK, "Audited 5 of 5 accounts", true},
		{"default source with credentials", []string{"run"}, exitOK, "Audited 5 of 5 accounts", true},
		{"account", []string{"run", "--source", "account"}, exitOK, "Audited 1 of 1 accounts", false},
		{"include accounts", []string{"run", "--source", "org", "--include-accounts", "222222222222, 333333333333"}, exitOK, "Audited 2 of 2 accounts", false},
		{"exclude the management account", []string{"run", "--source", "org", "--exclude-accounts", "111111111111"}, exitOK, "Audited 4 of 4 accounts", false},
		{"role missing in the members", []string{"run", "--source", "org", "--role-name", "NoSuchRole"}, exitPartial,
			"FAILED 222222222222 (acme-prod): account 222222222222: sts:AssumeRole arn:aws:iam::222222222222:role/NoSuchRole: AccessDenied", false},
		{"bad account filter", []string{"run", "--source", "org", "--include-accounts", "12"}, exitUsage, `include-accounts: "12" is not a 12-digit account ID`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, got := runFindings(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Fatalf("reporter %s = %d, want %d with %q in:\n%s", strings.Join(tt.args, " "), code, tt.wantCode, tt.wantOut, out)
			}
			if strings.Contains(out, awsfake.DefaultSecretAccessKey) {
				t.Errorf("the output shows the secret access key")
			}
			if !tt.sameAsDir {
				return
			}
			if !reflect.DeepEqual(got.Findings, want.Findings) {
				t.Errorf("--source org: %d findings, --source sample: %d; they differ", got.Findings.Len(), want.Findings.Len())
			}
			for i, a := range got.Accounts {
				w := want.Accounts[i]
				if a.ID != w.ID || a.Name != w.Name || a.Status != w.Status || a.PasswordPolicy != w.PasswordPolicy || a.Users != w.Users {
					t.Errorf("account %d: org %+v, sample %+v", i, a, w)
				}
			}
		})
	}
}

func TestRunWithoutSourceOrCredentials(t *testing.T) {
	awsEndpointEnv(t, "http://127.0.0.1:1")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	code, out, _ := runFindings(t, "run")
	if code != exitUsage || !strings.Contains(out, "--source is required") || !strings.Contains(out, "--source sample") {
		t.Errorf("reporter run without credentials = %d, want %d suggesting --source sample:\n%s", code, exitUsage, out)
	}
}

// TestAWSDefaultsAgree keeps the configuration's defaults in step with
// the collector's own.
func TestAWSDefaultsAgree(t *testing.T) {
	c := config.DefaultAWS()
	got := []any{c.RoleName, c.SessionName, c.Concurrency, c.AccountTimeout, c.RunTimeout}
	want := []any{awsorg.DefaultRoleName, awsorg.DefaultSessionName, awsorg.DefaultConcurrency, awsorg.DefaultAccountTimeout, awsorg.DefaultRunTimeout}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.DefaultAWS() = %v, want the collector's defaults %v", got, want)
	}
}
