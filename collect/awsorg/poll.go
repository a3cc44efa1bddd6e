package awsorg

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// reportClock learns how long the organization's credential reports take
// to generate, so that the first poll of a report comes when reports
// usually complete rather than after a fixed interval. It is shared by
// the accounts collected at a time and takes no lock.
//
// The estimate starts at the first report seen to complete. After that
// it tracks the median: each report whose first poll was planned from the
// estimate moves it down when that poll found the report complete (it
// could have come earlier) and up when it did not, by a sixteenth divided
// by the number of accounts collected at a time. Those accounts plan
// their polls from the same estimate and report back together, so each
// round of them moves it by about a sixteenth however many they are; and
// one very slow account moves it by a fraction of that, not by its own
// duration.
type reportClock struct {
	typical atomic.Int64 // nanoseconds; 0 until a report has completed
	// peers is the number of accounts collected at a time.
	peers int64
}

// estimate returns the typical generation time; 0 when none is known yet.
func (c *reportClock) estimate() time.Duration { return time.Duration(c.typical.Load()) }

// observe records a report that completed took after it was started.
// estimated says whether its first poll was planned from the estimate
// and early whether that first poll found it complete.
func (c *reportClock) observe(took time.Duration, estimated, early bool) {
	if took <= 0 {
		return
	}
	if c.typical.CompareAndSwap(0, int64(took)) || !estimated {
		return
	}
	for {
		old := c.typical.Load()
		step := max(old/(16*max(c.peers, 1)), 1)
		next := old + step
		if early {
			next = old - step
		}
		if c.typical.CompareAndSwap(old, max(next, 1)) {
			return
		}
	}
}

// pollDelay is the wait before poll n (from 0) of a report that has been
// in progress for inProgress, and whether it was planned from the
// typical generation time:
//
//   - the first poll comes when reports typically complete, once the
//     source has seen one complete; before that after PollInterval;
//   - later polls come after an eighth of the time the report has been in
//     progress, so that a poll finds it at most about 12% after it is
//     ready, while a slow report is polled about six times each time its
//     generation time doubles.
//
// Every wait is at least PollInterval (or an eighth of the typical time
// when that is shorter) and at most MaxPollInterval, with ±6% jitter so
// that accounts started together do not poll in step.
func (s *Source) pollDelay(n int, inProgress time.Duration) (time.Duration, bool) {
	return s.pollDelayOf(&s.reports, n, inProgress)
}

// pollDelayOf is pollDelay for the jobs whose typical time c tracks
// (credential reports, or service last-accessed jobs).
func (s *Source) pollDelayOf(c *reportClock, n int, inProgress time.Duration) (time.Duration, bool) {
	typical := c.estimate()
	floor := s.opts.PollInterval
	if typical > 0 {
		floor = min(floor, typical/8)
	}
	d, estimated := inProgress/8, false
	if n == 0 && typical > 0 {
		d, estimated = typical-inProgress, true
	}
	d = min(max(d, floor), s.opts.MaxPollInterval)
	if d <= 0 {
		return 0, estimated
	}
	return d - d/16 + rand.N(d/8+1), estimated
}
