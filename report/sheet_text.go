package report

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// The rules below reproduce, for the sheets the reporter writes itself
// (sheetRows), how excelize v2.11.0 writes a string cell and a date; they
// follow its trimCellValue, bstrMarshal, countUTF16String,
// truncateUTF16Units, setCellTime and timeToExcelTime (BSD-3-Clause, The
// excelize Authors). TestSheetRowsMatchExcelize and FuzzSheetText hold
// them to excelize's own output.

// maxCellChars is the most UTF-16 code units a cell holds; excelize
// truncates longer text.
const maxCellChars = 32767

// cellString is v as a cell's text, truncated to maxCellChars, and
// whether its leading or trailing white space must be preserved.
func cellString(v string) (string, bool) {
	// A string has no more UTF-16 code units than bytes.
	if len(v) > maxCellChars && utf16Len(v) > maxCellChars {
		v = truncateUTF16(v, maxCellChars)
	}
	if v == "" {
		return v, false
	}
	return v, isXMLSpace(v[0]) || isXMLSpace(v[len(v)-1])
}

func isXMLSpace(b byte) bool { return b == '\t' || b == '\n' || b == '\r' || b == ' ' }

// appendCellText appends a cell's text as excelize escapes it. ASCII
// text, by far the most common, is escaped here, in runs; the rest goes
// through encoding/xml and excelize's _xHHHH_ rule.
func appendCellText(b []byte, s string) []byte {
	start, plain := len(b), 0 // s[plain:i] is yet to be copied
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ' ' <= c && c <= '~' && c != '"' && c != '&' && c != '\'' && c != '<' && c != '>' && c != '_' {
			continue
		}
		var entity string
		switch {
		case c == '"':
			entity = "&#34;"
		case c == '&':
			entity = "&amp;"
		case c == '\'':
			entity = "&#39;"
		case c == '<':
			entity = "&lt;"
		case c == '>':
			entity = "&gt;"
		case c == '\t':
			entity = "&#x9;"
		case c == '\r':
			entity = "&#xD;"
		case c == '\n', c == '_' && (i+1 == len(s) || s[i+1] != 'x'):
			continue // excelize writes a line feed as is
		default: // other control characters, non-ASCII, _x
			return appendCellTextSlow(b[:start], s)
		}
		b = append(append(b, s[plain:i]...), entity...)
		plain = i + 1
	}
	return append(b, s[plain:]...)
}

// appendCellTextSlow escapes any text as excelize does.
func appendCellTextSlow(b []byte, s string) []byte {
	var escaped strings.Builder
	_ = xml.EscapeText(&escaped, []byte(s))
	return append(b, bstrMarshal(strings.ReplaceAll(escaped.String(), "&#xA;", "\n"))...)
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncateUTF16 cuts s to at most n UTF-16 code units, on a character
// boundary.
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n {
			return s[:i]
		}
	}
	return s
}

var (
	bstrPattern       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscapePattern = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// bstrMarshal escapes the "_xHHHH_" sequences of s that a spreadsheet
// would read as an escaped character, as excelize does: by writing their
// underscore as _x005F_.
func bstrMarshal(s string) (result string) {
	matches, l, cursor := bstrPattern.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && bstrEscapePattern.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if bstrPattern.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

var (
	// excelMinTime is the earliest time Excel's 1900 date system holds.
	excelMinTime = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	// excelLeapBugStart is where Excel's serial numbers gain the day of
	// 29 February 1900, which Excel counts though it never was.
	excelLeapBugStart = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
)

// excelTime is t as an Excel serial date (days since the 1900 epoch,
// reading t's wall clock as UTC), or 0 before the epoch.
func excelTime(t time.Time) float64 {
	const day = 24 * time.Hour
	const maxDuration = 290 * 364 * day
	t = excelLocal(t)
	if t.Before(excelMinTime) {
		return 0
	}
	tt, diff, result := t, t.Sub(excelMinTime), 0.0
	for diff >= maxDuration {
		result += float64(maxDuration / day)
		tt = tt.Add(-maxDuration)
		diff = tt.Sub(excelMinTime)
	}
	rem := diff % day
	result += float64(diff-rem)/float64(day) + float64(rem)/float64(day)
	if t.After(excelLeapBugStart) {
		result++
	}
	return result
}
