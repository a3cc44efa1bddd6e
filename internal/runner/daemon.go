package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/reporter-dev/reporter/internal/daemon"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/metrics"
	"github.com/reporter-dev/reporter/internal/progress"
)

// Serve audits on the configured schedule until ctx is cancelled (SIGTERM
// or SIGINT in the reporter), serving /healthz, /readyz and /metrics on
// the configured listen address. An unusable schedule or listen address
// is a *ConfigError, returned before anything starts. On shutdown it
// uploads what the spool still holds; the runs it cannot upload stay
// there, and the error returned is then a *SpoolError naming them.
func (r *Runner) Serve(ctx context.Context) error {
	cfg, log := r.cfg, r.log
	sched, err := daemon.ParseSchedule(cfg.Daemon.Schedule, cfg.Daemon.Timezone)
	if err != nil {
		return &ConfigError{err}
	}
	m := metrics.New()
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return &ConfigError{fmt.Errorf("--listen: %w", err)}
		}
		srv := &http.Server{Handler: m.Handler(cfg.Daemon.ReadyMaxFailures), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		log.Info("serving health and metrics", "addr", ln.Addr().String())
	}
	d := daemon.New(daemon.Options{
		Schedule: sched, CatchUp: cfg.Daemon.CatchUp, RunTimeout: cfg.Daemon.RunTimeout,
		Grace: cfg.Daemon.ShutdownGrace, Logger: log,
		NextRun: m.NextRun, Panicked: m.Panicked,
		Run: func(ctx context.Context) error {
			start := time.Now()
			m.RunStarted(start)
			stopProgress := r.logProgress()
			out := r.RunOnce(ctx, time.Time{})
			stopProgress()
			recordRun(m, start, out)
			switch {
			case out.Err != nil:
				return out.Err
			case out.Status != StatusOK:
				return fmt.Errorf("audit ended: %s", out.Status)
			}
			return nil
		},
		Newest: func(ctx context.Context) (time.Time, bool, error) {
			runs, err := r.History().Runs(ctx)
			if err != nil {
				return time.Time{}, false, err
			}
			// An incomplete run, or one that audited nothing, is not the
			// period's audit: the daemon catches up.
			newest, ok := history.NewestAudit(runs)
			return newest, ok, nil
		},
		OnShutdown: r.FlushSpool,
	})
	return d.Serve(ctx)
}

// recordRun turns a run's outcome into metrics.
func recordRun(m *metrics.Metrics, start time.Time, out Outcome) {
	result := metrics.ResultFailed
	switch out.Status {
	case StatusOK:
		result = metrics.ResultSuccess
	case StatusPartial:
		result = metrics.ResultPartial
	case StatusDeliveryFailed:
		result = metrics.ResultDeliveryFailed
	}
	if out.Result != nil {
		m.RunFinished(start, time.Now(), out.Result.Run, result, out.Result.ArchiveFailed, out.Result.FailedNotifiers)
		return
	}
	m.RunFinished(start, time.Now(), nil, result, false, nil)
}

// logProgress starts logging the progress of the next run at the ticks
// of r's ProgressTicker and returns what stops it; without a ticker it
// does nothing. The daemon runs one audit at a time, so the run's
// progress callback is r's own for its duration.
func (r *Runner) logProgress() (stop func()) {
	if r.ticker == nil {
		return func() {}
	}
	meter, before := progress.NewMeter(time.Now), r.progress
	r.progress = func(done, total int) {
		meter.Update(done, total)
		if before != nil {
			before(done, total)
		}
	}
	stopReport := progress.Report(meter, progress.DefaultInterval, r.ticker, progress.Log(r.log))
	return func() {
		stopReport()
		r.progress = before
	}
}
