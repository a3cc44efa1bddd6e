package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// ErrRunNotFound means the archive holds no object of the run asked for.
var ErrRunNotFound = errors.New("run not found in the archive")

// ErrIncomplete means a run has objects in S3 but no manifest: its upload
// did not finish (the run is still in some spool).
var ErrIncomplete = errors.New("run has no manifest in the archive: its upload is incomplete")

// Latest names the newest complete run where a run ID is expected.
const Latest = runfolder.Latest

// Run is a run found in the archive.
type Run struct {
	ID string `json:"run_id"`
	// Prefix is the key prefix of the run's objects, ending in "/".
	Prefix string `json:"prefix"`
	// URI is s3://BUCKET/PREFIX.
	URI string `json:"uri"`
	// Manifest is nil when the run has no manifest in S3. On a versioned
	// bucket it is the first version of manifest.json, the one archived.
	Manifest *runfolder.Manifest `json:"manifest,omitempty"`
	// Changes are, on a versioned bucket, what was written or deleted
	// under the run's prefix after it was archived, or planted there
	// before its upload, as the listing of its versions shows; reads
	// still return the archived versions, and
	// `reporter archive verify` judges them in full.
	Changes []Change `json:"changed_after_archiving,omitempty"`
	// Unreadable says why the run's manifest.json cannot be read (see
	// ErrUnreadable); Manifest is then nil. Such a run is listed, but never
	// "latest" nor part of a history.
	Unreadable string `json:"unreadable,omitempty"`
	// pin are the versions archived with the run; nil on an unversioned
	// bucket.
	pin *pinned
	// manifestData is the manifest.json Manifest was parsed from, on an
	// unversioned bucket, when the run was looked up by ID or as latest
	// (not in a listing).
	manifestData []byte
}

// Complete reports whether the run's manifest is in the archive.
func (r *Run) Complete() bool { return r.Manifest != nil }

// Status describes the run for a listing: "complete" or "partial" for
// an audit result; "INCOMPLETE: …" or "FAILED: …" for a run that is none
// (interrupted, source failed, no account audited), which is never the
// previous run of a comparison; "INCOMPLETE: no manifest" for an upload
// that did not finish; "UNREADABLE: REASON" for a run whose manifest
// cannot be read (see ErrUnreadable). A run changed after it was archived gets
// "; TAMPERED: PATHS changed after archiving, run reporter archive verify";
// one with versions planted under its prefix before its upload gets
// "; PLANTED: PATHS written before the upload" before that last clause.
func (r *Run) Status() string {
	status := r.status()
	if len(r.Changes) == 0 {
		return status
	}
	var changed, planted []string
	for _, c := range r.Changes {
		paths := &changed
		if c.Planted {
			paths = &planted
		}
		if !slices.Contains(*paths, c.Path) {
			*paths = append(*paths, c.Path)
		}
	}
	if len(changed) > 0 {
		status += "; TAMPERED: " + strings.Join(changed, ", ") + " changed after archiving"
	}
	if len(planted) > 0 {
		status += "; PLANTED: " + strings.Join(planted, ", ") + " written before the upload"
	}
	return status + ", run reporter archive verify"
}

// status is Status without the changes.
func (r *Run) status() string {
	if r.Unreadable != "" {
		return "UNREADABLE: " + r.Unreadable
	}
	if r.Manifest == nil {
		return "INCOMPLETE: no manifest"
	}
	status := r.Manifest.RunStatus()
	switch {
	case status == result.RunIncomplete:
		return "INCOMPLETE: run interrupted or source failed"
	case r.Manifest.Failed():
		return "FAILED: no account audited"
	}
	return status
}

// AsOf returns the run's as-of, from its manifest or else its ID.
func (r *Run) AsOf() time.Time {
	if r.Manifest != nil {
		return r.Manifest.AsOf
	}
	t, _, _ := runfolder.ParseID(r.ID)
	return t
}

// listParallelism bounds the concurrent manifest downloads of Runs.
const listParallelism = 8

// Runs returns the archived runs whose as-of is not before since (zero
// means all), newest first, each with its manifest when it has one.
// A run whose manifest cannot be read is listed with Unreadable set: one
// bad object cannot hide the others. Only a failure of the store itself
// (no answer, throttling, 5xx after the retries) fails the listing.
//
// On a versioned bucket each run is read by the versions archived with
// it (one ListObjectVersions of its prefix, then the first version of
// manifest.json), and Changes says what was written or deleted since.
func (a *Archiver) Runs(ctx context.Context, since time.Time) ([]Run, error) {
	versioned, err := a.readsVersions(ctx, true)
	if err != nil {
		return nil, err
	}
	runs, err := a.runPrefixesOf(ctx, since, versioned)
	if err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listParallelism)
	for i := range runs {
		g.Go(func() error {
			var err error
			if versioned {
				err = a.pinRun(gctx, &runs[i])
			} else {
				runs[i].Manifest, err = a.manifestOf(gctx, &runs[i])
			}
			switch {
			case errors.Is(err, ErrIncomplete) || errors.Is(err, ErrRunNotFound):
				return nil
			case errors.Is(err, ErrUnreadable):
				runs[i].Unreadable = unreadableReason(err)
				return nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := runs[:0]
	for _, r := range runs {
		if since.IsZero() || !r.AsOf().Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Lookup returns the run with the given ID, or the newest complete run
// for "latest". A run without a manifest is returned with ErrIncomplete.
// On a versioned bucket the run is read by the versions archived with it,
// as in Runs, and "latest" is the newest run with a version of
// manifest.json.
func (a *Archiver) Lookup(ctx context.Context, id string) (*Run, error) {
	versioned, err := a.readsVersions(ctx, true)
	if err != nil {
		return nil, err
	}
	if versioned {
		return a.lookupPinned(ctx, id)
	}
	return a.lookupCurrent(ctx, id)
}

// lookupCurrent is Lookup by the current objects, for an unversioned
// bucket.
func (a *Archiver) lookupCurrent(ctx context.Context, id string) (*Run, error) {
	if id == Latest {
		runs, err := a.runPrefixes(ctx, time.Time{})
		if err != nil {
			return nil, err
		}
		var passed []string
		for _, r := range runs {
			m, data, err := a.manifestDataOf(ctx, &r)
			switch {
			case errors.Is(err, ErrIncomplete):
				continue
			case errors.Is(err, ErrUnreadable):
				passed = append(passed, a.passedOver(&r, err))
				continue
			case err != nil:
				return nil, err
			}
			r.Manifest, r.manifestData = m, data
			return &r, nil
		}
		return nil, a.noLatest("no complete run with a readable manifest", passed)
	}
	asOf, _, err := runfolder.ParseID(id)
	if err != nil {
		return nil, fmt.Errorf("%w, or %q", err, Latest)
	}
	r := &Run{ID: id, Prefix: a.runPrefix(asOf, id)}
	r.URI = a.uri(r.Prefix)
	r.Manifest, r.manifestData, err = a.manifestDataOf(ctx, r)
	if errors.Is(err, ErrIncomplete) {
		keys, lerr := a.listRun(ctx, r.Prefix)
		if lerr != nil {
			return nil, lerr
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%w: %s", ErrRunNotFound, r.URI)
		}
		return r, fmt.Errorf("%s: %w", r.URI, err)
	}
	if errors.Is(err, ErrUnreadable) {
		r.Unreadable = unreadableReason(err)
		return r, fmt.Errorf("%s: %w", r.URI, err)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ReadFile returns the file at path (relative to the run) of an archived
// run, checked against the run's manifest when it lists the file. For a
// run read from a versioned bucket it is the version archived with the
// run, whatever was written over it since.
func (a *Archiver) ReadFile(ctx context.Context, r *Run, path string) ([]byte, error) {
	version := ""
	if r.pin != nil {
		if path == runfolder.ManifestName {
			return bytes.Clone(r.pin.manifest), nil
		}
		if version = r.pin.version(path); version == "" {
			return nil, fmt.Errorf("%s%s: no version of it is stored", r.URI, path)
		}
	}
	data, _, err := a.get(ctx, r.Prefix+path, version)
	if err != nil {
		return nil, err
	}
	if r.Manifest != nil {
		for _, f := range r.Manifest.Files {
			if f.Path != path {
				continue
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != f.SHA256 || int64(len(data)) != f.Size {
				return nil, fmt.Errorf("%s%s: size %d sha256 %s, manifest says size %d sha256 %s", r.URI, path, len(data), got, f.Size, f.SHA256)
			}
		}
	}
	return data, nil
}

// Findings returns the findings.json of the run with the given ID (or
// "latest"), checked against the run's manifest.
func (a *Archiver) Findings(ctx context.Context, id string) (*result.Run, error) {
	r, err := a.Lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	listed := false
	for _, f := range r.Manifest.Files {
		listed = listed || f.Path == "findings.json"
	}
	if !listed {
		return nil, fmt.Errorf("%s: manifest lists no findings.json", r.URI)
	}
	data, err := a.ReadFile(ctx, r, "findings.json")
	if err != nil {
		return nil, err
	}
	run, err := jsonfile.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%sfindings.json: %w", r.URI, err)
	}
	return run, nil
}

// History adapts an Archiver to history.Store, so earlier runs for
// run-over-run changes and trends come from the archive.
type History struct {
	Archiver *Archiver
	// Since leaves out runs of an earlier as-of; zero means all.
	Since time.Time
}

var _ history.Store = History{}

// Runs implements history.Store: the complete runs of the archive. On a
// versioned bucket these are the runs as archived (see Archiver.Runs); a
// run changed since is logged as a warning, and still read as archived.
// A run whose manifest cannot be read is left out with a warning naming
// its key, so history goes on with the runs that can be read.
func (h History) Runs(ctx context.Context) ([]history.Run, error) {
	runs, err := h.Archiver.Runs(ctx, h.Since)
	if err != nil {
		return nil, err
	}
	var out []history.Run
	for _, r := range runs {
		if len(r.Changes) > 0 {
			var what []string
			for _, c := range r.Changes {
				what = append(what, c.Path+": "+c.What)
			}
			h.Archiver.log.Warn("archived run changed after it was archived, or written to before its upload: its archived versions are read; run reporter archive verify",
				"run", r.ID, "location", r.URI, "changes", what)
		}
		if r.Unreadable != "" {
			h.Archiver.log.Warn("archived run passed over: its manifest cannot be read; run reporter archive verify",
				"run", r.ID, "key", r.URI+runfolder.ManifestName, "reason", r.Unreadable)
		}
		if r.Manifest != nil {
			out = append(out, history.Run{Manifest: *r.Manifest, Location: r.URI})
		}
	}
	return out, nil
}

// Open implements history.Store: it streams the object's body, on a
// versioned bucket that of the version archived with the run.
func (h History) Open(ctx context.Context, run history.Run, path string) (io.ReadCloser, error) {
	prefix := h.Archiver.runPrefix(run.Manifest.AsOf, run.Manifest.RunID)
	key := prefix + path
	pin, err := h.Archiver.pinFor(ctx, prefix, run.Manifest.RunID)
	if err != nil {
		return nil, outage(ctx, err)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(h.Archiver.bucket), Key: aws.String(key)}
	if pin != nil {
		if path == runfolder.ManifestName {
			return io.NopCloser(bytes.NewReader(pin.manifest)), nil
		}
		version := pin.version(path)
		if version == "" {
			return nil, fmt.Errorf("%s: no version of it is stored", h.Archiver.uri(key))
		}
		in.VersionId = aws.String(version)
	}
	out, err := h.Archiver.client.GetObject(ctx, in)
	if err != nil {
		return nil, outage(ctx, fmt.Errorf("%s: %w", h.Archiver.uri(key), err))
	}
	return outageBody{out.Body}, nil
}

// outage marks err, a failed read of the archive, as history.ErrUnavailable
// when it may pass (Retryable: S3 did not answer, throttled or failed)
// or the context ended, so that history does not take the run for an
// unreadable one and pass it over.
func outage(ctx context.Context, err error) error {
	if err != nil && (Retryable(err) || ctx.Err() != nil) && !errors.Is(err, history.ErrUnavailable) {
		return fmt.Errorf("%w: %w", history.ErrUnavailable, err)
	}
	return err
}

// outageBody is an object's body whose read errors that may pass (a cut
// connection) are history.ErrUnavailable.
type outageBody struct{ io.ReadCloser }

func (b outageBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && Retryable(err) {
		err = fmt.Errorf("%w: %w", history.ErrUnavailable, err)
	}
	return n, err
}

// manifestOf downloads and parses the current manifest of the run r (on
// an unversioned bucket). It fails with ErrIncomplete when there is none,
// and with ErrUnreadable when it is no manifest of r (see parseManifestOf)
// or cannot be read for another reason than an outage.
func (a *Archiver) manifestOf(ctx context.Context, r *Run) (*runfolder.Manifest, error) {
	m, _, err := a.manifestDataOf(ctx, r)
	return m, err
}

// manifestDataOf is manifestOf, also returning the manifest's bytes.
func (a *Archiver) manifestDataOf(ctx context.Context, r *Run) (*runfolder.Manifest, []byte, error) {
	data, err := a.getManifest(ctx, r.Prefix+runfolder.ManifestName, "", runfolder.ManifestName)
	if isNotFound(err) {
		return nil, nil, ErrIncomplete
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := a.parseManifestOf(r, data, runfolder.ManifestName)
	if err != nil {
		return nil, nil, err
	}
	return m, data, nil
}

// passedOver logs that the run r, whose manifest cannot be read (err),
// is not taken as the latest run, and returns "RUN-ID: REASON".
func (a *Archiver) passedOver(r *Run, err error) string {
	a.log.Warn("run passed over as latest: its manifest cannot be read; run reporter archive verify",
		"run", r.ID, "key", r.URI+runfolder.ManifestName, "reason", unreadableReason(err))
	return r.ID + ": " + unreadableReason(err)
}

// noLatest is the ErrRunNotFound of a "latest" that found no run: what
// was missing, and the runs passed over as unreadable.
func (a *Archiver) noLatest(what string, passed []string) error {
	err := fmt.Errorf("%w: %s under %s", ErrRunNotFound, what, a.uri(a.rootPrefix()))
	if len(passed) > 0 {
		err = fmt.Errorf("%w; passed over as unreadable: %s", err, strings.Join(passed, "; "))
	}
	return err
}

// get downloads an object (a given version when versionID is set) with
// checksum validation on: the SDK fails the read when the bytes do not
// match the object's stored checksum.
func (a *Archiver) get(ctx context.Context, key, versionID string) ([]byte, *s3.GetObjectOutput, error) {
	var data []byte
	var out *s3.GetObjectOutput
	err := request(ctx, "download "+a.uri(key), func(ctx context.Context) error {
		in := &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled}
		if versionID != "" {
			in.VersionId = aws.String(versionID)
		}
		var err error
		out, err = a.client.GetObject(ctx, in)
		if err != nil {
			return err
		}
		defer out.Body.Close()
		data, err = io.ReadAll(out.Body)
		return err
	})
	return data, out, err
}

// runPrefixes lists the run prefixes PREFIX/YYYY/MM/RUN-ID/ from the
// month of since on, newest first, without their manifests.
func (a *Archiver) runPrefixes(ctx context.Context, since time.Time) ([]Run, error) {
	return a.runPrefixesOf(ctx, since, false)
}

// runPrefixesOf is runPrefixes; with versions it also finds prefixes
// whose objects all look deleted (only delete markers are current).
func (a *Archiver) runPrefixesOf(ctx context.Context, since time.Time, versions bool) ([]Run, error) {
	listDirs := a.listDirs
	if versions {
		listDirs = a.listVersionDirs
	}
	root := a.rootPrefix()
	sinceMonth := ""
	if !since.IsZero() {
		sinceMonth = since.UTC().Format("2006/01")
	}
	years, err := listDirs(ctx, root, yearRE)
	if err != nil {
		return nil, err
	}
	var runs []Run
	for _, y := range years {
		if sinceMonth != "" && y < sinceMonth[:4] {
			continue
		}
		months, err := listDirs(ctx, root+y+"/", monthRE)
		if err != nil {
			return nil, err
		}
		for _, mo := range months {
			if sinceMonth != "" && y+"/"+mo < sinceMonth {
				continue
			}
			ids, err := listDirs(ctx, root+y+"/"+mo+"/", runfolder.IDPattern)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				p := root + y + "/" + mo + "/" + id + "/"
				runs = append(runs, Run{ID: id, Prefix: p, URI: a.uri(p)})
			}
		}
	}
	sort.SliceStable(runs, func(i, j int) bool { return runfolder.Less(runs[j].ID, runs[i].ID) })
	return runs, nil
}

var (
	yearRE  = regexp.MustCompile(`^[0-9]{4}$`)
	monthRE = regexp.MustCompile(`^(0[1-9]|1[0-2])$`)
)

// listDirs returns the names of the "folders" directly under prefix that
// match re.
func (a *Archiver) listDirs(ctx context.Context, prefix string, re *regexp.Regexp) ([]string, error) {
	var names []string
	err := a.listPages(ctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(a.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	}, func(page *s3.ListObjectsV2Output) {
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if re.MatchString(name) {
				names = append(names, name)
			}
		}
	})
	return names, err
}

// listVersionDirs is listDirs over every version and delete marker.
func (a *Archiver) listVersionDirs(ctx context.Context, prefix string, re *regexp.Regexp) ([]string, error) {
	var names []string
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(a.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	for {
		var page *s3.ListObjectVersionsOutput
		err := request(ctx, "list the versions of "+a.uri(prefix), func(ctx context.Context) error {
			var err error
			page, err = a.client.ListObjectVersions(ctx, in)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if re.MatchString(name) && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		if !aws.ToBool(page.IsTruncated) {
			return names, nil
		}
		if err := nextVersionPage(in, page); err != nil {
			return nil, fmt.Errorf("list the versions of %s: %w", a.uri(prefix), err)
		}
	}
}

// listPages lists every page of in, each request retried, passing each
// page to fn.
func (a *Archiver) listPages(ctx context.Context, in *s3.ListObjectsV2Input, fn func(*s3.ListObjectsV2Output)) error {
	p := s3.NewListObjectsV2Paginator(a.client, in)
	for p.HasMorePages() {
		var page *s3.ListObjectsV2Output
		err := request(ctx, "list "+a.uri(aws.ToString(in.Prefix)), func(ctx context.Context) error {
			var err error
			page, err = p.NextPage(ctx)
			return err
		})
		if err != nil {
			return err
		}
		fn(page)
	}
	return nil
}

// object is one listed object of a run.
type object struct {
	Key  string
	Size int64
}

// listRun lists every object under a run prefix.
func (a *Archiver) listRun(ctx context.Context, prefix string) ([]object, error) {
	var objs []object
	err := a.listPages(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(a.bucket), Prefix: aws.String(prefix)}, func(page *s3.ListObjectsV2Output) {
		for _, o := range page.Contents {
			objs = append(objs, object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)})
		}
	})
	return objs, err
}
