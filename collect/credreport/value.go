// Package credreport parses IAM credential reports, the CSV that
// iam:GetCredentialReport returns, into typed rows.
//
// Columns are mapped by header name, never by position, so a future extra
// column parses. Input that could hide a finding is refused: a column named
// twice, any of the 22 columns AWS sends missing (older 16-column layouts
// included), no <root_account> row. The special values N/A,
// no_information and not_supported are kept apart from real values, so a
// check can tell "never used" from "not applicable".
package credreport

import (
	"strings"
	"time"
)

// Kind says what a report cell holds.
type Kind uint8

// The kinds of cell value.
const (
	// Missing means no value: the zero Time or Bool.
	Missing Kind = iota
	// Value means the cell holds a real timestamp or boolean.
	Value
	// NotApplicable is the report's "N/A".
	NotApplicable
	// NoInformation is the report's "no_information".
	NoInformation
	// NotSupported is the report's "not_supported".
	NotSupported
)

// String returns the report's spelling of k.
func (k Kind) String() string {
	switch k {
	case Value:
		return "value"
	case NotApplicable:
		return "N/A"
	case NoInformation:
		return "no_information"
	case NotSupported:
		return "not_supported"
	default:
		return "missing"
	}
}

// specialKind reports which special token s is, if any.
func specialKind(s string) (Kind, bool) {
	switch s {
	case "N/A":
		return NotApplicable, true
	case "no_information":
		return NoInformation, true
	case "not_supported":
		return NotSupported, true
	}
	return Missing, false
}

// Time is a timestamp cell: a time when Kind is Value.
type Time struct {
	Time time.Time
	Kind Kind
}

// Valid reports whether t holds a real timestamp.
func (t Time) Valid() bool { return t.Kind == Value }

// Bool is a boolean cell: a bool when Kind is Value.
type Bool struct {
	Value bool
	Kind  Kind
}

// True reports whether b is explicitly true.
func (b Bool) True() bool { return b.Kind == Value && b.Value }

// False reports whether b is explicitly false.
func (b Bool) False() bool { return b.Kind == Value && !b.Value }

// parseTime parses an ISO 8601 timestamp or a special token.
func parseTime(s string) (Time, bool) {
	if k, ok := specialKind(s); ok {
		return Time{Kind: k}, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return Time{}, false
	}
	return Time{Time: t.UTC(), Kind: Value}, true
}

// parseBool parses a case-insensitive true/false or a special token.
func parseBool(s string) (Bool, bool) {
	if k, ok := specialKind(s); ok {
		return Bool{Kind: k}, true
	}
	switch {
	case strings.EqualFold(s, "true"):
		return Bool{Value: true, Kind: Value}, true
	case strings.EqualFold(s, "false"):
		return Bool{Kind: Value}, true
	}
	return Bool{}, false
}

// text returns s, or "" when s is a special token.
func text(s string) string {
	if _, ok := specialKind(s); ok {
		return ""
	}
	return s
}
