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
