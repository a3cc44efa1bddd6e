package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/perm"
	"github.com/reporter-dev/reporter/internal/runfolder"
)

// ObjectCheck is the verification of one object of an archived run.
type ObjectCheck struct {
	// Path is relative to the run, e.g. evidence/111111111111.csv.
	Path string `json:"path"`
	// Size and SHA256 (hex) are those of the bytes downloaded.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// StoredSHA256 is the hex of the SHA-256 checksum S3 keeps for the
	// object; empty when it has none.
	StoredSHA256 string `json:"stored_sha256,omitempty"`
	// VersionID and Written are those of the version checked: on a
	// versioned bucket the one written when the run was archived.
	VersionID string    `json:"version_id,omitempty"`
	Written   time.Time `json:"written,omitzero"`
	// LockMode and RetainUntil are the object's Object Lock retention.
	LockMode    string    `json:"lock_mode,omitempty"`
	RetainUntil time.Time `json:"retain_until,omitzero"`
	// Versions are every version and delete marker of the key, newest
	// first, on a versioned bucket.
	Versions []Version `json:"versions,omitempty"`
	// Problems is empty when the object is what the manifest says.
	Problems []string `json:"problems,omitempty"`
	// Notes are facts that are not problems, e.g. an identical re-upload.
	Notes []string `json:"notes,omitempty"`
}

// Verification is the outcome of Verify.
type Verification struct {
	Run Run `json:"run"`
	// Versioning is the bucket's versioning: VersioningEnabled,
	// VersioningSuspended or VersioningOff.
	Versioning string `json:"versioning"`
	// ObjectLockMode is the retention the configuration asks for; with it,
	// an object without retention is a problem.
	ObjectLockMode string `json:"object_lock_mode,omitempty"`
	// Objects are the manifest's files in its order, then manifest.json,
	// then objects the manifest does not list.
	Objects []ObjectCheck `json:"objects"`
	// Notes say what this verification cannot see, e.g. on an
	// unversioned bucket.
	Notes []string `json:"notes,omitempty"`
}

// Problems returns every problem found, as "PATH: problem".
func (v *Verification) Problems() []string {
	var out []string
	for _, o := range v.Objects {
		for _, p := range o.Problems {
			out = append(out, o.Path+": "+p)
		}
	}
	return out
}

// Tampered returns the paths of the objects changed or deleted after the
// run was archived (a problem starting with "tampered").
func (v *Verification) Tampered() []string {
	var out []string
	for _, o := range v.Objects {
		for _, p := range o.Problems {
			if strings.HasPrefix(p, tamperedPrefix) {
				out = append(out, o.Path)
				break
			}
		}
	}
	return out
}

// Planted returns the paths of the objects with a version written under
// the run's prefix before its upload, with other content than the one
// archived (a problem starting with "planted").
func (v *Verification) Planted() []string {
	var out []string
	for _, o := range v.Objects {
		for _, p := range o.Problems {
			if strings.HasPrefix(p, plantedPrefix) {
				out = append(out, o.Path)
				break
			}
		}
	}
	return out
}

// tamperedPrefix starts every problem that shows a change after the run
// was archived; plantedPrefix every one that shows a version written
// under the run's prefix before its upload.
const (
	tamperedPrefix = "tampered: "
	plantedPrefix  = "planted: "
)

// OK reports whether every object matches the manifest and its stored
// checksum, and no object is missing, extra or tampered with.
func (v *Verification) OK() bool { return len(v.Problems()) == 0 }

// Retention summarizes the objects' retention: the lock modes found, the
// earliest retain-until date, and how many objects have no retention.
func (v *Verification) Retention() (modes []string, earliest time.Time, unlocked int) {
	seen := map[string]bool{}
	for _, o := range v.Objects {
		if o.LockMode == "" || o.RetainUntil.IsZero() {
			if o.VersionID != "" || o.SHA256 != "" {
				unlocked++
			}
			continue
		}
		if !seen[o.LockMode] {
			seen[o.LockMode] = true
			modes = append(modes, o.LockMode)
		}
		if earliest.IsZero() || o.RetainUntil.Before(earliest) {
			earliest = o.RetainUntil
		}
	}
	sort.Strings(modes)
	return modes, earliest, unlocked
}

// verifyParallelism bounds the concurrent downloads of Verify and Download.
const verifyParallelism = 4

// Verify checks the run with the given ID (or "latest") in the archive
// and returns what it found; the error is for a run that cannot be found
// or an S3 that cannot be read.
//
// On a versioned bucket (Object Lock implies it) the run is judged by the
// versions written when it was archived: the first version of
// manifest.json is the authentic manifest, the version of each object
// its upload wrote (the newest written before that manifest with the
// checksum it lists) must match it, and any later version that differs,
// any delete marker, and any manifest version that differs from the first
// is a problem starting with "tampered: "; an earlier version that
// differs (written under the run's prefix before its upload) is one
// starting with "planted: ". On an unversioned bucket only the
// current objects can be checked, and a note says that a full rewrite
// cannot be detected there.
//
// Either way every object is downloaded and checked for size and SHA-256
// against the manifest and against the checksum S3 stored for it, the
// run must hold no object the manifest does not list, and with
// s3.object_lock_mode configured an object without retention is a
// problem.
func (a *Archiver) Verify(ctx context.Context, id string) (*Verification, error) {
	status, err := a.bucketVersioning(ctx)
	if err != nil {
		return nil, err
	}
	var v *Verification
	if status == VersioningOff {
		v, err = a.verifyCurrent(ctx, id)
	} else {
		v, err = a.verifyVersioned(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	v.Versioning, v.ObjectLockMode = status, string(a.lockMode)
	switch status {
	case VersioningOff:
		v.Notes = append(v.Notes, fmt.Sprintf("bucket %s is not versioned: a rewrite of the whole run (objects and manifest.json replaced consistently) "+
			"cannot be detected on it; verify only compares the current objects with the current manifest. Keep the archive in a bucket with Object Lock.", a.bucket))
	case VersioningSuspended:
		v.Notes = append(v.Notes, fmt.Sprintf("versioning is suspended on bucket %s: a new write replaces the \"null\" version without keeping it; "+
			"only versions written while versioning was enabled are kept and judged.", a.bucket))
	}
	return v, nil
}

// verifyCurrent verifies the current objects of a run on an unversioned
// bucket.
func (a *Archiver) verifyCurrent(ctx context.Context, id string) (*Verification, error) {
	r, err := a.lookupCurrent(ctx, id)
	switch {
	case errors.Is(err, ErrIncomplete):
		v := &Verification{Run: *r, Objects: []ObjectCheck{{Path: runfolder.ManifestName, Problems: []string{"missing: the upload of this run is incomplete"}}}}
		objs, lerr := a.listRun(ctx, r.Prefix)
		if lerr != nil {
			return nil, lerr
		}
		for _, o := range objs {
			v.Objects = append(v.Objects, ObjectCheck{Path: strings.TrimPrefix(o.Key, r.Prefix), Size: o.Size, Problems: []string{"no manifest lists it"}})
		}
		return v, nil
	case errors.Is(err, ErrUnreadable):
		v := &Verification{Run: *r, Objects: []ObjectCheck{{Path: runfolder.ManifestName, Problems: []string{"not the manifest of run " + r.ID + ": " + r.Unreadable}}}}
		objs, lerr := a.listRun(ctx, r.Prefix)
		if lerr != nil {
			return nil, lerr
		}
		for _, o := range objs {
			if p := strings.TrimPrefix(o.Key, r.Prefix); p != runfolder.ManifestName {
				v.Objects = append(v.Objects, ObjectCheck{Path: p, Size: o.Size, Problems: []string{"no readable manifest lists it"}})
			}
		}
		return v, nil
	case err != nil:
		return nil, err
	}
	listed, err := a.listRun(ctx, r.Prefix)
	if err != nil {
		return nil, err
	}
	files := r.Manifest.Files
	v := &Verification{Run: *r, Objects: make([]ObjectCheck, len(files)+1)}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(verifyParallelism)
	for i := range files {
		if err := safeManifestPath(files[i].Path); err != nil {
			v.Objects[i] = ObjectCheck{Path: files[i].Path, Problems: []string{err.Error()}}
			continue
		}
		g.Go(func() (err error) {
			v.Objects[i], err = a.verifyObject(gctx, r.Prefix, files[i].Path, "", &files[i])
			return err
		})
	}
	g.Go(func() (err error) {
		v.Objects[len(files)], err = a.verifyObject(gctx, r.Prefix, runfolder.ManifestName, "", nil)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	known := map[string]bool{runfolder.ManifestName: true}
	for _, f := range files {
		known[f.Path] = true
	}
	for _, o := range listed {
		if p := strings.TrimPrefix(o.Key, r.Prefix); !known[p] {
			v.Objects = append(v.Objects, ObjectCheck{Path: p, Size: o.Size, Problems: []string{"not in the manifest"}})
		}
	}
	return v, nil
}

// verifyObject checks one object, the given version or else the current
// one; want is nil for the manifest itself, which is checked against its
// stored checksum only. The error is for S3 failures; what is wrong with
// the object goes into Problems.
func (a *Archiver) verifyObject(ctx context.Context, prefix, path, versionID string, want *runfolder.ManifestFile) (ObjectCheck, error) {
	c := ObjectCheck{Path: path}
	key := prefix + path
	var head *s3.HeadObjectOutput
	err := request(ctx, "check "+a.uri(key), func(ctx context.Context) error {
		in := &s3.HeadObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled}
		if versionID != "" {
			in.VersionId = aws.String(versionID)
		}
		var err error
		head, err = a.client.HeadObject(ctx, in)
		return err
	})
	if isNotFound(err) {
		c.Problems = append(c.Problems, "missing")
		return c, nil
	}
	if err != nil {
		return c, err
	}
	c.VersionID = aws.ToString(head.VersionId)
	c.LockMode = string(head.ObjectLockMode)
	if head.ObjectLockRetainUntilDate != nil {
		c.RetainUntil = head.ObjectLockRetainUntilDate.UTC()
	}
	if head.LastModified != nil {
		c.Written = head.LastModified.UTC()
	}
	var retErr error
	if versionID != "" && (c.LockMode == "" || c.RetainUntil.IsZero()) {
		// Some S3-compatible stores leave the retention of a noncurrent
		// version out of HeadObject; ask for it.
		c.LockMode, c.RetainUntil, retErr = a.retention(ctx, key, versionID)
		if retErr != nil && ctx.Err() != nil {
			return c, retErr
		}
	}
	c.Problems = append(c.Problems, a.retentionProblems(c.LockMode, c.RetainUntil, retErr)...)
	if stored := aws.ToString(head.ChecksumSHA256); stored == "" {
		c.Problems = append(c.Problems, "S3 stores no SHA-256 checksum for it (reporter always writes one)")
	} else if raw, err := base64.StdEncoding.DecodeString(stored); err != nil || len(raw) != sha256.Size {
		c.Problems = append(c.Problems, fmt.Sprintf("stored checksum %q is not a full-object SHA-256", stored))
	} else {
		c.StoredSHA256 = hex.EncodeToString(raw)
	}

	h := sha256.New()
	n, err := a.fetch(ctx, key, c.VersionID, func() (io.Writer, error) { h.Reset(); return h, nil })
	switch {
	case isNotFound(err):
		c.Problems = append(c.Problems, "missing (deleted while verifying)")
		return c, nil
	case err != nil && (Retryable(err) || ctx.Err() != nil):
		return c, err
	case err != nil:
		c.Problems = append(c.Problems, fmt.Sprintf("download failed: %v", err))
		return c, nil
	}
	c.Size, c.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	if c.StoredSHA256 != "" && c.StoredSHA256 != c.SHA256 {
		c.Problems = append(c.Problems, fmt.Sprintf("content sha256 %s differs from its stored checksum %s", c.SHA256, c.StoredSHA256))
	}
	if want == nil {
		return c, nil
	}
	if c.Size != want.Size || c.SHA256 != want.SHA256 {
		c.Problems = append(c.Problems, fmt.Sprintf("content differs from the manifest: size %d sha256 %s, manifest says size %d sha256 %s", c.Size, c.SHA256, want.Size, want.SHA256))
	}
	if c.StoredSHA256 != "" && c.StoredSHA256 != want.SHA256 {
		c.Problems = append(c.Problems, fmt.Sprintf("stored checksum %s differs from the manifest's %s", c.StoredSHA256, want.SHA256))
	}
	return c, nil
}

// retentionProblems judges an object's retention (mode, until) against
// s3.object_lock_mode: with a mode configured, an object without
// retention, or whose retain-until date is past, can be deleted by its
// version ID; with COMPLIANCE configured, GOVERNANCE retention is too
// weak, as principals with s3:BypassGovernanceRetention can remove it.
// retErr is the failure to read the retention, if any.
func (a *Archiver) retentionProblems(mode string, until time.Time, retErr error) []string {
	if a.lockMode == "" {
		return nil
	}
	if mode == "" || until.IsZero() {
		p := fmt.Sprintf("no Object Lock retention, although s3.object_lock_mode %s is configured: it can be overwritten or deleted", a.lockMode)
		if retErr != nil {
			p += fmt.Sprintf(" (reading its retention failed: %v)", retErr)
		}
		return []string{p}
	}
	var out []string
	if a.lockMode == types.ObjectLockModeCompliance && mode != string(types.ObjectLockModeCompliance) {
		out = append(out, fmt.Sprintf("retention %s until %s, although s3.object_lock_mode COMPLIANCE is configured: "+
			"principals with s3:BypassGovernanceRetention can remove it, then delete or replace this version", mode, until.Format(time.RFC3339)))
	}
	if now := a.clock(); !until.After(now) {
		out = append(out, fmt.Sprintf("retention %s ended %s (checked %s): this version can now be deleted",
			mode, until.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	}
	return out
}

// retention reads the Object Lock retention of one version. An object
// without retention is no error.
func (a *Archiver) retention(ctx context.Context, key, versionID string) (string, time.Time, error) {
	var out *s3.GetObjectRetentionOutput
	err := request(ctx, "read the retention of "+a.uri(key), func(ctx context.Context) error {
		var err error
		out, err = a.client.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: aws.String(a.bucket), Key: aws.String(key), VersionId: aws.String(versionID)})
		return err
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NoSuchObjectLockConfiguration" || apiErr.ErrorCode() == "ObjectLockConfigurationNotFoundError" || apiErr.ErrorCode() == "InvalidRequest") {
		return "", time.Time{}, nil
	}
	if err != nil || out.Retention == nil {
		return "", time.Time{}, err
	}
	return string(out.Retention.Mode), aws.ToTime(out.Retention.RetainUntilDate).UTC(), nil
}

// fetch downloads an object (versionID if set) into the writer that sink
// returns, with checksum validation on; sink is called again before each
// retry, so it must return a fresh writer. It returns the bytes written.
func (a *Archiver) fetch(ctx context.Context, key, versionID string, sink func() (io.Writer, error)) (int64, error) {
	var n int64
	err := request(ctx, "download "+a.uri(key), func(ctx context.Context) error {
		w, err := sink()
		if err != nil {
			return err
		}
		in := &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled}
		if versionID != "" {
			in.VersionId = aws.String(versionID)
		}
		out, err := a.client.GetObject(ctx, in)
		if err != nil {
			return err
		}
		defer out.Body.Close()
		n, err = io.Copy(w, out.Body)
		return err
	})
	return n, err
}

// Download copies the run with the given ID (or "latest") into
// DIR/RUN-ID, checking every file against the manifest, and returns that
// folder. On a versioned bucket it copies the versions archived with the
// run (the first manifest.json and the version of each file its upload
// wrote), not
// whatever was written over them since. The folder appears only once
// complete; an existing one is an error.
func (a *Archiver) Download(ctx context.Context, id, dir string) (string, error) {
	status, err := a.bucketVersioning(ctx)
	if err != nil {
		return "", err
	}
	var r *Run
	var pin *pinned
	if status == VersioningOff {
		r, err = a.lookupCurrent(ctx, id)
	} else {
		r, pin, err = a.archivedVersions(ctx, id)
	}
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, r.ID)
	if _, err := os.Stat(dst); err == nil {
		return "", fmt.Errorf("%s already exists", dst)
	}
	if err := perm.MkdirAll(dir); err != nil {
		return "", err
	}
	tmp, err := perm.MkdirTemp(dir, "."+r.ID+".partial-")
	if err != nil {
		return "", err
	}
	if err := a.download(ctx, r, pin, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return dst, nil
}

func (a *Archiver) download(ctx context.Context, r *Run, pin *pinned, tmp string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(verifyParallelism)
	for _, f := range r.Manifest.Files {
		version := ""
		if pin != nil {
			version = pin.versions[f.Path]
		}
		g.Go(func() error { return a.downloadFile(gctx, r, f, version, tmp) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	data := []byte(nil)
	if pin != nil {
		data = pin.manifest
	} else {
		// The files were checked against the manifest read first: that
		// is the one written, and only if S3 still holds it byte for
		// byte (an unversioned bucket keeps no older version to read).
		data = r.manifestData
		now, err := a.getManifest(ctx, r.Prefix+runfolder.ManifestName, "", runfolder.ManifestName)
		if err != nil {
			return fmt.Errorf("%s: %w", r.URI, err)
		}
		if data == nil || !bytes.Equal(now, data) {
			return fmt.Errorf("%s%s changed while downloading: the files were checked against the manifest read first, and S3 now returns other bytes; nothing was written: run reporter archive get again, and reporter archive verify",
				r.URI, runfolder.ManifestName)
		}
	}
	return perm.WriteFile(filepath.Join(tmp, runfolder.ManifestName), data)
}

func (a *Archiver) downloadFile(ctx context.Context, r *Run, f runfolder.ManifestFile, version, tmp string) error {
	if err := safeManifestPath(f.Path); err != nil {
		return fmt.Errorf("%s: %w", r.URI, err)
	}
	path := filepath.Join(tmp, filepath.FromSlash(f.Path))
	if !within(path, tmp) {
		return fmt.Errorf("%s: manifest path %q leaves the run folder", r.URI, f.Path)
	}
	if err := perm.MkdirAll(filepath.Dir(path)); err != nil {
		return err
	}
	out, err := perm.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	var h hash.Hash
	n, err := a.fetch(ctx, r.Prefix+f.Path, version, func() (io.Writer, error) {
		if _, err := out.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		if err := out.Truncate(0); err != nil {
			return nil, err
		}
		h = sha256.New()
		return io.MultiWriter(out, h), nil
	})
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != f.Size || got != f.SHA256 {
		return fmt.Errorf("%s%s: size %d sha256 %s, manifest says size %d sha256 %s", r.URI, f.Path, n, got, f.Size, f.SHA256)
	}
	return out.Close()
}

// Link is a presigned GET URL of one archived file.
type Link struct {
	Path    string    `json:"path"`
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// Links presigns a GET of every file of the run with the given ID (or
// "latest"), manifest included, valid for expires (at most 7 days). On
// a versioned bucket each link names the version archived with the run.
// Presigning is offline; with temporary credentials a link also stops
// working when they expire.
func (a *Archiver) Links(ctx context.Context, id string, expires time.Duration) ([]Link, error) {
	if expires <= 0 || expires > config.MaxPresignExpiry {
		return nil, fmt.Errorf("link lifetime %s: want more than 0 and at most 7 days (168h)", expires)
	}
	if a.presign == nil {
		return nil, errors.New("no presigner configured")
	}
	r, err := a.Lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	paths := []string{}
	for _, f := range r.Manifest.Files {
		paths = append(paths, f.Path)
	}
	paths = append(paths, runfolder.ManifestName)
	exp := a.clock().Add(expires).UTC().Truncate(time.Second)
	links := make([]Link, 0, len(paths))
	for _, p := range paths {
		u, err := a.link(ctx, r.Prefix+p, r.pin.version(p), expires)
		if err != nil {
			return nil, err
		}
		links = append(links, Link{Path: p, URL: u, Expires: exp})
	}
	return links, nil
}
