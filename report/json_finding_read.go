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
	n, ok := d.parse(data, f)
	if !ok {
		return false
	}
	d.data, d.i = data, n
	d.ws()
	return d.i == len(data)
}

// findingReader parses findings for parseFindingJSON. Its scratch space
// is kept between findings when a reader is reused.
type findingReader struct {
	data []byte
	i    int
	// strs holds the decoded bytes of every string member, one after
	// another; spans say where each goes. parse turns strs into one
	// string, so a finding costs one allocation for all its strings.
	strs   []byte
	spans  [maxStringMembers]strSpan
	nspans int
}

// strSpan says where a string member's value is in strs.
type strSpan struct {
	member int // sAccountID and on
	a, b   int
}

// The string members of a finding and of its exception.
const (
	sAccountID = iota
	sAccountName
	sPrincipal
	sARN
	sCheck
	sCredential
	sDetail
	sCIS
	sSecurityHub
	sStatus
	sExAccount
	sExPrincipal
	sExCheck
	sExReason
	sExOwner
	sExApprovedBy
	sExSource
	// maxStringMembers is their number: no more spans are needed, as
	// keys never repeat.
	maxStringMembers
)

// The members of a finding, in the order appendFindingJSON writes them.
const (
	mAccountID = iota
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

// The members of an exception, in the order appendFindingJSON writes them.
const (
	mExAccount = iota
	mExPrincipal
	mExCheck
	mExReason
	mExOwner
	mExApprovedBy
	mExExpires
	mExSource
)

// findingLayout and exceptionLayout are the members as appendFindingJSON
// writes them, each with what comes before its value: '{' or ',', the
// indentation and the key, indexed by member. member reads them with one
// comparison each when the layout is followed.
var (
	findingLayout = [...]string{
		keyAccountID, keyAccountName, keyPrincipal, keyARN, keyCheck, keySeverity, keyCredential,
		keyAgeDays, keyDetail, keyCIS, keySecurityHub, keySince, keyStatus, keyFirstSeen, keyException,
	}
	exceptionLayout = [...]string{
		keyExAccount, keyExPrincipal, keyExCheck, keyExReason, keyExOwner, keyExApprovedBy, keyExExpires, keyExSource,
	}
)

// findingMember and exceptionMember number a member by its exact key, or
// return -1.
func findingMember(key []byte) int {
	switch string(key) {
	case "account_id":
		return mAccountID
	case "account_name":
		return mAccountName
	case "principal":
		return mPrincipal
	case "arn":
		return mARN
	case "check":
		return mCheck
	case "severity":
		return mSeverity
	case "credential":
		return mCredential
	case "age_days":
		return mAgeDays
	case "detail":
		return mDetail
	case "cis":
		return mCIS
	case "security_hub":
		return mSecurityHub
	case "since":
		return mSince
	case "status":
		return mStatus
	case "first_seen":
		return mFirstSeen
	case "exception":
		return mException
	}
	return -1
}

func exceptionMember(key []byte) int {
	switch string(key) {
	case "account":
		return mExAccount
	case "principal":
		return mExPrincipal
	case "check":
		return mExCheck
	case "reason":
		return mExReason
	case "owner":
		return mExOwner
	case "approved_by":
		return mExApprovedBy
	case "expires":
		return mExExpires
	case "source":
		return mExSource
	}
	return -1
}

// parse reads the object at the start of data (after any whitespace)
// into f, as parseFindingJSON does, and returns its end; what follows
// it is left alone. It reuses d's scratch space.
func (d *findingReader) parse(data []byte, f *audit.Finding) (int, bool) {
	*f = audit.Finding{}
	d.data, d.i, d.strs, d.nspans = data, 0, d.strs[:0], 0
	d.ws()
	if !d.finding(f) {
		return 0, false
	}
	if d.nspans > 0 {
		s := string(d.strs)
		for _, sp := range d.spans[:d.nspans] {
			v := s[sp.a:sp.b]
			switch e := f.Exception; sp.member {
			case sAccountID:
				f.AccountID = v
			case sAccountName:
				f.AccountName = v
			case sPrincipal:
				f.Principal = v
			case sARN:
				f.ARN = v
			case sCheck:
				f.Check = v
			case sCredential:
				f.Credential = v
			case sDetail:
				f.Detail = v
			case sCIS:
				f.CIS = v
			case sSecurityHub:
				f.SecurityHub = v
			case sStatus:
				f.Status = v
			case sExAccount:
				e.Account = v
			case sExPrincipal:
				e.Principal = v
			case sExCheck:
				e.Check = v
			case sExReason:
				e.Reason = v
			case sExOwner:
				e.Owner = v
			case sExApprovedBy:
				e.ApprovedBy = v
			case sExSource:
				e.Source = v
			}
		}
	}
	return d.i, true
}

// ws skips JSON whitespace.
func (d *findingReader) ws() {
	data, i := d.data, d.i
	for i < len(data) && jsonSpace[data[i]] {
		i++
	}
	d.i = i
}

// jsonSpace marks JSON whitespace.
var jsonSpace = [256]bool{' ': true, '\n': true, '\t': true, '\r': true}

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
	data, i := d.data, d.i
	if i >= len(data) || data[i] != '"' {
		return nil, false
	}
	start := i + 1
	i = start
	for i < len(data) && jsonSafe[data[i]] {
		i++
	}
	if i >= len(data) || data[i] != '"' {
		return nil, false
	}
	k := data[start:i]
	i++
	// Most often ": ".
	if i+1 < len(data) && data[i] == ':' && data[i+1] == ' ' {
		d.i = i + 2
		d.ws()
		return k, true
	}
	d.i = i
	d.ws()
	if d.i >= len(data) || data[d.i] != ':' {
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

// member reads what comes before a member's value: '{' (first) or ',',
// the key and ':', with any whitespace. It returns the member's number
// by lookup, or -1 when the object ends instead ('}' read). next is
// where in layout to look first: layout followed, the separator and key
// are a few bytes compared.
func (d *findingReader) member(layout []string, next *int, first bool, lookup func([]byte) int) (int, bool) {
	rest := d.data[d.i:]
	// Only layout[0] starts with '{', only the others with ','.
	k, end := max(*next, 1), len(layout)
	if first {
		k, end = 0, 1
	}
	for ; k < end; k++ {
		if sep := layout[k]; len(rest) >= len(sep) && string(rest[:len(sep)]) == sep {
			d.i += len(sep)
			d.ws()
			*next = k + 1
			return k, true
		}
	}
	if first {
		ok, empty := d.objectStart()
		if !ok || empty {
			return -1, ok
		}
	} else {
		ok, last := d.memberEnd()
		if !ok || last {
			return -1, ok
		}
	}
	key, ok := d.key()
	if !ok {
		return -1, false
	}
	m := lookup(key)
	return m, m >= 0
}

func (d *findingReader) finding(f *audit.Finding) bool {
	var seen uint32
	next := 0
	for first := true; ; first = false {
		m, ok := d.member(findingLayout[:], &next, first, findingMember)
		if !ok || m < 0 {
			return ok
		}
		if seen&(1<<m) != 0 {
			return false
		}
		seen |= 1 << m
		switch m {
		case mAccountID:
			ok = d.str(sAccountID)
		case mAccountName:
			ok = d.str(sAccountName)
		case mPrincipal:
			ok = d.str(sPrincipal)
		case mARN:
			ok = d.str(sARN)
		case mCheck:
			ok = d.str(sCheck)
		case mSeverity:
			ok = d.severity(&f.Severity)
		case mCredential:
			ok = d.str(sCredential)
		case mAgeDays:
			ok = d.days(&f.AgeDays)
		case mDetail:
			ok = d.str(sDetail)
		case mCIS:
			ok = d.str(sCIS)
		case mSecurityHub:
			ok = d.str(sSecurityHub)
		case mSince:
			ok = d.time(&f.Since)
		case mStatus:
			ok = d.str(sStatus)
		case mFirstSeen:
			ok = d.time(&f.FirstSeen)
		case mException:
			ok = d.exception(f)
		}
		if !ok {
			return false
		}
	}
}

// exception reads the exception member: null leaves f.Exception nil, an
// object sets it (an empty object to a zero Exception).
func (d *findingReader) exception(f *audit.Finding) bool {
	if d.null() {
		return true
	}
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return false
	}
	e := new(audit.Exception)
	f.Exception = e
	var seen uint32
	next := 0
	for first := true; ; first = false {
		m, ok := d.member(exceptionLayout[:], &next, first, exceptionMember)
		if !ok || m < 0 {
			return ok
		}
		if seen&(1<<m) != 0 {
			return false
		}
		seen |= 1 << m
		switch m {
		case mExAccount:
			ok = d.str(sExAccount)
		case mExPrincipal:
			ok = d.str(sExPrincipal)
		case mExCheck:
			ok = d.str(sExCheck)
		case mExReason:
			ok = d.str(sExReason)
		case mExOwner:
			ok = d.str(sExOwner)
		case mExApprovedBy:
			ok = d.str(sExApprovedBy)
		case mExExpires:
			ok = d.time(&e.Expires)
		case mExSource:
			ok = d.str(sExSource)
		}
		if !ok {
			return false
		}
	}
}

// str reads a string member (null leaves it empty, as encoding/json
// ignores null for a string).
func (d *findingReader) str(member int) bool {
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
	d.spans[d.nspans] = strSpan{member, a, len(d.strs)}
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
