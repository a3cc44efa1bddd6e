package jsonfile

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/reporter-dev/reporter/audit"
)

// findingPrefix and findingIndent are the MarshalIndent arguments that
// appendFindingJSON reproduces: a finding is an element of a list that is
// itself a member of the top-level object.
const (
	findingPrefix = "    "
	findingIndent = "  "
)

// Field separators and names, as MarshalIndent lays them out: a finding's
// members sit one indent past the prefix, its exception's members two.
const (
	fNL  = "\n" + findingPrefix + findingIndent
	fNL2 = fNL + findingIndent

	keyAccountID   = "{" + fNL + `"account_id": `
	keyAccountName = "," + fNL + `"account_name": `
	keyPrincipal   = "," + fNL + `"principal": `
	keyARN         = "," + fNL + `"arn": `
	keyCheck       = "," + fNL + `"check": `
	keySeverity    = "," + fNL + `"severity": `
	keyCredential  = "," + fNL + `"credential": `
	keyAgeDays     = "," + fNL + `"age_days": `
	keyDetail      = "," + fNL + `"detail": `
	keyCIS         = "," + fNL + `"cis": `
	keySecurityHub = "," + fNL + `"security_hub": `
	keySince       = "," + fNL + `"since": `
	keyStatus      = "," + fNL + `"status": `
	keyFirstSeen   = "," + fNL + `"first_seen": `
	keyException   = "," + fNL + `"exception": `
	keyID          = "," + fNL + `"id": `
	keyOwner       = "," + fNL + `"owner": `
	keyOwnerSource = "," + fNL + `"owner_source": `
	keyDue         = "," + fNL + `"due": `
	keyOverdueDays = "," + fNL + `"overdue_days": `
	keyRemediation = "," + fNL + `"remediation": `
	endFinding     = "\n" + findingPrefix + "}"

	keyExAccount    = "{" + fNL2 + `"account": `
	keyExPrincipal  = "," + fNL2 + `"principal": `
	keyExCheck      = "," + fNL2 + `"check": `
	keyExReason     = "," + fNL2 + `"reason": `
	keyExOwner      = "," + fNL2 + `"owner": `
	keyExApprovedBy = "," + fNL2 + `"approved_by": `
	keyExExpires    = "," + fNL2 + `"expires": `
	keyExSource     = "," + fNL2 + `"source": `
	endException    = fNL + "}"
)

// appendFindingJSON appends f encoded exactly as
// json.MarshalIndent(f, "    ", "  ") encodes it, without reflection.
//
// MarshalIndent fails when a time cannot be written as RFC 3339 (a year
// outside [0,9999] or a zone offset of 24 hours or more); for such a
// finding appendFindingJSON returns dst unchanged and the very error
// MarshalIndent returns. It never fails otherwise.
func appendFindingJSON(dst []byte, f *audit.Finding) ([]byte, error) {
	n0 := len(dst)
	dst = append(dst, keyAccountID...)
	dst = appendJSONString(dst, f.AccountID)
	dst = append(dst, keyAccountName...)
	dst = appendJSONString(dst, f.AccountName)
	dst = append(dst, keyPrincipal...)
	dst = appendJSONString(dst, f.Principal)
	dst = append(dst, keyARN...)
	dst = appendJSONString(dst, f.ARN)
	dst = append(dst, keyCheck...)
	dst = appendJSONString(dst, f.Check)
	dst = append(dst, keySeverity...)
	dst = appendSeverityJSON(dst, f.Severity)
	dst = append(dst, keyCredential...)
	dst = appendJSONString(dst, f.Credential)
	dst = append(dst, keyAgeDays...)
	dst = appendDaysJSON(dst, f.AgeDays)
	dst = append(dst, keyDetail...)
	dst = appendJSONString(dst, f.Detail)
	dst = append(dst, keyCIS...)
	dst = appendJSONString(dst, f.CIS)
	dst = append(dst, keySecurityHub...)
	dst = appendJSONString(dst, f.SecurityHub)
	ok := true
	if !f.Since.IsZero() {
		dst = append(dst, keySince...)
		dst, ok = appendTimeJSON(dst, f.Since)
	}
	if f.Status != "" {
		dst = append(dst, keyStatus...)
		dst = appendJSONString(dst, f.Status)
	}
	if !f.FirstSeen.IsZero() && ok {
		dst = append(dst, keyFirstSeen...)
		dst, ok = appendTimeJSON(dst, f.FirstSeen)
	}
	if e := f.Exception; e != nil && ok {
		dst = append(dst, keyException...)
		dst = append(dst, keyExAccount...)
		dst = appendJSONString(dst, e.Account)
		dst = append(dst, keyExPrincipal...)
		dst = appendJSONString(dst, e.Principal)
		dst = append(dst, keyExCheck...)
		dst = appendJSONString(dst, e.Check)
		dst = append(dst, keyExReason...)
		dst = appendJSONString(dst, e.Reason)
		dst = append(dst, keyExOwner...)
		dst = appendJSONString(dst, e.Owner)
		dst = append(dst, keyExApprovedBy...)
		dst = appendJSONString(dst, e.ApprovedBy)
		dst = append(dst, keyExExpires...)
		dst, ok = appendTimeJSON(dst, e.Expires)
		dst = append(dst, keyExSource...)
		dst = appendJSONString(dst, e.Source)
		dst = append(dst, endException...)
	}
	if f.ID != "" {
		dst = append(dst, keyID...)
		dst = appendJSONString(dst, f.ID)
	}
	if f.Owner != "" {
		dst = append(dst, keyOwner...)
		dst = appendJSONString(dst, f.Owner)
	}
	if f.OwnerSource != "" {
		dst = append(dst, keyOwnerSource...)
		dst = appendJSONString(dst, f.OwnerSource)
	}
	if !f.Due.IsZero() && ok {
		dst = append(dst, keyDue...)
		dst, ok = appendTimeJSON(dst, f.Due)
	}
	if f.OverdueDays != (audit.Days{}) {
		dst = append(dst, keyOverdueDays...)
		dst = appendDaysJSON(dst, f.OverdueDays)
	}
	if f.Remediation != "" {
		dst = append(dst, keyRemediation...)
		dst = appendJSONString(dst, f.Remediation)
	}
	if !ok {
		// A time MarshalJSON rejects: let encoding/json report it, so
		// the error is the one Write has always returned.
		dst = dst[:n0]
		b, err := json.MarshalIndent(f, findingPrefix, findingIndent)
		if err != nil {
			return dst, err
		}
		return append(dst, b...), nil // not reached: MarshalIndent fails
	}
	return append(dst, endFinding...), nil
}

// appendDaysJSON appends d as Days.MarshalJSON renders it.
func appendDaysJSON(dst []byte, d audit.Days) []byte {
	if !d.Valid {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, int64(d.N), 10)
}

// appendSeverityJSON appends s as encoding/json renders it through
// Severity.MarshalText.
func appendSeverityJSON(dst []byte, s audit.Severity) []byte {
	switch s {
	case audit.Low:
		return append(dst, `"low"`...)
	case audit.Medium:
		return append(dst, `"medium"`...)
	case audit.High:
		return append(dst, `"high"`...)
	case audit.Critical:
		return append(dst, `"critical"`...)
	}
	b, _ := s.MarshalText() // never fails
	return appendJSONString(dst, string(b))
}

// appendTimeJSON appends t quoted as time.Time.MarshalJSON renders it.
// It reports false when MarshalJSON would fail instead: the year is
// outside [0,9999] or the zone offset has 24 hours or more (the checks of
// time.Time.appendStrictRFC3339).
func appendTimeJSON(dst []byte, t time.Time) ([]byte, bool) {
	dst = append(dst, '"')
	n0 := len(dst)
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	b := dst[n0:]
	switch {
	case len(b) <= len("9999") || b[len("9999")] != '-':
		return dst, false
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		h := 10*(b[len(b)-len("07:00")]-'0') + (b[len(b)-len("7:00")] - '0')
		if '0' <= c && c <= '9' || h >= 24 {
			return dst, false
		}
	}
	return append(dst, '"'), true
}

// jsonSafe marks the ASCII bytes encoding/json copies into a string
// unescaped when it escapes HTML (its htmlSafeSet): every byte from 0x20
// to 0x7f except '"', '\\', '<', '>' and '&'. Bytes from 0x80 up are
// false and take the UTF-8 path.
var jsonSafe = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted exactly as encoding/json's
// appendString does with HTML escaping on: '"' and '\\' backslashed, \b \f
// \n \r \t short, other control bytes and <, >, & as \u00XX, each invalid
// UTF-8 byte as \ufffd, and U+2028 and U+2029 as \u2028 and \u2029.
// Runs of bytes that need no escape are copied in one append.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if jsonSafe[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
