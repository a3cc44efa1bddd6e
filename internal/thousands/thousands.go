// Package thousands writes counts the way every report shows them, with
// a comma between thousands: 1,412.
package thousands

import (
	"strconv"
	"strings"
)

// Format writes n with thousands separators: 1,412.
func Format(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
