package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/reporter-dev/reporter/internal/daemon"

	"github.com/spf13/pflag"
)

// Daemon configures `reporter daemon`.
type Daemon struct {
	// Schedule is a 5-field cron expression or a descriptor (@monthly);
	// a CRON_TZ=/TZ= prefix sets its time zone.
	Schedule string `yaml:"schedule"`
	// Timezone applies to Schedule when it has no prefix.
	Timezone string `yaml:"timezone"`
	// CatchUp runs at start when the newest run is older than the last
	// scheduled time (or there is none).
	CatchUp bool `yaml:"catch_up"`
	// RunTimeout bounds each scheduled audit.
	RunTimeout time.Duration `yaml:"run_timeout"`
	// ShutdownGrace is how long a running audit may continue after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
	// ReadyMaxFailures: /readyz fails after this many audits in a row did not succeed.
	ReadyMaxFailures int `yaml:"ready_max_failures"`
}

// DefaultDaemon returns the daemon defaults: 06:00 UTC on the 1st.
func DefaultDaemon() Daemon {
	return Daemon{
		Schedule: "0 6 1 * *", Timezone: "UTC", CatchUp: true,
		RunTimeout: 6 * time.Hour, ShutdownGrace: 10 * time.Minute, ReadyMaxFailures: 2,
	}
}

// RegisterFlags binds the daemon flags to the fields of c. Only
// `reporter daemon` registers them.
func (c *Daemon) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Schedule, "schedule", c.Schedule, "cron schedule: 5 fields or a descriptor such as @monthly; CRON_TZ=Zone prefix allowed")
	fs.StringVar(&c.Timezone, "timezone", c.Timezone, "time zone of the schedule (IANA name)")
	fs.BoolVar(&c.CatchUp, "catch-up", c.CatchUp, "run at start when a scheduled run was missed")
	fs.DurationVar(&c.RunTimeout, "daemon-run-timeout", c.RunTimeout, "deadline of each scheduled audit")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "how long a running audit may continue after SIGTERM")
	fs.IntVar(&c.ReadyMaxFailures, "ready-max-failures", c.ReadyMaxFailures, "/readyz fails after this many audits in a row did not succeed (0: never)")
}

// Validate checks the schedule, its time zone and the limits. It is part
// of every subcommand's validation, not only the daemon's: the file is one.
func (c *Daemon) Validate() error {
	var errs []error
	if _, err := daemon.ParseSchedule(c.Schedule, c.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("daemon: %w", err))
	}
	if c.RunTimeout <= 0 {
		errs = append(errs, fmt.Errorf("daemon.run_timeout %s (--daemon-run-timeout): want more than 0", c.RunTimeout))
	}
	if c.ShutdownGrace <= 0 {
		errs = append(errs, fmt.Errorf("daemon.shutdown_grace %s (--shutdown-grace): want more than 0", c.ShutdownGrace))
	}
	if c.ReadyMaxFailures < 0 {
		errs = append(errs, fmt.Errorf("daemon.ready_max_failures %d (--ready-max-failures): want 0 (never fail /readyz) or more", c.ReadyMaxFailures))
	}
	return errors.Join(errs...)
}
