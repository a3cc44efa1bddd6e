package archive

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/reporter-dev/reporter/internal/runfolder"
)

// manifestLimit is the most bytes of a manifest.json read from S3:
// anyone who can write to the bucket can store one of any size, and a
// genuine one is far smaller (see maxManifestSize). Tests lower it.
var manifestLimit int64 = maxManifestSize

// ErrUnreadable means a run's manifest.json is in the archive but cannot
// be used: it is not a manifest, it names another run than its key, it is
// larger than 64 MiB, or S3 refused to list or read it for
// something else than a passing outage. Such a run is reported (listing,
// history, verify) rather than failing every read of the archive.
var ErrUnreadable = errors.New("the run's manifest cannot be read")

// unreadableError is an ErrUnreadable with its reason, relative to the run
// (e.g. "manifest.json: manifest: invalid character …").
type unreadableError struct{ reason string }

func (e *unreadableError) Error() string        { return e.reason }
func (e *unreadableError) Is(target error) bool { return target == ErrUnreadable }

// unreadable returns the ErrUnreadable of a run for the given reason.
func unreadable(format string, args ...any) error {
	return &unreadableError{reason: fmt.Sprintf(format, args...)}
}

// unreadableReason returns the reason of an ErrUnreadable, or "".
func unreadableReason(err error) string {
	var ue *unreadableError
	if errors.As(err, &ue) {
		return ue.reason
	}
	return ""
}

// perRun turns a failed S3 request about one run's manifest into an
// ErrUnreadable of that run with what as the start of its reason, unless
// it may pass (Retryable: the store did not answer, or is throttling or
// failing) or the context ended: those stay errors of the whole read, so
// an outage cannot make every run look unreadable and empty a history.
func perRun(ctx context.Context, what string, err error) error {
	if err == nil || ctx.Err() != nil || Retryable(err) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded) || unreadableReason(err) != "" {
		return err
	}
	return unreadable("%s: %v", what, err)
}

// tooLarge is the ErrUnreadable of a manifest over manifestLimit; size
// is negative when S3 did not say it.
func tooLarge(what string, size int64) error {
	if size < 0 {
		return unreadable("%s is larger than %d bytes, the most a manifest may have; not read further", what, manifestLimit)
	}
	return unreadable("%s is %d bytes, more than the %d a manifest may have; not read", what, size, manifestLimit)
}

// getManifest downloads a manifest.json (a given version when versionID
// is set) with checksum validation on, reading at most manifestLimit
// bytes: a larger object is refused by the size S3 announces, before its
// body is read, or else once the limit is passed. what names the object
// in a reason (e.g. "manifest.json (first version V)").
func (a *Archiver) getManifest(ctx context.Context, key, versionID, what string) ([]byte, error) {
	var data []byte
	err := request(ctx, "download "+a.uri(key), func(ctx context.Context) error {
		in := &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled}
		if versionID != "" {
			in.VersionId = aws.String(versionID)
		}
		out, err := a.client.GetObject(ctx, in)
		if err != nil {
			return err
		}
		defer out.Body.Close()
		if n := aws.ToInt64(out.ContentLength); n > manifestLimit {
			return tooLarge(what, n)
		}
		data, err = io.ReadAll(io.LimitReader(out.Body, manifestLimit+1))
		if err != nil {
			return err
		}
		if int64(len(data)) > manifestLimit {
			return tooLarge(what, -1)
		}
		return nil
	})
	if isNotFound(err) {
		return nil, err
	}
	return data, perRun(ctx, what, err)
}

// parseManifestOf parses data, the manifest.json of the run r, and checks
// that it is the manifest of that run: its run ID is r's, and r's ID
// belongs under r's prefix (its month folder). what names the object in
// a reason.
func (a *Archiver) parseManifestOf(r *Run, data []byte, what string) (*runfolder.Manifest, error) {
	if asOf, _, err := runfolder.ParseID(r.ID); err != nil || a.runPrefix(asOf, r.ID) != r.Prefix {
		return nil, unreadable("%s: run %s does not belong under %s", what, r.ID, r.URI)
	}
	m, err := runfolder.ParseManifest(data)
	if err != nil {
		return nil, unreadable("%s: %v", what, err)
	}
	if m.RunID != r.ID {
		return nil, unreadable("%s names run %s, not %s", what, m.RunID, r.ID)
	}
	return m, nil
}
