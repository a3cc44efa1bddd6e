package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/reporter-dev/reporter/archive"
	cmdcli "github.com/reporter-dev/reporter/internal/cli"
	"github.com/reporter-dev/reporter/internal/progress"
	"github.com/reporter-dev/reporter/internal/runner"
)

// archiveRetry governs the archive's S3 retries; tests shorten it.
var archiveRetry = archive.DefaultRetry()

// How often a run whose stderr is no terminal logs its progress, and the
// ticker that paces it; tests replace the ticker.
var (
	progressEvery                  = progress.DefaultInterval
	progressTicker progress.Ticker = progress.SystemTicker
)

// statusCodes are the exit statuses of the ways a run ends.
var statusCodes = map[runner.Status]int{
	runner.StatusOK: exitOK, runner.StatusPartial: exitPartial, runner.StatusDeliveryFailed: exitDelivery,
	runner.StatusAuditFailed: exitAuditFailed, runner.StatusFatal: exitFatal, runner.StatusUnusable: exitUsage,
}

func runCommand(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Perform one audit and exit",
		Long: `Perform one audit: collect every account's credential report and password
policy, evaluate the checks, write OUT/YYYY/MM/RUN-ID (audit.xlsx, audit.md,
findings.json, manifest.json, evidence/), archive it in S3 when a bucket is set,
and post the Slack digest (printed to stdout when Slack is not configured).

Settings come from the --config file, then REPORTER_* variables, then flags.`,
		Example: `  reporter run --source sample --out ./reports
  reporter run --source dir:./my-reports --as-of 2026-11-01
  reporter run --source org --role-name AuditRole --bucket my-audits --object-lock-mode COMPLIANCE --retain-days 400
  reporter run --config reporter.yaml --slack-dry-run=json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.ready(cmd); err != nil {
				return err
			}
			return runAudit(cmd, s)
		},
	}
	s.auditFlags(cmd, true)
	return cmd
}

func runAudit(cmd *cobra.Command, s *settings) error {
	ctx, cfg, stdout, stderr := cmd.Context(), &s.cfg, cmd.OutOrStdout(), cmd.ErrOrStderr()
	asOf, err := parseAsOf(s.asOf)
	if err != nil {
		return exit(exitUsage, err)
	}
	if problems := runner.Check(ctx, cfg, asOf); len(problems) > 0 {
		return invalid(cmd, problems)
	}
	// The terminal is judged on stderr itself, before the progress line
	// wraps it: --log-format auto is text on a terminal.
	terminal := isTerminal(stderr)
	format := cmdcli.LogFormat(cfg.Log.Format, terminal)
	var line *progress.Line
	if terminal && format == "text" {
		line = progress.New(stderr)
		stderr = line
	}
	log, err := newLogger(stderr, cfg.Log.Level, format)
	if err != nil {
		return exit(exitUsage, err)
	}
	meter := progress.NewMeter(time.Now)
	opts := runner.Options{Version: reporterVersion(), Stdout: stdout, AlwaysNotify: true, Retry: archiveRetry,
		Progress: func(done, total int) {
			meter.Update(done, total)
			if line != nil {
				line.Set("%s", meter.Status())
			}
		}}
	r, err := runner.New(ctx, cfg, log, opts)
	if err != nil {
		return exit(exitUsage, err)
	}
	stopReport := func() {}
	if line == nil {
		stopReport = progress.Report(meter, progressEvery, progressTicker, progress.Log(log))
	}
	out := r.RunOnce(ctx, asOf)
	stopReport()
	if line != nil {
		line.Done()
	}
	if out.Result == nil {
		return exit(statusCodes[out.Status], out.Err)
	}
	out.Result.WriteSummary(stdout)
	if out.DeliveryErr != nil {
		fmt.Fprintln(stdout, "DELIVERY FAILED:", out.DeliveryErr)
	}
	return exit(statusCodes[out.Status], nil)
}

func daemonCommand(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Audit on a schedule; serves /healthz, /readyz and /metrics",
		Long: `Audit on the configured schedule (default: 06:00 UTC on the 1st of each month)
until SIGTERM or SIGINT, catching up a missed run at start. Serves /healthz,
/readyz and /metrics on --listen. The configuration is checked at start, as
'reporter config check' does.`,
		Example: `  reporter daemon --config /etc/reporter/reporter.yaml
  reporter daemon --source org --schedule '@monthly' --timezone Europe/Paris --listen :9090`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.ready(cmd); err != nil {
				return err
			}
			if s.asOf != "" {
				return usageErr("--as-of applies to `reporter run` only; the daemon audits as of each run's start")
			}
			ctx, cfg := cmd.Context(), &s.cfg
			if problems := runner.Check(ctx, cfg, time.Time{}); len(problems) > 0 {
				return invalid(cmd, problems)
			}
			log, err := newLogger(cmd.ErrOrStderr(), cfg.Log.Level, cfg.Log.Format)
			if err != nil {
				return exit(exitUsage, err)
			}
			r, err := runner.New(ctx, cfg, log, runner.Options{Version: reporterVersion(), Stdout: cmd.OutOrStdout(), Retry: archiveRetry,
				ProgressTicker: progressTicker})
			if err != nil {
				return exit(exitUsage, err)
			}
			var ce *runner.ConfigError
			var se *runner.SpoolError
			if err := r.Serve(ctx); errors.As(err, &ce) {
				return exit(exitUsage, err)
			} else if errors.As(err, &se) {
				// Nothing is lost: the runs wait in the spool, as when
				// `reporter run` cannot reach S3, and exit likewise.
				log.Error("daemon stopped with runs left in the spool: the next start or `reporter archive flush` uploads them",
					"spool", se.Dir, "run_ids", se.Runs, "err", se.Err)
				return exit(exitDelivery, nil)
			} else if err != nil {
				log.Error("daemon stopped", "err", err)
				return exit(exitFatal, nil)
			}
			return nil
		},
	}
	s.auditFlags(cmd, true)
	cmd.Flags().MarkHidden("as-of") // refused with a reason
	s.daemonFlags(cmd)
	return cmd
}

func configCommand(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the configuration",
		Args:  subcommandArgs,
		RunE:  needSubcommand,
	}
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it, secrets redacted",
		Long: `Validate the configuration (the --config file, REPORTER_* variables and flags)
exactly as run and daemon do before they start: every setting, the source,
the exceptions file and the templates. Prints the effective configuration
with secrets redacted, then every problem found, one a line.`,
		Example: `  reporter config check --config reporter.yaml
  REPORTER_S3_BUCKET=my-audits reporter config check --source org`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := s.ready(cmd); err != nil {
				return err
			}
			asOf, err := parseAsOf(s.asOf)
			if err != nil {
				return exit(exitUsage, err)
			}
			problems := runner.Check(cmd.Context(), &s.cfg, asOf)
			out, err := yaml.Marshal(s.cfg.Redacted())
			if err != nil {
				return exit(exitFatal, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# effective configuration (file, REPORTER_* environment, flags); secrets redacted\n%s", out)
			if len(problems) > 0 {
				return invalid(cmd, problems)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "configuration is valid")
			return nil
		},
	}
	s.auditFlags(check, true)
	s.daemonFlags(check)
	cmd.AddCommand(check)
	return cmd
}
