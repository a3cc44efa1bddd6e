package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/internal/s3test"
	"github.com/reporter-dev/reporter/report/jsonfile"
)

func TestArchiveLayout(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	start := time.Now()
	tests := []struct {
		name   string
		bucket string
		edit   func(*config.S3)
		// wantLock is the lock mode every object must have; "" for none.
		wantLock   string
		wantUntil  func(asOf time.Time) time.Time
		wantKMS    string
		wantNoLink bool
	}{
		{name: "plain", bucket: plainBucket},
		{name: "prefix with slashes", bucket: plainBucket, edit: func(c *config.S3) { c.Prefix = "/" + c.Prefix + "/" }},
		{name: "no presigned link", bucket: plainBucket, edit: func(c *config.S3) { c.PresignExpiry = 0 }, wantNoLink: true},
		{
			name: "sse-kms", bucket: lockedBucket,
			edit:    func(c *config.S3) { c.KMSKeyID = "arn:aws:kms:us-east-1:111122223333:key/test" },
			wantKMS: "arn:aws:kms:us-east-1:111122223333:key/test",
		},
		{
			name: "compliance from upload", bucket: lockedBucket,
			edit:     func(c *config.S3) { c.ObjectLockMode, c.RetainDays = "compliance", 2 },
			wantLock: "COMPLIANCE", wantUntil: func(time.Time) time.Time { return start.AddDate(0, 0, 2) },
		},
		{
			name: "governance from as-of", bucket: lockedBucket,
			edit: func(c *config.S3) {
				c.ObjectLockMode, c.RetainDays, c.RetainFrom = "GOVERNANCE", 3, config.RetainFromAsOf
			},
			wantLock: "GOVERNANCE", wantUntil: func(asOf time.Time) time.Time { return asOf.AddDate(0, 0, 3) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			c := s3Config(srv, tt.bucket, testPrefix(t))
			if tt.edit != nil {
				tt.edit(&c)
			}
			prefix := strings.Trim(c.Prefix, "/")
			a := openArchiver(t, c, out)
			id := time.Now().UTC().Add(-time.Hour).Format("20060102T150405Z")
			run := writeRun(t, out, id)
			srv.ResetRequests()

			loc, err := a.Archive(ctx, run.Dir, nil)
			if err != nil {
				t.Fatalf("Archive(%s) = %v", run.Dir, err)
			}
			wantURI := "s3://" + tt.bucket + "/" + runKey(prefix, run, "")
			if loc.ArchiveURI != wantURI {
				t.Errorf("ArchiveURI = %q, want %q", loc.ArchiveURI, wantURI)
			}
			if tt.wantNoLink != (loc.WorkbookURL == "") {
				t.Errorf("WorkbookURL = %q, want a link: %t", loc.WorkbookURL, !tt.wantNoLink)
			}
			if loc.WorkbookURL != "" && !strings.Contains(loc.WorkbookURL, "/"+runKey(prefix, run, "audit.xlsx")+"?") {
				t.Errorf("WorkbookURL = %q, want a link to audit.xlsx", loc.WorkbookURL)
			}
			if got := pending(t, a); len(got) != 0 {
				t.Errorf("spool after a successful upload = %v, want empty", got)
			}
			if _, err := os.Stat(filepath.Join(run.Dir, runfolder.ManifestName)); err != nil {
				t.Errorf("the run folder must be kept: %v", err)
			}

			// Every file is at its key, with its SHA-256 stored and its type.
			manifest, _ := os.ReadFile(filepath.Join(run.Dir, runfolder.ManifestName))
			files := map[string][]byte{runfolder.ManifestName: manifest}
			for p, data := range run.Files {
				files[p] = data
			}
			for p, data := range files {
				sum := sha256.Sum256(data)
				head, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{
					Bucket: aws.String(tt.bucket), Key: aws.String(runKey(prefix, run, p)), ChecksumMode: types.ChecksumModeEnabled,
				})
				if err != nil {
					t.Errorf("HeadObject(%s) = %v", p, err)
					continue
				}
				if got, want := aws.ToString(head.ChecksumSHA256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
					t.Errorf("%s: stored SHA-256 = %q, want %q", p, got, want)
				}
				if got, want := aws.ToString(head.ContentType), archive.ContentType(p); got != want {
					t.Errorf("%s: Content-Type = %q, want %q", p, got, want)
				}
				if got := string(head.ObjectLockMode); got != tt.wantLock {
					t.Errorf("%s: lock mode = %q, want %q", p, got, tt.wantLock)
				}
				if tt.wantUntil != nil {
					want := tt.wantUntil(run.AsOf)
					if got := aws.ToTime(head.ObjectLockRetainUntilDate); got.Sub(want).Abs() > time.Minute {
						t.Errorf("%s: retain until %s, want %s", p, got, want)
					}
				}
			}

			// The manifest is the last object written; every PUT carries the
			// SHA-256 and, when configured, the KMS key.
			var puts []string
			for _, r := range srv.Requests() {
				if r.Method != http.MethodPut {
					continue
				}
				puts = append(puts, r.Key(tt.bucket))
				if r.Header.Get("X-Amz-Checksum-Sha256") == "" {
					t.Errorf("PUT %s has no X-Amz-Checksum-Sha256", r.Path)
				}
				if got := r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); got != tt.wantKMS {
					t.Errorf("PUT %s: KMS key %q, want %q", r.Path, got, tt.wantKMS)
				}
				if tt.wantKMS != "" && r.Header.Get("X-Amz-Server-Side-Encryption") != "aws:kms" {
					t.Errorf("PUT %s: X-Amz-Server-Side-Encryption = %q, want aws:kms", r.Path, r.Header.Get("X-Amz-Server-Side-Encryption"))
				}
			}
			if len(puts) != len(files) || puts[len(puts)-1] != runKey(prefix, run, runfolder.ManifestName) {
				t.Errorf("PUTs = %q, want %d with the manifest last", puts, len(files))
			}

			// Archiving the same run again uploads nothing.
			srv.ResetRequests()
			if _, err := a.Archive(ctx, run.Dir, nil); err != nil {
				t.Fatalf("Archive again = %v", err)
			}
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPut {
					t.Errorf("archiving again sent PUT %s", r.Path)
				}
			}
		})
	}
}

func TestObjectLockCompliance(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	c := s3Config(srv, lockedBucket, "locked")
	c.ObjectLockMode, c.RetainDays = "COMPLIANCE", 1
	out := t.TempDir()
	a := openArchiver(t, c, out)
	run := writeRun(t, out, "20261101T060000Z")
	if _, err := a.Archive(ctx, run.Dir, nil); err != nil {
		t.Fatalf("Archive = %v", err)
	}
	client := srv.Client()
	bucket := aws.String(lockedBucket)

	tests := []struct {
		name string
		path string
		// attack tries to remove or replace the object.
		attack func(key string, version *string) error
		// wantErr says the attack itself must be refused.
		wantErr bool
	}{
		{
			name: "delete the locked version", path: "evidence/111111111111.csv", wantErr: true,
			attack: func(key string, version *string) error {
				_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: &key, VersionId: version})
				return err
			},
		},
		{
			name: "shorten the retention", path: "audit.md", wantErr: true,
			attack: func(key string, version *string) error {
				_, err := client.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: bucket, Key: &key, VersionId: version,
					Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(time.Now().Add(time.Hour))}})
				return err
			},
		},
		{
			name: "overwrite", path: "findings.json",
			attack: func(key string, _ *string) error {
				_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: &key, Body: strings.NewReader(`{"findings":[]}`)})
				return err
			},
		},
		{
			name: "delete without version", path: "audit.xlsx",
			attack: func(key string, _ *string) error {
				_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: &key})
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := runKey("locked", run, tt.path)
			head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: &key})
			if err != nil {
				t.Fatalf("HeadObject(%s) = %v", key, err)
			}
			if head.ObjectLockMode != types.ObjectLockModeCompliance {
				t.Fatalf("%s: lock mode %q, want COMPLIANCE", key, head.ObjectLockMode)
			}
			err = tt.attack(key, head.VersionId)
			if tt.wantErr && err == nil {
				t.Errorf("%s on a COMPLIANCE-locked object succeeded, want it refused", tt.name)
			}
			if !tt.wantErr && err != nil {
				t.Fatalf("%s = %v", tt.name, err)
			}
			// Whatever happened, the archived version is still there, unchanged.
			got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: &key, VersionId: head.VersionId})
			if err != nil {
				t.Fatalf("GetObject(%s, version %s) after the attack = %v", key, aws.ToString(head.VersionId), err)
			}
			data, _ := io.ReadAll(got.Body)
			got.Body.Close()
			if !bytes.Equal(data, run.Files[tt.path]) {
				t.Errorf("%s version %s changed", key, aws.ToString(head.VersionId))
			}
		})
	}

	// verify sees what the attacks did: a newer version and a delete marker.
	v, err := a.Verify(ctx, run.ID)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	problems := strings.Join(v.Problems(), "\n")
	for _, want := range []string{"findings.json: tampered: version ", "audit.xlsx: tampered: deleted after it was archived: delete marker "} {
		if !strings.Contains(problems, want) {
			t.Errorf("Verify problems:\n%s\nwant one containing %q", problems, want)
		}
	}
}

func TestNoObjectLock(t *testing.T) {
	srv := startS3(t)
	c := s3Config(srv, plainBucket, "nolock")
	c.ObjectLockMode, c.RetainDays = "GOVERNANCE", 30
	out := t.TempDir()
	a := openArchiver(t, c, out)
	run := writeRun(t, out, "20261101T060000Z")
	srv.ResetRequests()

	_, err := a.Archive(context.Background(), run.Dir, nil)
	if !errors.Is(err, archive.ErrNoObjectLock) {
		t.Fatalf("Archive to a bucket without Object Lock = %v, want ErrNoObjectLock", err)
	}
	for _, want := range []string{`bucket "plain"`, "GOVERNANCE", "object-lock-enabled-for-bucket", "spool"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut {
			t.Errorf("PUT %s sent to a bucket without Object Lock", r.Path)
		}
	}
	if got := pending(t, a); !slices.Equal(got, []string{run.ID}) {
		t.Errorf("spool = %v, want [%s]", got, run.ID)
	}
}

func TestVerify(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	tests := []struct {
		name string
		// change alters the archived run; key returns the key of a path.
		change       func(t *testing.T, key func(string) string)
		wantProblems []string
	}{
		{name: "intact", change: func(*testing.T, func(string) string) {}},
		{
			name: "tampered object",
			change: func(t *testing.T, key func(string) string) {
				putRaw(t, srv, plainBucket, key("evidence/222222222222.csv"), []byte("user,arn\n"))
			},
			wantProblems: []string{"evidence/222222222222.csv: content differs from the manifest", "evidence/222222222222.csv: S3 stores no SHA-256 checksum"},
		},
		{
			name: "tampered with a matching SHA-256 checksum",
			change: func(t *testing.T, key func(string) string) {
				data := []byte("# forged\n")
				sum := sha256.Sum256(data)
				if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(plainBucket), Key: aws.String(key("audit.md")), Body: bytes.NewReader(data),
					ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantProblems: []string{"audit.md: content differs from the manifest"},
		},
		{
			name: "missing object",
			change: func(t *testing.T, key func(string) string) {
				if _, err := srv.Client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(plainBucket), Key: aws.String(key("audit.xlsx"))}); err != nil {
					t.Fatal(err)
				}
			},
			wantProblems: []string{"audit.xlsx: missing"},
		},
		{
			name: "extra object",
			change: func(t *testing.T, key func(string) string) {
				putRaw(t, srv, plainBucket, key("evidence/999999999999.csv"), []byte("user,arn\n"))
			},
			wantProblems: []string{"evidence/999999999999.csv: not in the manifest"},
		},
		{
			name: "tampered manifest",
			change: func(t *testing.T, key func(string) string) {
				putRaw(t, srv, plainBucket, key(runfolder.ManifestName), []byte(`{"run_id":"20261101T060000Z","files":[]}`))
			},
			wantProblems: []string{"audit.md: not in the manifest", "manifest.json: S3 stores no SHA-256 checksum"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			prefix := testPrefix(t)
			a := openArchiver(t, s3Config(srv, plainBucket, prefix), out)
			run := writeRun(t, out, "20261101T060000Z")
			if _, err := a.Archive(ctx, run.Dir, nil); err != nil {
				t.Fatalf("Archive = %v", err)
			}
			tt.change(t, func(p string) string { return runKey(prefix, run, p) })

			v, err := a.Verify(ctx, run.ID)
			if err != nil {
				t.Fatalf("Verify(%s) = %v", run.ID, err)
			}
			got := v.Problems()
			if len(tt.wantProblems) == 0 && len(got) > 0 {
				t.Errorf("Verify(%s) problems = %q, want none", run.ID, got)
			}
			if v.OK() != (len(tt.wantProblems) == 0) {
				t.Errorf("Verify(%s).OK() = %t, want %t", run.ID, v.OK(), len(tt.wantProblems) == 0)
			}
			for _, want := range tt.wantProblems {
				if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, want) }) {
					t.Errorf("Verify(%s) problems = %q, want one starting %q", run.ID, got, want)
				}
			}
		})
	}
}

func TestVerifyIncompleteAndUnknown(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	a := openArchiver(t, s3Config(srv, plainBucket, "inc"), t.TempDir())
	putRaw(t, srv, plainBucket, "inc/2026/11/20261101T060000Z/audit.md", []byte("# partial\n"))

	v, err := a.Verify(ctx, "20261101T060000Z")
	if err != nil {
		t.Fatalf("Verify(incomplete run) = %v", err)
	}
	if v.OK() || !strings.HasPrefix(v.Problems()[0], "manifest.json: missing") {
		t.Errorf("Verify(incomplete run) problems = %q, want manifest.json missing first", v.Problems())
	}
	if _, err := a.Verify(ctx, "20261102T060000Z"); !errors.Is(err, archive.ErrRunNotFound) {
		t.Errorf("Verify(unknown run) = %v, want ErrRunNotFound", err)
	}
	if _, err := a.Verify(ctx, "yesterday"); err == nil || !strings.Contains(err.Error(), "YYYYMMDDTHHMMSSZ") {
		t.Errorf("Verify(bad ID) = %v, want an error explaining run IDs", err)
	}
}

func TestSpool(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	deadURL := "http://127.0.0.1:1"
	isPut := func(r *http.Request) bool { return r.Method == http.MethodPut }
	isManifest := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/"+runfolder.ManifestName) }

	tests := []struct {
		name string
		// endpoint of the failing attempt; "" means the test server.
		endpoint string
		// outage runs before Archive; it makes S3 fail part-way.
		outage func(t *testing.T)
		// recover runs before Flush.
		recover func(t *testing.T)
		// wantPartial: some objects, but no manifest, reached S3.
		wantPartial bool
		// wantManifest: the manifest reached S3 before the failure.
		wantManifest bool
	}{
		{name: "S3 unreachable", endpoint: deadURL},
		{
			name: "server stopped mid-upload",
			// The server goes down as the manifest, the last object, is sent.
			outage: func(t *testing.T) {
				srv.Refuse(func(r *http.Request) bool {
					if isPut(r) && isManifest(r) {
						srv.Stop()
					}
					return false
				})
			},
			recover:     func(t *testing.T) { srv.Refuse(nil); srv.Start(t) },
			wantPartial: true,
		},
		{
			name: "manifest uploaded but not confirmed",
			outage: func(t *testing.T) {
				put := false
				srv.Refuse(func(r *http.Request) bool {
					put = put || (isPut(r) && isManifest(r))
					return put && r.Method == http.MethodHead && isManifest(r)
				})
			},
			recover:      func(t *testing.T) { srv.Refuse(nil) },
			wantManifest: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			prefix := testPrefix(t)
			good := s3Config(srv, plainBucket, prefix)
			bad := good
			if tt.endpoint != "" {
				bad.Endpoint = tt.endpoint
			}
			run := writeRun(t, out, "20261101T060000Z")
			older := writeRun(t, out, "20261001T060000Z")
			if tt.outage != nil {
				tt.outage(t)
			}
			failing := openArchiver(t, bad, out)

			// Two runs fail while S3 is down; both wait in the spool.
			for _, r := range []runFolder{older, run} {
				if _, err := failing.Archive(ctx, r.Dir, nil); err == nil {
					t.Fatalf("Archive(%s) during the outage = nil, want an error", r.ID)
				} else if !strings.Contains(err.Error(), "spool") {
					t.Errorf("Archive error %q does not say the run waits in the spool", err)
				}
			}
			if got, want := pending(t, failing), []string{older.ID, run.ID}; !slices.Equal(got, want) {
				t.Fatalf("spool after the outage = %v, want %v", got, want)
			}
			if tt.recover != nil {
				tt.recover(t)
			}
			a := openArchiver(t, good, out)
			key := func(r runFolder, p string) *string { return aws.String(runKey(prefix, r, p)) }
			_, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(plainBucket), Key: key(older, runfolder.ManifestName)})
			if gotManifest := err == nil; gotManifest != tt.wantManifest {
				t.Errorf("manifest in S3 after the outage: %t (%v), want %t", gotManifest, err, tt.wantManifest)
			}
			if tt.wantPartial {
				if _, err := a.Lookup(ctx, older.ID); !errors.Is(err, archive.ErrIncomplete) {
					t.Errorf("Lookup(%s) after a partial upload = %v, want ErrIncomplete", older.ID, err)
				}
			}

			res, err := a.Flush(ctx)
			if err != nil {
				t.Fatalf("Flush after recovery = %v", err)
			}
			if len(res.Archived) != 2 || len(res.Failed) != 0 {
				t.Errorf("Flush = %d archived, %d failed, want 2, 0", len(res.Archived), len(res.Failed))
			}
			if got := pending(t, a); len(got) != 0 {
				t.Errorf("spool after Flush = %v, want empty", got)
			}
			entries, _ := os.ReadDir(a.SpoolDir())
			if len(entries) != 0 {
				t.Errorf("spool folder after Flush holds %v, want nothing", entries)
			}
			for _, r := range []runFolder{older, run} {
				v, err := a.Verify(ctx, r.ID)
				if err != nil || !v.OK() {
					t.Errorf("Verify(%s) after Flush = %v, %v; want OK", r.ID, err, v.Problems())
				}
			}
		})
	}
}

// TestSpoolKeepsCorruptRun: a spooled copy that no longer matches its
// manifest is never uploaded nor deleted, and does not hold up other runs.
func TestSpoolKeepsCorruptRun(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	out := t.TempDir()
	c := s3Config(srv, plainBucket, "corrupt")
	failing := c
	failing.Endpoint = "http://127.0.0.1:1"
	bad, good := writeRun(t, out, "20261001T060000Z"), writeRun(t, out, "20261101T060000Z")
	for _, r := range []runFolder{bad, good} {
		if _, err := openArchiver(t, failing, out).Archive(ctx, r.Dir, nil); err == nil {
			t.Fatalf("Archive(%s) to a dead endpoint = nil", r.ID)
		}
	}
	a := openArchiver(t, c, out)
	runs, _ := a.Pending()
	if err := os.WriteFile(filepath.Join(runs[0].Dir, "audit.md"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := a.Flush(ctx)
	if !errors.Is(err, archive.ErrLocalMismatch) || !strings.Contains(err.Error(), bad.ID) {
		t.Errorf("Flush = %v, want ErrLocalMismatch naming %s", err, bad.ID)
	}
	if len(res.Archived) != 1 || len(res.Failed) != 1 || res.Failed[0].ID != bad.ID {
		t.Errorf("Flush = %+v, want %s archived and %s failed", res, good.ID, bad.ID)
	}
	if got := pending(t, a); !slices.Equal(got, []string{bad.ID}) {
		t.Errorf("spool = %v, want [%s]", got, bad.ID)
	}
}

func TestArchiveConflict(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	c := s3Config(srv, plainBucket, "conflict")
	first := t.TempDir()
	if _, err := openArchiver(t, c, first).Archive(ctx, writeRun(t, first, "20261101T060000Z").Dir, nil); err != nil {
		t.Fatal(err)
	}
	// Another reporter with the same run ID but other content.
	second := t.TempDir()
	a := openArchiver(t, c, second)
	_, err := a.Archive(ctx, writeRun(t, second, "20261101T060000Z").Dir, nil)
	if !errors.Is(err, archive.ErrConflict) {
		t.Fatalf("Archive of a different run under an archived run ID = %v, want ErrConflict", err)
	}
}

func TestReadAPI(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	out := t.TempDir()
	a := openArchiver(t, s3Config(srv, plainBucket, "audits/iam"), out)
	ids := []string{"20260915T060000Z", "20261001T060000Z", "20261101T060000Z", "20261101T060000Z-2", "20261101T060000Z-10"}
	runs := map[string]runFolder{}
	for _, id := range ids {
		runs[id] = writeRun(t, out, id)
		if _, err := a.Archive(ctx, runs[id].Dir, nil); err != nil {
			t.Fatalf("Archive(%s) = %v", id, err)
		}
	}
	// An upload that never finished.
	putRaw(t, srv, plainBucket, "audits/iam/2026/11/20261102T060000Z/audit.md", []byte("# partial\n"))

	t.Run("Runs", func(t *testing.T) {
		tests := []struct {
			since time.Time
			want  []string
		}{
			{want: []string{"20261102T060000Z", "20261101T060000Z-10", "20261101T060000Z-2", "20261101T060000Z", "20261001T060000Z", "20260915T060000Z"}},
			{since: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), want: []string{"20261102T060000Z", "20261101T060000Z-10", "20261101T060000Z-2", "20261101T060000Z", "20261001T060000Z"}},
			{since: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), want: []string{"20261102T060000Z"}},
			{since: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		}
		for _, tt := range tests {
			got, err := a.Runs(ctx, tt.since)
			if err != nil {
				t.Fatalf("Runs(%s) = %v", tt.since, err)
			}
			var gotIDs []string
			for _, r := range got {
				gotIDs = append(gotIDs, r.ID)
				if r.Complete() != (r.ID != "20261102T060000Z") {
					t.Errorf("Runs: %s complete = %t", r.ID, r.Complete())
				}
				if r.Complete() && r.Manifest.Summary.AccountsAudited != 2 {
					t.Errorf("Runs: %s summary = %+v, want the manifest's", r.ID, r.Manifest.Summary)
				}
			}
			if !slices.Equal(gotIDs, tt.want) {
				t.Errorf("Runs(since %s) = %v, want %v", tt.since.Format(time.DateOnly), gotIDs, tt.want)
			}
		}
	})

	t.Run("Lookup latest and Findings", func(t *testing.T) {
		r, err := a.Lookup(ctx, archive.Latest)
		if err != nil || r.ID != "20261101T060000Z-10" {
			t.Fatalf("Lookup(latest) = %v, %v; want the newest complete run 20261101T060000Z-10", r, err)
		}
		f, err := a.Findings(ctx, "20261001T060000Z")
		if err != nil || f.Run.ID != "20261001T060000Z" {
			t.Errorf("Findings(20261001T060000Z) = %v, %v", f, err)
		}
	})

	t.Run("Download", func(t *testing.T) {
		to := t.TempDir()
		dir, err := a.Download(ctx, "20261001T060000Z", to)
		if err != nil {
			t.Fatalf("Download = %v", err)
		}
		if dir != filepath.Join(to, "20261001T060000Z") {
			t.Errorf("Download dir = %s", dir)
		}
		problems, err := runfolder.VerifyDir(dir)
		if err != nil || len(problems) > 0 {
			t.Errorf("VerifyDir(downloaded run) = %v, %v", problems, err)
		}
		if _, err := a.Download(ctx, "20261001T060000Z", to); err == nil {
			t.Errorf("Download over an existing folder = nil, want an error")
		}
		if _, err := a.Download(ctx, "20261102T060000Z", to); !errors.Is(err, archive.ErrIncomplete) {
			t.Errorf("Download(incomplete) = %v, want ErrIncomplete", err)
		}
	})

	t.Run("Links", func(t *testing.T) {
		links, err := a.Links(ctx, "20261101T060000Z", time.Hour)
		if err != nil {
			t.Fatalf("Links = %v", err)
		}
		run := runs["20261101T060000Z"]
		if len(links) != len(run.Files)+1 {
			t.Errorf("Links = %d links, want %d", len(links), len(run.Files)+1)
		}
		for _, l := range links {
			want := run.Files[l.Path]
			if l.Path == runfolder.ManifestName {
				want, _ = os.ReadFile(filepath.Join(run.Dir, runfolder.ManifestName))
			}
			resp, err := http.Get(l.URL)
			if err != nil {
				t.Fatalf("GET %s = %v", l.URL, err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
				t.Errorf("GET presigned %s = %d, %d bytes; want 200 and the archived %d bytes", l.Path, resp.StatusCode, len(got), len(want))
			}
		}
		for _, bad := range []time.Duration{0, 8 * 24 * time.Hour} {
			if _, err := a.Links(ctx, "20261101T060000Z", bad); err == nil {
				t.Errorf("Links(expires %s) = nil error, want at most 7 days", bad)
			}
		}
	})

	t.Run("History", func(t *testing.T) {
		h := archive.History{Archiver: a}
		got, err := h.Runs(ctx)
		if err != nil || len(got) != len(ids) {
			t.Fatalf("History.Runs = %d runs, %v; want %d complete runs", len(got), err, len(ids))
		}
		prev, err := history.OpenFindings(ctx, h, got[0], t.TempDir())
		if err != nil {
			t.Fatalf("OpenFindings from the archive = %v", err)
		}
		defer prev.Close()
		rd, _ := prev.Reader()
		if doc, err := jsonfile.Read(rd); err != nil || doc.Run.ID != prev.RunID {
			t.Errorf("findings.json from the archive = %v, %v", doc, err)
		}
	})
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name string
		edit func(*config.S3)
		out  string
		want string
	}{
		{name: "no bucket", edit: func(c *config.S3) { c.Bucket = "" }, want: "no bucket"},
		{name: "bucket with a path", edit: func(c *config.S3) { c.Bucket = "s3://b/p" }, want: "s3.prefix"},
		{name: "bad lock mode", edit: func(c *config.S3) { c.ObjectLockMode, c.RetainDays = "legal", 1 }, want: "GOVERNANCE or COMPLIANCE"},
		{name: "lock without days", edit: func(c *config.S3) { c.ObjectLockMode = "COMPLIANCE" }, want: "1 to 36500 days"},
		{name: "days without lock", edit: func(c *config.S3) { c.RetainDays = 10 }, want: "needs s3.object_lock_mode"},
		{name: "bad retain_from", edit: func(c *config.S3) { c.RetainFrom = "tomorrow" }, want: "upload or as_of"},
		{name: "link too long", edit: func(c *config.S3) { c.PresignExpiry = config.Expiry(8 * 24 * time.Hour) }, want: "7d"},
		{name: "bad endpoint", edit: func(c *config.S3) { c.Endpoint = "localhost:9000" }, want: "http:// or https://"},
		{name: "spool holds the runs", edit: func(c *config.S3) { c.SpoolDir = "/tmp/x" }, out: "/tmp/x/reports", want: "set it apart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.DefaultS3()
			c.Bucket = "b"
			tt.edit(&c)
			_, err := archive.New(nil, nil, c, archive.Options{Out: tt.out})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", c, err, tt.want)
			}
		})
	}
}

func TestParseExpiry(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "off"},
		{in: "0"},
		{in: "7 days", wantErr: true},
		{in: "-1h", wantErr: true},
	}
	for _, tt := range tests {
		got, err := config.ParseExpiry(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if got := config.Expiry(7 * 24 * time.Hour).String(); got != "7d" {
		t.Errorf("Expiry(7d).String() = %q", got)
	}
}

func TestRetryable(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	client := srv.Client()
	dead := s3.New(s3.Options{Region: s3test.Region, BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true,
		Credentials: client.Options().Credentials, RetryMaxAttempts: 1})
	head := func(c *s3.Client, bucket string) error {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("nothing")})
		return err
	}
	tests := []struct {
		name string
		err  func() error
		want bool
	}{
		{name: "connection refused", err: func() error { return head(dead, plainBucket) }, want: true},
		{name: "503 from the relay", err: func() error {
			srv.Refuse(func(*http.Request) bool { return true })
			defer srv.Refuse(nil)
			return head(client, plainBucket)
		}, want: true},
		{name: "server stopped", err: func() error {
			srv.Stop()
			defer srv.Start(t)
			return head(client, plainBucket)
		}, want: true},
		{name: "not found", err: func() error { return head(client, plainBucket) }},
		{name: "no such bucket", err: func() error {
			_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nope"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}},
		{name: "canceled", err: func() error { return context.Canceled }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if err == nil {
				t.Fatal("no error")
			}
			if got := archive.Retryable(err); got != tt.want {
				t.Errorf("Retryable(%v) = %t, want %t", err, got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	b := archive.Backoff(time.Second, 5*time.Second)
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 10: 5 * time.Second} {
		if got := b(n); got != want {
			t.Errorf("Backoff(1s, 5s)(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestArchiveFileTooLarge checks that a run with a file larger than one
// PutObject takes uploads nothing, says which file, and stays in the
// spool.
func TestArchiveFileTooLarge(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	out := t.TempDir()
	c := s3Config(srv, plainBucket, testPrefix(t))
	run := writeRun(t, out, "20261101T060000Z")
	largest := ""
	for path, data := range run.Files {
		if largest == "" || len(data) > len(run.Files[largest]) {
			largest = path
		}
	}
	defer archive.SetMaxPutObject(int64(len(run.Files[largest])) - 1)()
	a := openArchiver(t, c, out)
	_, err := a.Archive(ctx, run.Dir, nil)
	if want := largest + " is "; !errors.Is(err, archive.ErrTooLarge) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing uploaded") {
		t.Fatalf("Archive = %v, want ErrTooLarge naming %s", err, largest)
	}
	if runs, err := a.Runs(ctx, time.Time{}); err != nil || len(runs) != 0 {
		t.Errorf("Runs = %v, %v; want nothing in S3", runs, err)
	}
	if got := pending(t, a); !slices.Equal(got, []string{run.ID}) {
		t.Errorf("spool = %v, want [%s]", got, run.ID)
	}
}
