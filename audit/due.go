package audit

import (
	"fmt"
	"time"

	"github.com/reporter-dev/reporter/internal/thousands"
)

// SLA is how many days an open finding of each severity may stay open
// after the run that first saw it: its due date is that run's UTC day
// plus the days.
type SLA map[Severity]int

// DefaultSLA allows 7 days for critical findings, 30 for high, 90 for
// medium and 180 for low.
func DefaultSLA() SLA {
	return SLA{Critical: 7, High: 30, Medium: 90, Low: 180}
}

// MaxSLADays bounds the days of a severity: 36,500, about 100 years. A
// due date must stay within the years 0001 to 9999 that findings.json
// (RFC 3339) can hold; a finding first seen in 2026 with a million days
// would be due in the year 4764, with three million past 9999, and no
// run could write its findings.
const MaxSLADays = 36_500

// Validate reports a severity without days, or days that are not
// positive or more than MaxSLADays.
func (s SLA) Validate() error {
	for _, sev := range Severities {
		days, ok := s[sev]
		switch {
		case !ok:
			return fmt.Errorf("sla_days: no days for severity %s", sev)
		case days < 1:
			return fmt.Errorf("sla_days.%s %d: want 1 or more days", sev, days)
		case days > MaxSLADays:
			return fmt.Errorf("sla_days.%s %d: want at most %s days (100 years)", sev, days, thousands.Format(MaxSLADays))
		}
	}
	if len(s) != len(Severities) {
		return fmt.Errorf("sla_days: %d severities, want %d", len(s), len(Severities))
	}
	return nil
}

// SetActionable fills in what makes f actionable in a run as of asOf:
//
//   - ID, the stable finding ID (Key().ID()), on every finding;
//   - Remediation (RemediationFor) on current findings, open or excepted;
//   - Due and OverdueDays on open findings only: Due is the UTC day of
//     FirstSeen plus the days s allows f's severity, OverdueDays the
//     whole days from Due (midnight UTC) to asOf, 0 until then.
//
// An excepted finding gets no due date: the exception decides until
// when it is accepted. A resolved finding keeps only its ID: it needs
// no fix and is due no more, so the due date and lateness it had in an
// earlier run are cleared. A finding with no FirstSeen, or a severity
// s has no days for, gets no due date either.
//
// It is Identify then SetDue: a run calls Identify as each finding is
// evaluated and SetDue once the comparison with earlier runs has set
// FirstSeen.
func (s SLA) SetActionable(f *Finding, asOf time.Time) {
	Identify(f)
	s.SetDue(f, asOf)
}

// Identify sets what depends on f alone: its ID (Key().ID()) and, unless
// f is resolved, its Remediation (RemediationFor); a resolved finding's
// Remediation is cleared.
func Identify(f *Finding) {
	f.ID = f.Key().ID()
	if f.Status == StatusResolved {
		f.Remediation = ""
		return
	}
	f.Remediation = RemediationFor(f)
}

// SetDue sets f's Due and OverdueDays as SetActionable describes, from
// its status, exception, severity and FirstSeen; it clears them on a
// finding that is not open or has no FirstSeen.
func (s SLA) SetDue(f *Finding, asOf time.Time) {
	f.Due, f.OverdueDays = time.Time{}, Days{}
	days, ok := s[f.Severity]
	if f.Status == StatusResolved || !f.Open() || !ok || f.FirstSeen.IsZero() {
		return
	}
	y, m, d := f.FirstSeen.UTC().Date()
	f.Due = time.Date(y, m, d+days, 0, 0, 0, 0, time.UTC)
	late := 0
	if !asOf.Before(f.Due) {
		late = int(asOf.Sub(f.Due) / (24 * time.Hour))
	}
	f.OverdueDays = DaysOf(late)
}
