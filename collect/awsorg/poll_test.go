package awsorg

import (
	"testing"
	"time"
)

func TestPollDelay(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name          string
		typical       time.Duration // the learned generation time; 0: none yet
		n             int
		inProgress    time.Duration
		want          time.Duration // ±1/16 jitter
		wantEstimated bool
	}{
		{name: "first poll, nothing learned", n: 0, inProgress: 50 * ms, want: 250 * ms},
		{name: "early polls wait PollInterval", n: 3, inProgress: time.Second, want: 250 * ms},
		{name: "later polls wait an eighth of the time in progress", n: 9, inProgress: 8 * time.Second, want: time.Second},
		{name: "capped at MaxPollInterval", n: 30, inProgress: time.Hour, want: 30 * time.Second},
		{name: "first poll when reports typically complete", typical: 2 * time.Second, n: 0, inProgress: 100 * ms, want: 1900 * ms, wantEstimated: true},
		{name: "first poll of a report already older than typical", typical: 2 * time.Second, n: 0, inProgress: 3 * time.Second, want: 250 * ms, wantEstimated: true},
		{name: "after a first poll that was too early", typical: 2 * time.Second, n: 1, inProgress: 2 * time.Second, want: 250 * ms},
		{name: "fast reports lower the floor to an eighth of typical", typical: 400 * ms, n: 1, inProgress: 400 * ms, want: 50 * ms},
		{name: "first poll of fast reports", typical: 400 * ms, n: 0, inProgress: 10 * ms, want: 390 * ms, wantEstimated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Source{opts: Options{PollInterval: 250 * ms, MaxPollInterval: 30 * time.Second}}
			s.reports.typical.Store(int64(tt.typical))
			for range 50 { // the jitter is random: try it several times
				got, estimated := s.pollDelay(tt.n, tt.inProgress)
				if lo, hi := tt.want-tt.want/16, tt.want+tt.want/16; got < lo || got > hi || estimated != tt.wantEstimated {
					t.Fatalf("pollDelay(%d, %v) = %v, %v; want %v to %v, %v", tt.n, tt.inProgress, got, estimated, lo, hi, tt.wantEstimated)
				}
			}
		})
	}
}

func TestReportClock(t *testing.T) {
	type obs struct {
		took             time.Duration
		estimated, early bool
	}
	const first = 1600 * time.Millisecond
	tests := []struct {
		name  string
		peers int64
		obs   []obs
		want  time.Duration
	}{
		{"nothing seen", 1, nil, 0},
		{"the first report sets the estimate", 1, []obs{{took: first}}, first},
		{"reports polled without the estimate do not move it", 1, []obs{{took: first}, {took: time.Hour}, {took: time.Millisecond, early: true}}, first},
		{"complete at the first poll: a sixteenth earlier", 1, []obs{{took: first}, {took: first, estimated: true, early: true}}, 1500 * time.Millisecond},
		{"not complete at the first poll: a sixteenth later", 1, []obs{{took: first}, {took: 1800 * time.Millisecond, estimated: true}}, 1700 * time.Millisecond},
		{"one very slow account moves it by a sixteenth only", 1, []obs{{took: first}, {took: 10 * time.Minute, estimated: true}}, 1700 * time.Millisecond},
		{"among 4 peers, by a sixty-fourth", 4, []obs{{took: first}, {took: 10 * time.Minute, estimated: true}}, 1625 * time.Millisecond},
		{"a zero duration is ignored", 1, []obs{{took: 0}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := reportClock{peers: tt.peers}
			for _, o := range tt.obs {
				c.observe(o.took, o.estimated, o.early)
			}
			if got := c.estimate(); got != tt.want {
				t.Errorf("estimate() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestReportClockConverges simulates rounds of accounts collected
// together: each round plans its first polls from the same estimate (with
// the jitter of pollDelay), and reports back after the round. Reports
// complete after 2s (with a spread); the estimate must settle near 2s
// from a first report seen late or early, and never collapse or explode
// in between, whatever the concurrency.
func TestReportClockConverges(t *testing.T) {
	const took = 2 * time.Second
	tests := []struct {
		name        string
		concurrency int
		spread      time.Duration // reports complete in took ± spread/2
		first       time.Duration
	}{
		{"one at a time, first seen late", 1, 0, 3 * time.Second},
		{"16 at a time, first seen late", 16, 0, 2250 * time.Millisecond},
		{"64 at a time, first seen late", 64, 0, 2250 * time.Millisecond},
		{"64 at a time, first seen early", 64, 0, 1500 * time.Millisecond},
		{"64 at a time, reports spread over 1s", 64, time.Second, 2250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := reportClock{peers: int64(tt.concurrency)}
			c.observe(tt.first, false, false)
			for round := range 100 {
				planned := c.estimate()
				n := tt.concurrency
				for i := range n {
					frac := (float64(i)+0.5)/float64(n) - 0.5 // spread the accounts of a round evenly
					poll := planned + time.Duration(frac*float64(planned)/8)
					ready := took + time.Duration(frac*float64(tt.spread))
					c.observe(max(poll, ready), true, poll >= ready)
				}
				if e := c.estimate(); e < took/2 || e > 2*took {
					t.Fatalf("round %d: estimate() = %v, want it to stay within [%v, %v]", round, e, took/2, 2*took)
				}
			}
			if got := c.estimate(); got < took*15/16 || got > took*17/16 {
				t.Errorf("estimate() after 100 rounds = %v, want within a sixteenth of %v", got, took)
			}
		})
	}
}
