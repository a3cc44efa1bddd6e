package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/thousands"
)

// SLADays are how many days an open finding of each severity may stay
// open after the run that first saw it: its due date is that run's UTC
// day plus the days, and it is overdue afterwards.
type SLADays struct {
	// Critical is the days a critical finding may stay open after the
	// run that first saw it, from 1 to 36,500 (100 years); it is overdue
	// afterwards.
	Critical int `yaml:"critical"`
	// High is the days a high finding may stay open (see Critical).
	High int `yaml:"high"`
	// Medium is the days a medium finding may stay open (see Critical).
	Medium int `yaml:"medium"`
	// Low is the days a low finding may stay open (see Critical).
	Low int `yaml:"low"`
}

// DefaultSLADays are the defaults of sla_days (audit.DefaultSLA).
func DefaultSLADays() SLADays {
	d := audit.DefaultSLA()
	return SLADays{Critical: d[audit.Critical], High: d[audit.High], Medium: d[audit.Medium], Low: d[audit.Low]}
}

// SLA returns the days by severity, as the audit applies them.
func (s SLADays) SLA() audit.SLA {
	return audit.SLA{audit.Critical: s.Critical, audit.High: s.High, audit.Medium: s.Medium, audit.Low: s.Low}
}

// Validate reports every severity whose days are not positive or more
// than audit.MaxSLADays (36,500, about 100 years: a due date past the
// year 9999 could not be written). (A severity the file names that does
// not exist is refused when it is read, with its line.)
func (s SLADays) Validate() error {
	var errs []error
	for _, sev := range audit.Severities {
		days := s.SLA()[sev]
		where := fmt.Sprintf("sla_days.%s %d (%sSLA_DAYS_%s)", sev, days, EnvPrefix, strings.ToUpper(sev.String()))
		switch {
		case days < 1:
			errs = append(errs, fmt.Errorf("%s: want 1 or more days", where))
		case days > audit.MaxSLADays:
			errs = append(errs, fmt.Errorf("%s: want at most %s days (100 years)", where, thousands.Format(audit.MaxSLADays)))
		}
	}
	return errors.Join(errs...)
}
