package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"
)

func TestSetActionable(t *testing.T) {
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	exception := &Exception{Account: "*", Principal: "alice", Check: AccessKeyUnused, Reason: "batch job", Expires: day(2027, 1, 1, 0)}
	tests := []struct {
		name      string
		sev       Severity
		status    string
		firstSeen time.Time
		asOf      time.Time
		exception *Exception
		wantDue   time.Time
		wantLate  Days
	}{
		{"new, not yet due", Critical, StatusNew, day(2026, 11, 1, 6), day(2026, 11, 1, 6), nil, day(2026, 11, 8, 0), DaysOf(0)},
		{"as-of on the due day", Critical, StatusPersisting, day(2026, 11, 1, 6), day(2026, 11, 8, 23), nil, day(2026, 11, 8, 0), DaysOf(0)},
		{"exactly one day late", Critical, StatusPersisting, day(2026, 11, 1, 6), day(2026, 11, 9, 0), nil, day(2026, 11, 8, 0), DaysOf(1)},
		{"a day and some hours late", Critical, StatusPersisting, day(2026, 11, 1, 23), day(2026, 11, 9, 22), nil, day(2026, 11, 8, 0), DaysOf(1)},
		{"first seen late in the day counts from that day", High, StatusPersisting, day(2026, 1, 1, 23), day(2026, 3, 1, 0), nil, day(2026, 1, 31, 0), DaysOf(29)},
		{"leap day inside the period", High, StatusPersisting, day(2028, 2, 15, 6), day(2028, 3, 20, 6), nil, day(2028, 3, 16, 0), DaysOf(4)},
		{"due on a leap day", Critical, StatusPersisting, day(2028, 2, 22, 6), day(2028, 2, 29, 6), nil, day(2028, 2, 29, 0), DaysOf(0)},
		{"over the year end", Low, StatusPersisting, day(2026, 9, 1, 6), day(2027, 3, 1, 6), nil, day(2027, 2, 28, 0), DaysOf(1)},
		{"excepted: no due date", Medium, StatusPersisting, day(2026, 1, 1, 6), day(2026, 11, 1, 6), exception, time.Time{}, Days{}},
		{"resolved: no due date", Medium, StatusResolved, day(2026, 1, 1, 6), day(2026, 11, 1, 6), nil, time.Time{}, Days{}},
		{"no first seen: no due date", Medium, "", time.Time{}, day(2026, 11, 1, 6), nil, time.Time{}, Days{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Finding{
				AccountID: "111111111111", Principal: "alice", Check: AccessKeyUnused, Credential: "access_key_1",
				Severity: tt.sev, Status: tt.status, FirstSeen: tt.firstSeen, Exception: tt.exception,
				// What an earlier run wrote: replaced or cleared.
				Due: day(2000, 1, 1, 0), OverdueDays: DaysOf(9999), Remediation: "stale",
			}
			DefaultSLA().SetActionable(&f, tt.asOf)
			if !f.Due.Equal(tt.wantDue) || f.OverdueDays != tt.wantLate {
				t.Errorf("Due, OverdueDays = %v, %+v; want %v, %+v", f.Due, f.OverdueDays, tt.wantDue, tt.wantLate)
			}
			if want := f.Key().ID(); f.ID != want || !strings.HasPrefix(f.ID, "f-") {
				t.Errorf("ID = %q, want %q", f.ID, want)
			}
			switch {
			case tt.status == StatusResolved && f.Remediation != "":
				t.Errorf("a resolved finding has the remediation %q", f.Remediation)
			case tt.status != StatusResolved && f.Remediation != RemediationFor(&f):
				t.Errorf("Remediation = %q, want RemediationFor's", f.Remediation)
			}
		})
	}
}

func TestSLAValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		sla  SLA
		want string
	}{
		{"default", DefaultSLA(), ""},
		{"zero days", SLA{Critical: 0, High: 30, Medium: 90, Low: 180}, "sla_days.critical 0"},
		{"negative days", SLA{Critical: 7, High: -1, Medium: 90, Low: 180}, "sla_days.high -1"},
		{"100 years, the most", SLA{Critical: MaxSLADays, High: MaxSLADays, Medium: MaxSLADays, Low: MaxSLADays}, ""},
		{"a day more than 100 years", SLA{Critical: 7, High: 30, Medium: 90, Low: MaxSLADays + 1}, "sla_days.low 36501: want at most 36,500 days"},
		{"past the year 9999", SLA{Critical: 7, High: 30, Medium: 3_000_000, Low: 180}, "sla_days.medium 3000000: want at most"},
		{"the largest int", SLA{Critical: math.MaxInt, High: 30, Medium: 90, Low: 180}, "sla_days.critical 9223372036854775807: want at most"},
		{"missing severity", SLA{Critical: 7, High: 30, Medium: 90}, "no days for severity low"},
		{"unknown severity", SLA{Critical: 7, High: 30, Medium: 90, Low: 180, Severity(9): 1}, "5 severities"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.sla.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// BenchmarkSetActionable is the cost per finding of the pass that gives
// every finding its ID, remediation and due date.
func BenchmarkSetActionable(b *testing.B) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	f := Finding{AccountID: "111111111111", Principal: "svc-legacy-etl", Check: AccessKeyNotRotated, Credential: "access_key_1",
		Severity: Medium, Status: StatusPersisting, FirstSeen: asOf.AddDate(0, -4, 0)}
	sla := DefaultSLA()
	b.ReportAllocs()
	for b.Loop() {
		sla.SetActionable(&f, asOf)
	}
}

// BenchmarkRemediationFor is the part of BenchmarkSetActionable that
// fills in the commands.
func BenchmarkRemediationFor(b *testing.B) {
	f := Finding{AccountID: "111111111111", Principal: "svc-legacy-etl", Check: AccessKeyNotRotated, Credential: "access_key_1"}
	b.ReportAllocs()
	for b.Loop() {
		_ = RemediationFor(&f)
	}
}

// BenchmarkKeyID is the part of BenchmarkSetActionable that computes
// the finding ID.
func BenchmarkKeyID(b *testing.B) {
	k := Key{"111111111111", "svc-legacy-etl", AccessKeyNotRotated, "access_key_1"}
	b.ReportAllocs()
	for b.Loop() {
		_ = k.ID()
	}
}

// TestKeyIDStable pins the finding ID of a key: tickets refer to it, so
// it must never change.
func TestKeyIDStable(t *testing.T) {
	long := strings.Repeat("p", 300) // past the stack buffer
	for _, tt := range []struct {
		k    Key
		want string
	}{
		{Key{"222222222222", "bob.martin", ConsolePasswordUnused, "password"}, "f-c322fe5f13066aacb59d"},
		{Key{"222222222222", "svc-legacy-etl", AccessKeyUnused, "access_key_1"}, referenceID("222222222222", "svc-legacy-etl", AccessKeyUnused, "access_key_1")},
		{Key{"1", long, "c", "x"}, referenceID("1", long, "c", "x")},
		{Key{}, referenceID("", "", "", "")},
	} {
		if got := tt.k.ID(); got != tt.want || len(got) != 22 {
			t.Errorf("%+v.ID() = %q, want %q", tt.k, got, tt.want)
		}
	}
	// The parts are separated: moving a character from one to the next
	// changes the ID.
	if (Key{"1", "ab", "c", "d"}).ID() == (Key{"1", "a", "bc", "d"}).ID() {
		t.Error("Key{1 ab c d} and Key{1 a bc d} have the same ID")
	}
}

// referenceID computes a finding ID as documented, independently of
// Key.ID's buffer: "f-" and the first 20 hex digits of the SHA-256 of the
// parts, each followed by a NUL byte.
func referenceID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "f-" + hex.EncodeToString(h.Sum(nil))[:20]
}
