package archive

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// LockKey is the object, under the archive's prefix, that holds the run
// lease. It sits beside the YYYY folders, so listing runs ignores it.
const LockKey = ".reporter-lock.json"

// ErrLocked means another reporter holds an unexpired lease on the archive.
var ErrLocked = errors.New("another reporter is running an audit on this archive")

// Holder names this process as the holder of a run lease: its host, pid
// and version (a reporter's, for the operator) and a random suffix
// drawn once per process, so that two processes alike in all the rest
// (two containers with the same hostname, both pid 1, one image) are
// still two holders, and neither takes over the other's lease.
func Holder(version string) string {
	host, _ := os.Hostname()
	return holderOf(host, os.Getpid(), version, processSuffix())
}

// processSuffix is the random suffix of this process's holder.
var processSuffix = sync.OnceValue(randomSuffix)

// randomSuffix returns 8 random bytes, in hex.
func randomSuffix() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// holderOf formats a holder.
func holderOf(host string, pid int, version, suffix string) string {
	return fmt.Sprintf("%s pid %d (%s) %s", host, pid, version, suffix)
}

// Lease is the content of the lock object.
type Lease struct {
	Holder   string    `json:"holder"` // host, process and a random suffix (see Holder)
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// Lock is a lease held on the archive. Two reporters sharing a bucket
// never audit at once: the lease is created with If-None-Match, and an
// expired lease is taken over with If-Match on its ETag, so of two
// contenders exactly one wins. The lease is renewed while held and
// released by overwriting it with an expiry in the past; the object is
// never deleted, which Object Lock retention could forbid anyway.
type Lock struct {
	a      *Archiver
	holder string
	ttl    time.Duration
	etag   string
}

// Lock takes the archive's run lease for ttl. It returns an error
// wrapping ErrLocked, naming the holder, when another reporter holds it.
func (a *Archiver) Lock(ctx context.Context, holder string, ttl time.Duration) (*Lock, error) {
	l := &Lock{a: a, holder: holder, ttl: ttl}
	key := a.rootPrefix() + LockKey
	current, etag, err := a.readLease(ctx, key)
	switch {
	case errors.Is(err, errNoLease):
		err = l.put(ctx, "", true)
	case err != nil:
		return nil, fmt.Errorf("read the run lock %s: %w", a.uri(key), err)
	case a.clock().Before(current.Expires) && current.Holder != holder:
		return nil, fmt.Errorf("%w: %s holds the lease since %s, until %s (%s)", ErrLocked, current.Holder,
			current.Acquired.Format(time.RFC3339), current.Expires.Format(time.RFC3339), a.uri(key))
	default:
		err = l.put(ctx, etag, false)
	}
	if isPreconditionFailed(err) {
		return nil, fmt.Errorf("%w: another reporter took the lease at the same moment (%s)", ErrLocked, a.uri(key))
	}
	if err != nil {
		return nil, fmt.Errorf("take the run lock %s: %w", a.uri(key), err)
	}
	return l, nil
}

// Renew extends the lease by its ttl. It fails if the lease was lost.
func (l *Lock) Renew(ctx context.Context) error {
	if err := l.put(ctx, l.etag, false); err != nil {
		return fmt.Errorf("renew the run lock: %w", err)
	}
	return nil
}

// Keep renews the lease every third of its ttl until ctx ends; a failed
// renewal is passed to onLost.
func (l *Lock) Keep(ctx context.Context, onLost func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.ttl / 3):
		}
		if err := l.Renew(ctx); err != nil && ctx.Err() == nil {
			onLost(err)
		}
	}
}

// Release ends the lease.
func (l *Lock) Release(ctx context.Context) error {
	lease := Lease{Holder: l.holder, Acquired: l.a.clock(), Expires: l.a.clock().Add(-time.Second)}
	if _, err := l.write(ctx, lease, l.etag, false); err != nil {
		return fmt.Errorf("release the run lock: %w", err)
	}
	return nil
}

func (l *Lock) put(ctx context.Context, ifMatch string, create bool) error {
	now := l.a.clock()
	etag, err := l.write(ctx, Lease{Holder: l.holder, Acquired: now, Expires: now.Add(l.ttl)}, ifMatch, create)
	if err == nil {
		l.etag = etag
	}
	return err
}

// write stores lease conditionally: only if absent (create) or only if
// the object still has ETag ifMatch.
func (l *Lock) write(ctx context.Context, lease Lease, ifMatch string, create bool) (string, error) {
	body, _ := json.Marshal(lease)
	in := &s3.PutObjectInput{
		Bucket: aws.String(l.a.bucket), Key: aws.String(l.a.rootPrefix() + LockKey),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	// Encrypted like the runs: a bucket policy that denies puts without
	// the archive's KMS key (deploy/cloudformation) must not refuse the lease.
	if l.a.kmsKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(l.a.kmsKeyID)
	}
	if create {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(ifMatch)
	}
	out, err := l.a.client.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

var errNoLease = errors.New("no lease")

// readLease returns the current lease and its ETag.
func (a *Archiver) readLease(ctx context.Context, key string) (Lease, string, error) {
	out, err := a.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key)})
	if isNotFound(err) {
		return Lease{}, "", errNoLease
	}
	if err != nil {
		return Lease{}, "", err
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return Lease{}, "", err
	}
	var lease Lease
	if err := json.Unmarshal(data, &lease); err != nil {
		// An unreadable lease is treated as expired, and taken over by ETag.
		return Lease{}, aws.ToString(out.ETag), nil
	}
	return lease, aws.ToString(out.ETag), nil
}

func isPreconditionFailed(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict")
}
