package archive_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/compare"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/internal/s3test"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// Buckets every test server gets.
const (
	lockedBucket = "locked"
	plainBucket  = "plain"
)

// startS3 starts versitygw with a bucket with Object Lock and one without.
func startS3(t *testing.T) *s3test.Server {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, lockedBucket, true)
	srv.CreateBucket(t, plainBucket, false)
	return srv
}

// s3Config returns the configuration of an archive on srv, with
// presigned links of 7 days (off by default).
func s3Config(srv *s3test.Server, bucket, prefix string) config.S3 {
	c := config.DefaultS3()
	c.Bucket, c.Prefix = bucket, prefix
	c.PresignExpiry = config.Expiry(config.MaxPresignExpiry)
	c.Endpoint, c.PathStyle, c.Region = srv.URL, true, s3test.Region
	return c
}

// openArchiver opens an Archiver through archive.Open, the production
// path, with static credentials and no waiting between retries.
func openArchiver(t *testing.T, c config.S3, out string) *archive.Archiver {
	t.Helper()
	return openArchiverLog(t, c, out, nil)
}

// openArchiverLog is openArchiver with a logger.
func openArchiverLog(t *testing.T, c config.S3, out string, log *slog.Logger) *archive.Archiver {
	t.Helper()
	return openArchiverWith(t, c, archive.Options{Out: out, Logger: log})
}

// openArchiverAt is openArchiver with its clock stopped at now.
func openArchiverAt(t *testing.T, c config.S3, out string, now time.Time) *archive.Archiver {
	t.Helper()
	return openArchiverWith(t, c, archive.Options{Out: out, Clock: func() time.Time { return now }})
}

// openArchiverWith is openArchiver with the options o (Out, Logger,
// Clock); the retries and AWS options are the tests'.
func openArchiverWith(t *testing.T, c config.S3, o archive.Options) *archive.Archiver {
	t.Helper()
	o.Retry = archive.Retry{Attempts: 2}
	o.AWS = []func(*awsconfig.LoadOptions) error{
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")),
		awsconfig.WithRetryMaxAttempts(1),
		awsconfig.WithSharedConfigFiles([]string{filepath.Join(t.TempDir(), "none")}),
		awsconfig.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
	}
	a, err := archive.Open(context.Background(), c, o)
	if err != nil {
		t.Fatalf("archive.Open(%+v) = %v", c, err)
	}
	return a
}

// testPrefix turns a test name into a key prefix of its own.
func testPrefix(t *testing.T) string {
	return "t/" + strings.Trim(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
}

// runFolder is a run folder written by writeRun.
type runFolder struct {
	Dir   string
	ID    string
	AsOf  time.Time
	Files map[string][]byte // by manifest path, manifest excluded
}

// writeRun writes a run folder OUT/YYYY/MM/ID as app.RunOnce does:
// artifacts, evidence, and manifest.json last.
func writeRun(t *testing.T, out, id string) runFolder {
	t.Helper()
	run := &result.Run{Run: result.RunInfo{ID: id, AsOf: runAsOf(t, id), Version: "test", Source: "sample"}}
	run.Summary.AccountsTotal, run.Summary.AccountsAudited, run.Summary.AccountsFailed = 3, 2, 1
	run.Summary.Findings, run.Summary.Open = 7, 5
	run.Summary.BySeverity = map[string]int{"critical": 1, "high": 2, "medium": 1, "low": 1}
	return writeRunDoc(t, out, run)
}

// runAsOf returns the as-of of a run ID.
func runAsOf(t *testing.T, id string) time.Time {
	t.Helper()
	asOf, _, err := runfolder.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	return asOf
}

// writeRunDoc is writeRun with the given findings document.
func writeRunDoc(t *testing.T, out string, run *result.Run) runFolder {
	t.Helper()
	id, asOf := run.Run.ID, run.Run.AsOf
	dir := runfolder.Dir(out, asOf, id)
	var findings bytes.Buffer
	if err := jsonfile.Write(&findings, run); err != nil {
		t.Fatal(err)
	}
	xlsx := make([]byte, 64<<10)
	rand.Read(xlsx)
	files := map[string][]byte{
		"audit.xlsx":                xlsx,
		"audit.md":                  []byte("# IAM audit " + id + "\n"),
		"findings.json":             findings.Bytes(),
		"evidence/111111111111.csv": []byte("user,arn\n<root_account>,arn:aws:iam::111111111111:root\n"),
		"evidence/111111111111.password-policy.json": []byte(`{"PasswordPolicy":{"MinimumPasswordLength":14}}` + "\n"),
		"evidence/222222222222.csv":                  []byte("user,arn\nalice,arn:aws:iam::222222222222:user/alice\n"),
	}
	for p, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := runfolder.BuildManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	summary := run.Summary
	if err := runfolder.WriteManifest(dir, &runfolder.Manifest{RunID: id, AsOf: asOf, Version: "test", Summary: &summary, Files: list}); err != nil {
		t.Fatal(err)
	}
	return runFolder{Dir: dir, ID: id, AsOf: asOf, Files: files}
}

// runKey returns the key of a run's file under prefix.
func runKey(prefix string, r runFolder, path string) string {
	p := r.AsOf.Format("2006/01") + "/" + r.ID + "/" + path
	if prefix != "" {
		p = prefix + "/" + p
	}
	return p
}

// putRaw writes an object directly, as someone tampering with the archive
// would.
func putRaw(t *testing.T, srv *s3test.Server, bucket, key string, data []byte) {
	t.Helper()
	if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	}); err != nil {
		t.Fatalf("PutObject(%s/%s) = %v", bucket, key, err)
	}
}

// pending returns the IDs of the runs in the spool.
func pending(t *testing.T, a *archive.Archiver) []string {
	t.Helper()
	runs, err := a.Pending()
	if err != nil {
		t.Fatalf("Pending() = %v", err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

// checkNextRunKeepsHistory runs the next audit's comparison through the
// S3 history of c, as a new process would, and checks that it is compared
// with the run wantRun and that each principal's finding persists with the
// first-seen date in want. It returns what the history logged.
func checkNextRunKeepsHistory(t *testing.T, ctx context.Context, c config.S3, wantRun string, want map[string]time.Time) string {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a := openArchiverLog(t, c, t.TempDir(), log)
	next := findingsRun(t, "20261101T060000Z", map[string]time.Time{"alice": {}, "bob": {}})
	earlier, err := history.Baselines(ctx, archive.History{Archiver: a}, log, next.Run.AsOf, next.Run.ID,
		history.Need{Accounts: map[string]bool{"111111111111": true}}, t.TempDir())
	if err != nil {
		t.Fatalf("Baselines = %v", err)
	}
	if len(earlier) != 1 || earlier[0].RunID != wantRun {
		t.Fatalf("Baselines = %d runs, want run %s; log:\n%s", len(earlier), wantRun, logs.String())
	}
	defer earlier[0].Close()
	rd, err := earlier[0].Reader()
	if err != nil {
		t.Fatal(err)
	}
	if err := compare.Runs(next, rd); err != nil {
		t.Fatalf("compare.Runs = %v", err)
	}
	for _, fd := range next.Findings.(result.Findings) {
		if fd.Status != audit.StatusPersisting || !fd.FirstSeen.Equal(want[fd.Principal]) {
			t.Errorf("%s: status %s first seen %s, want %s first seen %s (run %s as archived)", fd.Principal, fd.Status,
				fd.FirstSeen.Format(time.DateOnly), audit.StatusPersisting, want[fd.Principal].Format(time.DateOnly), wantRun)
		}
	}
	return logs.String()
}

// archiveRuns archives the run folders (written under out) with the
// configuration c, in order; an error fails the test.
func archiveRuns(t *testing.T, c config.S3, out string, runs ...runFolder) {
	t.Helper()
	a := openArchiver(t, c, out)
	for _, r := range runs {
		if _, err := a.Archive(context.Background(), r.Dir, nil); err != nil {
			t.Fatalf("Archive(%s) = %v", r.ID, err)
		}
	}
}
