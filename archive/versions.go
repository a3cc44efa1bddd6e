package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/report"
)

// Versioning states of a bucket, as in Verification.Versioning.
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
	VersioningOff       = "off"
)

// Version is one stored version of an archived object, or a delete marker.
type Version struct {
	ID           string    `json:"version_id"`
	Written      time.Time `json:"written"`
	DeleteMarker bool      `json:"delete_marker,omitempty"`
	// Latest is the version a read without version ID returns (or, for a
	// delete marker, the one that makes the key look deleted).
	Latest bool `json:"latest,omitempty"`
	// Size and SHA256 are those of the bytes downloaded; a delete marker
	// has none.
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// when formats a version's time for a problem or note.
func (v Version) when() string { return v.Written.UTC().Format(time.RFC3339) }

// clockSlack is how much later than the first manifest the oldest
// version of a file may be stamped before it counts as written after it:
// the reporter stores every file before the manifest, but the clocks of
// a distributed store may disagree by a little.
const clockSlack = time.Second

// versionPageSize is the MaxKeys of ListObjectVersions; 0 leaves S3's
// default (1,000). Tests lower it to cross page boundaries.
var versionPageSize int32

// keyVersions are the versions of one key: the object versions newest
// first, as S3 lists them, and the delete markers.
type keyVersions struct {
	versions []Version
	markers  []Version
}

// oldest returns the first object version written, or nil.
func (k *keyVersions) oldest() *Version {
	if k == nil || len(k.versions) == 0 {
		return nil
	}
	return &k.versions[len(k.versions)-1]
}

// all returns the versions and delete markers, newest first.
func (k *keyVersions) all() []Version {
	if k == nil {
		return nil
	}
	out := append(append([]Version(nil), k.versions...), k.markers...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Written.After(out[j].Written) })
	return out
}

// bucketVersioning returns the bucket's versioning status.
func (a *Archiver) bucketVersioning(ctx context.Context) (string, error) {
	var out *s3.GetBucketVersioningOutput
	err := a.retry.do(ctx, a.log, "read the versioning of bucket "+a.bucket, func(ctx context.Context) error {
		var err error
		out, err = a.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(a.bucket)})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read the versioning of bucket %s (needs s3:GetBucketVersioning): %w", a.bucket, err)
	}
	switch out.Status {
	case types.BucketVersioningStatusEnabled:
		return VersioningEnabled, nil
	case types.BucketVersioningStatusSuspended:
		return VersioningSuspended, nil
	}
	return VersioningOff, nil
}

// listVersions returns the versions and delete markers of every key under
// prefix, by path relative to prefix, and the paths in listing order.
func (a *Archiver) listVersions(ctx context.Context, prefix string) (map[string]*keyVersions, []string, error) {
	keys := map[string]*keyVersions{}
	var order []string
	get := func(key string) *keyVersions {
		p := strings.TrimPrefix(key, prefix)
		k := keys[p]
		if k == nil {
			k = &keyVersions{}
			keys[p] = k
			order = append(order, p)
		}
		return k
	}
	// Some stores list the entry at the version marker again on the next
	// page (versitygw 1.8 does for a current version): count it once.
	seen := map[[2]string]bool{}
	dup := func(key, version *string) bool {
		id := [2]string{aws.ToString(key), aws.ToString(version)}
		if seen[id] {
			return true
		}
		seen[id] = true
		return false
	}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(a.bucket), Prefix: aws.String(prefix)}
	if versionPageSize > 0 {
		in.MaxKeys = aws.Int32(versionPageSize)
	}
	for {
		var page *s3.ListObjectVersionsOutput
		err := a.retry.do(ctx, a.log, "list the versions of "+a.uri(prefix), func(ctx context.Context) error {
			var err error
			page, err = a.client.ListObjectVersions(ctx, in)
			return err
		})
		if err != nil {
			return nil, nil, fmt.Errorf("list the versions of %s (needs s3:ListBucketVersions): %w", a.uri(prefix), err)
		}
		for _, o := range page.Versions {
			if dup(o.Key, o.VersionId) {
				continue
			}
			k := get(aws.ToString(o.Key))
			k.versions = append(k.versions, Version{ID: aws.ToString(o.VersionId), Written: aws.ToTime(o.LastModified).UTC(),
				Latest: aws.ToBool(o.IsLatest), Size: aws.ToInt64(o.Size)})
		}
		for _, m := range page.DeleteMarkers {
			if dup(m.Key, m.VersionId) {
				continue
			}
			k := get(aws.ToString(m.Key))
			k.markers = append(k.markers, Version{ID: aws.ToString(m.VersionId), Written: aws.ToTime(m.LastModified).UTC(),
				Latest: aws.ToBool(m.IsLatest), DeleteMarker: true})
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		if err := nextVersionPage(in, page); err != nil {
			return nil, nil, fmt.Errorf("list the versions of %s: %w", a.uri(prefix), err)
		}
	}
	return keys, order, nil
}

// nextVersionPage moves in past page. It fails when the page gives no
// marker to go on or the same markers again, so a faulty store cannot
// keep a listing going forever.
func nextVersionPage(in *s3.ListObjectVersionsInput, page *s3.ListObjectVersionsOutput) error {
	key, version := aws.ToString(page.NextKeyMarker), aws.ToString(page.NextVersionIdMarker)
	if key == "" && version == "" {
		return errors.New("truncated answer without a marker to go on")
	}
	if key == aws.ToString(in.KeyMarker) && version == aws.ToString(in.VersionIdMarker) {
		return fmt.Errorf("the store answered the same page again (key marker %q, version marker %q)", key, version)
	}
	in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	return nil
}

// lookupVersioned finds the run with the given ID, or for "latest" the
// newest run with a version of manifest.json, current or not: deleting
// the newest run's manifest does not make an older run "latest".
func (a *Archiver) lookupVersioned(ctx context.Context, id string) (*Run, error) {
	if id != Latest {
		asOf, err := runIDTime(id)
		if err != nil {
			return nil, err
		}
		if !runIDRE.MatchString(id) {
			return nil, fmt.Errorf("run ID %q: want YYYYMMDDTHHMMSSZ, optionally with -N (e.g. 20261101T060000Z-2), or %q", id, Latest)
		}
		r := &Run{ID: id, Prefix: a.runPrefix(asOf, id)}
		r.URI = a.uri(r.Prefix)
		return r, nil
	}
	runs, err := a.runPrefixesOf(ctx, time.Time{}, true)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		keys, _, err := a.listVersions(ctx, r.Prefix+report.ManifestName)
		if err != nil {
			return nil, err
		}
		if keys[""].oldest() != nil {
			return &r, nil
		}
	}
	return nil, fmt.Errorf("%w: no run with a manifest under %s", ErrRunNotFound, a.uri(a.rootPrefix()))
}

// verifyVersioned verifies a run on a versioned bucket by the versions
// written when it was archived.
func (a *Archiver) verifyVersioned(ctx context.Context, id string) (*Verification, error) {
	r, err := a.lookupVersioned(ctx, id)
	if err != nil {
		return nil, err
	}
	keys, order, err := a.listVersions(ctx, r.Prefix)
	if err != nil {
		return nil, err
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrRunNotFound, r.URI)
	}
	v := &Verification{Run: *r}
	unlisted := func(known map[string]bool, problem string) {
		for _, p := range order {
			if !known[p] {
				v.Objects = append(v.Objects, extraObject(p, keys[p], problem))
			}
		}
	}
	mk := keys[report.ManifestName]
	first := mk.oldest()
	if first == nil {
		c := ObjectCheck{Path: report.ManifestName, Versions: mk.all()}
		if mk != nil && len(mk.markers) > 0 {
			c.Problems = append(c.Problems, tamperedPrefix+"deleted, and no version of it is kept: "+markerTimes(mk.markers))
		} else {
			c.Problems = append(c.Problems, "missing: the upload of this run is incomplete")
		}
		v.Objects = append(v.Objects, c)
		unlisted(map[string]bool{report.ManifestName: true}, "no manifest lists it")
		return v, nil
	}

	// The first version of manifest.json is the one the reporter wrote.
	data, _, err := a.get(ctx, r.Prefix+report.ManifestName, first.ID)
	if err != nil && (Retryable(err) || ctx.Err() != nil) {
		return nil, err
	}
	var m *report.Manifest
	if err == nil {
		if m, err = report.ParseManifest(data); err == nil && m.RunID != r.ID {
			err = fmt.Errorf("it names run %s", m.RunID)
		}
	}
	if err != nil {
		c := ObjectCheck{Path: report.ManifestName, VersionID: first.ID, Written: first.Written, Versions: mk.all(),
			Problems: []string{fmt.Sprintf("its first version (%s, written %s) is not the manifest of run %s: %v", first.ID, first.when(), r.ID, err)}}
		v.Objects = append(v.Objects, c)
		unlisted(map[string]bool{report.ManifestName: true}, "no readable manifest lists it")
		return v, nil
	}
	sum := sha256.Sum256(data)
	self := report.ManifestFile{Path: report.ManifestName, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	v.Run.Manifest = m

	files := m.Files
	v.Objects = make([]ObjectCheck, len(files)+1)
	known := map[string]bool{report.ManifestName: true}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(verifyParallelism)
	for i := range files {
		if err := safeManifestPath(files[i].Path); err != nil {
			v.Objects[i] = ObjectCheck{Path: files[i].Path, Problems: []string{err.Error()}}
			continue
		}
		if known[files[i].Path] {
			v.Objects[i] = ObjectCheck{Path: files[i].Path, Problems: []string{"listed twice in the manifest"}}
			continue
		}
		known[files[i].Path] = true
		g.Go(func() (err error) {
			v.Objects[i], err = a.checkVersions(gctx, r.Prefix, files[i].Path, keys[files[i].Path], &files[i], first)
			return err
		})
	}
	g.Go(func() (err error) {
		v.Objects[len(files)], err = a.checkVersions(gctx, r.Prefix, report.ManifestName, mk, &self, nil)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	unlisted(known, "not in the manifest")
	return v, nil
}

// checkVersions checks every version of one object of the run against
// want: the oldest version fully (size, SHA-256, stored checksum,
// retention), later versions by their content. manifest is the first
// version of manifest.json, which every object of the run was written
// before; nil for the manifest itself.
func (a *Archiver) checkVersions(ctx context.Context, prefix, path string, k *keyVersions, want *report.ManifestFile, manifest *Version) (ObjectCheck, error) {
	orig := k.oldest()
	if orig == nil {
		c := ObjectCheck{Path: path, Versions: k.all(), Problems: []string{"missing: no version of it is stored"}}
		if k != nil && len(k.markers) > 0 {
			c.Problems = append(c.Problems, tamperedPrefix+"deleted: "+markerTimes(k.markers))
		}
		return c, nil
	}
	c, err := a.verifyObject(ctx, prefix, path, orig.ID, want)
	if err != nil {
		return c, err
	}
	c.VersionID, c.Written = orig.ID, orig.Written
	if manifest != nil && orig.Written.After(manifest.Written.Add(clockSlack)) {
		c.Problems = append(c.Problems, fmt.Sprintf("%sits oldest stored version (%s) was written %s, after the run's manifest.json (%s): "+
			"the version archived with the run was removed", tamperedPrefix, orig.ID, orig.when(), manifest.when()))
	}
	versions := append([]Version(nil), k.versions...)
	last := len(versions) - 1
	versions[last].Size, versions[last].SHA256 = c.Size, c.SHA256
	for i := range versions[:last] {
		later := &versions[i]
		h := sha256.New()
		n, err := a.fetch(ctx, prefix+path, later.ID, func() (io.Writer, error) { h.Reset(); return h, nil })
		switch {
		case err != nil && (Retryable(err) || ctx.Err() != nil):
			return c, err
		case err != nil:
			c.Problems = append(c.Problems, fmt.Sprintf("%sa newer version (%s, written %s) cannot be read: %v", tamperedPrefix, later.ID, later.when(), err))
			continue
		}
		later.Size, later.SHA256 = n, hex.EncodeToString(h.Sum(nil))
		if later.Size == want.Size && later.SHA256 == want.SHA256 {
			c.Notes = append(c.Notes, fmt.Sprintf("uploaded again with identical content (version %s, written %s)", later.ID, later.when()))
			continue
		}
		what := "as the manifest says"
		if path == report.ManifestName {
			what = "the first manifest"
		}
		current := ""
		if later.Latest {
			current = "; it is the current version: a read without version ID returns it"
		}
		c.Problems = append(c.Problems, fmt.Sprintf("%sversion %s written %s has size %d sha256 %s, not the content archived with the run (version %s written %s, size %d sha256 %s, %s)%s",
			tamperedPrefix, later.ID, later.when(), later.Size, later.SHA256, orig.ID, orig.when(), want.Size, want.SHA256, what, current))
	}
	if len(k.markers) > 0 {
		c.Problems = append(c.Problems, fmt.Sprintf("%sdeleted after it was archived: %s; the archived version %s (written %s) is still kept",
			tamperedPrefix, markerTimes(k.markers), orig.ID, orig.when()))
	}
	c.Versions = (&keyVersions{versions: versions, markers: k.markers}).all()
	return c, nil
}

// extraObject describes a key under the run's prefix that the manifest
// does not list.
func extraObject(path string, k *keyVersions, problem string) ObjectCheck {
	c := ObjectCheck{Path: path, Versions: k.all()}
	if len(k.versions) > 0 {
		newest := k.versions[0]
		c.Size, c.VersionID, c.Written = newest.Size, newest.ID, newest.Written
		problem += fmt.Sprintf(" (written %s)", newest.when())
	} else {
		problem += " (delete markers only: " + markerTimes(k.markers) + ")"
	}
	c.Problems = []string{problem}
	return c
}

// markerTimes lists delete markers as "delete marker ID at TIME".
func markerTimes(markers []Version) string {
	var parts []string
	for _, m := range markers {
		parts = append(parts, fmt.Sprintf("delete marker %s at %s", m.ID, m.when()))
	}
	return strings.Join(parts, ", ")
}

// safeManifestPath refuses a manifest entry that could name something
// outside the run: absolute, with "..", ".", empty elements or
// backslashes, or the manifest itself.
func safeManifestPath(p string) error {
	bad := p == "" || p == report.ManifestName || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00")
	for _, elem := range strings.Split(p, "/") {
		bad = bad || elem == "" || elem == "." || elem == ".."
	}
	if bad {
		return fmt.Errorf("refused: manifest entry %q is not a plain path inside the run folder; not read", p)
	}
	return nil
}
