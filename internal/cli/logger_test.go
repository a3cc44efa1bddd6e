package cli

import (
	"bytes"
	"testing"

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
