package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	cmdcli "github.com/reporter-dev/reporter/internal/cli"
	"github.com/reporter-dev/reporter/internal/config"
)

// settings is the configuration every subcommand shares, loaded by the
// one loader (defaults, the --config file, the REPORTER_* environment)
// before the command line is parsed: the flags are bound to its fields,
// so they override it. A configuration that does not load is reported by
// the commands that use it, not by those (checks, version) that do not.
type settings struct {
	cfg     config.Config
	loadErr error
	asOf    string // --as-of of run and config check
}

// loadSettings loads the configuration named by --config in args.
func loadSettings(args []string) *settings {
	s := &settings{}
	s.cfg, s.loadErr = config.FromEnvironment(cmdcli.FlagValue(args, "config"), os.LookupEnv)
	return s
}

// configFlag defines --config (read by loadSettings; defined so that it
// parses and shows in the help).
func configFlag(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file; REPORTER_* variables override it, flags override both")
}

// auditFlags defines the flags of an audit on cmd: general, thresholds,
// AWS, S3 and Slack, in groups.
func (s *settings) auditFlags(cmd *cobra.Command, asOf bool) {
	c := &s.cfg
	flagSection(cmd, "General", func(fs *pflag.FlagSet) {
		configFlag(fs)
		if asOf {
			fs.StringVar(&s.asOf, "as-of", "", "the run's \"now\" for every check, RFC 3339 or YYYY-MM-DD (default: start of the run; the sample's own date for --source sample)")
		}
		c.RegisterGeneralFlags(fs)
	})
	flagSection(cmd, "Thresholds (override the preset's)", c.RegisterThresholdFlags)
	flagSection(cmd, "AWS Organization", c.AWS.RegisterFlags)
	flagSection(cmd, "Unused permissions (opt-in check)", c.UnusedPermissions.RegisterFlags)
	flagSection(cmd, "S3 archive", c.S3.RegisterFlags)
	flagSection(cmd, "Slack", c.Slack.RegisterFlags)
}

// daemonFlags defines the flags only the daemon uses (config check
// accepts them too, to check a daemon's command line).
func (s *settings) daemonFlags(cmd *cobra.Command) {
	flagSection(cmd, "Daemon", s.cfg.RegisterDaemonFlags)
}

// ready finishes the configuration of cmd once its flags are parsed: a
// configuration that did not load is printed, one problem a line (exit
// status 2); --preset given on the command line is applied.
func (s *settings) ready(cmd *cobra.Command) error {
	err := s.loadErr
	if err == nil {
		err = s.cfg.ApplyPresetFlag(cmd.Flags())
	}
	if err == nil {
		return nil
	}
	problems := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		problems = joined.Unwrap() // one repeated key per line
	}
	return invalid(cmd, problems)
}

// invalid prints each configuration problem on its own line, the same way
// for every subcommand, and returns exit status 2.
func invalid(cmd *cobra.Command, problems []error) error {
	for _, p := range problems {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s: invalid configuration: %v\n", cmd.CommandPath(), p)
	}
	return exit(exitUsage, nil)
}

// parseAsOf accepts RFC 3339 or a bare date (midnight UTC); "" is zero.
func parseAsOf(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return time.Time{}, fmt.Errorf("--as-of %q: want RFC 3339 (2026-11-01T06:00:00Z) or a date (2026-11-01)", s)
		}
	}
	t = t.UTC()
	if t.Before(minAsOf) || !t.Before(maxAsOf) {
		return time.Time{}, fmt.Errorf("--as-of %q: want a time from %s to %s", s, minAsOf.Format(time.DateOnly), maxAsOf.AddDate(0, 0, -1).Format(time.DateOnly))
	}
	return t, nil
}

// The bounds of --as-of: AWS's first year, and a year whose due dates
// (up to sla_days' 36,500 days later) still fit findings.json's
// four-digit years.
var (
	minAsOf = time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAsOf = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
)
