package awsorg

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// errEndlessPages is the error of a listing that cannot be read to its
// end: a Marker answered twice, a truncated page without a Marker, or
// more pages than the listing can genuinely have.
var errEndlessPages = errors.New("the listing does not end")

// The page caps of IAM's Marker listings. Each is far above what a genuine
// account answers, and only a backstop against a broken endpoint or proxy
// that answers new Markers for ever (a repeated Marker is caught at once).
// The account's deadline bounds every listing too.
const (
	// maxUserTagPages bounds one user's ListUserTags pages. IAM keeps at
	// most 50 tags on a user ("Tags per IAM user", IAM and AWS STS
	// quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
	// and answers up to 100 per page by default; 50 pages hold them even
	// one per page.
	maxUserTagPages = 50
	// maxDetailsPages bounds GetAccountAuthorizationDetails: at most
	// gaadPageSize items a page, two million entities in all.
	maxDetailsPages = 2000
	// maxVirtualMFAPages bounds ListVirtualMFADevices: 100 devices a
	// page by default, a hundred thousand in all.
	maxVirtualMFAPages = 1000
	// maxLastAccessedPages bounds one job's GetServiceLastAccessedDetails
	// pages: 100 services a page by default, ten thousand in all (AWS
	// has a few hundred service namespaces).
	maxLastAccessedPages = 100
)

// pageGuard follows the Markers of one listing and stops it with
// errEndlessPages when a Marker comes back, a truncated page gives none,
// or the pages pass max. It ends a listing on a page whose IsTruncated
// is false, whatever its Marker. The SDK's paginators go on while a Marker comes; their
// StopOnDuplicateToken option (off by default) stops silently, and only
// on the same Marker twice in a row: a partial listing passed off as
// whole.
type pageGuard struct {
	max   int
	why   string // why max pages are enough, for the error
	pages int
	seen  map[string]bool
}

// newPageGuard returns the guard of a listing of at most max pages.
func newPageGuard(max int, why string) *pageGuard {
	return &pageGuard{max: max, why: why, seen: map[string]bool{}}
}

// next takes the IsTruncated and Marker of the page just read and says
// whether another page is to be read; an error when the listing does not
// end.
func (g *pageGuard) next(truncated bool, marker *string) (bool, error) {
	g.pages++
	m := aws.ToString(marker)
	switch {
	case !truncated:
		return false, nil
	case m == "":
		return false, fmt.Errorf("%w: page %d is truncated but gives no Marker to go on from", errEndlessPages, g.pages)
	case g.seen[m]:
		return false, fmt.Errorf("%w: page %d repeats an earlier Marker", errEndlessPages, g.pages)
	case g.pages >= g.max:
		return false, fmt.Errorf("%w: more than %d pages, %s", errEndlessPages, g.max, g.why)
	}
	g.seen[m] = true
	return true, nil
}
