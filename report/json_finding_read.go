package report

import (
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/reporter-dev/reporter/audit"
)

// parseFindingJSON decodes data, one JSON object, into f without
// reflection, for the findings appendFindingJSON writes. When it reports
// true, f holds exactly what json.Unmarshal(data, f) gives for a zeroed f,
// and that call would succeed.
//
// It reports false for anything outside the shape it knows, leaving f in
// an unspecified state; the caller then zeroes f and asks
// json.Unmarshal, which gives the value or the error. The shape: an
// object (any JSON whitespace around tokens) whose keys are the exact,
// unescaped member names of audit.Finding (of audit.Exception in
// "exception"), each at most once, in any order; strings (any escapes);
// severity one of "low", "medium", "high", "critical", unescaped; age_days
// an integer that fits an int; times as strings that time's RFC 3339 fast
// path accepts, unescaped; exception an object; and null for any member.
// Unknown keys, keys in another case, duplicate keys, values of another
// type and malformed JSON all report false.
func parseFindingJSON(data []byte, f *audit.Finding) bool {
	var d findingReader
	return d.parse(data, f)
}

// findingReader parses findings for parseFindingJSON. Its scratch space
// is kept between findings when a reader is reused.
type findingReader struct {
	data []byte
	i    int
	// strs holds the decoded bytes of every string member, one after
	// another; spans say where each goes. finish turns strs into one
	// string, so a finding costs one allocation for all its strings.
	strs   []byte
	spans  [maxStringMembers]strSpan
	nspans int
}

type strSpan struct {
	dst  *string
	a, b int
}

// maxStringMembers is the number of string members of a finding and its
// exception together: no more spans are needed, as keys never repeat.
const maxStringMembers = 10 + 7

// The members of a finding, as bits of a set of seen keys.
const (
	mAccountID = 1 << iota
	mAccountName
	mPrincipal
	mARN
	mCheck
	mSeverity
	mCredential
	mAgeDays
	mDetail
	mCIS
	mSecurityHub
	mSince
	mStatus
	mFirstSeen
	mException
)

// The members of an exception, as bits of a set of seen keys.
const (
	mExAccount = 1 << iota
	mExPrincipal
	mExCheck
	mExReason
	mExOwner
	mExApprovedBy
	mExExpires
	mExSource
)

// parse is parseFindingJSON, reusing d's scratch space.
func (d *findingReader) parse(data []byte, f *audit.Finding) bool {
	*f = audit.Finding{}
	d.data, d.i, d.strs, d.nspans = data, 0, d.strs[:0], 0
	d.ws()
	if !d.finding(f) {
		return false
	}
	d.ws()
	if d.i != len(d.data) {
		return false
	}
	if d.nspans > 0 {
		s := string(d.strs)
		for _, sp := range d.spans[:d.nspans] {
			*sp.dst = s[sp.a:sp.b]
		}
	}
	return true
}

// ws skips JSON whitespace.
func (d *findingReader) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\n', '\t', '\r':
			d.i++
		default:
			return
		}
	}
}

// objectStart reads '{' and the whitespace after it. empty reports the
// object is "{}", its '}' read too.
func (d *findingReader) objectStart() (ok, empty bool) {
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return false, false
	}
	d.i++
	d.ws()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return true, true
	}
	return true, false
}

// key reads a member's key and the colon after it, returning the key's
// raw bytes; it reports false for a key holding an escape or a control
// byte (json.Unmarshal then decides how it matches).
func (d *findingReader) key() ([]byte, bool) {
	if d.i >= len(d.data) || d.data[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	i := start
	for i < len(d.data) && jsonSafe[d.data[i]] {
		i++
	}
	if i >= len(d.data) || d.data[i] != '"' {
		return nil, false
	}
	k := d.data[start:i]
	d.i = i + 1
	d.ws()
	if d.i >= len(d.data) || d.data[d.i] != ':' {
		return nil, false
	}
	d.i++
	d.ws()
	return k, true
}

// memberEnd reads the whitespace and the ',' or '}' after a member's
// value; last reports the '}'.
func (d *findingReader) memberEnd() (ok, last bool) {
	d.ws()
	if d.i >= len(d.data) {
		return false, false
	}
	switch d.data[d.i] {
	case ',':
		d.i++
		d.ws()
		return true, false
	case '}':
		d.i++
		return true, true
	}
	return false, false
}

// null reads the literal null if it comes next.
func (d *findingReader) null() bool {
	if len(d.data)-d.i >= 4 && string(d.data[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

func (d *findingReader) finding(f *audit.Finding) bool {
	ok, empty := d.objectStart()
	if !ok || empty {
		return ok
	}
	var seen uint32
	for {
		k, ok := d.key()
		if !ok {
			return false
		}
		var m uint32
		switch string(k) {
		case "account_id":
			m, ok = mAccountID, d.str(&f.AccountID)
		case "account_name":
			m, ok = mAccountName, d.str(&f.AccountName)
		case "principal":
			m, ok = mPrincipal, d.str(&f.Principal)
		case "arn":
			m, ok = mARN, d.str(&f.ARN)
		case "check":
			m, ok = mCheck, d.str(&f.Check)
		case "severity":
			m, ok = mSeverity, d.severity(&f.Severity)
		case "credential":
			m, ok = mCredential, d.str(&f.Credential)
		case "age_days":
			m, ok = mAgeDays, d.days(&f.AgeDays)
		case "detail":
			m, ok = mDetail, d.str(&f.Detail)
		case "cis":
			m, ok = mCIS, d.str(&f.CIS)
		case "security_hub":
			m, ok = mSecurityHub, d.str(&f.SecurityHub)
		case "since":
			m, ok = mSince, d.time(&f.Since)
		case "status":
			m, ok = mStatus, d.str(&f.Status)
		case "first_seen":
			m, ok = mFirstSeen, d.time(&f.FirstSeen)
		case "exception":
			m, ok = mException, d.exception(f)
		default:
			return false
		}
		if !ok || seen&m != 0 {
			return false
		}
		seen |= m
		ok, last := d.memberEnd()
		if !ok || last {
			return ok
		}
	}
}

// exception reads the exception member: null leaves f.Exception nil, an
// object sets it (an empty object to a zero Exception).
func (d *findingReader) exception(f *audit.Finding) bool {
	if d.null() {
		return true
	}
	ok, empty := d.objectStart()
	if !ok {
		return false
	}
	e := new(audit.Exception)
	f.Exception = e
	if empty {
		return true
	}
	var seen uint32
	for {
		k, ok := d.key()
		if !ok {
			return false
		}
		var m uint32
		switch string(k) {
		case "account":
			m, ok = mExAccount, d.str(&e.Account)
		case "principal":
			m, ok = mExPrincipal, d.str(&e.Principal)
		case "check":
			m, ok = mExCheck, d.str(&e.Check)
		case "reason":
			m, ok = mExReason, d.str(&e.Reason)
		case "owner":
			m, ok = mExOwner, d.str(&e.Owner)
		case "approved_by":
			m, ok = mExApprovedBy, d.str(&e.ApprovedBy)
		case "expires":
			m, ok = mExExpires, d.time(&e.Expires)
		case "source":
			m, ok = mExSource, d.str(&e.Source)
		default:
			return false
		}
		if !ok || seen&m != 0 {
			return false
		}
		seen |= m
		ok, last := d.memberEnd()
		if !ok || last {
			return ok
		}
	}
}

// str reads a string member into *dst (null leaves it empty, as
// encoding/json ignores null for a string).
func (d *findingReader) str(dst *string) bool {
	if d.null() {
		return true
	}
	a := len(d.strs)
	if !d.appendString() {
		return false
	}
	if d.nspans == len(d.spans) {
		return false // not reached: keys never repeat
	}
	d.spans[d.nspans] = strSpan{dst, a, len(d.strs)}
	d.nspans++
	return true
}

// appendString reads a JSON string, appending its value to d.strs as
// encoding/json decodes it: escapes resolved (an invalid surrogate as
// U+FFFD, a valid pair as one rune) and each byte of invalid UTF-8 as
// U+FFFD. It reports false for what is not a JSON string (a control
// byte, a bad escape, no closing quote).
func (d *findingReader) appendString() bool {
	data := d.data
	if d.i >= len(data) || data[d.i] != '"' {
		return false
	}
	i := d.i + 1
	start := i
	for {
		for i < len(data) && plainASCII[data[i]] {
			i++
		}
		if i >= len(data) {
			return false
		}
		switch c := data[i]; {
		case c == '"':
			d.strs = append(d.strs, data[start:i]...)
			d.i = i + 1
			return true
		case c == '\\':
			d.strs = append(d.strs, data[start:i]...)
			n, ok := d.appendEscape(data[i:])
			if !ok {
				return false
			}
			i += n
			start = i
		case c < ' ':
			return false
		default: // from 0x80: UTF-8
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				d.strs = append(d.strs, data[start:i]...)
				d.strs = utf8.AppendRune(d.strs, utf8.RuneError)
				start = i + 1
			}
			i += size
		}
	}
}

// appendEscape decodes the escape at the start of s (s[0] == '\\'),
// appending its value to d.strs; it returns the escape's length.
func (d *findingReader) appendEscape(s []byte) (int, bool) {
	if len(s) < 2 {
		return 0, false
	}
	var b byte
	switch s[1] {
	case '"', '\\', '/':
		b = s[1]
	case 'b':
		b = '\b'
	case 'f':
		b = '\f'
	case 'n':
		b = '\n'
	case 'r':
		b = '\r'
	case 't':
		b = '\t'
	case 'u':
		r := getHex4(s)
		if r < 0 {
			return 0, false
		}
		if utf16.IsSurrogate(r) {
			// As encoding/json: a pair only when the next escape makes
			// one; otherwise U+FFFD, and the next escape stands alone.
			if dec := utf16.DecodeRune(r, getHex4(s[6:])); dec != utf8.RuneError {
				d.strs = utf8.AppendRune(d.strs, dec)
				return 12, true
			}
			r = utf8.RuneError
		}
		d.strs = utf8.AppendRune(d.strs, r)
		return 6, true
	default:
		return 0, false
	}
	d.strs = append(d.strs, b)
	return 2, true
}

// plainASCII marks the bytes a JSON string holds as they are and that
// need no UTF-8 check: ASCII from 0x20, except '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// getHex4 decodes `\uXXXX` at the start of s, or returns -1.
func getHex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// rawString reads a JSON string holding no escape and returns its bytes;
// it reports false for any other string (encoding/json decides those).
func (d *findingReader) rawString() ([]byte, bool) {
	data := d.data
	if d.i >= len(data) || data[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	i := start
	for i < len(data) && jsonSafe[data[i]] {
		i++
	}
	if i >= len(data) || data[i] != '"' {
		return nil, false
	}
	d.i = i + 1
	return data[start:i], true
}

// severity reads a severity by name; null leaves it zero, as
// encoding/json ignores null for a number type.
func (d *findingReader) severity(s *audit.Severity) bool {
	if d.null() {
		return true
	}
	b, ok := d.rawString()
	if !ok {
		return false
	}
	switch string(b) {
	case "low":
		*s = audit.Low
	case "medium":
		*s = audit.Medium
	case "high":
		*s = audit.High
	case "critical":
		*s = audit.Critical
	default:
		return false // an error, which json.Unmarshal words
	}
	return true
}

// days reads age_days: null (not valid) or an integer that fits an int,
// as audit.Days.UnmarshalJSON reads them. Fractions and exponents, which
// it rejects, report false.
func (d *findingReader) days(n *audit.Days) bool {
	if d.null() {
		return true
	}
	data := d.data
	start := d.i
	i := start
	if i < len(data) && data[i] == '-' {
		i++
	}
	digits := i
	switch {
	case i >= len(data) || data[i] < '0' || data[i] > '9':
		return false
	case data[i] == '0':
		i++ // a leading zero stands alone; what follows is checked as the member's end
	default:
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	var v int
	if strconv.IntSize == 64 && i-digits <= 18 {
		for _, c := range data[digits:i] {
			v = v*10 + int(c-'0')
		}
		if digits > start {
			v = -v
		}
	} else {
		x, err := strconv.ParseInt(string(data[start:i]), 10, strconv.IntSize)
		if err != nil {
			return false
		}
		v = int(x)
	}
	d.i = i
	*n = audit.DaysOf(v)
	return true
}

// time reads a time as time.Time.UnmarshalJSON does: null leaves it
// zero; a string must take the RFC 3339 fast path of time's parser.
func (d *findingReader) time(t *time.Time) bool {
	if d.null() {
		return true
	}
	b, ok := d.rawString()
	if !ok {
		return false
	}
	*t, ok = parseRFC3339JSON(b)
	return ok
}

// parseRFC3339JSON parses s as time.Time.UnmarshalJSON does when its
// RFC 3339 fast path accepts s, and reports false otherwise (the slow
// path accepts a few more forms; encoding/json then decides).
//
// Like time's parser it gives UTC for "Z", time.Local for an offset that
// is the local zone's at that instant, and otherwise an unnamed fixed zone.
func parseRFC3339JSON(s []byte) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") ||
		s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year := digitsIn(s[0:4], 0, 9999)
	month := digitsIn(s[5:7], 1, 12)
	if year < 0 || month < 0 {
		return time.Time{}, false
	}
	day := digitsIn(s[8:10], 1, daysInMonth(month, year))
	hour := digitsIn(s[11:13], 0, 23)
	minute := digitsIn(s[14:16], 0, 59)
	sec := digitsIn(s[17:19], 0, 59)
	if day < 0 || hour < 0 || minute < 0 || sec < 0 {
		return time.Time{}, false
	}
	s = s[19:]
	nsec := 0
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		n := 1
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		// Nine digits count; more are dropped.
		for k := 1; k < 10; k++ {
			nsec *= 10
			if k < n {
				nsec += int(s[k] - '0')
			}
		}
		s = s[n:]
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if len(s) == 1 && s[0] == 'Z' {
		return t, true
	}
	if len(s) != len("-07:00") || s[0] != '+' && s[0] != '-' || s[3] != ':' {
		return time.Time{}, false
	}
	hh, mm := digitsIn(s[1:3], 0, 23), digitsIn(s[4:6], 0, 59)
	if hh < 0 || mm < 0 {
		return time.Time{}, false
	}
	offset := (hh*60 + mm) * 60
	if s[0] == '-' {
		offset = -offset
	}
	t = t.Add(-time.Duration(offset) * time.Second)
	if _, local := t.In(time.Local).Zone(); local == offset {
		return t.In(time.Local), true
	}
	return t.In(time.FixedZone("", offset)), true
}

// digitsIn parses s, all decimal digits, as a number in [lo, hi], or
// returns -1.
func digitsIn(s []byte, lo, hi int) int {
	x := 0
	for _, c := range s {
		if c < '0' || '9' < c {
			return -1
		}
		x = x*10 + int(c-'0')
	}
	if x < lo || x > hi {
		return -1
	}
	return x
}

// daysInMonth is the number of days of month in year (proleptic Gregorian).
func daysInMonth(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
