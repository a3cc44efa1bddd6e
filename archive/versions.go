package archive

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/internal/runfolder"
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
	// etag is the ETag the listing gives; equal ETags and sizes of two
	// versions of a key mean equal bytes.
	etag string
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

// archivedVersion is the version of a run's file archived with the run.
type archivedVersion struct {
	// index is the version's place in keyVersions.versions (newest
	// first); -1 when the key has no version.
	index int
	// mismatch is set when several versions were written before the
	// manifest and none has the SHA-256 checksum it lists: index is then
	// the newest of them, and its content is not what the manifest says.
	mismatch bool
}

// archived finds the version of a run's file that the run's upload wrote:
// the reporter puts every file before manifest.json, so it is among the
// versions written no later than the first manifest (clockSlack allowed).
// With one such version, or several with one ETag and size (the same
// bytes), it is the oldest (verify and reads check its content); with
// several others (a retried upload with SSE-KMS, a version planted under the
// run's predictable prefix before the upload, or one written over it in
// the same second as the manifest), it is the oldest whose stored SHA-256
// checksum is the manifest's (want), found with HeadObject, oldest first.
// Versions with that checksum hold the same bytes, so which one is read
// does not matter; taking the oldest makes every version with other
// content written after it a change of the run, and one written before
// it a planted one. When none has it, it is the newest of them (match
// false). With none written before the manifest, it is the oldest: the
// archived version was removed, which verify and changes report.
func (a *Archiver) archived(ctx context.Context, key string, k *keyVersions, want runfolder.ManifestFile, manifest *Version) (archivedVersion, error) {
	if k == nil || len(k.versions) == 0 {
		return archivedVersion{index: -1}, nil
	}
	limit := manifest.Written.Add(clockSlack)
	var before []int
	for i, v := range k.versions {
		if !v.Written.After(limit) {
			before = append(before, i)
		}
	}
	switch {
	case len(before) == 0:
		return archivedVersion{index: len(k.versions) - 1}, nil
	case len(before) == 1 || sameETags(k.versions, before):
		// One version, or several with the same bytes (a retried
		// upload without SSE-KMS): the oldest, unchecked.
		return archivedVersion{index: before[len(before)-1]}, nil
	}
	for j := len(before) - 1; j >= 0; j-- {
		i := before[j]
		v := k.versions[i]
		if v.Size != want.Size {
			continue
		}
		sum, err := a.storedSHA256(ctx, key, v.ID)
		if err != nil {
			return archivedVersion{}, err
		}
		if sum == want.SHA256 {
			return archivedVersion{index: i}, nil
		}
	}
	return archivedVersion{index: before[0], mismatch: true}, nil
}

// sameETags reports whether the versions at the indexes all have the
// same size and ETag, so the same bytes.
func sameETags(versions []Version, indexes []int) bool {
	first := versions[indexes[0]]
	for _, i := range indexes[1:] {
		if v := versions[i]; first.etag == "" || v.etag != first.etag || v.Size != first.Size {
			return false
		}
	}
	return true
}

// storedSHA256 returns the hex SHA-256 checksum S3 stored for one version
// of key, or "" when it has none or cannot be read for another reason
// than an outage.
func (a *Archiver) storedSHA256(ctx context.Context, key, versionID string) (string, error) {
	var head *s3.HeadObjectOutput
	err := request(ctx, "check "+a.uri(key), func(ctx context.Context) error {
		var err error
		head, err = a.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key),
			VersionId: aws.String(versionID), ChecksumMode: types.ChecksumModeEnabled})
		return err
	})
	switch {
	case err != nil && (Retryable(err) || ctx.Err() != nil):
		return "", err
	case err != nil:
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(head.ChecksumSHA256))
	if err != nil || len(raw) != sha256.Size {
		return "", nil
	}
	return hex.EncodeToString(raw), nil
}

// bucketVersioning returns the bucket's versioning status.
func (a *Archiver) bucketVersioning(ctx context.Context) (string, error) {
	var out *s3.GetBucketVersioningOutput
	err := request(ctx, "read the versioning of bucket "+a.bucket, func(ctx context.Context) error {
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
		err := request(ctx, "list the versions of "+a.uri(prefix), func(ctx context.Context) error {
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
				Latest: aws.ToBool(o.IsLatest), Size: aws.ToInt64(o.Size), etag: aws.ToString(o.ETag)})
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
// newest run with a readable version of manifest.json, current or not:
// deleting the newest run's manifest does not make an older run
// "latest", but a run whose first manifest cannot be read (ErrUnreadable)
// is passed over with a warning. The latest run comes pinned (see pinRun).
func (a *Archiver) lookupVersioned(ctx context.Context, id string) (*Run, error) {
	if id != Latest {
		asOf, _, err := runfolder.ParseID(id)
		if err != nil {
			return nil, fmt.Errorf("%w, or %q", err, Latest)
		}
		r := &Run{ID: id, Prefix: a.runPrefix(asOf, id)}
		r.URI = a.uri(r.Prefix)
		return r, nil
	}
	runs, err := a.runPrefixesOf(ctx, time.Time{}, true)
	if err != nil {
		return nil, err
	}
	var passed []string
	for i := range runs {
		r := &runs[i]
		err := a.pinRun(ctx, r)
		switch {
		case err == nil:
			return r, nil
		case errors.Is(err, ErrIncomplete) || errors.Is(err, ErrRunNotFound):
			continue
		case errors.Is(err, ErrUnreadable):
			passed = append(passed, a.passedOver(r, err))
			continue
		}
		return nil, err
	}
	return nil, a.noLatest("no run with a readable manifest", passed)
}

// verifyVersioned verifies a run on a versioned bucket by the versions
// written when it was archived.
func (a *Archiver) verifyVersioned(ctx context.Context, id string) (*Verification, error) {
	found, err := a.lookupVersioned(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &Run{ID: found.ID, Prefix: found.Prefix, URI: found.URI}
	keys, order, err := a.listVersions(ctx, r.Prefix)
	if err = perRun(ctx, "the versions of the run cannot be listed", err); errors.Is(err, ErrUnreadable) {
		r.Unreadable = unreadableReason(err)
		return &Verification{Run: *r, Objects: []ObjectCheck{{Path: runfolder.ManifestName, Problems: []string{r.Unreadable}}}}, nil
	}
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
	mk := keys[runfolder.ManifestName]
	first := mk.oldest()
	if first == nil {
		c := ObjectCheck{Path: runfolder.ManifestName, Versions: mk.all()}
		if mk != nil && len(mk.markers) > 0 {
			c.Problems = append(c.Problems, tamperedPrefix+"deleted, and no version of it is kept: "+markerTimes(mk.markers))
		} else {
			c.Problems = append(c.Problems, "missing: the upload of this run is incomplete")
		}
		v.Objects = append(v.Objects, c)
		unlisted(map[string]bool{runfolder.ManifestName: true}, "no manifest lists it")
		return v, nil
	}

	// The first version of manifest.json is the one the reporter wrote.
	data, m, err := a.firstManifest(ctx, r, first)
	if err != nil && !errors.Is(err, ErrUnreadable) {
		return nil, err
	}
	if err != nil {
		v.Run.Unreadable = unreadableReason(err)
		c := ObjectCheck{Path: runfolder.ManifestName, VersionID: first.ID, Written: first.Written, Versions: mk.all(),
			Problems: []string{fmt.Sprintf("its first version (%s, written %s) is not the manifest of run %s: %s", first.ID, first.when(), r.ID, v.Run.Unreadable)}}
		v.Objects = append(v.Objects, c)
		unlisted(map[string]bool{runfolder.ManifestName: true}, "no readable manifest lists it")
		return v, nil
	}
	sum := sha256.Sum256(data)
	self := runfolder.ManifestFile{Path: runfolder.ManifestName, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	v.Run.Manifest = m

	files := m.Files
	v.Objects = make([]ObjectCheck, len(files)+1)
	known := map[string]bool{runfolder.ManifestName: true}
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
		v.Objects[len(files)], err = a.checkVersions(gctx, r.Prefix, runfolder.ManifestName, mk, &self, nil)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	unlisted(known, "not in the manifest")
	return v, nil
}

// checkVersions checks every version of one object of the run against
// want: the version archived with the run fully (size, SHA-256, stored
// checksum, retention), the others by their content. manifest is the
// first version of manifest.json, which every object of the run was
// written before; nil for the manifest itself, whose archived version is
// its oldest. A version older than the archived one with other content
// was planted under the run's prefix before the upload; one newer with
// other content was written over the run since.
func (a *Archiver) checkVersions(ctx context.Context, prefix, path string, k *keyVersions, want *runfolder.ManifestFile, manifest *Version) (ObjectCheck, error) {
	if k == nil || len(k.versions) == 0 {
		c := ObjectCheck{Path: path, Versions: k.all(), Problems: []string{"missing: no version of it is stored"}}
		if k != nil && len(k.markers) > 0 {
			c.Problems = append(c.Problems, tamperedPrefix+"deleted: "+markerTimes(k.markers))
		}
		return c, nil
	}
	at := archivedVersion{index: len(k.versions) - 1}
	if manifest != nil {
		var err error
		if at, err = a.archived(ctx, prefix+path, k, *want, manifest); err != nil {
			return ObjectCheck{Path: path}, err
		}
	}
	orig := k.versions[at.index]
	c, err := a.verifyObject(ctx, prefix, path, orig.ID, want)
	if err != nil {
		return c, err
	}
	c.VersionID, c.Written = orig.ID, orig.Written
	if manifest != nil && orig.Written.After(manifest.Written.Add(clockSlack)) {
		c.Problems = append(c.Problems, fmt.Sprintf("%sits oldest stored version (%s) was written %s, after the run's manifest.json (%s): "+
			"the version archived with the run was removed", tamperedPrefix, orig.ID, orig.when(), manifest.when()))
	}
	if at.mismatch {
		c.Problems = append(c.Problems, fmt.Sprintf("%sno version written before the run's manifest.json (%s) holds the content it lists: "+
			"the version archived with the run was removed", tamperedPrefix, manifest.when()))
	}
	versions := append([]Version(nil), k.versions...)
	versions[at.index].Size, versions[at.index].SHA256 = c.Size, c.SHA256
	what := "as the manifest says"
	if path == runfolder.ManifestName {
		what = "the first manifest"
	}
	archived := fmt.Sprintf("the content archived with the run (version %s written %s, size %d sha256 %s, %s)", orig.ID, orig.when(), want.Size, want.SHA256, what)
	for i := range versions {
		if i == at.index {
			continue
		}
		other, older := &versions[i], i > at.index
		h := sha256.New()
		n, err := a.fetch(ctx, prefix+path, other.ID, func() (io.Writer, error) { h.Reset(); return h, nil })
		switch {
		case err != nil && (Retryable(err) || ctx.Err() != nil):
			return c, err
		case err != nil && older:
			c.Problems = append(c.Problems, fmt.Sprintf("%san older version (%s, written %s before the upload) cannot be read: %v", plantedPrefix, other.ID, other.when(), err))
			continue
		case err != nil:
			c.Problems = append(c.Problems, fmt.Sprintf("%sa newer version (%s, written %s) cannot be read: %v", tamperedPrefix, other.ID, other.when(), err))
			continue
		}
		other.Size, other.SHA256 = n, hex.EncodeToString(h.Sum(nil))
		identical := other.Size == want.Size && other.SHA256 == want.SHA256
		switch {
		case identical:
			c.Notes = append(c.Notes, fmt.Sprintf("uploaded again with identical content (version %s, written %s)", other.ID, other.when()))
		case older:
			c.Problems = append(c.Problems, fmt.Sprintf("%sversion %s written %s, before the run was uploaded, has size %d sha256 %s, not %s: "+
				"someone wrote this key under the run's prefix before the reporter did; reads of the run return the archived version",
				plantedPrefix, other.ID, other.when(), other.Size, other.SHA256, archived))
		default:
			current := ""
			if other.Latest {
				current = "; it is the current version: a read without version ID returns it"
			}
			c.Problems = append(c.Problems, fmt.Sprintf("%sversion %s written %s has size %d sha256 %s, not %s%s",
				tamperedPrefix, other.ID, other.when(), other.Size, other.SHA256, archived, current))
		}
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
	bad := p == "" || p == runfolder.ManifestName || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00")
	for _, elem := range strings.Split(p, "/") {
		bad = bad || elem == "" || elem == "." || elem == ".."
	}
	if bad {
		return fmt.Errorf("refused: manifest entry %q is not a plain path inside the run folder; not read", p)
	}
	return nil
}

// readState is what the reads of an Archiver remember between calls.
type readState struct {
	mu sync.Mutex
	// checked is set once the bucket's versioning was read; versioned
	// stays set once seen, as a bucket never returns to unversioned.
	checked, versioned bool
	// pins are the archived versions of each run read, by run prefix.
	pins map[string]*pinned
}

// pinned are the versions of a run archived with it.
type pinned struct {
	manifest []byte // the first version of manifest.json
	// versions are the archived version ID of each key, by path: for a
	// file the manifest lists the one its upload wrote (see archived),
	// for manifest.json the first, for any other key the oldest.
	versions map[string]string
}

// version returns the archived version ID of path, or "" (also for a
// run read from an unversioned bucket).
func (p *pinned) version(path string) string {
	if p == nil {
		return ""
	}
	return p.versions[path]
}

// readsVersions reports whether reads go by the versions archived with
// each run: whether the bucket is versioned (Enabled or Suspended). With
// fresh it asks S3 unless versioning was already seen, else it asks only
// the first time.
func (a *Archiver) readsVersions(ctx context.Context, fresh bool) (bool, error) {
	a.reads.mu.Lock()
	checked, versioned := a.reads.checked, a.reads.versioned
	a.reads.mu.Unlock()
	if versioned || (checked && !fresh) {
		return versioned, nil
	}
	status, err := a.bucketVersioning(ctx)
	if err != nil {
		return false, err
	}
	a.reads.mu.Lock()
	defer a.reads.mu.Unlock()
	a.reads.checked = true
	a.reads.versioned = a.reads.versioned || status != VersioningOff
	return a.reads.versioned, nil
}

// remember keeps the archived versions of the run at prefix for History.Open.
func (a *Archiver) remember(prefix string, pin *pinned) {
	a.reads.mu.Lock()
	defer a.reads.mu.Unlock()
	if a.reads.pins == nil {
		a.reads.pins = map[string]*pinned{}
	}
	a.reads.pins[prefix] = pin
}

// pinFor returns the archived versions of the run at prefix: remembered
// from Runs or Lookup, else read now; nil on an unversioned bucket.
func (a *Archiver) pinFor(ctx context.Context, prefix, id string) (*pinned, error) {
	a.reads.mu.Lock()
	pin := a.reads.pins[prefix]
	a.reads.mu.Unlock()
	if pin != nil {
		return pin, nil
	}
	versioned, err := a.readsVersions(ctx, false)
	if err != nil || !versioned {
		return nil, err
	}
	r := &Run{ID: id, Prefix: prefix, URI: a.uri(prefix)}
	if err := a.pinRun(ctx, r); err != nil {
		return nil, err
	}
	return r.pin, nil
}

// pinRun reads the run r on a versioned bucket by the versions archived
// with it, with one listing of its prefix (ListObjectVersions) and one
// download: the first version of manifest.json becomes r.Manifest, the
// version of each file its upload wrote (see archived; a HeadObject only
// for a key written more than once before the manifest) is what reads
// of r return, and r.Changes lists what was written or deleted under the
// prefix since, and what was planted there before the upload. It fails
// with ErrRunNotFound when the prefix holds nothing, and with
// ErrIncomplete when no version of manifest.json is stored.
func (a *Archiver) pinRun(ctx context.Context, r *Run) error {
	keys, order, err := a.listVersions(ctx, r.Prefix)
	if err != nil {
		return perRun(ctx, "the versions of the run cannot be listed", err)
	}
	mk := keys[runfolder.ManifestName]
	first := mk.oldest()
	switch {
	case len(order) == 0:
		return fmt.Errorf("%w: %s", ErrRunNotFound, r.URI)
	case first == nil:
		if mk != nil && len(mk.markers) > 0 {
			r.Changes = []Change{{Path: runfolder.ManifestName, What: "deleted, and no version of it is kept: " + markerTimes(mk.markers)}}
		}
		return fmt.Errorf("%s: %w", r.URI, ErrIncomplete)
	}
	data, m, err := a.firstManifest(ctx, r, first)
	if err != nil {
		return fmt.Errorf("%s: %w", r.URI, err)
	}
	pin := &pinned{manifest: data, versions: map[string]string{}}
	for p, k := range keys {
		if v := k.oldest(); v != nil {
			pin.versions[p] = v.ID
		}
	}
	arch := map[string]archivedVersion{runfolder.ManifestName: {index: len(mk.versions) - 1}}
	for _, f := range m.Files {
		k := keys[f.Path]
		at, err := a.archived(ctx, r.Prefix+f.Path, k, f, first)
		if err != nil {
			return err
		}
		arch[f.Path] = at
		if at.index >= 0 {
			pin.versions[f.Path] = k.versions[at.index].ID
		}
	}
	changes, err := a.changes(ctx, r.Prefix, keys, order, m, data, arch)
	if err != nil {
		return err
	}
	r.Manifest, r.pin, r.Changes = m, pin, changes
	a.remember(r.Prefix, pin)
	return nil
}

// Change is something written or deleted under a run's prefix after the
// run was archived, or written there before its upload, as its version
// listing shows.
type Change struct {
	Path string `json:"path"`
	What string `json:"what"`
	// Planted is set for a version written before the run's upload with
	// other content than the archived one: not a change of the run, but
	// someone writing under its predictable prefix ahead of the reporter.
	Planted bool `json:"planted_before_upload,omitempty"`
}

// changes compares the versions under a run's prefix with the first
// manifest m (its bytes data) and the archived version of each file
// (arch): a version newer or older than the archived one whose content
// differs from what the manifest lists (older: planted before the
// upload), a delete marker, a file whose archived version is gone, or
// that has no version at all, and a key the manifest does not list. Two
// versions are told apart by size and ETag; only one of the same size but
// another ETag (SSE-KMS gives every upload its own) is downloaded and
// hashed.
func (a *Archiver) changes(ctx context.Context, prefix string, keys map[string]*keyVersions, order []string, m *runfolder.Manifest, data []byte, arch map[string]archivedVersion) ([]Change, error) {
	sum := sha256.Sum256(data)
	want := map[string]runfolder.ManifestFile{runfolder.ManifestName: {Path: runfolder.ManifestName, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}}
	for _, f := range m.Files {
		want[f.Path] = f
	}
	first := keys[runfolder.ManifestName].oldest()
	var out []Change
	for _, f := range m.Files {
		if keys[f.Path] == nil {
			out = append(out, Change{Path: f.Path, What: "missing: no version of it is stored"})
		}
	}
	for _, p := range order {
		k := keys[p]
		w, listed := want[p]
		if !listed {
			out = append(out, Change{Path: p, What: "not in the manifest"})
			continue
		}
		if len(k.markers) > 0 {
			out = append(out, Change{Path: p, What: "deleted: " + markerTimes(k.markers)})
		}
		at, ok := arch[p]
		if !ok || at.index < 0 {
			continue
		}
		orig := k.versions[at.index]
		if p != runfolder.ManifestName && orig.Written.After(first.Written.Add(clockSlack)) {
			out = append(out, Change{Path: p, What: fmt.Sprintf("its oldest version %s was written %s, after the manifest: the archived version is gone", orig.ID, orig.when())})
		}
		if at.mismatch {
			out = append(out, Change{Path: p, What: "no version written before the manifest holds the content it lists: the archived version is gone"})
		}
		for i, other := range k.versions {
			if i == at.index {
				continue
			}
			same, err := a.sameContent(ctx, prefix+p, other, orig, w)
			switch {
			case err != nil:
				return nil, err
			case same:
			case i > at.index:
				out = append(out, Change{Path: p, Planted: true, What: fmt.Sprintf("planted before the upload: version %s written %s holds other content than the archived version %s", other.ID, other.when(), orig.ID)})
			default:
				out = append(out, Change{Path: p, What: fmt.Sprintf("rewritten: version %s written %s", other.ID, other.when())})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// sameContent reports whether another version of key holds the bytes
// the manifest lists (want), as its archived version orig should.
func (a *Archiver) sameContent(ctx context.Context, key string, later, orig Version, want runfolder.ManifestFile) (bool, error) {
	switch {
	case later.Size != want.Size:
		return false, nil
	case later.etag != "" && later.etag == orig.etag && later.Size == orig.Size:
		return true, nil
	}
	h := sha256.New()
	_, err := a.fetch(ctx, key, later.ID, func() (io.Writer, error) { h.Reset(); return h, nil })
	switch {
	case err != nil && (Retryable(err) || ctx.Err() != nil):
		return false, err
	case err != nil:
		return false, nil
	}
	return hex.EncodeToString(h.Sum(nil)) == want.SHA256, nil
}

// lookupPinned is Lookup on a versioned bucket: the run is read by the
// versions archived with it.
func (a *Archiver) lookupPinned(ctx context.Context, id string) (*Run, error) {
	r, err := a.lookupVersioned(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.pin != nil {
		return r, nil
	}
	err = a.pinRun(ctx, r)
	switch {
	case errors.Is(err, ErrIncomplete):
		return r, err
	case errors.Is(err, ErrUnreadable):
		r.Unreadable = unreadableReason(err)
		return r, err
	case err != nil:
		return nil, err
	}
	return r, nil
}

// archivedVersions finds a run on a versioned bucket with its first
// manifest and the archived version of each file it lists.
func (a *Archiver) archivedVersions(ctx context.Context, id string) (*Run, *pinned, error) {
	r, err := a.lookupPinned(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range r.Manifest.Files {
		if r.pin.version(f.Path) == "" {
			return nil, nil, fmt.Errorf("%s%s: no version of it is stored", r.URI, f.Path)
		}
	}
	return r, r.pin, nil
}

// firstManifest reads the first version of the run's manifest.json, the
// one archived with it, and checks that it is the manifest of r (see
// parseManifestOf). A version larger than manifestLimit in the listing
// is refused without a download. Failures other than an outage are
// ErrUnreadable.
func (a *Archiver) firstManifest(ctx context.Context, r *Run, first *Version) ([]byte, *runfolder.Manifest, error) {
	what := fmt.Sprintf("%s (first version %s)", runfolder.ManifestName, first.ID)
	if first.Size > manifestLimit {
		return nil, nil, tooLarge(what, first.Size)
	}
	data, err := a.getManifest(ctx, r.Prefix+runfolder.ManifestName, first.ID, what)
	if isNotFound(err) {
		return nil, nil, unreadable("%s: %v", what, err)
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := a.parseManifestOf(r, data, what)
	return data, m, err
}
