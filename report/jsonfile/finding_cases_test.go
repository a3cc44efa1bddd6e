package jsonfile

import (
	"strings"
	"time"

	"github.com/reporter-dev/reporter/audit"
)

// findingCases are the findings both directions of findings.json are
// tried on: hostile text, every severity, ages at the edges of int,
// times in odd zones and years, exceptions. Some cannot be written (a
// year MarshalJSON rejects); the tests of the reader skip those, the
// tests of the writer check that they are rejected as encoding/json
// rejects them.
func findingCases() map[string]audit.Finding {
	local := time.Now().Location()
	_, off := time.Now().Zone()
	plus := time.FixedZone("plus", 5*3600+30*60)
	minus := time.FixedZone("minus", -(9*3600 + 15*60))
	zero := time.FixedZone("zero", 0)
	localOff := time.FixedZone("like local", off)
	oddSec := time.FixedZone("odd", -61) // seconds in the offset are dropped
	tiny := time.FixedZone("tiny", -30)  // rounds to +00:00
	day := time.FixedZone("day", 24*3600)
	huge := time.FixedZone("huge", 100*3600)
	exc := &audit.Exception{
		Account: "*", Principal: "svc-*", Check: audit.AccessKeyNotRotated,
		Reason: "vendor <integration> & \"legacy\"\n", Owner: "team-a", ApprovedBy: "ciso",
		Expires: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:12",
	}
	edit := func(fn func(f *audit.Finding)) audit.Finding {
		f := jsonFindingSample()
		fn(&f)
		return f
	}
	all := ""
	for b := range 256 {
		all += string([]byte{byte(b)})
	}
	return map[string]audit.Finding{
		"zero":        {},
		"sample":      jsonFindingSample(),
		"html":        edit(func(f *audit.Finding) { f.Detail = "<script>alert('x')</script> & more" }),
		"quotes":      edit(func(f *audit.Finding) { f.Principal = `a"b\c/d` }),
		"short esc":   edit(func(f *audit.Finding) { f.Detail = "a\nb\rc\td\be\ff" }),
		"controls":    edit(func(f *audit.Finding) { f.Detail = "\x00\x01\x1a\x1f\x7f end" }),
		"invalid":     edit(func(f *audit.Finding) { f.Detail = "a\xffb\xc3(c\xe2\x82d\xf0\x9f\x98e\xed\xa0\x80" }),
		"invalid end": edit(func(f *audit.Finding) { f.ARN = "arn\xe2\x82" }),
		"multibyte":   edit(func(f *audit.Finding) { f.AccountName = "Zürich 日本 🚀 \u00a0\ufeff\U0010ffff" }),
		"u2028":       edit(func(f *audit.Finding) { f.Detail = "a\u2028b\u2029c\u202a" }),
		"replacement": edit(func(f *audit.Finding) { f.Detail = "\ufffd literal" }),
		"all bytes":   edit(func(f *audit.Finding) { f.AccountID, f.Detail, f.Status = all, strings.Repeat(all, 3), all }),
		"age null":    edit(func(f *audit.Finding) { f.AgeDays = audit.Days{N: 7} }),
		"age zero":    edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(0) }),
		"age neg":     edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(-42) }),
		"age 18":      edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(999999999999999999) }),
		"age 19":      edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(1000000000000000000) }),
		"age max":     edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(int(^uint(0) >> 1)) }),
		"age min":     edit(func(f *audit.Finding) { f.AgeDays = audit.DaysOf(-int(^uint(0)>>1) - 1) }),
		"sev low":     edit(func(f *audit.Finding) { f.Severity = audit.Low }),
		"sev high":    edit(func(f *audit.Finding) { f.Severity = audit.High }),
		"sev crit":    edit(func(f *audit.Finding) { f.Severity = audit.Critical }),
		"sev zero":    edit(func(f *audit.Finding) { f.Severity = 0 }),
		"sev unknown": edit(func(f *audit.Finding) { f.Severity = 200 }),
		"no since":    edit(func(f *audit.Finding) { f.Since = time.Time{} }),
		"no status":   edit(func(f *audit.Finding) { f.Status = "" }),
		"no first":    edit(func(f *audit.Finding) { f.FirstSeen = time.Time{} }),
		"only status": edit(func(f *audit.Finding) { f.Since, f.FirstSeen = time.Time{}, time.Time{} }),
		"nanos":       edit(func(f *audit.Finding) { f.Since = time.Date(2024, 2, 29, 23, 59, 59, 123456789, time.UTC) }),
		"nanos trail": edit(func(f *audit.Finding) { f.Since = time.Date(2024, 2, 29, 23, 59, 59, 120000000, time.UTC) }),
		"nanos one":   edit(func(f *audit.Finding) { f.FirstSeen = time.Date(2024, 2, 29, 23, 59, 59, 1, time.UTC) }),
		"zone plus":   edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 500, plus) }),
		"zone minus":  edit(func(f *audit.Finding) { f.FirstSeen = time.Date(2024, 6, 1, 12, 0, 0, 0, minus) }),
		"zone zero":   edit(func(f *audit.Finding) { f.FirstSeen = time.Date(2024, 6, 1, 12, 0, 0, 0, zero) }),
		"zone odd":    edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 0, oddSec) }),
		"zone tiny":   edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 0, tiny) }),
		"zone local":  edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 0, local) }),
		"zone winter": edit(func(f *audit.Finding) { f.Since = time.Date(2024, 1, 1, 12, 0, 0, 0, local) }),
		"zone like":   edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 0, localOff) }),
		"zone 24h":    edit(func(f *audit.Finding) { f.Since = time.Date(2024, 6, 1, 12, 0, 0, 0, day) }),
		"zone 100h":   edit(func(f *audit.Finding) { f.FirstSeen = time.Date(2024, 6, 1, 12, 0, 0, 0, huge) }),
		"monotonic":   edit(func(f *audit.Finding) { f.FirstSeen = time.Now() }),
		"year -1":     edit(func(f *audit.Finding) { f.FirstSeen = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"year 0":      edit(func(f *audit.Finding) { f.Since = time.Date(0, 2, 29, 0, 0, 0, 0, time.UTC) }),
		"year 0 jan":  edit(func(f *audit.Finding) { f.Since = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"year 1":      edit(func(f *audit.Finding) { f.Since = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"year 1900":   edit(func(f *audit.Finding) { f.Since = time.Date(1900, 2, 28, 0, 0, 0, 0, time.UTC) }),
		"year 2000":   edit(func(f *audit.Finding) { f.Since = time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC) }),
		"year 9999":   edit(func(f *audit.Finding) { f.Since = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) }),
		"year 10000":  edit(func(f *audit.Finding) { f.Since = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }),
		"year 12345":  edit(func(f *audit.Finding) { f.FirstSeen = time.Date(12345, 1, 1, 0, 0, 0, 0, plus) }),
		"exception":   edit(func(f *audit.Finding) { f.Exception = exc }),
		"exception zero": edit(func(f *audit.Finding) {
			f.Exception = &audit.Exception{}
		}),
		"exception only": {Exception: exc},
		"exception bad expiry": edit(func(f *audit.Finding) {
			e := *exc
			e.Expires = time.Date(10001, 1, 1, 0, 0, 0, 0, time.UTC)
			f.Exception = &e
		}),
		"exception zoned": edit(func(f *audit.Finding) {
			e := *exc
			e.Expires = time.Date(2027, 1, 1, 0, 0, 0, 7, minus)
			e.Source = "exc\u2029.yaml:<1>"
			f.Exception = &e
		}),
	}
}
