package daemon

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/result"
)

// sigtermSource cancels the run after n accounts, as a SIGTERM during the
// audit does.
type sigtermSource struct {
	collect.Source
	n      int
	cancel context.CancelFunc
}

func (s sigtermSource) Collect(ctx context.Context, sink func(collect.AccountResult) error) error {
	done := 0
	return s.Source.Collect(ctx, func(r collect.AccountResult) error {
		err := sink(r)
		if done++; done == s.n {
			s.cancel()
		}
		return err
	})
}

// TestCatchUpAfterAnInterruptedRun: the month's audit was interrupted by
// SIGTERM after two accounts. Its run folder is written (status
// incomplete), but it is not the month's audit: the daemon catches up at
// start, and the next run does not compare with it.
func TestCatchUpAfterAnInterruptedRun(t *testing.T) {
	out := t.TempDir()
	runAt := func(ctx context.Context, src collect.Source, asOf time.Time) *app.Result {
		t.Helper()
		res, err := app.RunOnce(ctx, app.Options{Source: src, OutDir: out, AsOf: asOf, Thresholds: audit.DefaultThresholds(), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		res.Close()
		return res
	}
	october := runAt(context.Background(), sample.NewSource(), utc("2026-10-01T06:00:00Z"))
	ctx, cancel := context.WithCancel(context.Background())
	interrupted := runAt(ctx, sigtermSource{sample.NewSource(), 2, cancel}, utc("2026-11-01T06:00:00Z"))
	cancel()
	if interrupted.Run.Run.Status != result.RunIncomplete || len(interrupted.Run.Accounts) != 2 {
		t.Fatalf("interrupted run: status %q, %d accounts; want incomplete with 2", interrupted.Run.Run.Status, len(interrupted.Run.Accounts))
	}

	clock := newFakeClock(utc("2026-11-03T12:00:00Z"))
	sched, _ := ParseSchedule("", "")
	var runs atomic.Int32
	d := New(Options{
		Schedule: sched, Clock: clock, CatchUp: true,
		Run: func(context.Context) error { runs.Add(1); return nil },
		Newest: func(ctx context.Context) (time.Time, bool, error) {
			all, err := history.Local{Root: out}.Runs(ctx)
			newest, ok := history.NewestAudit(all)
			return newest, ok, err
		},
	})
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- d.Serve(sctx) }()
	clock.waitForWaiter(t)
	waitUntil(t, func() bool { return d.Running() == 0 && runs.Load() == 1 })
	stop()
	<-served
	if got := runs.Load(); got != 1 {
		t.Errorf("runs at start = %d, want a catch-up run: the interrupted run is not the month's audit", got)
	}

	next := runAt(context.Background(), sample.NewSource(), utc("2026-11-03T12:00:00Z"))
	if next.Run.Changes == nil || next.Run.Changes.PreviousRunID != october.Run.Run.ID {
		t.Errorf("catch-up run compared with %+v, want the October run %s", next.Run.Changes, october.Run.Run.ID)
	}
}

// TestPreviousYearsApart: a schedule of Feb 29 has activations four
// years apart; Previous must find the last one.
func TestPreviousYearsApart(t *testing.T) {
	s, err := ParseSchedule("0 6 29 2 *", "")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2028, 2, 28, 12, 0, 0, 0, time.UTC)
	prev, ok := Previous(s, now)
	if want := time.Date(2024, 2, 29, 6, 0, 0, 0, time.UTC); !ok || !prev.Equal(want) {
		t.Errorf("Previous = %v, %v; want %v", prev, ok, want)
	}
	newest := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	if need, _ := NeedsCatchUp(s, now, newest, true); !need {
		t.Errorf("newest run 2023-01-01, scheduled run 2024-02-29 missed: no catch-up")
	}
}

// TestPreviousNone: a schedule with no activation in the five years
// searched (February 30) has no previous time, and the search ends.
func TestPreviousNone(t *testing.T) {
	s, err := ParseSchedule("0 6 30 2 *", "")
	if err != nil {
		t.Fatal(err)
	}
	if prev, ok := Previous(s, time.Date(2028, 2, 28, 12, 0, 0, 0, time.UTC)); ok {
		t.Errorf("Previous = %v, want none", prev)
	}
}
