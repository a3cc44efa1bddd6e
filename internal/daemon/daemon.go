package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Clock is the daemon's source of time.
type Clock interface {
	Now() time.Time
	// After waits for d, like time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
var RealClock Clock = realClock{}

// Options configure a Daemon.
type Options struct {
	Schedule cron.Schedule
	// Run performs one audit. Its ctx carries the run deadline; it is
	// cancelled only when the shutdown grace period runs out.
	Run func(ctx context.Context) error
	// Newest returns the as-of of the newest run that counts as a
	// period's audit, for catch-up: an incomplete run, or one that
	// audited no account, must not (history.NewestAudit).
	Newest func(ctx context.Context) (time.Time, bool, error)
	// CatchUp runs at start when a scheduled run was missed.
	CatchUp bool
	// RunTimeout bounds each run.
	RunTimeout time.Duration
	// Grace is how long a running audit may go on after shutdown starts.
	Grace time.Duration
	// OnShutdown runs after the last audit, e.g. to flush the archive spool.
	OnShutdown func(ctx context.Context) error
	// NextRun is told each next activation time (for metrics).
	NextRun func(time.Time)
	// Panicked is told about a recovered panic (for metrics).
	Panicked func()
	Clock    Clock
	Logger   *slog.Logger
}

// Daemon runs Options.Run on the schedule.
type Daemon struct {
	opts Options
	job  cron.Job // Run wrapped in SkipIfStillRunning and Recover
	wg   sync.WaitGroup

	mu      sync.Mutex
	runCtx  context.Context
	cancel  context.CancelFunc
	running int
}

// New returns a Daemon. Defaults: real clock, 6 h run timeout, 10 min grace.
func New(opts Options) *Daemon {
	if opts.Clock == nil {
		opts.Clock = RealClock
	}
	if opts.RunTimeout <= 0 {
		opts.RunTimeout = 6 * time.Hour
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{opts: opts}
	d.runCtx, d.cancel = context.WithCancel(context.Background())
	logger := cronLogger{opts.Logger}
	// Recover must sit inside SkipIfStillRunning: cron v3.0.1's
	// SkipIfStillRunning returns its token without a defer, so a panic
	// escaping it would make every later run be skipped.
	chain := cron.NewChain(cron.SkipIfStillRunning(logger), cron.Recover(logger))
	d.job = chain.Then(cron.FuncJob(d.runOnce))
	return d
}

// runOnce is the job the chain wraps: one audit with its deadline.
func (d *Daemon) runOnce() {
	d.mu.Lock()
	d.running++
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.running--
		d.mu.Unlock()
	}()
	defer func() {
		if r := recover(); r != nil {
			if d.opts.Panicked != nil {
				d.opts.Panicked()
			}
			panic(r) // cron.Recover logs it with the stack
		}
	}()
	ctx, cancel := context.WithTimeout(d.runCtx, d.opts.RunTimeout)
	defer cancel()
	start := d.opts.Clock.Now()
	if err := d.opts.Run(ctx); err != nil {
		d.opts.Logger.Error("scheduled audit failed", "err", err, "duration", d.opts.Clock.Now().Sub(start).String())
		return
	}
	d.opts.Logger.Info("scheduled audit finished", "duration", d.opts.Clock.Now().Sub(start).String())
}

// trigger starts the job in the background; the chain skips it if a run
// is still going.
func (d *Daemon) trigger(reason string) {
	d.opts.Logger.Info("starting audit", "reason", reason)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.job.Run()
	}()
}

// Running reports how many audits are in progress.
func (d *Daemon) Running() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running
}

// Serve schedules audits until ctx is cancelled, then shuts down: no new
// run starts, a running audit gets Grace to finish (then its context is
// cancelled), OnShutdown runs, and Serve returns.
func (d *Daemon) Serve(ctx context.Context) error {
	log := d.opts.Logger
	if d.opts.CatchUp {
		d.catchUp(ctx)
	}
	for {
		now := d.opts.Clock.Now()
		next := d.opts.Schedule.Next(now)
		if next.IsZero() {
			return errors.New("the schedule has no next activation")
		}
		if d.opts.NextRun != nil {
			d.opts.NextRun(next)
		}
		log.Info("next audit scheduled", "at", next.Format(time.RFC3339))
		select {
		case <-ctx.Done():
			return d.shutdown()
		case <-d.opts.Clock.After(next.Sub(now)):
			d.trigger("schedule")
		}
	}
}

func (d *Daemon) catchUp(ctx context.Context) {
	if d.opts.Newest == nil {
		return
	}
	newest, ok, err := d.opts.Newest(ctx)
	if err != nil {
		d.opts.Logger.Warn("cannot read the newest run; catching up anyway", "err", err)
	}
	if need, why := NeedsCatchUp(d.opts.Schedule, d.opts.Clock.Now(), newest, ok); need || err != nil {
		if why == "" {
			why = "newest run unknown"
		}
		d.trigger("catch-up: " + why)
	}
}

func (d *Daemon) shutdown() error {
	log := d.opts.Logger
	log.Info("shutting down", "running_audits", d.Running(), "grace", d.opts.Grace.String())
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-d.opts.Clock.After(d.opts.Grace):
		log.Warn("grace period over: cancelling the running audit")
		d.cancel()
		<-done
	}
	d.cancel()
	if d.opts.OnShutdown != nil {
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.Grace)
		defer cancel()
		if err := d.opts.OnShutdown(ctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	log.Info("stopped")
	return nil
}

// cronLogger adapts slog to cron's logr-shaped Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Info(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append([]any{"err", err}, kv...)...)
}
