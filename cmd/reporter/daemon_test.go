package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/internal/progress"
)

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDaemonCatchesUpServesMetricsAndStops starts the daemon on an empty
// archive: it audits at once (catch-up), reports the run in /metrics,
// and exits 0 on cancellation (SIGTERM in production).
func TestDaemonCatchesUpServesMetricsAndStops(t *testing.T) {
	out, addr := t.TempDir(), freeAddr(t)
	// A ticker due once: the catch-up run logs its progress once.
	progressTicker = func(time.Duration) (<-chan time.Time, func()) {
		c := make(chan time.Time, 1)
		c <- time.Now()
		return c, func() {}
	}
	t.Cleanup(func() { progressTicker = progress.SystemTicker })
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"daemon", "--source", "sample", "--out", out, "--listen", addr,
			"--schedule", "0 6 1 * *", "--log-format", "json"}, &stdout, &stderr)
	}()

	deadline := time.Now().Add(30 * time.Second)
	var metrics string
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			metrics = string(body)
			if strings.Contains(metrics, `reporter_runs_total{result="success"} 1`) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		`reporter_runs_total{result="success"} 1`,
		`reporter_accounts{outcome="audited"} 5`,
		`reporter_open_findings{severity="critical"} 2`,
		`reporter_next_run_timestamp_seconds`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q\nstderr: %s", want, stderr.String())
		}
	}
	if code := run(context.Background(), []string{"healthcheck", "--url", "http://" + addr + "/readyz"}, io.Discard, io.Discard); code != exitOK {
		t.Errorf("healthcheck of /readyz = %d, want 0", code)
	}
	manifests, _ := filepath.Glob(filepath.Join(out, "2026", "11", "*", "manifest.json"))
	if len(manifests) != 1 {
		t.Errorf("catch-up run folders with a manifest: %v", manifests)
	}
	if strings.Contains(stdout.String(), "Slack digest") || strings.Contains(stdout.String(), "acme-prod") {
		t.Errorf("a daemon without Slack printed a digest:\n%s", stdout.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("daemon exit status = %d, want 0\nstderr: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop")
	}
	if !strings.Contains(stderr.String(), `"msg":"audit progress","done":`) {
		t.Errorf("the scheduled run logged no progress:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no graceful stop in the log:\n%s", stderr.String())
	}
}

func TestDaemonRejectsBadConfiguration(t *testing.T) {
	exceptions := filepath.Join(t.TempDir(), "exceptions.yaml")
	os.WriteFile(exceptions, []byte("exceptions:\n  - check: nope\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad schedule", []string{"--schedule", "99 * * * *"}, "schedule"},
		{"bad time zone", []string{"--timezone", "Mars/Base"}, "timezone"},
		{"bad exceptions", []string{"--exceptions", exceptions}, "exceptions.yaml:2"},
		{"as-of is for run only", []string{"--as-of", "2026-11-01"}, "--as-of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			args := append([]string{"daemon", "--source", "sample", "--out", t.TempDir(), "--listen", ""}, tt.args...)
			if code := run(context.Background(), args, io.Discard, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 mentioning %q", code, stderr.String(), tt.want)
			}
		})
	}
}

// TestDaemonStopsWithRunsLeftInTheSpool: a run waits in the spool and S3
// is down when SIGTERM comes. The shutdown flush fails, the run stays in
// the spool (nothing is lost), and the daemon exits 4, as `reporter run`
// does, naming the run left; once S3 is back, a stop flushes it and
// exits 0.
func TestDaemonStopsWithRunsLeftInTheSpool(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	live := []string{"--bucket", "plain", "--s3-endpoint", srv.URL, "--s3-path-style"}
	dead := []string{"--bucket", "plain", "--s3-endpoint", "http://127.0.0.1:1", "--s3-path-style"}
	if code, stdout, stderr := cli(t, append([]string{"run", "--source", "sample", "--out", out, "--as-of", "2026-09-01"}, dead...)...); code != exitDelivery {
		t.Fatalf("reporter run with S3 down = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitDelivery, stdout, stderr)
	}
	spooled := filepath.Join(out, ".spool", "2026", "09", "20260901T000000Z", "manifest.json")

	// serve starts the daemon (no catch-up, no run before the 1st), stops
	// it as SIGTERM does, and returns its exit status and log.
	serve := func(s3 []string) (int, string) {
		ctx, cancel := context.WithCancel(context.Background())
		var stderr syncBuffer
		done := make(chan int)
		go func() {
			done <- run(ctx, append([]string{"daemon", "--source", "sample", "--out", out, "--listen", "",
				"--catch-up=false", "--log-format", "json"}, s3...), io.Discard, &stderr)
		}()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(stderr.String(), "next audit scheduled") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case code := <-done:
			return code, stderr.String()
		case <-time.After(30 * time.Second):
			t.Fatal("daemon did not stop")
			return 0, ""
		}
	}

	code, logs := serve(dead)
	if code != exitDelivery {
		t.Errorf("daemon stopped with S3 down: exit %d, want %d (delivery failed)\n%s", code, exitDelivery, logs)
	}
	if !strings.Contains(logs, `"msg":"daemon stopped with runs left in the spool`) || !strings.Contains(logs, `"run_ids":["20260901T000000Z"]`) {
		t.Errorf("the log does not name the run left in the spool:\n%s", logs)
	}
	if _, err := os.Stat(spooled); err != nil {
		t.Errorf("the run left the spool although S3 was down: %v", err)
	}

	code, logs = serve(live)
	if code != exitOK || !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("daemon stopped with S3 back: exit %d, want 0\n%s", code, logs)
	}
	if _, err := os.Stat(spooled); !os.IsNotExist(err) {
		t.Errorf("the run is still in the spool after a flush with S3 back: %v", err)
	}
}
