package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/runfolder"
)

// forger writes to the bucket with the plain S3 API and valid checksums,
// as anyone with s3:PutObject and s3:DeleteObject on the archive could.
type forger struct {
	t      *testing.T
	client *s3.Client
	bucket string
	prefix string
	run    runFolder
}

// put stores data at the run's path with its SHA-256 as the checksum, so
// S3 accepts it as intact.
func (f forger) put(path string, data []byte) {
	f.t.Helper()
	sum := sha256.Sum256(data)
	if _, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(f.bucket), Key: aws.String(runKey(f.prefix, f.run, path)), Body: bytes.NewReader(data),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	}); err != nil {
		f.t.Fatalf("forger: PutObject %s = %v", path, err)
	}
}

// rewrite replaces a file of the run and the manifest consistently: the
// new manifest lists the new size and SHA-256.
func (f forger) rewrite(path string, data []byte) {
	f.t.Helper()
	f.put(path, data)
	m, err := runfolder.ReadManifest(f.run.Dir)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range m.Files {
		if m.Files[i].Path == path {
			m.Files[i] = entry(path, data)
		}
	}
	doc, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		f.t.Fatal(err)
	}
	f.put(runfolder.ManifestName, append(doc, '\n'))
}

// remove deletes a file of the run without a version ID: on a versioned
// bucket that adds a delete marker.
func (f forger) remove(path string) {
	f.t.Helper()
	if _, err := f.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{
		Bucket: aws.String(f.bucket), Key: aws.String(runKey(f.prefix, f.run, path)),
	}); err != nil {
		f.t.Fatalf("forger: DeleteObject %s = %v", path, err)
	}
}

func TestVerifyCatchesForger(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	forged := []byte("user,arn\n<root_account>,arn:aws:iam::111111111111:root\nnobody,arn:aws:iam::111111111111:user/nobody\n")

	tests := []struct {
		name   string
		bucket string
		// lock is the object_lock_mode of the archive that uploads.
		lock string
		// verifyLock is the object_lock_mode of the archive that verifies.
		verifyLock string
		attack     func(f forger)
		// wantTampered are the paths verify must report as tampered.
		wantTampered []string
		// wantProblems are substrings of problems that must be found.
		wantProblems []string
		wantNote     string
		wantOK       bool
	}{
		{
			name: "evidence and manifest rewritten consistently", bucket: lockedBucket, lock: "COMPLIANCE", verifyLock: "COMPLIANCE",
			attack:       func(f forger) { f.rewrite("evidence/111111111111.csv", forged) },
			wantTampered: []string{"evidence/111111111111.csv", runfolder.ManifestName},
			wantProblems: []string{
				"evidence/111111111111.csv: tampered: version ",
				"a read without version ID returns it",
				"manifest.json: tampered: version ",
			},
		},
		{
			name: "evidence rewritten, manifest left", bucket: lockedBucket, lock: "GOVERNANCE", verifyLock: "GOVERNANCE",
			attack:       func(f forger) { f.put("evidence/222222222222.csv", []byte("user,arn\n")) },
			wantTampered: []string{"evidence/222222222222.csv"},
		},
		{
			name: "delete marker on evidence", bucket: lockedBucket, lock: "COMPLIANCE", verifyLock: "COMPLIANCE",
			attack:       func(f forger) { f.remove("evidence/111111111111.password-policy.json") },
			wantTampered: []string{"evidence/111111111111.password-policy.json"},
			wantProblems: []string{"evidence/111111111111.password-policy.json: tampered: deleted after it was archived: delete marker "},
		},
		{
			name: "manifest deleted", bucket: lockedBucket, lock: "COMPLIANCE", verifyLock: "COMPLIANCE",
			attack:       func(f forger) { f.remove(runfolder.ManifestName) },
			wantTampered: []string{runfolder.ManifestName},
		},
		{
			name: "object added", bucket: lockedBucket, lock: "COMPLIANCE", verifyLock: "COMPLIANCE",
			attack:       func(f forger) { f.put("evidence/999999999999.csv", []byte("user,arn\n")) },
			wantProblems: []string{"evidence/999999999999.csv: not in the manifest (written "},
		},
		{
			name: "team workbook rewritten", bucket: lockedBucket, lock: "COMPLIANCE", verifyLock: "COMPLIANCE",
			attack:       func(f forger) { f.put("teams/payments/audit.xlsx", []byte("a forged team workbook")) },
			wantTampered: []string{"teams/payments/audit.xlsx"},
		},
		{
			name: "team folder added", bucket: lockedBucket, lock: "COMPLIANCE", verifyLock: "COMPLIANCE",
			attack:       func(f forger) { f.put("teams/auditors/audit.md", []byte("# all clear\n")) },
			wantProblems: []string{"teams/auditors/audit.md: not in the manifest (written "},
		},
		{
			// Possible only without retention: the original version is
			// deleted by its ID, and a forgery written in its place.
			name: "original version removed and replaced", bucket: lockedBucket, lock: "", verifyLock: "",
			attack: func(f forger) {
				key := runKey(f.prefix, f.run, "evidence/222222222222.csv")
				head, err := f.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(key)})
				if err != nil {
					f.t.Fatal(err)
				}
				if _, err := f.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(key), VersionId: head.VersionId}); err != nil {
					f.t.Fatalf("forger: delete the original version = %v", err)
				}
				f.put("evidence/222222222222.csv", []byte("user,arn\n"))
			},
			wantProblems: []string{"evidence/222222222222.csv: content differs from the manifest"},
		},
		{
			name: "identical re-upload is no tampering", bucket: lockedBucket, lock: "COMPLIANCE", verifyLock: "COMPLIANCE",
			attack:   func(f forger) { f.put("audit.md", f.run.Files["audit.md"]) },
			wantOK:   true,
			wantNote: "uploaded again with identical content",
		},
		{
			name: "no retention although Object Lock is configured", bucket: lockedBucket, lock: "", verifyLock: "COMPLIANCE",
			attack:       func(forger) {},
			wantProblems: []string{"audit.xlsx: no Object Lock retention, although s3.object_lock_mode COMPLIANCE is configured", "manifest.json: no Object Lock retention"},
		},
		{
			name: "unversioned bucket says what it cannot see", bucket: plainBucket,
			attack:   func(f forger) { f.rewrite("evidence/111111111111.csv", forged) },
			wantOK:   true, // the limit this test documents
			wantNote: "is not versioned: a rewrite of the whole run (objects and manifest.json replaced consistently) cannot be detected",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := testPrefix(t)
			out := t.TempDir()
			up := s3Config(srv, tt.bucket, prefix)
			if tt.lock != "" {
				up.ObjectLockMode, up.RetainDays = tt.lock, 1
			}
			run, _ := writeTeamRun(t, out, "20261101T060000Z")
			archiveRuns(t, up, out, run)
			tt.attack(forger{t: t, client: srv.Client(), bucket: tt.bucket, prefix: prefix, run: run})

			check := s3Config(srv, tt.bucket, prefix)
			if tt.verifyLock != "" {
				check.ObjectLockMode, check.RetainDays = tt.verifyLock, 1
			}
			a := openArchiver(t, check, t.TempDir())
			id := run.ID
			if i%2 == 1 {
				id = archive.Latest
			}
			v, err := a.Verify(ctx, id)
			if err != nil {
				t.Fatalf("Verify(%s) = %v", id, err)
			}
			problems := v.Problems()
			if v.OK() != tt.wantOK {
				t.Fatalf("Verify(%s).OK() = %t, want %t; problems:\n%s", id, v.OK(), tt.wantOK, strings.Join(problems, "\n"))
			}
			if v.Run.ID != run.ID {
				t.Errorf("Verify(%s) checked run %s, want %s", id, v.Run.ID, run.ID)
			}
			if got := v.Tampered(); strings.Join(got, ",") != strings.Join(tt.wantTampered, ",") {
				t.Errorf("Verify(%s).Tampered() = %q, want %q; problems:\n%s", id, got, tt.wantTampered, strings.Join(problems, "\n"))
			}
			for _, want := range tt.wantProblems {
				if !strings.Contains(strings.Join(problems, "\n"), want) {
					t.Errorf("Verify(%s) problems:\n%s\nwant one containing %q", id, strings.Join(problems, "\n"), want)
				}
			}
			for _, p := range problems {
				// A tampered object is named with the time of each version involved.
				if strings.Contains(p, "tampered: ") && !strings.Contains(p, "T") {
					t.Errorf("problem %q gives no version time", p)
				}
			}
			notes := strings.Join(v.Notes, "\n")
			for _, o := range v.Objects {
				notes += "\n" + strings.Join(o.Notes, "\n")
			}
			if !strings.Contains(notes, tt.wantNote) {
				t.Errorf("Verify(%s) notes:\n%s\nwant one containing %q", id, notes, tt.wantNote)
			}
			wantVersioning := archive.VersioningEnabled
			if tt.bucket == plainBucket {
				wantVersioning = archive.VersioningOff
			}
			if v.Versioning != wantVersioning {
				t.Errorf("Verify(%s).Versioning = %q, want %q", id, v.Versioning, wantVersioning)
			}
		})
	}
}

// TestVerifyJudgesRetention: with s3.object_lock_mode configured where
// verify runs, retention weaker than configured is a problem: none at
// all, GOVERNANCE where COMPLIANCE is asked for (principals with
// s3:BypassGovernanceRetention can remove it), or a retain-until date
// already past. Stronger retention than configured is fine.
func TestVerifyJudgesRetention(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		lock       string // object_lock_mode of the upload
		verifyLock string // object_lock_mode where verify runs
		// later is how long after the upload verify runs.
		later        time.Duration
		wantProblems []string
	}{
		{name: "COMPLIANCE as configured", lock: "COMPLIANCE", verifyLock: "COMPLIANCE"},
		{name: "COMPLIANCE where GOVERNANCE is configured", lock: "COMPLIANCE", verifyLock: "GOVERNANCE"},
		{name: "GOVERNANCE as configured", lock: "GOVERNANCE", verifyLock: "GOVERNANCE"},
		{name: "nothing configured, nothing judged", lock: "GOVERNANCE", later: 72 * time.Hour},
		{
			name: "GOVERNANCE where COMPLIANCE is configured", lock: "GOVERNANCE", verifyLock: "COMPLIANCE",
			wantProblems: []string{
				"audit.xlsx: retention GOVERNANCE until ", ", although s3.object_lock_mode COMPLIANCE is configured: principals with s3:BypassGovernanceRetention can remove it",
				"manifest.json: retention GOVERNANCE until ",
			},
		},
		{
			name: "retention over", lock: "COMPLIANCE", verifyLock: "COMPLIANCE", later: 72 * time.Hour,
			wantProblems: []string{"findings.json: retention COMPLIANCE ended ", "manifest.json: retention COMPLIANCE ended "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := testPrefix(t)
			out := t.TempDir()
			up := s3Config(srv, lockedBucket, prefix)
			up.ObjectLockMode, up.RetainDays = tt.lock, 1
			run := writeRun(t, out, "20261101T060000Z")
			archiveRuns(t, up, out, run)

			check := s3Config(srv, lockedBucket, prefix)
			if tt.verifyLock != "" {
				check.ObjectLockMode, check.RetainDays = tt.verifyLock, 1
			}
			v, err := openArchiverAt(t, check, t.TempDir(), time.Now().Add(tt.later)).Verify(ctx, run.ID)
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			problems := strings.Join(v.Problems(), "\n")
			if v.OK() != (len(tt.wantProblems) == 0) {
				t.Errorf("Verify().OK() = %t, want %t; problems:\n%s", v.OK(), len(tt.wantProblems) == 0, problems)
			}
			for _, want := range tt.wantProblems {
				if !strings.Contains(problems, want) {
					t.Errorf("Verify problems:\n%s\nwant one containing %q", problems, want)
				}
			}
			if n := len(v.Problems()); len(tt.wantProblems) > 0 && n != len(run.Files)+1 {
				t.Errorf("Verify found %d problems, want one for each of the %d objects:\n%s", n, len(run.Files)+1, problems)
			}
		})
	}
}

// TestVerifyAcrossVersionPages: a forgery is found when the versions of
// the run take many ListObjectVersions pages, one key's versions split
// across two. (Page size 1 is left out: versitygw 1.8 answers the same
// page again when the marker is a current version, which verify then
// refuses instead of looping.)
func TestVerifyAcrossVersionPages(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	out := t.TempDir()
	c := s3Config(srv, lockedBucket, prefix)
	c.ObjectLockMode, c.RetainDays = "COMPLIANCE", 1
	a := openArchiver(t, c, out)
	run := writeRun(t, out, "20261101T060000Z")
	if _, err := a.Archive(ctx, run.Dir, nil); err != nil {
		t.Fatalf("Archive = %v", err)
	}
	f := forger{t: t, client: srv.Client(), bucket: lockedBucket, prefix: prefix, run: run}
	f.put("audit.md", []byte("# all clear\n"))
	f.put("audit.md", run.Files["audit.md"]) // the current version is right again
	f.rewrite("evidence/222222222222.csv", []byte("user,arn\n"))

	// A store that repeats a page makes verify fail, not loop.
	restore := archive.SetVersionPageSize(1)
	_, err := a.Verify(ctx, archive.Latest)
	restore()
	if err != nil && !strings.Contains(err.Error(), "answered the same page again") {
		t.Errorf("page size 1: Verify = %v, want success or the repeated page named", err)
	}

	for _, size := range []int32{2, 3, 5} {
		restore := archive.SetVersionPageSize(size)
		v, err := a.Verify(ctx, archive.Latest)
		restore()
		if err != nil {
			t.Fatalf("page size %d: Verify = %v", size, err)
		}
		want := []string{"audit.md", "evidence/222222222222.csv", runfolder.ManifestName}
		if got := v.Tampered(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("page size %d: Tampered() = %q, want %q; problems:\n%s", size, got, want, strings.Join(v.Problems(), "\n"))
		}
		if len(v.Objects) != len(run.Files)+1 {
			t.Errorf("page size %d: %d objects checked, want %d", size, len(v.Objects), len(run.Files)+1)
		}
		for _, o := range v.Objects {
			if o.Path == "audit.md" && len(o.Versions) != 3 {
				t.Errorf("page size %d: audit.md has %d versions, want 3", size, len(o.Versions))
			}
		}
	}
}

// TestVerifyHostileManifest: entries of a manifest written by someone
// else that leave the run are refused, never requested.
func TestVerifyHostileManifest(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	run := runFolder{ID: "20261101T060000Z"}
	run.AsOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	f := forger{t: t, client: srv.Client(), bucket: lockedBucket, prefix: prefix, run: run}
	secret := []byte("not part of any run\n")
	// An object outside the run that a naive verifier would reach.
	key := prefix + "/secret.txt"
	if _, err := srv.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(lockedBucket), Key: aws.String(key), Body: bytes.NewReader(secret)}); err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(runfolder.Manifest{RunID: run.ID, AsOf: run.AsOf, Files: []runfolder.ManifestFile{
		entry("../../../secret.txt", secret), entry("/etc/passwd", secret), entry("evidence/./x.csv", secret),
	}})
	f.put(runfolder.ManifestName, doc)

	v, err := openArchiver(t, s3Config(srv, lockedBucket, prefix), t.TempDir()).Verify(ctx, run.ID)
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	problems := strings.Join(v.Problems(), "\n")
	for _, want := range []string{`../../../secret.txt: refused: manifest entry "../../../secret.txt"`, "/etc/passwd: refused", "evidence/./x.csv: refused"} {
		if !strings.Contains(problems, want) {
			t.Errorf("Verify problems:\n%s\nwant one containing %q", problems, want)
		}
	}
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "secret.txt") && r.Method != "PUT" {
			t.Errorf("Verify read %s, outside the run", r.Path)
		}
	}
}
