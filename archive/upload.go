package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// Errors of Archive and Flush, for errors.Is.
var (
	// ErrNoObjectLock means Object Lock retention is configured but the
	// bucket does not have Object Lock enabled.
	ErrNoObjectLock = errors.New("bucket has no Object Lock")
	// ErrLocalMismatch means a run folder no longer matches its manifest.
	ErrLocalMismatch = errors.New("run folder does not match its manifest")
	// ErrConflict means S3 already holds a different manifest for the run.
	ErrConflict = errors.New("a different run is archived under the same key")
	// ErrTooLarge means a file of the run is larger than one PutObject
	// takes: nothing of the run is uploaded.
	ErrTooLarge = errors.New("larger than one S3 PutObject takes")
)

// maxPutObject is the largest object one PutObject uploads: 5 GB
// ("Uploading objects", Amazon S3 User Guide,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html),
// taken as 5 GiB, the largest part of a multipart upload (qfacts.html).
// A variable for the tests.
var maxPutObject int64 = 5 << 30

// uploadParallelism bounds the concurrent PutObject requests of one run.
const uploadParallelism = 4

// Archive copies the finished run folder dir into the spool, uploads it
// and removes the spool copy once S3 has confirmed the manifest. On error
// the copy stays in the spool for Flush; dir itself is never changed.
func (a *Archiver) Archive(ctx context.Context, dir string, run *result.Run) (result.Location, error) {
	m, err := runfolder.ReadManifest(dir)
	if err != nil {
		return result.Location{}, fmt.Errorf("run folder %s: %w", dir, err)
	}
	if run != nil && run.Run.ID != m.RunID {
		return result.Location{}, fmt.Errorf("run folder %s: manifest is of run %s, not %s", dir, m.RunID, run.Run.ID)
	}
	entry, spoolErr := a.spoolRun(dir, m)
	src := entry
	if spoolErr != nil {
		a.log.Error("run not copied to the spool; uploading from the run folder", "run_id", m.RunID, "err", spoolErr)
		src = dir
	}
	var loc result.Location
	if spoolErr != nil {
		loc, err = a.upload(ctx, src)
	} else {
		var gone bool
		loc, gone, err = a.uploadSpooled(ctx, entry)
		if gone {
			// A flush by another reporter archived the entry meanwhile:
			// the run folder finds it in S3 and uploads nothing.
			loc, err = a.upload(ctx, dir)
		}
	}
	if err != nil {
		if spoolErr != nil {
			return result.Location{}, fmt.Errorf("%w (and the run could not be copied to the spool: %v; the run folder %s is kept but will not be uploaded by a later flush)", err, spoolErr, dir)
		}
		return result.Location{}, fmt.Errorf("%w (the run waits in the spool %s and is uploaded by the next run or `reporter archive flush`)", err, entry)
	}
	return loc, nil
}

// upload puts every file of the run folder dir into S3, the manifest last,
// and confirms the manifest with HeadObject and its checksum.
func (a *Archiver) upload(ctx context.Context, dir string) (result.Location, error) {
	m, err := runfolder.ReadManifest(dir)
	if err != nil {
		return result.Location{}, fmt.Errorf("run folder %s: %w", dir, err)
	}
	problems, err := runfolder.VerifyDir(dir)
	if err != nil {
		return result.Location{}, fmt.Errorf("run folder %s: %w", dir, err)
	}
	if len(problems) > 0 {
		return result.Location{}, fmt.Errorf("run %s: %w: %s: %w", m.RunID, ErrLocalMismatch, dir, errors.Join(problems...))
	}
	manifest, err := os.ReadFile(filepath.Join(dir, runfolder.ManifestName))
	if err != nil {
		return result.Location{}, err
	}
	manifestSum := sha256.Sum256(manifest)
	prefix := a.runPrefix(m.AsOf, m.RunID)
	loc := result.Location{Dir: dir, ArchiveURI: a.uri(prefix)}
	log := a.log.With("run_id", m.RunID, "uri", loc.ArchiveURI)

	if a.lockMode != "" {
		if err := a.checkObjectLock(ctx); err != nil {
			return loc, err
		}
	}
	manifestVersion, done, err := a.confirmed(ctx, prefix+runfolder.ManifestName, m.RunID, manifestSum[:])
	if errors.Is(err, ErrConflict) {
		return loc, fmt.Errorf("run %s: %w; %s", m.RunID, err, a.conflictAdvice(m.RunID))
	}
	if err != nil {
		return loc, err
	}
	if done {
		log.Info("run already archived")
		return a.withLinks(ctx, loc, m, prefix, a.archivedIDs(ctx, m, prefix, manifest, manifestVersion)), nil
	}

	var until time.Time
	if a.lockMode != "" {
		start := a.clock()
		if a.retainAsOf {
			start = m.AsOf
		}
		until = start.UTC().AddDate(0, 0, a.retainDays)
		if !until.After(a.clock()) {
			return loc, fmt.Errorf("run %s: retention until %s (as-of plus %d days) is already over: nothing to lock; raise s3.retain_days or retain from the upload", m.RunID, until.Format(time.RFC3339), a.retainDays)
		}
	}

	// Refused before anything is put: an upload that fails on its
	// largest file part way would leave an incomplete run in S3.
	for _, f := range m.Files {
		if f.Size > maxPutObject {
			return loc, fmt.Errorf("run %s: %s is %d bytes, %w (%d bytes); nothing uploaded",
				m.RunID, f.Path, f.Size, ErrTooLarge, maxPutObject)
		}
	}
	sums := make([][]byte, len(m.Files))
	for i, f := range m.Files {
		if sums[i], err = hex.DecodeString(f.SHA256); err != nil || len(sums[i]) != sha256.Size {
			return loc, fmt.Errorf("run %s: manifest entry %s: sha256 %q is not a hex SHA-256", m.RunID, f.Path, f.SHA256)
		}
	}
	ids := make([]string, len(m.Files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadParallelism)
	for i, f := range m.Files {
		g.Go(func() (err error) {
			ids[i], err = a.put(gctx, dir, prefix, f.Path, f.Size, sums[i], until)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return loc, fmt.Errorf("run %s: %w; manifest not uploaded, the run is incomplete in S3", m.RunID, err)
	}
	if _, err := a.put(ctx, dir, prefix, runfolder.ManifestName, int64(len(manifest)), manifestSum[:], until); err != nil {
		return loc, fmt.Errorf("run %s: %w", m.RunID, err)
	}
	_, done, err = a.confirmed(ctx, prefix+runfolder.ManifestName, m.RunID, manifestSum[:])
	if err != nil {
		return loc, fmt.Errorf("run %s: manifest uploaded but not confirmed: %w", m.RunID, err)
	}
	if !done {
		return loc, fmt.Errorf("run %s: manifest uploaded but %s is not found", m.RunID, a.uri(prefix+runfolder.ManifestName))
	}
	log.Info("run uploaded", "objects", len(m.Files)+1)
	// On a versioned bucket every put names the version it wrote: the
	// links name those, so a later overwrite is not what they download.
	var versions map[string]string
	for i, f := range m.Files {
		if id := ids[i]; id != "" && id != nullVersion {
			if versions == nil {
				versions = map[string]string{}
			}
			versions[f.Path] = id
		}
	}
	return a.withLinks(ctx, loc, m, prefix, versions), nil
}

// nullVersion is the version ID of an object written while versioning
// was off or suspended; the next such write replaces it.
const nullVersion = "null"

// archivedIDs returns the version IDs of the files of a run found already
// archived (its manifest.json, version manifestVersion, has the local
// manifest's checksum), for its links: nil on an unversioned bucket
// (links then name no version), else the versions archived with the run
// (see pinRun). When they cannot be read, or the run's first manifest is
// not the local one, it logs why and returns an empty map: no presigned
// link at all rather than one to whatever a later write left.
func (a *Archiver) archivedIDs(ctx context.Context, m *runfolder.Manifest, prefix string, manifest []byte, manifestVersion string) map[string]string {
	if manifestVersion == "" || manifestVersion == nullVersion || a.presign == nil || a.linkExpiry <= 0 {
		return nil
	}
	r := &Run{ID: m.RunID, Prefix: prefix, URI: a.uri(prefix)}
	err := a.pinRun(ctx, r)
	if err == nil && !bytes.Equal(r.pin.manifest, manifest) {
		err = fmt.Errorf("the first version of %s is not this run's manifest: run reporter archive verify %s", runfolder.ManifestName, m.RunID)
	}
	if err != nil {
		a.log.Warn("no presigned links: the versions archived with the run cannot be told", "run_id", m.RunID, "err", err)
		return map[string]string{}
	}
	if len(r.Changes) > 0 {
		a.log.Warn("archived run changed after it was archived, or written to before its upload; run reporter archive verify", "run_id", m.RunID, "uri", r.URI)
	}
	return r.pin.versions
}

// put uploads one file of the run folder with its SHA-256 as the S3
// checksum: S3 refuses the object if the bytes differ. It returns the
// version ID S3 gave the object ("" on an unversioned bucket).
func (a *Archiver) put(ctx context.Context, dir, prefix, rel string, size int64, sum []byte, until time.Time) (string, error) {
	key := prefix + rel
	b64 := base64.StdEncoding.EncodeToString(sum)
	var version string
	err := request(ctx, "upload "+a.uri(key), func(ctx context.Context) error {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		defer f.Close()
		in := &s3.PutObjectInput{
			Bucket:            aws.String(a.bucket),
			Key:               aws.String(key),
			Body:              f,
			ContentLength:     aws.Int64(size),
			ContentType:       aws.String(ContentType(rel)),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
			ChecksumSHA256:    aws.String(b64),
		}
		if a.kmsKeyID != "" {
			in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
			in.SSEKMSKeyId = aws.String(a.kmsKeyID)
		}
		if a.lockMode != "" {
			in.ObjectLockMode = a.lockMode
			in.ObjectLockRetainUntilDate = aws.Time(until)
		}
		out, err := a.client.PutObject(ctx, in)
		if err != nil {
			return err
		}
		if got := aws.ToString(out.ChecksumSHA256); got != "" && got != b64 {
			return fmt.Errorf("S3 stored checksum %s, want %s", got, b64)
		}
		version = aws.ToString(out.VersionId)
		return nil
	})
	return version, err
}

// confirmed reports whether the run's manifest.json (at key, of run
// runID) exists with the SHA-256 sum as its stored checksum, and the
// version ID S3 gives it ("" on an unversioned bucket). Another object
// there is ErrConflict, saying what it is.
func (a *Archiver) confirmed(ctx context.Context, key, runID string, sum []byte) (string, bool, error) {
	var head *s3.HeadObjectOutput
	err := request(ctx, "check "+a.uri(key), func(ctx context.Context) error {
		var err error
		head, err = a.client.HeadObject(ctx, &s3.HeadObjectInput{
			Bucket: aws.String(a.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled,
		})
		return err
	})
	switch {
	case isNotFound(err):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	want := base64.StdEncoding.EncodeToString(sum)
	if got := aws.ToString(head.ChecksumSHA256); got != want {
		what, err := a.describeManifest(ctx, key, runID, head)
		if err != nil {
			return "", false, err
		}
		return "", false, fmt.Errorf("%w: %s (SHA-256 checksum %q, the local manifest's is %q) is %s; refusing to overwrite it",
			ErrConflict, a.uri(key), got, want, what)
	}
	return aws.ToString(head.VersionId), true, nil
}

// describeManifest says what the object at key (head), found where the
// manifest of run runID belongs, is: a manifest of the run, as of when
// and with how many files, or why it is none. The error is an outage.
func (a *Archiver) describeManifest(ctx context.Context, key, runID string, head *s3.HeadObjectOutput) (string, error) {
	written := "at an unknown time"
	if head.LastModified != nil {
		written = head.LastModified.UTC().Format(time.RFC3339)
	}
	if v := aws.ToString(head.VersionId); v != "" && v != nullVersion {
		written += ", version " + v
	}
	asOf, _, err := runfolder.ParseID(runID)
	if err != nil {
		return "", err
	}
	r := &Run{ID: runID, Prefix: a.runPrefix(asOf, runID)}
	r.URI = a.uri(r.Prefix)
	data, err := a.getManifest(ctx, key, aws.ToString(head.VersionId), runfolder.ManifestName)
	if err != nil && (Retryable(err) || ctx.Err() != nil) {
		return "", err
	}
	if err != nil {
		return fmt.Sprintf("an object written %s that cannot be read (%v)", written, err), nil
	}
	m, err := a.parseManifestOf(r, data, runfolder.ManifestName)
	if err != nil {
		return fmt.Sprintf("an object written %s that is no manifest of this run (%s)", written, unreadableReason(err)), nil
	}
	return fmt.Sprintf("another manifest of run %s, written %s, as of %s, listing %d files", m.RunID, written, m.AsOf.UTC().Format(time.RFC3339), len(m.Files)), nil
}

// conflictAdvice says what to do about a run whose key holds another
// manifest (ErrConflict before the upload).
func (a *Archiver) conflictAdvice(runID string) string {
	return fmt.Sprintf("nothing of run %s was uploaded. Either another reporter archived a run with this ID to the same bucket and prefix, "+
		"or someone with s3:PutObject planted it under the run's predictable prefix ahead of this upload. "+
		"Compare it with the local run: reporter archive get %s --to DIR, then reporter verify on both folders. "+
		"Keep it as evidence, and archive this run under another prefix (reporter archive flush --prefix OTHER), "+
		"or, once it is shown not to be genuine and no retention holds it, remove its versions and run reporter archive flush",
		runID, runID)
}

// checkObjectLock fails with ErrNoObjectLock when the bucket cannot hold
// retention.
func (a *Archiver) checkObjectLock(ctx context.Context) error {
	var out *s3.GetObjectLockConfigurationOutput
	err := request(ctx, "read the Object Lock configuration of bucket "+a.bucket, func(ctx context.Context) error {
		var err error
		out, err = a.client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(a.bucket)})
		return err
	})
	var apiErr smithy.APIError
	missing := errors.As(err, &apiErr) && apiErr.ErrorCode() == "ObjectLockConfigurationNotFoundError"
	if err == nil {
		missing = out.ObjectLockConfiguration == nil || out.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled
	}
	if missing {
		return fmt.Errorf("%w: s3.object_lock_mode %s needs Object Lock on bucket %q: create the bucket with Object Lock enabled "+
			"(aws s3api create-bucket --object-lock-enabled-for-bucket), or enable it on the versioned bucket "+
			"(aws s3api put-object-lock-configuration), or unset object_lock_mode", ErrNoObjectLock, a.lockMode, a.bucket)
	}
	return err
}

// isNotFound reports a missing object (HeadObject answers NotFound,
// GetObject NoSuchKey).
func isNotFound(err error) bool {
	var nf *types.NotFound
	var nsk *types.NoSuchKey
	return errors.As(err, &nf) || errors.As(err, &nsk)
}
