package archive

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// consoleHosts maps the region prefixes of the AWS partitions whose S3
// console is on a public host to that host; the commercial partition
// (console.aws.amazon.com) is every other region. The isolated
// partitions (us-iso-*, us-isob-*, eu-isoe-*, us-isof-*) and the
// European Sovereign Cloud (eusc-*) get no console link.
var consoleHosts = []struct{ prefix, host string }{
	{"cn-", "console.amazonaws.cn"},
	{"us-gov-", "console.amazonaws-us-gov.com"},
	{"us-iso", ""}, {"eu-iso", ""}, {"eusc-", ""},
}

// ConsoleURL returns the link that opens the folder prefix (a key prefix
// ending in "/") of bucket in the S3 console of region's partition:
// https://REGION.console.aws.amazon.com/s3/buckets/BUCKET?prefix=PREFIX&region=REGION
// (console.amazonaws.cn in China, console.amazonaws-us-gov.com in
// GovCloud). It returns "" for a partition without a public console.
// Opening it needs a console session allowed s3:ListBucket on the
// prefix, and s3:GetObject to download; the link itself grants nothing
// and does not expire.
func ConsoleURL(region, bucket, prefix string) string {
	host := "console.aws.amazon.com"
	for _, p := range consoleHosts {
		if strings.HasPrefix(region, p.prefix) {
			host = p.host
			break
		}
	}
	if host == "" || region == "" || bucket == "" {
		return ""
	}
	// Each segment is escaped for a query value, a space as %20: a "+"
	// means a space to form decoders but a plus to others, and a prefix
	// may hold either.
	segs := strings.Split(prefix, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
	}
	return "https://" + url.PathEscape(region) + "." + host + "/s3/buckets/" + url.PathEscape(bucket) +
		"?prefix=" + strings.Join(segs, "/") + "&region=" + url.QueryEscape(region)
}

// withLinks adds the links of the archived run in prefix: the S3
// console's view of the run folder and of each team folder, and, when
// configured, presigned links to the run's and each team's audit.xlsx.
// versions are the version IDs archived with the run, by path; each link
// names its file's, so an overwrite of the key is not what it downloads.
// nil means an unversioned bucket: the links name no version; a file
// missing from a non-nil map gets no link.
func (a *Archiver) withLinks(ctx context.Context, loc result.Location, m *runfolder.Manifest, prefix string, versions map[string]string) result.Location {
	if a.console {
		loc.ConsoleURL = ConsoleURL(a.region, a.bucket, prefix)
	}
	for _, f := range m.Files {
		folder, _, ok := runfolder.TeamOf(f.Path)
		if !ok {
			continue
		}
		if loc.Teams == nil {
			loc.Teams = map[string]result.TeamLocation{}
		}
		if _, done := loc.Teams[folder]; done {
			continue
		}
		key := prefix + runfolder.TeamPath(folder, "")
		t := result.TeamLocation{ArchiveURI: a.uri(key)}
		if loc.ConsoleURL != "" {
			t.ConsoleURL = ConsoleURL(a.region, a.bucket, key)
		}
		loc.Teams[folder] = t
	}
	if a.presign == nil || a.linkExpiry <= 0 {
		return loc
	}
	expires, warning := a.linkLifetime(ctx)
	loc.LinkWarning = warning
	if warning != "" {
		a.log.Warn("presigned links expire sooner than s3.presign_expiry", "run_id", m.RunID, "why", warning)
	}
	if expires <= 0 {
		return loc
	}
	for _, f := range m.Files {
		folder, file, team := runfolder.TeamOf(f.Path)
		if f.Path != "audit.xlsx" && (!team || file != "audit.xlsx") {
			continue
		}
		version := ""
		if versions != nil {
			if version = versions[f.Path]; version == "" {
				a.log.Warn("no presigned link: the version archived with the run is unknown", "run_id", m.RunID, "file", f.Path)
				continue
			}
		}
		u, err := a.link(ctx, prefix+f.Path, version, expires)
		if err != nil {
			a.log.Warn("no presigned link", "run_id", m.RunID, "file", f.Path, "err", err)
			continue
		}
		loc.LinksExpire = a.clock().Add(expires).UTC().Truncate(time.Second)
		loc.LinkLifetime = expires
		if !team {
			loc.WorkbookURL = u
			continue
		}
		t := loc.Teams[folder]
		t.WorkbookURL = u
		loc.Teams[folder] = t
	}
	return loc
}

// minLinkLifetime is the shortest lifetime worth giving a link.
const minLinkLifetime = 5 * time.Minute

// linkLifetime returns the lifetime of presigned links made now: the
// configured one, cut to what is left of the credentials that sign them,
// with a warning saying so when it is cut (or 0 and why, when too little
// is left or the credentials cannot be read).
func (a *Archiver) linkLifetime(ctx context.Context) (time.Duration, string) {
	want := a.linkExpiry
	if a.creds == nil {
		return want, ""
	}
	c, err := a.creds.Retrieve(ctx)
	if err != nil {
		a.log.Error("no presigned links: the credentials could not be read", "err", err)
		return 0, "no download links: the credentials to sign them could not be read (see the reporter's log)"
	}
	if !c.CanExpire {
		return want, ""
	}
	left := c.Expires.Sub(a.clock()).Truncate(time.Minute)
	if left >= want {
		return want, ""
	}
	until := c.Expires.UTC().Format("2006-01-02 15:04 UTC")
	if left < minLinkLifetime {
		return 0, fmt.Sprintf("no download links: the credentials that would sign them expire at %s (s3.presign_expiry is %s)", until, lifetime(want))
	}
	return left, fmt.Sprintf("download links work for %s only, not the %s of s3.presign_expiry: the credentials that signed them (a role session) expire at %s",
		lifetime(left), lifetime(want), until)
}

// lifetime writes d for people: "7 days", "1 day", "36 hours", "45m".
func lifetime(d time.Duration) string {
	switch {
	case d == 24*time.Hour:
		return "1 day"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d == time.Hour:
		return "1 hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
}

// link presigns a GET of key, of the given version when versionID is set.
func (a *Archiver) link(ctx context.Context, key, versionID string, expires time.Duration) (string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	req, err := a.presign.PresignGetObject(ctx, in, s3.WithPresignExpires(expires))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", a.uri(key), err)
	}
	return req.URL, nil
}
