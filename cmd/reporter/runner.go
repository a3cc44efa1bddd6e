package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/progress"
	"github.com/reporter-dev/reporter/report"
)

// runner performs audits with one configuration: `reporter run` uses it
// once, `reporter daemon` on every scheduled activation. The archive and
// the notifiers are opened once; the source and the exceptions file are
// opened again for every run, so edits to them apply to the next run.
type runner struct {
	cfg       *config.Config
	log       *slog.Logger
	arch      *archive.Archiver
	notifiers []app.Notifier
	// progress, when set, is told accounts done/total during a run.
	progress func(done, total int)
}

// runOutcome is what one run produced.
type runOutcome struct {
	res         *app.Result // nil when the run failed before writing its folder
	status      int         // the exit status the run deserves
	usageErr    error       // the configuration was unusable for this run
	lockErr     error       // another reporter holds the archive's run lease
	deliveryErr error
}

// leaseTTL is how long a run lease lasts without renewal: a reporter that
// dies frees the archive for others after at most this long.
const leaseTTL = 15 * time.Minute

// lockArchive takes the archive's run lease, so two reporters sharing a
// bucket never audit at once, and renews it until release is called. It
// fails only when another reporter holds the lease: when S3 cannot be
// reached the audit goes on (and spools), with a warning.
func (r *runner) lockArchive(ctx context.Context) (release func(), err error) {
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s pid %d (%s)", host, os.Getpid(), reporterVersion())
	lock, err := r.arch.Lock(ctx, holder, leaseTTL)
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
			r.log.Warn("run lease not released; it expires by itself", "err", err, "ttl", leaseTTL.String())
		}
	}, nil
}

// newRunner opens the archive and builds the notifiers. With alwaysNotify
// false (the daemon), the Slack digest is built only when Slack is
// configured or a dry run is asked for, so an unconfigured daemon does
// not print a digest to stdout each month.
func newRunner(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout io.Writer, alwaysNotify bool) (*runner, error) {
	arch, err := openRunArchiver(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, log: log, arch: arch}
	if alwaysNotify || slackConfigured(cfg) {
		r.notifiers = runNotifiers(cfg, stdout, log)
	}
	return r, nil
}

// runOnce performs one audit as of asOf (zero: now, or the sample's own
// date), archives it and notifies.
func (r *runner) runOnce(ctx context.Context, asOf time.Time) runOutcome {
	cfg, log := r.cfg, r.log
	src, defaultAsOf, err := openSource(ctx, cfg, log)
	if err != nil {
		return runOutcome{status: exitUsage, usageErr: err}
	}
	if asOf.IsZero() {
		asOf = defaultAsOf
	}
	excs, err := loadExceptions(ctx, cfg, asOf)
	if err != nil {
		return runOutcome{status: exitUsage, usageErr: err}
	}
	if r.arch != nil {
		release, err := r.lockArchive(ctx)
		if err != nil {
			log.Error("audit not started", "err", err)
			return runOutcome{status: exitFatal, usageErr: nil, lockErr: err}
		}
		defer release()
	}
	spoolErr := flushSpool(ctx, r.arch, log)
	res, err := app.RunOnce(ctx, app.Options{
		Source: src, OutDir: cfg.Out, AsOf: asOf, Thresholds: cfg.Thresholds,
		Version: reporterVersion(), TemplateDir: cfg.Templates, Logger: log,
		Exceptions: excs, History: runHistory(cfg, r.arch), Progress: r.progress,
		Workbook: workbookOptions(cfg.Workbook),
	})
	if err != nil {
		res.Close()
		log.Error("run failed", "err", err)
		return runOutcome{status: exitFatal}
	}
	deliveryErr := errors.Join(app.Deliver(ctx, log, res, appArchiver(r.arch), r.notifiers), spoolErr)
	// Delivered: the findings are in the run folder (and the archive).
	res.Close()
	out := runOutcome{res: res, deliveryErr: deliveryErr, status: exitOK}
	switch {
	case res.Failed():
		out.status = exitAuditFailed
	case deliveryErr != nil:
		out.status = exitDelivery
	case res.Partial():
		out.status = exitPartial
	}
	return out
}

// slackConfigured reports whether a Slack token, webhook or dry run is set.
func slackConfigured(cfg *config.Config) bool {
	if cfg.Slack.DryRun != config.DryRunOff || cfg.Slack.TokenFile != "" || cfg.Slack.WebhookURLFile != "" {
		return true
	}
	for _, env := range []string{"SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"} {
		if os.Getenv(env) != "" {
			return true
		}
	}
	return false
}

// progressLine shows "accounts done/total" under the log lines of a
// terminal.
type progressLine struct{ *progress.Line }

func newProgressLine(w io.Writer) *progressLine { return &progressLine{progress.New(w)} }

func (p *progressLine) update(done, total int) {
	if total > 0 {
		p.Set("audited %d/%d accounts", done, total)
	} else {
		p.Set("audited %d accounts", done)
	}
}

// workbookOptions maps the workbook settings onto the renderer's options,
// where zero means the default and a negative limit copies no row.
func workbookOptions(c config.Workbook) report.WorkbookOptions {
	limit := c.MaxCredentialRows
	if limit == 0 {
		limit = -1
	}
	return report.WorkbookOptions{MaxCredentialRows: limit}
}
