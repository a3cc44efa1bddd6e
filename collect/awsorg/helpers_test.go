package awsorg_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// generatedTime is the GeneratedTime the fake gives every report.
var generatedTime = time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC)

// csvOf returns a small credential report of account id.
func csvOf(id string) []byte {
	return []byte("user,arn,user_creation_time\n<root_account>,arn:aws:iam::" + id + ":root,2020-01-01T00:00:00+00:00\n")
}

// smallOrg is a management account (100000000000) and n-1 members.
func smallOrg(n int) awsfake.Org {
	var org awsfake.Org
	for i := range n {
		id := strconv.Itoa(100000000000 + i)
		details, summary, devices := awsfake.SyntheticPosture(id, generatedTime, 2, 1)
		org.Accounts = append(org.Accounts, awsfake.Account{
			ID: id, Name: "acct-" + strconv.Itoa(i), Report: csvOf(id),
			Policy:  passwordpolicy.Result{State: passwordpolicy.Absent},
			Details: details, Summary: summary, VirtualMFA: devices,
		})
	}
	return org
}

// fake serves org and returns the server and its URL.
func fake(t *testing.T, org awsfake.Org, opts awsfake.Options) (*awsfake.Server, string) {
	t.Helper()
	if opts.GeneratedTime.IsZero() {
		opts.GeneratedTime = generatedTime
	}
	srv, err := awsfake.New(org, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// noDelay retries at once.
var noDelay = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

// fastOptions are the defaults with delays cut to milliseconds.
func fastOptions(mode awsorg.Mode) awsorg.Options {
	return awsorg.Options{
		Mode: mode, Backoff: noDelay, PollInterval: time.Millisecond, MaxPollInterval: 2 * time.Millisecond,
		AccountTimeout: 10 * time.Second, RunTimeout: 30 * time.Second,
	}
}

// baseConfig is an SDK configuration for url with the given credentials.
func baseConfig(url string, creds aws.Credentials) aws.Config {
	return aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
	}
}

var mgmtCreds = aws.Credentials{AccessKeyID: awsfake.DefaultAccessKeyID, SecretAccessKey: awsfake.DefaultSecretAccessKey}

// collected is what one Collect produced.
type collected struct {
	results map[string]collect.AccountResult
	order   []string
	err     error
	log     string
}

// run builds a source over url and collects everything, checking that
// sink is never called concurrently and each account comes once. A
// users function, if any, is the source's user selector.
func run(t *testing.T, url string, creds aws.Credentials, opts awsorg.Options, users ...func(*collect.AccountResult) []string) collected {
	t.Helper()
	var logBuf bytes.Buffer
	var logMu sync.Mutex
	opts.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logBuf, &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := awsorg.New(baseConfig(url, creds), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		src.SelectUsers(u)
	}
	out := collected{results: map[string]collect.AccountResult{}}
	var inSink sync.Mutex
	out.err = src.Collect(context.Background(), func(res collect.AccountResult) error {
		if !inSink.TryLock() {
			t.Error("sink called concurrently")
			return nil
		}
		defer inSink.Unlock()
		if _, dup := out.results[res.Account.ID]; dup {
			t.Errorf("account %s yielded twice", res.Account.ID)
		}
		out.results[res.Account.ID] = res
		out.order = append(out.order, res.Account.ID)
		return nil
	})
	// Expected stays 0 (unknown) when the listing failed part way.
	if got := src.Expected(); got != len(out.results) && (out.err == nil || got != 0) {
		t.Errorf("Expected() = %d, want the %d accounts yielded", got, len(out.results))
	}
	logMu.Lock()
	out.log = logBuf.String()
	logMu.Unlock()
	return out
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
