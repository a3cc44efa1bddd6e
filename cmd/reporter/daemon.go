package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/daemon"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/metrics"
)

// runDaemon implements `reporter daemon`: audits on the configured
// schedule until SIGTERM or SIGINT, serving /healthz, /readyz and
// /metrics on --listen.
func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags("daemon", args, stderr, daemonFlags)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		printParseError(stderr, "daemon", err)
		return exitUsage
	}
	if len(f.asOf) > 0 {
		fmt.Fprintln(stderr, "reporter daemon: --as-of applies to `reporter run` only; the daemon audits as of each run's start")
		return exitUsage
	}
	cfg := &f.cfg
	// Check everything now, as `config check` does: a daemon that would
	// fail every month should fail at start.
	if problems := checkConfig(ctx, cfg, time.Time{}); len(problems) > 0 {
		printProblems(stderr, "daemon", problems)
		return exitUsage
	}
	log, err := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		fmt.Fprintln(stderr, "reporter daemon:", err)
		return exitUsage
	}
	sched, err := daemon.ParseSchedule(cfg.Daemon.Schedule, cfg.Daemon.Timezone)
	if err != nil {
		fmt.Fprintln(stderr, "reporter daemon:", err)
		return exitUsage
	}
	r, err := newRunner(ctx, cfg, log, stdout, false)
	if err != nil {
		fmt.Fprintln(stderr, "reporter daemon:", err)
		return exitUsage
	}

	m := metrics.New()
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			fmt.Fprintln(stderr, "reporter daemon: --listen:", err)
			return exitUsage
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
			out := r.runOnce(ctx, time.Time{})
			recordRun(m, start, out)
			switch {
			case out.usageErr != nil:
				return out.usageErr
			case out.lockErr != nil:
				return out.lockErr
			case out.status != exitOK:
				return fmt.Errorf("audit ended with exit status %d", out.status)
			}
			return nil
		},
		Newest: func(ctx context.Context) (time.Time, bool, error) {
			runs, err := runHistory(cfg, r.arch).Runs(ctx)
			if err != nil {
				return time.Time{}, false, err
			}
			// An incomplete run, or one that audited nothing, is not the
			// period's audit: the daemon catches up.
			newest, ok := history.NewestAudit(runs)
			return newest, ok, nil
		},
		OnShutdown: func(ctx context.Context) error { return flushSpool(ctx, r.arch, log) },
	})
	if err := d.Serve(ctx); err != nil {
		log.Error("daemon stopped", "err", err)
		return exitFatal
	}
	return exitOK
}

// daemonFlags registers the flags only the daemon uses (config check
// accepts them too, to check a daemon's command line).
func daemonFlags(fs *flag.FlagSet, c *config.Config) {
	c.Daemon.RegisterFlags(fs)
	fs.StringVar(&c.Listen, "listen", c.Listen, "address of /healthz, /readyz and /metrics (empty: none)")
}

// recordRun turns a run's outcome into metrics.
func recordRun(m *metrics.Metrics, start time.Time, out runOutcome) {
	result := metrics.ResultSuccess
	switch out.status {
	case exitOK:
	case exitPartial:
		result = metrics.ResultPartial
	case exitDelivery:
		result = metrics.ResultDeliveryFailed
	default:
		result = metrics.ResultFailed
	}
	if out.res != nil {
		m.RunFinished(start, time.Now(), out.res.Run, result, out.res.ArchiveFailed, out.res.FailedNotifiers)
		return
	}
	m.RunFinished(start, time.Now(), nil, result, false, nil)
}

// healthcheck implements `reporter healthcheck [--url URL]` for container
// health checks (the image has no shell or curl): exit 0 when URL answers 200.
func healthcheck(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "http://127.0.0.1:9090/healthz", "health endpoint to query")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return exitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return exitFatal
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck:", resp.Status)
		return exitFatal
	}
	return exitOK
}
