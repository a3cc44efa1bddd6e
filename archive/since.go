package archive

import (
	"fmt"
	"time"
)

// ParseSince reads the start of a listing, YYYY-MM or YYYY-MM-DD, as the
// start of that month or day, UTC; "" is zero (from the beginning).
func ParseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a month (2026-01) or a day (2026-01-15)", s)
}
