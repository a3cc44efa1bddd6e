package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
)

// Exit statuses of the reporter.
const (
	exitOK      = 0 // every account was audited
	exitFatal   = 1 // the run could not be completed; see the log
	exitUsage   = 2 // bad command line or configuration
	exitPartial = 3 // the run completed, but some accounts failed
	// exitDelivery: reports were written locally but archiving or a
	// notification failed; the run folder (and spool) keep everything.
	exitDelivery = 4
)

const usage = `reporter audits the IAM credentials of an AWS Organization.

Commands:
  run       perform one audit and exit
  daemon    audit on a schedule; serves /healthz, /readyz and /metrics
  checks    list the check catalog
  archive   list, verify, get, url or flush the S3 archive of the runs ('reporter archive help')
  config    check the configuration: reporter config check [--config FILE]
  notify    re-post the Slack digest of a stored run: notify RUN-ID|latest [--out DIR]
  version   print the version

Run 'reporter run -h' for the flags of run.
Exit status: 0 all accounts audited, 3 some accounts failed (reports still
written), 4 archive or notification failed (reports kept locally),
2 usage error, 1 fatal error.
`

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runAudit(ctx, args[1:], stdout, stderr)
	case "notify":
		return notifyRun(ctx, args[1:], stdout, stderr)
	case "archive":
		return runArchive(ctx, args[1:], stdout, stderr)
	case "checks":
		return listChecks(stdout)
	case "config":
		return configCommand(args[1:], stdout, stderr)
	case "daemon":
		return runDaemon(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args[1:], stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "reporter", describeBuild(identifyBuild()))
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "reporter: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// runFlags are the parsed flags and configuration of `reporter run`.
type runFlags struct {
	cfg  config.Config
	asOf string
}

// configPath finds --config in args before the flags are defined, so the
// file's values become the flags' defaults.
func configPath(args []string) string {
	for i, a := range args {
		for _, name := range []string{"-config", "--config"} {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, name+"="); ok {
				return v
			}
		}
	}
	return ""
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	return parseFlags("run", args, stderr, nil)
}

// parseFlags loads the configuration (file, environment) and parses the
// flags of a command over it; extra registers command-specific flags.
func parseFlags(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet, *config.Config)) (*runFlags, error) {
	cfg, err := config.FromEnvironment(configPath(args), os.LookupEnv)
	if err != nil {
		return nil, err
	}
	f := &runFlags{cfg: cfg}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "YAML configuration file; flags override it")
	fs.StringVar(&f.asOf, "as-of", "", "the run's \"now\" for every check, RFC 3339 or YYYY-MM-DD (default: start of the run; the sample's own date for --source sample)")
	f.cfg.RegisterFlags(fs)
	if extra != nil {
		extra(fs, &f.cfg)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return f, f.cfg.ApplyPresetFlag(fs)
}

// parseAsOf accepts RFC 3339 or a bare date (midnight UTC).
func parseAsOf(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--as-of %q: want RFC 3339 (2026-11-01T06:00:00Z) or a date (2026-11-01)", s)
}

// openSource turns the configured source into a Source and its default as-of.
func openSource(ctx context.Context, cfg *config.Config, log *slog.Logger) (collect.Source, time.Time, error) {
	spec := cfg.Source
	switch {
	case spec == "sample":
		return sample.NewSource(), sample.AsOf, nil
	case strings.HasPrefix(spec, "dir:"):
		src, err := collect.NewDirSource(strings.TrimPrefix(spec, "dir:"))
		return src, time.Time{}, err
	case spec == "org", spec == "account", spec == "":
		return openAWSSource(ctx, spec, cfg, log)
	}
	return nil, time.Time{}, fmt.Errorf("unknown --source %q: want org, account, sample, or dir:PATH", spec)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text, json or auto", format)
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseRunFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "reporter run:", err)
		return exitUsage
	}
	cfg := &f.cfg
	var progress *progressLine
	if cfg.Log.Format != "json" && isTerminal(stderr) {
		progress = newProgressLine(stderr)
		stderr = progress
	}
	log, err := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		fmt.Fprintln(stderr, "reporter run:", err)
		return exitUsage
	}
	var asOf time.Time
	if f.asOf != "" {
		if asOf, err = parseAsOf(f.asOf); err != nil {
			fmt.Fprintln(stderr, "reporter run:", err)
			return exitUsage
		}
	}
	r, err := newRunner(ctx, cfg, log, stdout, true)
	if err != nil {
		fmt.Fprintln(stderr, "reporter run:", err)
		return exitUsage
	}
	if progress != nil {
		r.progress = progress.update
	}
	out := r.runOnce(ctx, asOf)
	if progress != nil {
		progress.Done()
	}
	if out.usageErr != nil {
		fmt.Fprintln(stderr, "reporter run:", out.usageErr)
		return exitUsage
	}
	if out.lockErr != nil {
		fmt.Fprintln(stderr, "reporter run:", out.lockErr)
		return exitFatal
	}
	if out.res == nil {
		return exitFatal
	}
	printSummary(stdout, out.res)
	if out.deliveryErr != nil {
		fmt.Fprintln(stdout, "DELIVERY FAILED:", out.deliveryErr)
	}
	return out.status
}

// loadExceptions reads and validates the accepted-risks file, if any.
// The run's as-of is needed to bound expiry dates; when it is not known
// yet (the run starts now), today is used.
// The file may also be an S3 object, s3://BUCKET/KEY, read with the
// archive's S3 settings (endpoint, region, addressing style).
func loadExceptions(ctx context.Context, cfg *config.Config, asOf time.Time) ([]audit.Exception, error) {
	if cfg.Exceptions == "" {
		return nil, nil
	}
	var data []byte
	var err error
	if strings.HasPrefix(cfg.Exceptions, "s3://") {
		data, err = archive.Fetch(ctx, cfg.S3, cfg.Exceptions)
	} else {
		data, err = os.ReadFile(cfg.Exceptions)
	}
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	if asOf.IsZero() {
		asOf = time.Now().UTC()
	}
	return exceptions.Parse(data, cfg.Exceptions, asOf, cfg.ExceptionsMaxDays)
}

func printSummary(w io.Writer, res *app.Result) {
	s := res.Run.Summary
	audited, expected := s.Coverage()
	fmt.Fprintf(w, "Run %s (as of %s)\n", res.Run.Run.ID, res.Run.Run.AsOf.Format(time.RFC3339))
	fmt.Fprintf(w, "Audited %d of %d accounts", audited, expected)
	if s.AccountsSkipped > 0 {
		fmt.Fprintf(w, " (%d skipped)", s.AccountsSkipped)
	}
	fmt.Fprintf(w, ", %d IAM users, %d open findings:", s.Users, s.Open)
	for _, sev := range audit.Severities {
		fmt.Fprintf(w, " %d %s", s.BySeverity[sev.String()], sev)
	}
	if s.Excepted > 0 {
		fmt.Fprintf(w, "; %d excepted", s.Excepted)
	}
	fmt.Fprintln(w)
	if ch := res.Run.Changes; ch != nil {
		fmt.Fprintf(w, "Since run %s: %d new, %d resolved\n", ch.PreviousRunID, s.New, s.Resolved)
	}
	for _, u := range res.Run.Exceptions {
		if u.Status != exceptions.Active {
			fmt.Fprintf(w, "Exception %s (%s %s in %s): %s\n", u.Source, u.Check, u.Principal, u.Account, strings.ToUpper(u.Status))
		}
	}
	for _, a := range res.Run.Accounts {
		if a.Status == "failed" {
			fmt.Fprintf(w, "FAILED %s (%s): %s\n", a.ID, a.Name, a.Error)
		}
	}
	if res.Run.Run.Error != "" {
		fmt.Fprintln(w, "INCOMPLETE:", res.Run.Run.Error)
	}
	fmt.Fprintf(w, "Reports: %s%c{audit.xlsx, audit.md, findings.json, manifest.json, evidence/}\n", res.Dir, os.PathSeparator)
	if res.Location.ArchiveURI != "" {
		fmt.Fprintln(w, "Archived:", res.Location.ArchiveURI)
	}
}

func listChecks(w io.Writer) int {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSEVERITY\tCIS v3.0.0\tSECURITY HUB\tTITLE")
	for _, c := range audit.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Severity, or(c.CIS, "-"), or(c.SecurityHub, "-"), c.Title)
	}
	tw.Flush()
	return exitOK
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
