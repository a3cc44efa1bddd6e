package progress

import (
	"bytes"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	var out bytes.Buffer
	l := New(&out)
	l.Write([]byte("first log line\n"))
	l.Set("accounts 1/3")
	l.Write([]byte("second log line\n"))
	l.Set("accounts 2/3")
	l.Done()
	want := "first log line\n" + clear + "accounts 1/3" + clear + "second log line\n" + "accounts 1/3" + clear + "accounts 2/3" + clear
	if got := out.String(); got != want {
		t.Errorf("output = %q\nwant     %q", got, want)
	}
}

// clock is a fake clock that a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestMeterStatus(t *testing.T) {
	start := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		done, total int
		elapsed     time.Duration
		want        string
		wantETA     time.Duration
	}{
		{name: "nothing done yet", done: 0, total: 200, elapsed: 5 * time.Second, want: "audited 0/200 accounts"},
		{name: "rate and ETA", done: 40, total: 200, elapsed: 16 * time.Second, want: "audited 40/200 accounts · 2.5/s · ETA 1m4s", wantETA: 64 * time.Second},
		{name: "total unknown", done: 7, total: 0, elapsed: 2 * time.Second, want: "audited 7 accounts · 3.5/s"},
		{name: "all done", done: 5, total: 5, elapsed: 10 * time.Second, want: "audited 5/5 accounts · 0.5/s"},
		{name: "more done than expected", done: 6, total: 5, elapsed: time.Second, want: "audited 6/5 accounts · 6.0/s"},
		{name: "no time elapsed", done: 3, total: 9, elapsed: 0, want: "audited 3/9 accounts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{start}
			m := NewMeter(c.now)
			m.Update(tt.done, tt.total)
			c.t = start.Add(tt.elapsed)
			s := m.Status()
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if s.ETA != tt.wantETA || s.Elapsed != tt.elapsed {
				t.Errorf("ETA %v, elapsed %v; want %v, %v", s.ETA, s.Elapsed, tt.wantETA, tt.elapsed)
			}
		})
	}
}

// fakeTicker is a Ticker whose ticks the test sends.
type fakeTicker struct {
	c       chan time.Time
	every   time.Duration
	stopped bool
}

func (f *fakeTicker) tick(d time.Duration) (<-chan time.Time, func()) {
	f.every = d
	return f.c, func() { f.stopped = true }
}

func TestReport(t *testing.T) {
	start := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	c := &clock{start}
	m := NewMeter(c.now)
	ft := &fakeTicker{c: make(chan time.Time)}
	got := make(chan Status, 10)
	stop := Report(m, DefaultInterval, ft.tick, func(s Status) { got <- s })
	if ft.every != 30*time.Second {
		t.Errorf("ticker interval %v, want 30s", ft.every)
	}

	c.t = start.Add(30 * time.Second)
	ft.c <- c.t
	if s := <-got; s.Done != 0 || s.Elapsed != 30*time.Second {
		t.Errorf("first report %+v, want 0 done after 30s", s)
	}
	m.Update(50, 100)
	c.t = start.Add(60 * time.Second)
	ft.c <- c.t
	if s := <-got; s.String() != "audited 50/100 accounts · 0.8/s · ETA 1m0s" {
		t.Errorf("second report %q", s)
	}
	stop()
	stop() // a second stop is harmless
	if !ft.stopped {
		t.Error("stop did not stop the ticker")
	}
	select {
	case ft.c <- c.t:
		t.Error("a tick was taken after stop")
	default:
	}
	if len(got) != 0 {
		t.Errorf("%d reports after stop", len(got))
	}
}
