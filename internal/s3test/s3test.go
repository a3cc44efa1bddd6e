// Package s3test runs a real S3 server for tests: versitygw with a posix
// backend and a versioning directory in temporary folders, so Object Lock,
// versions, checksums and SigV4 behave as on AWS.
//
// Clients talk to the server through a transparent relay on its own port.
// The relay records every request and can refuse requests on demand, which
// lets a test take S3 away in the middle of an upload; Stop and Start stop
// and restart the server process itself on the same port and data.
//
// Tests that need the server are skipped when the versitygw binary is not
// installed, unless the environment variable CI is set: in CI a missing
// binary fails the test. Install it with .ci/install-versitygw.sh.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Credentials and region of every server started by this package.
const (
	AccessKey = "reporter-test"
	SecretKey = "reporter-test-secret"
	Region    = "us-east-1"
)

// BinaryEnv names an environment variable that overrides the path of the
// versitygw binary.
const BinaryEnv = "VERSITYGW"

// Request is one request seen by the relay.
type Request struct {
	Method string
	// Path is the unescaped URL path, e.g. /bucket/prefix/2026/11/ID/audit.md.
	Path   string
	Query  url.Values
	Header http.Header
	// Refused is true when the relay answered it with a 503 itself.
	Refused bool
}

// Key returns the object key of a path-style request to bucket, or "".
func (r Request) Key(bucket string) string {
	k, ok := strings.CutPrefix(r.Path, "/"+bucket+"/")
	if !ok {
		return ""
	}
	return k
}

// Server is a running versitygw behind a recording relay.
type Server struct {
	// URL is the relay's base URL; point S3 clients at it (path style).
	URL string
	// BackendURL is versitygw's own base URL.
	BackendURL string

	bin, dataDir, versionDir, backendAddr string
	relay                                 *http.Server

	refuseMu sync.Mutex // serializes calls of refuse
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stderr   *bytes.Buffer
	refuse   func(*http.Request) bool
	requests []Request
}

// Binary returns the path of the versitygw binary. When it is missing it
// skips the test, or fails it when the environment variable CI is set.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(BinaryEnv); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("versitygw is not installed but CI=%q: the S3 tests must run in CI; install it with .ci/install-versitygw.sh", os.Getenv("CI"))
	}
	t.Skip("versitygw not installed: skipping the tests against a real S3 server (install it with .ci/install-versitygw.sh)")
	return ""
}

// Start starts versitygw on a free 127.0.0.1 port with temporary folders,
// waits until it answers and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	root := t.TempDir()
	s := &Server{
		bin:        bin,
		dataDir:    filepath.Join(root, "data"),
		versionDir: filepath.Join(root, "versions"),
	}
	for _, d := range []string{s.dataDir, s.versionDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("s3test: find a free port: %v", err)
	}
	s.backendAddr = fmt.Sprintf("127.0.0.1:%d", port)
	s.BackendURL = "http://" + s.backendAddr
	if err := s.start(); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(s.Stop)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("s3test: relay: %v", err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.relay = &http.Server{Handler: s.relayHandler(), ReadHeaderTimeout: 10 * time.Second}
	go s.relay.Serve(ln)
	t.Cleanup(func() { s.relay.Close() })
	return s
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs the versitygw process and waits until it answers HTTP.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	cmd := exec.Command(s.bin, "--port", s.backendAddr, "--quiet", "posix", "--versioning-dir", s.versionDir, s.dataDir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey, "VGW_REGION="+Region)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	deadline := time.Now().Add(15 * time.Second)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		resp, err := http.Get(s.BackendURL + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("versitygw exited at start: %s", strings.TrimSpace(stderr.String()))
		case <-time.After(delay):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("versitygw did not answer on %s within 15s: %s", s.backendAddr, strings.TrimSpace(stderr.String()))
		}
	}
	s.cmd, s.exited, s.stderr = cmd, exited, &stderr
	return nil
}

// Stop stops the versitygw process; requests then fail until Start. The
// relay keeps answering (with 502), as a load balancer in front of a
// failed S3 would.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Start restarts a stopped server on the same port with the same data.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("s3test: restart: %v", err)
	}
}

// Refuse makes the relay answer every request for which refuse returns
// true with 503 ServiceUnavailable, without passing it on. nil passes
// everything on again. refuse is called for each request, one call at a
// time, before the request is passed on; it may call Stop.
func (s *Server) Refuse(refuse func(*http.Request) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

// Requests returns the requests the relay has seen, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) relayHandler() http.Handler {
	target, _ := url.Parse(s.BackendURL)
	// The client signed the relay's Host; pass it on unchanged (the
	// outgoing request is a copy of the incoming one) so the signature
	// still verifies.
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
	}}
	proxy.ErrorLog = log.New(io.Discard, "", 0) // a stopped server is expected
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// refuse may call Stop, which takes s.mu: run it under its own
		// lock, one request at a time.
		s.mu.Lock()
		fn := s.refuse
		s.mu.Unlock()
		s.refuseMu.Lock()
		refuse := fn != nil && fn(r)
		s.refuseMu.Unlock()
		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Refused: refuse,
		})
		s.mu.Unlock()
		if refuse {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>s3test: refused by the relay</Message></Error>`)
			return
		}
		proxy.ServeHTTP(w, r)
	})
}

// Client returns an S3 client for the server with the SDK's retries off,
// so faults reach the code under test at once.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(s.URL),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		RetryMaxAttempts: 1,
	})
}

// CreateBucket creates a bucket, with Object Lock enabled when lock is true.
func (s *Server) CreateBucket(t testing.TB, name string, lock bool) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if lock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, in); err != nil {
		t.Fatalf("s3test: create bucket %s (object lock %t): %v", name, lock, err)
	}
}

// Env sets the environment so that the SDK's default chain finds the
// server's credentials and region and nothing from the host. It uses
// t.Setenv, so the test must not be parallel.
func (s *Server) Env(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           AccessKey,
		"AWS_SECRET_ACCESS_KEY":       SecretKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  Region,
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
	} {
		t.Setenv(k, v)
	}
}
