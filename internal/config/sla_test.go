package config

import (
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/audit"
)

func TestSLADays(t *testing.T) {
	tests := []struct {
		name string
		file string // the configuration file, "" for none
		env  map[string]string
		want audit.SLA
		err  string
	}{
		{name: "defaults", want: audit.SLA{audit.Critical: 7, audit.High: 30, audit.Medium: 90, audit.Low: 180}},
		{name: "the file overrides one severity", file: "sla_days:\n  critical: 3\n",
			want: audit.SLA{audit.Critical: 3, audit.High: 30, audit.Medium: 90, audit.Low: 180}},
		{name: "the environment overrides the file", file: "sla_days:\n  high: 14\n", env: map[string]string{"REPORTER_SLA_DAYS_HIGH": "21"},
			want: audit.SLA{audit.Critical: 7, audit.High: 21, audit.Medium: 90, audit.Low: 180}},
		{name: "unknown severity, with its line", file: "out: x\nsla_days:\n  urgent: 1\n", err: "reporter.yaml:3: field urgent not found"},
		{name: "zero days", file: "sla_days:\n  medium: 0\n", err: "sla_days.medium 0 (REPORTER_SLA_DAYS_MEDIUM): want 1 or more days"},
		{name: "negative days from the environment", env: map[string]string{"REPORTER_SLA_DAYS_LOW": "-5"}, err: "sla_days.low -5"},
		{name: "not a number", env: map[string]string{"REPORTER_SLA_DAYS_LOW": "soon"}, err: `REPORTER_SLA_DAYS_LOW="soon"`},
		{name: "100 years, the most", file: "sla_days:\n  low: 36500\n", env: map[string]string{"REPORTER_SLA_DAYS_CRITICAL": "36500"},
			want: audit.SLA{audit.Critical: 36500, audit.High: 30, audit.Medium: 90, audit.Low: 36500}},
		{name: "a day more than 100 years", file: "sla_days:\n  low: 36501\n",
			err: "sla_days.low 36501 (REPORTER_SLA_DAYS_LOW): want at most 36,500 days (100 years)"},
		{name: "never due: past the year 9999", env: map[string]string{"REPORTER_SLA_DAYS_HIGH": "3000000"},
			err: "sla_days.high 3000000 (REPORTER_SLA_DAYS_HIGH): want at most 36,500 days"},
		{name: "the largest int", file: "sla_days:\n  medium: 9223372036854775807\n", err: "sla_days.medium 9223372036854775807 (REPORTER_SLA_DAYS_MEDIUM): want at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := fromFileAndEnv(t, tt.file, tt.env)
			if err == nil {
				err = c.Validate()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := c.SLADays.SLA()
			for _, sev := range audit.Severities {
				if got[sev] != tt.want[sev] {
					t.Errorf("SLA()[%s] = %d, want %d", sev, got[sev], tt.want[sev])
				}
			}
			if err := got.Validate(); err != nil {
				t.Errorf("a valid configuration gives an invalid SLA: %v", err)
			}
		})
	}
}
