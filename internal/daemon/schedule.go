// Package daemon runs the audit on a cron schedule: one run at a time,
// panics recovered, every run with a deadline, a catch-up run on start
// when a scheduled run was missed, and a graceful shutdown.
//
// Schedules are parsed by robfig/cron; the loop that waits for the next
// activation takes its time from a Clock, so it can be tested without
// waiting.
package daemon

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultSchedule runs at 06:00 on the 1st of each month.
const DefaultSchedule = "0 6 1 * *"

// ParseSchedule parses a standard 5-field cron expression or a descriptor
// (@monthly, @every 24h…). A CRON_TZ= or TZ= prefix in spec wins over
// timezone; an empty timezone means UTC.
func ParseSchedule(spec, timezone string) (cron.Schedule, error) {
	if spec == "" {
		spec = DefaultSchedule
	}
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		if timezone == "" {
			timezone = "UTC"
		}
		if _, err := time.LoadLocation(timezone); err != nil {
			return nil, fmt.Errorf("timezone %q: %w", timezone, err)
		}
		spec = "CRON_TZ=" + timezone + " " + spec
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// Previous returns the latest activation of s at or before now, searching
// back at most five years; ok is false when there is none. It is meant
// for schedules of fixed times (cron expressions, @daily…): an @every
// schedule has no fixed times (its activations count from whenever its
// Next is asked), so what Previous returns for it means nothing.
func Previous(s cron.Schedule, now time.Time) (time.Time, bool) {
	const longest = 5 * 366 * 24 * time.Hour
	for window := time.Minute; ; window = min(2*window, longest) {
		if t := s.Next(now.Add(-window)); !t.IsZero() && !t.After(now) {
			for {
				next := s.Next(t)
				if next.IsZero() || next.After(now) {
					return t, true
				}
				t = next
			}
		}
		if window == longest {
			return time.Time{}, false // the last window tried is the whole five years
		}
	}
}

// NeedsCatchUp decides whether to run at start: when no run exists, or a
// run is due that the newest run does not stand for. For a schedule of
// fixed times (a cron expression, @daily, @monthly…) that is when the
// newest run is older than the last scheduled time; for a fixed interval
// (@every D) when the newest run is at least D old, so that a restart
// soon after a run does not audit the whole organization again.
func NeedsCatchUp(s cron.Schedule, now time.Time, newest time.Time, haveRun bool) (bool, string) {
	if !haveRun {
		return true, "no earlier run found"
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		if due := newest.Add(every.Delay); due.After(now) {
			return false, ""
		}
		return true, fmt.Sprintf("newest run (as of %s) is at least one interval (%s) old",
			newest.UTC().Format(time.RFC3339), every.Delay)
	}
	prev, ok := Previous(s, now)
	if !ok || !newest.Before(prev) {
		return false, ""
	}
	return true, fmt.Sprintf("newest run (as of %s) is older than the last scheduled time %s",
		newest.UTC().Format(time.RFC3339), prev.UTC().Format(time.RFC3339))
}
