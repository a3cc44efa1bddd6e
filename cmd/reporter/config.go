package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// configCommand implements `reporter config check`: it validates the
// configuration (file, environment and flags) with checkConfig, exactly as
// run and daemon do before they start, and prints the effective
// configuration with secrets redacted.
func configCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: reporter config check [--config FILE] [flags of run and daemon]")
		return exitUsage
	}
	f, err := parseFlags("config check", args[1:], stderr, daemonFlags)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		printParseError(stderr, "config check", err)
		return exitUsage
	}
	cfg := &f.cfg
	var asOf time.Time
	if f.asOf != "" {
		if asOf, err = parseAsOf(f.asOf); err != nil {
			fmt.Fprintln(stderr, "reporter config check:", err)
			return exitUsage
		}
	}
	problems := checkConfig(ctx, cfg, asOf)
	out, err := yaml.Marshal(cfg.Redacted())
	if err != nil {
		fmt.Fprintln(stderr, "reporter config check:", err)
		return exitFatal
	}
	fmt.Fprintf(stdout, "# effective configuration (file, REPORTER_* environment, flags); secrets redacted\n%s", out)
	if len(problems) > 0 {
		printProblems(stderr, "config check", problems)
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
