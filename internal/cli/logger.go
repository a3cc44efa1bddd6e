package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
)

// NewLogger is the logger --log-level and --log-format ask for, writing
// to w: format text, json, or auto (text on a terminal, else json).
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch LogFormat(format, IsTerminal(w)) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, errors.New("--log-format " + format + ": want text, json or auto")
}

// LogFormat is the log format that format (text, json or auto) means
// for output that is a terminal or not: auto is text on a terminal,
// json otherwise. Decide it on the output itself, before wrapping it
// (e.g. in a progress.Line, which is no terminal to IsTerminal).
func LogFormat(format string, terminal bool) string {
	if format != "auto" {
		return format
	}
	if terminal {
		return "text"
	}
	return "json"
}

// IsTerminal reports whether w is a character device, such as a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
