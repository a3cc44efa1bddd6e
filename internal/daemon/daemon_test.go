package daemon

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseScheduleNext(t *testing.T) {
	tests := []struct {
		name, spec, tz, from, want string
	}{
		{"default: 06:00 UTC on the 1st", "", "", "2026-11-01T06:00:00Z", "2026-12-01T06:00:00Z"},
		{"descriptor", "@monthly", "", "2026-11-15T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"Berlin in summer time (UTC+2)", "0 6 1 * *", "Europe/Berlin", "2026-03-15T00:00:00Z", "2026-04-01T04:00:00Z"},
		{"Berlin in winter time (UTC+1)", "0 6 1 * *", "Europe/Berlin", "2026-10-15T00:00:00Z", "2026-11-01T05:00:00Z"},
		{"CRON_TZ prefix wins over timezone", "CRON_TZ=America/New_York 0 6 * * *", "Asia/Tokyo", "2026-07-01T00:00:00Z", "2026-07-01T10:00:00Z"},
		{"TZ prefix", "TZ=America/New_York 0 6 * * *", "", "2026-12-01T00:00:00Z", "2026-12-01T11:00:00Z"},
		{"across the spring-forward night, New York", "0 6 * * *", "America/New_York", "2026-03-08T00:00:00Z", "2026-03-08T10:00:00Z"},
		{"after the spring-forward night", "0 6 * * *", "America/New_York", "2026-03-08T10:00:00Z", "2026-03-09T10:00:00Z"},
		{"before it, still EST", "0 6 * * *", "America/New_York", "2026-03-07T00:00:00Z", "2026-03-07T11:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, tt.tz)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(utc(tt.from)).UTC(); !got.Equal(utc(tt.want)) {
				t.Errorf("Next(%s) = %s, want %s", tt.from, got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	for _, tt := range []struct{ spec, tz string }{
		{"61 * * * *", ""}, {"0 6 1 *", ""}, {"@fortnightly", ""}, {"0 6 1 * *", "Mars/Olympus"},
	} {
		if _, err := ParseSchedule(tt.spec, tt.tz); err == nil {
			t.Errorf("ParseSchedule(%q, %q) succeeded, want an error", tt.spec, tt.tz)
		}
	}
}

// TestNeedsCatchUp: a schedule of fixed times catches up when the newest
// run is older than the last scheduled time; a fixed interval (@every D)
// has no fixed times and catches up only when the newest run is at least
// D old, so a restart soon after a run does not audit everything again.
func TestNeedsCatchUp(t *testing.T) {
	now := "2026-11-03T12:00:00Z" // the daemon starts: it was down over the 1st
	tests := []struct {
		name, spec, tz string
		newest         string // "" for an empty archive
		want           bool
	}{
		{"monthly: empty archive", "", "", "", true},
		{"monthly: newest run before the 1st", "", "", "2026-10-01T06:00:00Z", true},
		{"monthly: newest run is the 1st's", "", "", "2026-11-01T06:00:00Z", false},
		{"monthly: manual run after the 1st", "", "", "2026-11-02T09:00:00Z", false},
		{"monthly: one second before the 1st's time", "", "", "2026-11-01T05:59:59Z", true},
		{"cron in Paris: newest is today's 02:30 CET", "30 2 * * *", "Europe/Paris", "2026-11-03T01:30:00Z", false},
		{"cron in Paris: newest is yesterday's", "30 2 * * *", "Europe/Paris", "2026-11-02T01:30:00Z", true},
		{"@daily: newest is today's midnight", "@daily", "", "2026-11-03T00:00:00Z", false},
		{"@daily: newest is from before midnight", "@daily", "", "2026-11-02T23:59:00Z", true},
		{"@hourly: newest is noon's", "@hourly", "", "2026-11-03T12:00:00Z", false},
		{"@hourly: newest is from 11:30", "@hourly", "", "2026-11-03T11:30:00Z", true},
		{"@every 24h: empty archive", "@every 24h", "", "", true},
		// The reviewer's case: before the fix, Previous gave a time of
		// no meaning for @every, and this restart audited everything.
		{"@every 24h: restart 10 h after a run", "@every 24h", "", "2026-11-03T02:00:00Z", false},
		{"@every 24h: restart 1 s before the interval is up", "@every 24h", "", "2026-11-02T12:00:01Z", false},
		{"@every 24h: restart exactly one interval after", "@every 24h", "", "2026-11-02T12:00:00Z", true},
		{"@every 24h: down for three days", "@every 24h", "", "2026-10-31T12:00:00Z", true},
		{"@every 24h: newest run's as-of in the future", "@every 24h", "", "2026-11-04T12:00:00Z", false},
		{"@every 1h30m: 1 h after a run", "@every 1h30m", "", "2026-11-03T11:00:00Z", false},
		{"@every 1h30m: 2 h after a run", "@every 1h30m", "", "2026-11-03T10:00:00Z", true},
		{"@every 24h in a time zone: still an interval", "@every 24h", "Asia/Tokyo", "2026-11-03T02:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, tt.tz)
			if err != nil {
				t.Fatal(err)
			}
			var newest time.Time
			if tt.newest != "" {
				newest = utc(tt.newest)
			}
			got, why := NeedsCatchUp(s, utc(now), newest, tt.newest != "")
			if got != tt.want || got == (why == "") {
				t.Errorf("NeedsCatchUp(%q, newest %s) = %v (%q), want %v", tt.spec, tt.newest, got, why, tt.want)
			}
		})
	}
}

func TestPrevious(t *testing.T) {
	every5, _ := ParseSchedule("*/5 * * * *", "")
	monthly, _ := ParseSchedule("", "")
	tests := []struct {
		name string
		s    scheduleFunc
		now  string
		want string
	}{
		{"every 5 minutes", every5.Next, "2026-11-03T12:07:30Z", "2026-11-03T12:05:00Z"},
		{"exactly at an activation", every5.Next, "2026-11-03T12:05:00Z", "2026-11-03T12:05:00Z"},
		{"monthly", monthly.Next, "2026-11-03T12:00:00Z", "2026-11-01T06:00:00Z"},
		{"monthly, before the 1st's time", monthly.Next, "2026-11-01T05:00:00Z", "2026-10-01T06:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Previous(tt.s, utc(tt.now))
			if !ok || !got.Equal(utc(tt.want)) {
				t.Errorf("Previous(%s) = %s, %v; want %s", tt.now, got.Format(time.RFC3339), ok, tt.want)
			}
		})
	}
}

type scheduleFunc func(time.Time) time.Time

func (f scheduleFunc) Next(t time.Time) time.Time { return f(t) }

// fakeClock advances only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	changed chan struct{}
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, changed: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	c.changed <- struct{}{}
	return ch
}

// Advance moves time forward and wakes the waiters that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// waitForWaiter blocks until someone waits on the clock.
func (c *fakeClock) waitForWaiter(t *testing.T) {
	t.Helper()
	select {
	case <-c.changed:
	case <-time.After(5 * time.Second):
		t.Fatal("nobody waited on the clock")
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestServeRunsOnScheduleAndSkipsOverlaps(t *testing.T) {
	clock := newFakeClock(utc("2026-11-01T05:59:00Z"))
	sched, _ := ParseSchedule("* * * * *", "") // every minute
	release := make(chan struct{})
	var runs, shutdowns atomic.Int32
	var nexts []time.Time
	d := New(Options{
		Schedule: sched, Clock: clock,
		Run: func(ctx context.Context) error {
			runs.Add(1)
			<-release
			return nil
		},
		NextRun:    func(t time.Time) { nexts = append(nexts, t) },
		OnShutdown: func(context.Context) error { shutdowns.Add(1); return nil },
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- d.Serve(ctx) }()

	clock.waitForWaiter(t)
	clock.Advance(time.Minute) // 06:00: first run starts and blocks
	waitUntil(t, func() bool { return runs.Load() == 1 })
	clock.waitForWaiter(t)
	clock.Advance(time.Minute) // 06:01: still running, so skipped
	clock.waitForWaiter(t)
	if got := runs.Load(); got != 1 {
		t.Fatalf("runs = %d while the first was still going, want 1 (skip if still running)", got)
	}
	close(release)
	waitUntil(t, func() bool { return d.Running() == 0 })
	clock.Advance(time.Minute) // 06:02: runs again
	waitUntil(t, func() bool { return runs.Load() == 2 })

	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if shutdowns.Load() != 1 {
		t.Errorf("OnShutdown ran %d times, want once", shutdowns.Load())
	}
	if len(nexts) < 3 || !nexts[0].Equal(utc("2026-11-01T06:00:00Z")) {
		t.Errorf("next runs = %v", nexts)
	}
}

func TestShutdownLetsARunningAuditFinish(t *testing.T) {
	tests := []struct {
		name          string
		finishInGrace bool
	}{
		{"audit finishes within the grace period", true},
		{"grace period runs out: the audit is cancelled", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(utc("2026-11-01T05:59:00Z"))
			sched, _ := ParseSchedule("", "")
			started, release := make(chan struct{}), make(chan struct{})
			var runErr error
			var order []string
			var mu sync.Mutex
			note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
			d := New(Options{
				Schedule: sched, Clock: clock, Grace: time.Minute,
				Run: func(ctx context.Context) error {
					close(started)
					select {
					case <-release:
					case <-ctx.Done():
						runErr = ctx.Err()
					}
					note("run finished")
					return runErr
				},
				OnShutdown: func(context.Context) error { note("spool flushed"); return nil },
			})
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error)
			go func() { served <- d.Serve(ctx) }()
			clock.waitForWaiter(t)
			clock.Advance(time.Minute)
			<-started
			clock.waitForWaiter(t) // the loop waits for the next activation
			cancel()
			clock.waitForWaiter(t) // shutdown waits for the grace period
			if tt.finishInGrace {
				close(release)
			} else {
				clock.Advance(time.Minute)
			}
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			if tt.finishInGrace == (runErr != nil) {
				t.Errorf("run error = %v, want cancelled only when the grace period ran out", runErr)
			}
			if len(order) != 2 || order[0] != "run finished" || order[1] != "spool flushed" {
				t.Errorf("order = %v, want the run to finish before the spool is flushed", order)
			}
		})
	}
}

func TestPanicIsRecovered(t *testing.T) {
	clock := newFakeClock(utc("2026-11-01T05:59:00Z"))
	sched, _ := ParseSchedule("* * * * *", "")
	var runs, panics atomic.Int32
	d := New(Options{
		Schedule: sched, Clock: clock,
		Run: func(context.Context) error {
			if runs.Add(1) == 1 {
				panic("boom")
			}
			return nil
		},
		Panicked: func() { panics.Add(1) },
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- d.Serve(ctx) }()
	for i := 0; i < 2; i++ {
		clock.waitForWaiter(t)
		clock.Advance(time.Minute)
		waitUntil(t, func() bool { return runs.Load() == int32(i+1) && d.Running() == 0 })
	}
	cancel()
	<-served
	if panics.Load() != 1 || runs.Load() != 2 {
		t.Errorf("panics = %d, runs = %d; want the daemon to survive the first run's panic", panics.Load(), runs.Load())
	}
}

func TestCatchUpAtStart(t *testing.T) {
	tests := []struct {
		name     string
		spec     string
		newest   time.Time
		haveRun  bool
		err      error
		wantRuns int32
	}{
		{"missed the 1st", "", utc("2026-10-01T06:00:00Z"), true, nil, 1},
		{"up to date", "", utc("2026-11-01T06:00:00Z"), true, nil, 0},
		{"archive unreadable: catch up anyway", "", time.Time{}, false, errors.New("s3 down"), 1},
		{"@every 24h, restarted 10 h after a run", "@every 24h", utc("2026-11-03T02:00:00Z"), true, nil, 0},
		{"@every 24h, restarted 25 h after a run", "@every 24h", utc("2026-11-02T11:00:00Z"), true, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(utc("2026-11-03T12:00:00Z"))
			sched, err := ParseSchedule(tt.spec, "")
			if err != nil {
				t.Fatal(err)
			}
			var runs atomic.Int32
			d := New(Options{
				Schedule: sched, Clock: clock, CatchUp: true,
				Run:    func(context.Context) error { runs.Add(1); return nil },
				Newest: func(context.Context) (time.Time, bool, error) { return tt.newest, tt.haveRun, tt.err },
			})
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error)
			go func() { served <- d.Serve(ctx) }()
			clock.waitForWaiter(t)
			waitUntil(t, func() bool { return d.Running() == 0 && runs.Load() == tt.wantRuns })
			cancel()
			<-served
			if got := runs.Load(); got != tt.wantRuns {
				t.Errorf("runs at start = %d, want %d", got, tt.wantRuns)
			}
		})
	}
}
