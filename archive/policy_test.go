package archive_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/iampolicy"
	"github.com/reporter-dev/reporter/internal/s3test"
)

// requestRecorder records, from the SDK client's side, the authorization
// each S3 request needs: the IAM action, the resource ARN and the
// condition keys S3 evaluates.
type requestRecorder struct {
	mu       sync.Mutex
	requests []iampolicy.Request
	unsealed []string // PutObject keys sent without the archive's KMS key
	kmsKey   string
}

func (rr *requestRecorder) add(r iampolicy.Request) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.requests = append(rr.requests, r)
}

// option installs the recorder in every S3 client the archive builds.
func (rr *requestRecorder) option() func(*awsconfig.LoadOptions) error {
	return awsconfig.WithAPIOptions([]func(*middleware.Stack) error{func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("recordAuthorization",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				rr.record(in.Parameters)
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}})
}

func object(bucket, key *string) string {
	return "arn:aws:s3:::" + aws.ToString(bucket) + "/" + aws.ToString(key)
}

// record maps one S3 operation to what S3 authorizes for it (the S3 user
// guide's "Actions, resources, and condition keys for Amazon S3").
func (rr *requestRecorder) record(params any) {
	read := func(bucket, key, version *string) {
		action := "s3:GetObject"
		if version != nil {
			action = "s3:GetObjectVersion"
		}
		rr.add(iampolicy.Request{Action: action, Resource: object(bucket, key)})
		// Every object the reporter writes is SSE-KMS: S3 decrypts it with
		// the caller's kms:Decrypt.
		rr.add(iampolicy.Request{Action: "kms:Decrypt", Resource: rr.kmsKey})
	}
	switch in := params.(type) {
	case *s3.PutObjectInput:
		rr.add(iampolicy.Request{Action: "s3:PutObject", Resource: object(in.Bucket, in.Key)})
		if in.ObjectLockMode != "" {
			rr.add(iampolicy.Request{Action: "s3:PutObjectRetention", Resource: object(in.Bucket, in.Key)})
		}
		if in.ServerSideEncryption == types.ServerSideEncryptionAwsKms && aws.ToString(in.SSEKMSKeyId) == rr.kmsKey {
			rr.add(iampolicy.Request{Action: "kms:GenerateDataKey", Resource: rr.kmsKey})
		} else {
			rr.mu.Lock()
			rr.unsealed = append(rr.unsealed, aws.ToString(in.Key))
			rr.mu.Unlock()
		}
	case *s3.GetObjectInput:
		read(in.Bucket, in.Key, in.VersionId)
	case *s3.HeadObjectInput:
		read(in.Bucket, in.Key, in.VersionId)
	case *s3.ListObjectsV2Input:
		rr.add(iampolicy.Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + aws.ToString(in.Bucket),
			Context: map[string]string{"s3:prefix": aws.ToString(in.Prefix)}})
	case *s3.ListObjectVersionsInput:
		rr.add(iampolicy.Request{Action: "s3:ListBucketVersions", Resource: "arn:aws:s3:::" + aws.ToString(in.Bucket),
			Context: map[string]string{"s3:prefix": aws.ToString(in.Prefix)}})
	case *s3.GetBucketVersioningInput:
		rr.add(iampolicy.Request{Action: "s3:GetBucketVersioning", Resource: "arn:aws:s3:::" + aws.ToString(in.Bucket)})
	case *s3.GetObjectLockConfigurationInput:
		rr.add(iampolicy.Request{Action: "s3:GetBucketObjectLockConfiguration", Resource: "arn:aws:s3:::" + aws.ToString(in.Bucket)})
	default:
		// An operation this test does not know: no policy allows it, so
		// the test fails until it is mapped here.
		rr.add(iampolicy.Request{Action: fmt.Sprintf("unmapped %T", params), Resource: "*"})
	}
}

// unusedArchiveGrants are the grants of reporter-archive-policy.json that
// no request shows, and why they stay.
var unusedArchiveGrants = map[string]string{
	// Not a request of its own: without it S3 leaves the retention
	// headers out of HeadObject/GetObject answers, and `archive verify`
	// would show every object as "none".
	"s3:GetObjectRetention": "retention headers in HeadObject/GetObject answers",
	// The archive lists with ListObjectsV2 on an unversioned bucket only
	// (this test's bucket is versioned, so it lists versions); S3 also
	// needs it to answer 404 rather than 403 for a key that is missing.
	"s3:ListBucket": "ListObjectsV2 on an unversioned bucket; 404 for a missing key",
}

// TestArchivePolicyIsLeastPrivilege runs everything the reporter does
// with an archive against versitygw (lease, upload with Object Lock and
// SSE-KMS, list, lookup, verify, download, links, the history reader, the
// lease's release) with every S3 request recorded from the SDK, then
// holds reporter-archive-policy.json to the recording both ways, and checks
// that every object is sent with the archive's KMS key (the bucket policy
// of deploy/cloudformation/reporter.yaml refuses any other put).
func TestArchivePolicyIsLeastPrivilege(t *testing.T) {
	const kmsKey = "arn:aws:kms:us-east-1:111122223333:key/test"
	srv := startS3(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	c := s3Config(srv, lockedBucket, prefix)
	c.KMSKeyID, c.ObjectLockMode, c.RetainDays = kmsKey, "GOVERNANCE", 1
	rec := &requestRecorder{kmsKey: kmsKey}
	out := t.TempDir()
	a, err := archive.Open(ctx, c, archive.Options{Out: out, Retry: archive.Retry{Attempts: 2}, AWS: []func(*awsconfig.LoadOptions) error{
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")),
		awsconfig.WithSharedConfigFiles([]string{filepath.Join(t.TempDir(), "none")}),
		awsconfig.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
		rec.option(),
	}})
	if err != nil {
		t.Fatal(err)
	}

	lock, err := a.Lock(ctx, "policy-test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := lock.Renew(ctx); err != nil {
		t.Fatal(err)
	}
	run := writeRun(t, out, "20261101T060000Z")
	if _, err := a.Archive(ctx, run.Dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Archive(ctx, run.Dir, nil); err != nil { // already archived: only checks
		t.Fatal(err)
	}
	if runs, err := a.Runs(ctx, time.Time{}); err != nil || len(runs) != 1 {
		t.Fatalf("Runs() = %v, %v", runs, err)
	}
	if _, err := a.Lookup(ctx, "latest"); err != nil {
		t.Fatal(err)
	}
	v, err := a.Verify(ctx, run.ID)
	if err != nil || len(v.Problems()) > 0 {
		t.Fatalf("Verify() = %v, %v", v, err)
	}
	if _, err := a.Download(ctx, run.ID, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Links(ctx, run.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Findings(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	h := archive.History{Archiver: a}
	hruns, err := h.Runs(ctx)
	if err != nil || len(hruns) != 1 {
		t.Fatalf("History.Runs() = %v, %v", hruns, err)
	}
	if rc, err := h.Open(ctx, hruns[0], "findings.json"); err != nil {
		t.Fatal(err)
	} else {
		rc.Close()
	}
	if err := lock.Release(ctx); err != nil {
		t.Fatal(err)
	}

	if len(rec.unsealed) > 0 {
		t.Errorf("objects put without the archive's KMS key (the bucket policy refuses them): %v", rec.unsealed)
	}
	doc, err := os.ReadFile(filepath.Join("..", "deploy", "iam", "reporter-archive-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	filled := strings.NewReplacer("BUCKET", lockedBucket, "PREFIX", prefix, "REGION", "us-east-1", "ACCOUNT_ID", "111122223333", "KEY_ID", "test").Replace(string(doc))
	p, err := iampolicy.Parse([]byte(filled))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rec.requests {
		if seen[r.String()] {
			continue
		}
		seen[r.String()] = true
		if !p.Allows(r) {
			t.Errorf("reporter-archive-policy.json does not allow %s, which the archive makes", r)
		}
	}
	for _, g := range p.Grants() {
		used := false
		for _, r := range rec.requests {
			used = used || g.Covers(r)
		}
		if _, excused := unusedArchiveGrants[g.Action]; !used && !excused {
			t.Errorf("reporter-archive-policy.json grants %s on %s (statement %s), which no request uses", g.Action, g.Resource, g.Sid)
		}
	}
}
