package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/internal/progress"
)

// TestRunLogsProgress runs an audit whose stderr is no terminal, with a
// ticker that is due once: the log holds one "audit progress" line at
// the interval asked for, and no progress line's control sequences.
func TestRunLogsProgress(t *testing.T) {
	var asked time.Duration
	stopped := false
	progressTicker = func(d time.Duration) (<-chan time.Time, func()) {
		asked = d
		c := make(chan time.Time, 1)
		c <- time.Date(2026, 11, 1, 6, 0, 30, 0, time.UTC)
		return c, func() { stopped = true }
	}
	t.Cleanup(func() { progressTicker = progress.SystemTicker })
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"run", "--source", "sample", "--out", t.TempDir()}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if asked != 30*time.Second || !stopped {
		t.Errorf("ticker asked for %v, stopped %v; want 30s, stopped", asked, stopped)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON (--log-format auto off a terminal): %q", l)
		}
		if rec["msg"] == "audit progress" {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d progress lines, want 1:\n%s", len(lines), stderr.String())
	}
	if _, ok := lines[0]["done"].(float64); !ok || lines[0]["elapsed"] == nil {
		t.Errorf("progress line %v lacks done or elapsed", lines[0])
	}
	if strings.Contains(stderr.String(), "\x1b") {
		t.Errorf("stderr holds an escape sequence:\n%q", stderr.String())
	}
}
