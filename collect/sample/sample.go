// Package sample embeds a small example organization, so that a newcomer
// can run a full audit without an AWS account.
//
// Five accounts cover every check of the catalog (the management account
// and acme-prod also carry the CLI's authorization details, account summary
// and virtual MFA devices for the posture checks): an exposed production
// account, a development account without a password policy, a sandbox whose
// policy was not collected, a well-kept security account whose root user is
// centrally managed, and the management account. Users carry owner tags
// (in the authorization details, and in acme-dev's user tags file) beside
// the accounts' team tags, so findings show their owners.
package sample

import (
	"embed"
	"io/fs"
	"time"

	"github.com/reporter-dev/reporter/collect"
)

//go:embed org
var org embed.FS

// AsOf is the moment the sample reports describe. A sample run uses it as
// its default --as-of, so the sample's findings never drift with the clock.
var AsOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

// FS returns the sample organization in the dir-source layout.
func FS() fs.FS {
	sub, err := fs.Sub(org, "org")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	return sub
}

// NewSource returns a Source over the sample organization.
func NewSource() *collect.DirSource {
	return collect.NewFSSource(FS(), "sample")
}
