// Package runner runs the reporter with one configuration: an audit
// under the S3 archive's run lease, after uploading what the spool holds
// (Runner.RunOnce), the same on a schedule with health and metrics
// (Runner.Serve), a stored run's digest posted again (Renotify), and the
// pre-flight check of a configuration that all of them share (Check). It
// opens the configured source and builds the archive and the notifiers
// that internal/app's run hands the finished run to.
//
// Like internal/app it never touches flags, signals or exit statuses.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/progress"
	"github.com/reporter-dev/reporter/notify/slack"
	"github.com/reporter-dev/reporter/report/xlsx"
	"github.com/reporter-dev/reporter/result"
)

// Runner performs audits with one configuration: `reporter run` uses it
// once, `reporter daemon` on every scheduled activation. The archive and
// the notifiers are opened once; the source and the exceptions file are
// opened again for every run, so edits to them apply to the next run.
type Runner struct {
	cfg       *config.Config
	log       *slog.Logger
	version   string
	arch      *archive.Archiver
	notifiers []app.Notifier
	progress  func(done, total int)
	ticker    progress.Ticker
}

// Options tune a Runner.
type Options struct {
	// Version is the reporter's version, kept in the manifest and the
	// archive's run lease.
	Version string
	// Stdout receives the digest when Slack is not configured or a dry run
	// is asked for.
	Stdout io.Writer
	// AlwaysNotify builds the Slack digest even when Slack is not
	// configured (it is then printed); the daemon leaves it false, so an
	// unconfigured daemon does not print a digest each month.
	AlwaysNotify bool
	// Retry governs the archive's S3 calls; zero means archive.DefaultRetry.
	Retry archive.Retry
	// Progress, when set, is told accounts done/total during a run.
	Progress func(done, total int)
	// ProgressTicker, when set, makes every run the daemon starts log an
	// "audit progress" line at each of its ticks (progress.DefaultInterval
	// apart), as `reporter run` does off a terminal.
	ProgressTicker progress.Ticker
}

// New opens the archive (when a bucket is configured) and builds
// the notifiers. cfg must have passed Check.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (*Runner, error) {
	r := &Runner{cfg: cfg, log: log, version: opts.Version, progress: opts.Progress, ticker: opts.ProgressTicker}
	if cfg.S3.Enabled() {
		a, err := archive.Open(ctx, cfg.S3, archive.Options{Out: cfg.Out, Logger: log.With("component", "archive"), Retry: opts.Retry})
		if err != nil {
			return nil, err
		}
		r.arch = a
	}
	if opts.AlwaysNotify || slackConfigured(cfg) {
		stdout := opts.Stdout
		if stdout == nil {
			stdout = io.Discard
		}
		r.notifiers = runNotifiers(cfg, stdout, log)
	}
	return r, nil
}

// Status says how a run ended, from best to worst.
type Status int

// The ways a run ends.
const (
	// StatusOK: every account was audited and the run delivered.
	StatusOK Status = iota
	// StatusPartial: the run completed, but some accounts failed or some
	// teams' own files (teams/<folder>/) could not be written.
	StatusPartial
	// StatusDeliveryFailed: the reports were written locally, but
	// archiving or a notification failed; the run folder (and the spool)
	// keep everything.
	StatusDeliveryFailed
	// StatusAuditFailed: the run is no audit result: interrupted, the
	// source failed before or while listing the accounts, its findings
	// could not be compared with the earlier runs (result.NotCompared),
	// or no account could be audited. Its reports say so first.
	StatusAuditFailed
	// StatusFatal: the run folder could not be written, or another
	// reporter holds the archive's run lease.
	StatusFatal
	// StatusUnusable: the configuration could not be used for this run
	// (the source did not open, the exceptions file is invalid).
	StatusUnusable
)

var statusNames = [...]string{"ok", "partial", "delivery failed", "audit failed", "fatal", "unusable configuration"}

// String names the status as logs and messages show it.
func (s Status) String() string { return statusNames[s] }

// Outcome is what one run produced.
type Outcome struct {
	// Result is nil when the run failed before writing its folder.
	Result *app.Result
	Status Status
	// Err says why the run did not start (StatusUnusable, or StatusFatal
	// when the lease is held), for the operator.
	Err error
	// DeliveryErr holds the archive, notification and spool failures.
	DeliveryErr error
}

// LeaseTTL is how long a run lease lasts without renewal: a reporter that
// dies frees the archive for others after at most this long.
const LeaseTTL = 15 * time.Minute

// lockArchive takes the archive's run lease, so two reporters sharing a
// bucket never audit at once, and renews it until release is called. It
// fails only when another reporter holds the lease: when S3 cannot be
// reached the audit goes on (and spools), with a warning.
func (r *Runner) lockArchive(ctx context.Context) (release func(), err error) {
	lock, err := r.arch.Lock(ctx, archive.Holder(r.version), LeaseTTL)
	if errors.Is(err, archive.ErrLocked) {
		return nil, err
	}
	if err != nil {
		r.log.Warn("run lease unavailable; auditing without it", "err", err)
		return func() {}, nil
	}
	keepCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lock.Keep(keepCtx, func(err error) { r.log.Error("run lease lost; another reporter may start", "err", err) })
	}()
	return func() {
		stop()
		<-done
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := lock.Release(relCtx); err != nil {
			r.log.Warn("run lease not released; it expires by itself", "err", err, "ttl", LeaseTTL.String())
		}
	}, nil
}

// RunOnce performs one audit as of asOf (zero: now, or the sample's own
// date) under the archive's run lease: it first uploads the runs earlier
// runs left in the spool, then audits, archives and notifies.
func (r *Runner) RunOnce(ctx context.Context, asOf time.Time) Outcome {
	cfg, log := r.cfg, r.log
	src, defaultAsOf, err := OpenSource(ctx, cfg, log)
	if err != nil {
		return Outcome{Status: StatusUnusable, Err: err}
	}
	if asOf.IsZero() {
		asOf = defaultAsOf
	}
	excs, err := LoadExceptions(ctx, cfg, asOf)
	if err != nil {
		return Outcome{Status: StatusUnusable, Err: err}
	}
	if r.arch != nil {
		release, err := r.lockArchive(ctx)
		if err != nil {
			log.Error("audit not started", "err", err)
			return Outcome{Status: StatusFatal, Err: err}
		}
		defer release()
	}
	spoolErr := r.FlushSpool(ctx)
	res, err := app.RunOnce(ctx, app.Options{
		Source: src, OutDir: cfg.Out, AsOf: asOf, Thresholds: thresholds(cfg), SLA: cfg.SLADays.SLA(),
		Version: r.version, TemplateDir: cfg.Templates, Logger: log,
		Exceptions: excs, History: r.History(), Progress: r.progress,
		Workbook: workbookOptions(cfg.Workbook), Teams: teamsOf(&cfg.Slack, log), Owners: ownerOptions(cfg),
	})
	if err != nil {
		res.Close()
		log.Error("run failed", "err", err)
		return Outcome{Status: StatusFatal}
	}
	var archiver app.Archiver
	if r.arch != nil {
		archiver = r.arch
	}
	deliveryErr := errors.Join(app.Deliver(ctx, log, res, archiver, r.notifiers), spoolErr)
	// Delivered: the findings are in the run folder (and the archive).
	res.Close()
	out := Outcome{Result: res, DeliveryErr: deliveryErr, Status: StatusOK}
	switch {
	case res.Failed():
		out.Status = StatusAuditFailed
	case deliveryErr != nil:
		out.Status = StatusDeliveryFailed
	case res.Partial():
		out.Status = StatusPartial
	}
	return out
}

// History is where the runner's runs find their predecessors.
func (r *Runner) History() history.Store { return runHistory(r.cfg, r.arch) }

// FlushSpool uploads the runs that earlier runs left in the spool. Its
// error, a *SpoolError, is reported with the run's delivery; the spool
// keeps what it could not upload. Without an archive it does nothing.
func (r *Runner) FlushSpool(ctx context.Context) error {
	if r.arch == nil {
		return nil
	}
	res, err := r.arch.Flush(ctx)
	for _, loc := range res.Archived {
		r.log.Info("earlier run archived from the spool", "uri", loc.ArchiveURI)
	}
	if err != nil {
		left := make([]string, len(res.Failed))
		for i, p := range res.Failed {
			left[i] = p.ID
		}
		r.log.Error("earlier runs still in the spool", "spool", r.arch.SpoolDir(), "runs", len(left), "run_ids", left, "err", err)
		return &SpoolError{Dir: r.arch.SpoolDir(), Runs: left, Err: err}
	}
	return nil
}

// SpoolError says that runs are left in the spool because they could not
// be uploaded: nothing is lost, but their delivery failed.
type SpoolError struct {
	Dir  string   // the spool
	Runs []string // the IDs of the runs left, oldest first
	Err  error
}

// Error implements error.
func (e *SpoolError) Error() string {
	if len(e.Runs) == 0 {
		// The spool itself could not be read: whether runs wait in it
		// is not known.
		return fmt.Sprintf("archive spool %s: %v", e.Dir, e.Err)
	}
	return fmt.Sprintf("archive spool: %d earlier runs still in %s: %v", len(e.Runs), e.Dir, e.Err)
}

// Unwrap returns the upload error.
func (e *SpoolError) Unwrap() error { return e.Err }

// teamsOf returns the teams of the Slack routes, each getting its own
// files in the run folder; nil without routes.
func teamsOf(c *config.Slack, log *slog.Logger) app.TeamsFunc {
	if len(c.Routes) == 0 {
		return nil
	}
	return func(run *result.Run) []app.Team {
		teams, _ := slack.Teams(run, c) // the notifier logs the notes
		out := make([]app.Team, len(teams))
		for i, t := range teams {
			out[i] = app.Team{Name: t.Name, Folder: t.Folder, Accounts: t.Accounts}
		}
		if len(out) > 0 {
			log.Info("writing team files", "teams", len(out))
		}
		return out
	}
}

// workbookOptions maps the workbook settings onto the renderer's options,
// where zero means the default and a negative limit copies no row.
func workbookOptions(c config.Workbook) xlsx.Options {
	return xlsx.Options{MaxCredentialRows: rendererLimit(c.MaxCredentialRows), MaxFamilyRows: rendererLimit(c.MaxFamilyRows)}
}

// rendererLimit is a setting's limit for the renderer: the setting's 0
// ("never") is the renderer's negative limit.
func rendererLimit(setting int) int {
	if setting == 0 {
		return -1
	}
	return setting
}
