package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/internal/progress"
)

func TestLogFormat(t *testing.T) {
	tests := []struct {
		format   string
		terminal bool
		want     string
	}{
		{"auto", true, "text"},
		{"auto", false, "json"},
		{"text", false, "text"},
		{"text", true, "text"},
		{"json", true, "json"},
		{"json", false, "json"},
		{"xml", true, "xml"}, // NewLogger refuses it
	}
	for _, tt := range tests {
		if got := LogFormat(tt.format, tt.terminal); got != tt.want {
			t.Errorf("LogFormat(%q, %v) = %q, want %q", tt.format, tt.terminal, got, tt.want)
		}
	}
}

// TestIsTerminalOfWrapped: a progress line around a terminal is no
// *os.File, so the terminal must be judged before wrapping (LogFormat).
func TestIsTerminalOfWrapped(t *testing.T) {
	if IsTerminal(progress.New(&bytes.Buffer{})) || IsTerminal(&bytes.Buffer{}) {
		t.Error("IsTerminal is true for a buffer")
	}
}

func TestLogProgress(t *testing.T) {
	tests := []struct {
		name string
		s    progress.Status
		want string
	}{
		{"start", progress.Status{Total: 200, Elapsed: 30 * time.Second}, `level=INFO msg="audit progress" done=0 total=200 elapsed=30s`},
		{"running", progress.Status{Done: 40, Total: 200, Elapsed: 16 * time.Second, Rate: 2.5, ETA: 64 * time.Second},
			`level=INFO msg="audit progress" done=40 total=200 elapsed=16s accounts_per_second=2.5 eta=1m4s`},
		{"total unknown", progress.Status{Done: 7, Elapsed: 3*time.Second + 400*time.Millisecond, Rate: 7 / 3.4},
			`level=INFO msg="audit progress" done=7 elapsed=3s accounts_per_second=2.06`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
			LogProgress(log)(tt.s)
			if got := strings.TrimSpace(buf.String()); got != tt.want {
				t.Errorf("logged %q, want %q", got, tt.want)
			}
		})
	}
}
