package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/reporter-dev/reporter/internal/daemon"
)

// configCommand implements `reporter config check`: it validates the
// configuration (file, environment and flags) the way run and daemon
// would, and prints the effective configuration with secrets redacted.
func configCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: reporter config check [--config FILE] [flags]")
		return exitUsage
	}
	f, err := parseRunFlags(args[1:], stderr)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "reporter config check:", err)
		return exitUsage
	}
	cfg := &f.cfg
	var problems []error
	if _, err := daemon.ParseSchedule(cfg.Daemon.Schedule, cfg.Daemon.Timezone); err != nil {
		problems = append(problems, err)
	}
	if _, err := loadExceptions(context.Background(), cfg, time.Time{}); err != nil {
		problems = append(problems, err)
	}
	if _, err := newLogger(io.Discard, cfg.Log.Level, cfg.Log.Format); err != nil {
		problems = append(problems, err)
	}
	out, err := yaml.Marshal(cfg.Redacted())
	if err != nil {
		fmt.Fprintln(stderr, "reporter config check:", err)
		return exitFatal
	}
	fmt.Fprintf(stdout, "# effective configuration (file, REPORTER_* environment, flags); secrets redacted\n%s", out)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "invalid:", p)
		}
		return exitUsage
	}
	fmt.Fprintln(stderr, "configuration is valid")
	return exitOK
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
