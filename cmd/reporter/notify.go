package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/notify"
	"github.com/reporter-dev/reporter/notify/slack"
	"github.com/reporter-dev/reporter/report"
)

// buildNotifiers returns the notifiers configured in cfg: today the Slack
// digest, which prints itself to stdout when Slack is not configured or
// --slack-dry-run is set. opts tune the Slack notifier (tests inject a
// fast retrier).
func buildNotifiers(cfg *config.Config, stdout io.Writer, log *slog.Logger, opts ...slack.Option) ([]app.Notifier, error) {
	tmpl, err := slack.Template(cfg.Templates)
	if err != nil {
		return nil, err
	}
	creds, err := slack.LoadCredentials(&cfg.Slack, os.Getenv)
	if err != nil {
		return nil, err
	}
	n, err := slack.New(&cfg.Slack, creds, tmpl, log, append([]slack.Option{slack.WithOutput(stdout)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return []app.Notifier{slackNotifier{n}}, nil
}

// runNotifiers is buildNotifiers for `reporter run`: a notifier that cannot
// be built must not cost the audit, so its error is logged and returned by
// a stand-in notifier; the run folder is written and the exit status is 4.
func runNotifiers(cfg *config.Config, stdout io.Writer, log *slog.Logger) []app.Notifier {
	ns, err := buildNotifiers(cfg, stdout, log)
	if err != nil {
		log.Error("notifier configuration is invalid; the audit runs, the notification will fail", "notifier", "slack", "err", err)
		return []app.Notifier{failedNotifier{name: "slack", err: err}}
	}
	return ns
}

// slackNotifier adapts *slack.Notifier to app.Notifier (notify/slack does
// not import internal/app).
type slackNotifier struct{ *slack.Notifier }

// Notify posts the run's digests.
func (s slackNotifier) Notify(ctx context.Context, run *report.Run, loc app.Location) error {
	return s.Notifier.Notify(ctx, run, notify.Location(loc))
}

// failedNotifier stands in for a notifier whose configuration is invalid.
type failedNotifier struct {
	name string
	err  error
}

func (f failedNotifier) Name() string { return f.name }

func (f failedNotifier) Notify(context.Context, *report.Run, app.Location) error { return f.err }

const notifyUsage = `Usage: reporter notify [flags] RUN-ID|latest

Re-posts the Slack digest of a stored run, read from OUT/YYYY/MM/RUN-ID
(findings.json, checked against manifest.json first). "latest" is the most
recent complete run. Exit status: 0 posted, 4 Slack failed, 1 the run
cannot be read, 2 usage error.

Flags:
`

// notifyRun implements `reporter notify RUN-ID [--out DIR]`.
func notifyRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(args)
	if err != nil {
		printParseError(stderr, "notify", &invalidConfig{err})
		return exitUsage
	}
	fs := flag.NewFlagSet("notify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), notifyUsage)
		fs.PrintDefaults()
	}
	fs.String("config", "", "YAML configuration file; flags override it")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "root folder of the run folders (OUT/YYYY/MM/RUN-ID)")
	fs.StringVar(&cfg.Templates, "templates", cfg.Templates, "folder of templates overriding the built-in ones")
	fs.StringVar(&cfg.Log.Level, "log-level", cfg.Log.Level, "debug, info, warn or error")
	fs.StringVar(&cfg.Log.Format, "log-format", cfg.Log.Format, "text or json")
	cfg.Slack.RegisterFlags(fs)

	// The run ID may come first (reporter notify latest --out x) or last.
	var runID string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		runID, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rest := fs.Args()
	if runID == "" && len(rest) > 0 {
		runID, rest = rest[0], rest[1:]
	}
	if runID == "" || len(rest) > 0 {
		fmt.Fprint(stderr, "reporter notify: want exactly one RUN-ID (or latest)\n\n")
		fs.Usage()
		return exitUsage
	}
	if problems := cfg.Problems(); len(problems) > 0 {
		printProblems(stderr, "notify", problems)
		return exitUsage
	}
	log, err := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		fmt.Fprintln(stderr, "reporter notify:", err)
		return exitUsage
	}
	dir, err := findRun(cfg.Out, runID)
	if err != nil {
		fmt.Fprintln(stderr, "reporter notify:", err)
		return exitFatal
	}
	run, store, err := readRun(dir, cfg.Out)
	if err != nil {
		fmt.Fprintln(stderr, "reporter notify:", err)
		return exitFatal
	}
	defer store.Close()
	notifiers, err := buildNotifiers(&cfg, stdout, log)
	if err != nil {
		fmt.Fprintln(stderr, "reporter notify:", err)
		return exitUsage
	}
	// The archive location is not stored in the run folder, so the digest
	// points at the local folder.
	res := &app.Result{Dir: dir, Run: run}
	if err := app.Deliver(ctx, log.With("run_id", run.Run.ID), res, nil, notifiers); err != nil {
		fmt.Fprintln(stdout, "DELIVERY FAILED:", err)
		return exitDelivery
	}
	return exitOK
}

// readRun checks a run folder against its manifest and reads its
// findings.json, the findings into a store in tmpDir (as a run keeps
// them: memory does not grow with their number). The caller closes the
// store once the run is delivered.
func readRun(dir, tmpDir string) (*report.Run, *findingstore.Store, error) {
	problems, err := report.VerifyDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("run folder %s has no %s: the run did not complete", dir, report.ManifestName)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("run folder %s: %w", dir, err)
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("run folder %s does not match its manifest, refusing to post it: %w", dir, errors.Join(problems...))
	}
	f, err := os.Open(filepath.Join(dir, "findings.json"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	store, err := findingstore.Create(tmpDir)
	if err != nil {
		return nil, nil, err
	}
	run, err := report.ReadJSONFindings(f, store.Add)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	run.Store = store
	return run, store, nil
}

// findRun returns the folder OUT/YYYY/MM/RUN-ID of runID, or of the most
// recent complete run (one with a manifest) for "latest".
func findRun(out, runID string) (string, error) {
	if runID == "latest" {
		dirs, err := filepath.Glob(filepath.Join(out, "[0-9][0-9][0-9][0-9]", "[0-9][0-9]", "*", report.ManifestName))
		if err != nil {
			return "", err
		}
		if len(dirs) == 0 {
			return "", fmt.Errorf("no complete run under %s (looked for %s)", out, filepath.Join(out, "YYYY", "MM", "RUN-ID", report.ManifestName))
		}
		for i := range dirs {
			dirs[i] = filepath.Dir(dirs[i])
		}
		sort.Slice(dirs, func(i, j int) bool { return runBefore(filepath.Base(dirs[i]), filepath.Base(dirs[j])) })
		return dirs[len(dirs)-1], nil
	}
	if runID == "." || runID == ".." || strings.ContainsAny(runID, `/\*?[]`) {
		return "", fmt.Errorf("run ID %q: want a run folder name such as 20261101T060000Z, or latest", runID)
	}
	dirs, err := filepath.Glob(filepath.Join(out, "[0-9][0-9][0-9][0-9]", "[0-9][0-9]", runID))
	if err != nil {
		return "", err
	}
	switch len(dirs) {
	case 0:
		return "", fmt.Errorf("run %s not found under %s (looked for %s)", runID, out, filepath.Join(out, "YYYY", "MM", runID))
	case 1:
		return dirs[0], nil
	}
	return "", fmt.Errorf("run %s is ambiguous under %s: %s", runID, out, strings.Join(dirs, ", "))
}

// runBefore orders run IDs in time: 20261101T060000Z, then its -2, -3 … -10.
func runBefore(a, b string) bool {
	ab, an := splitRunID(a)
	bb, bn := splitRunID(b)
	if ab != bb {
		return ab < bb
	}
	return an < bn
}

func splitRunID(id string) (string, int) {
	if base, suffix, ok := strings.Cut(id, "-"); ok {
		if n, err := strconv.Atoi(suffix); err == nil {
			return base, n
		}
	}
	return id, 1
}
