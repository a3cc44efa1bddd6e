package progress

import (
	"fmt"
	"sync"
	"time"
)

// Meter follows a run's accounts done out of a total and derives the
// rate and the time left. It is safe for concurrent use.
type Meter struct {
	mu          sync.Mutex
	now         func() time.Time
	start       time.Time
	done, total int
}

// NewMeter starts a Meter at now(); now is the clock (time.Now outside
// tests).
func NewMeter(now func() time.Time) *Meter { return &Meter{now: now, start: now()} }

// Update records done accounts out of total (0 when the total is not
// known yet).
func (m *Meter) Update(done, total int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done, m.total = done, total
}

// Status is the state of a Meter at one moment.
type Status struct {
	Done, Total int
	Elapsed     time.Duration
	// Rate is accounts per second since the start; 0 before the first.
	Rate float64
	// ETA is the time left at Rate; 0 when unknown (no total, no rate).
	ETA time.Duration
}

// Status returns the meter's state now.
func (m *Meter) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Status{Done: m.done, Total: m.total, Elapsed: m.now().Sub(m.start)}
	if s.Done > 0 && s.Elapsed > 0 {
		s.Rate = float64(s.Done) / s.Elapsed.Seconds()
		if left := s.Total - s.Done; left > 0 {
			s.ETA = time.Duration(float64(left) / s.Rate * float64(time.Second)).Round(time.Second)
		}
	}
	return s
}

// String is the status for a terminal's progress line, e.g. "audited
// 40/200 accounts · 2.5/s · ETA 1m4s".
func (s Status) String() string {
	text := fmt.Sprintf("audited %d accounts", s.Done)
	if s.Total > 0 {
		text = fmt.Sprintf("audited %d/%d accounts", s.Done, s.Total)
	}
	if s.Rate > 0 {
		text += fmt.Sprintf(" · %.1f/s", s.Rate)
	}
	if s.ETA > 0 {
		text += " · ETA " + s.ETA.String()
	}
	return text
}

// Ticker delivers ticks every d until stop is called; time.NewTicker
// outside tests (see SystemTicker), a channel the test drives inside.
type Ticker func(d time.Duration) (ticks <-chan time.Time, stop func())

// SystemTicker is the Ticker of package time.
func SystemTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// DefaultInterval is how often Report logs progress when no terminal
// shows it.
const DefaultInterval = 30 * time.Second

// Report calls emit with the meter's status at every tick of tick(every)
// until the returned stop is called; stop waits for the last emit to
// return. A tick already due when stop is called is still reported. It is the periodic progress log line of a run whose output is
// no terminal.
func Report(m *Meter, every time.Duration, tick Ticker, emit func(Status)) (stop func()) {
	ticks, stopTicks := tick(every)
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-quit:
				select {
				case <-ticks:
					emit(m.Status())
				default:
				}
				return
			case <-ticks:
				emit(m.Status())
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			stopTicks()
			close(quit)
			<-finished
		})
	}
}
