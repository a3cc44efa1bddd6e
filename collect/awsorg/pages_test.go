package awsorg

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestPageGuardTruncatedWithoutMarker: a page that says IsTruncated but
// gives no Marker leaves pages unread; the guard must not pass the
// listing off as whole.
func TestPageGuardTruncatedWithoutMarker(t *testing.T) {
	for _, m := range []*string{nil, aws.String("")} {
		g := newPageGuard(10, "test")
		more, err := g.next(true, m)
		if more || !errors.Is(err, errEndlessPages) {
			t.Errorf("next(true, %q) = %v, %v; want an error (a truncated listing ended silently)", aws.ToString(m), more, err)
		}
	}
}
