package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/reporter-dev/reporter/internal/runfolder"
)

// TestArchiveVerifyCatchesForger: someone with write access to the bucket
// rewrites an account's evidence and the manifest consistently, with
// valid checksums, through the plain S3 API. The current objects agree
// with each other; verify must still fail and name both.
func TestArchiveVerifyCatchesForger(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	s3flags := []string{"--bucket", "locked", "--prefix", "audits", "--s3-endpoint", srv.URL, "--s3-path-style"}
	if code, stdout, stderr := cli(t, append([]string{"run", "--source", "sample", "--out", out, "--as-of", "2026-11-01",
		"--object-lock-mode", "COMPLIANCE", "--retain-days", "1"}, s3flags...)...); code != exitOK {
		t.Fatalf("reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	local := filepath.Join(out, "2026", "11", "20261101T000000Z")
	m, err := runfolder.ReadManifest(local)
	if err != nil {
		t.Fatal(err)
	}
	var evidence string
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "evidence/") && strings.HasSuffix(f.Path, ".csv") {
			evidence = f.Path
			break
		}
	}
	if evidence == "" {
		t.Fatalf("the sample run has no evidence CSV: %+v", m.Files)
	}

	// The forgery: the evidence without its users, and a manifest to match.
	forged := []byte("user,arn,user_creation_time,password_enabled\n")
	sum := sha256.Sum256(forged)
	for i := range m.Files {
		if m.Files[i].Path == evidence {
			m.Files[i].Size, m.Files[i].SHA256 = int64(len(forged)), hex.EncodeToString(sum[:])
		}
	}
	doc, _ := json.MarshalIndent(m, "", "  ")
	for path, data := range map[string][]byte{evidence: forged, runfolder.ManifestName: doc} {
		s := sha256.Sum256(data)
		if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("locked"), Key: aws.String("audits/2026/11/20261101T000000Z/" + path), Body: bytes.NewReader(data),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(s[:])),
		}); err != nil {
			t.Fatalf("forger: PutObject %s = %v", path, err)
		}
	}

	for _, id := range []string{"20261101T000000Z", "latest"} {
		code, stdout, stderr := cli(t, append([]string{"archive", "verify", id}, s3flags...)...)
		if code != exitVerifyFailed {
			t.Fatalf("archive verify %s after a consistent forgery = %d, want %d\nstdout:\n%s\nstderr:\n%s", id, code, exitVerifyFailed, stdout, stderr)
		}
		for _, want := range []string{
			"TAMPERED: changed or deleted after the run was archived: " + evidence + ", manifest.json",
			evidence + ": tampered: version ",
			"manifest.json: tampered: version ",
			"it is the current version",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("archive verify %s stdout:\n%s\nwant it to contain %q", id, stdout, want)
			}
		}
	}

	// What the auditor fetches is the run as archived, not the forgery.
	to := t.TempDir()
	if code, stdout, stderr := cli(t, append([]string{"archive", "get", "20261101T000000Z", "--to", to}, s3flags...)...); code != exitOK {
		t.Fatalf("archive get = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, path := range []string{evidence, runfolder.ManifestName} {
		want, _ := os.ReadFile(filepath.Join(local, filepath.FromSlash(path)))
		got, err := os.ReadFile(filepath.Join(to, "20261101T000000Z", filepath.FromSlash(path)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("archive get: %s is not the archived version (%v)", path, err)
		}
	}
}

func TestArchiveVerifyNeedsRetentionWhenLockIsConfigured(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	s3flags := []string{"--bucket", "locked", "--s3-endpoint", srv.URL, "--s3-path-style"}
	if code, stdout, stderr := cli(t, append([]string{"run", "--source", "sample", "--out", out, "--as-of", "2026-11-01"}, s3flags...)...); code != exitOK {
		t.Fatalf("reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ := cli(t, append([]string{"archive", "verify", "latest"}, s3flags...)...)
	if code != exitOK {
		t.Fatalf("archive verify without object_lock_mode = %d, want %d\n%s", code, exitOK, stdout)
	}
	code, stdout, _ = cli(t, append([]string{"archive", "verify", "latest", "--object-lock-mode", "GOVERNANCE", "--retain-days", "1"}, s3flags...)...)
	if code != exitVerifyFailed || !strings.Contains(stdout, "manifest.json: no Object Lock retention, although s3.object_lock_mode GOVERNANCE is configured") {
		t.Errorf("archive verify with object_lock_mode and unlocked objects = %d, want %d and the objects named\n%s", code, exitVerifyFailed, stdout)
	}
}

func TestArchiveVerifyUnversionedBucket(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	s3flags := []string{"--bucket", "plain", "--s3-endpoint", srv.URL, "--s3-path-style"}
	if code, stdout, stderr := cli(t, append([]string{"run", "--source", "sample", "--out", out, "--as-of", "2026-11-01"}, s3flags...)...); code != exitOK {
		t.Fatalf("reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ := cli(t, append([]string{"archive", "verify", "latest"}, s3flags...)...)
	if code != exitOK || !strings.Contains(stdout, "WARNING: bucket plain is not versioned: a rewrite of the whole run (objects and manifest.json replaced consistently) cannot be detected on it") {
		t.Errorf("archive verify on an unversioned bucket = %d, want %d and the warning\n%s", code, exitOK, stdout)
	}
}

func TestVerifyCommand(t *testing.T) {
	tests := []struct {
		name       string
		tamper     func(t *testing.T, dir string)
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{name: "intact", tamper: func(*testing.T, string) {}, wantStdout: "Verified: "},
		{name: "json", tamper: func(*testing.T, string) {}, args: []string{"--json"}, wantStdout: `"manifest_sha256": "`},
		{
			name: "altered", want: exitVerifyFailed, wantStdout: "findings.json: size 2 sha256 ",
			tamper: func(t *testing.T, dir string) { writeFileAt(t, filepath.Join(dir, "findings.json"), "{}") },
		},
		{
			name: "missing", want: exitVerifyFailed, wantStdout: "audit.xlsx: missing",
			tamper: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "audit.xlsx")) },
		},
		{
			name: "extra", want: exitVerifyFailed, wantStdout: "evidence/notes.txt: not in the manifest",
			tamper: func(t *testing.T, dir string) { writeFileAt(t, filepath.Join(dir, "evidence", "notes.txt"), "x") },
		},
		{
			name: "hostile manifest", want: exitVerifyFailed, wantStdout: `../../../../../etc/passwd: refused`,
			tamper: func(t *testing.T, dir string) {
				m, err := runfolder.ReadManifest(dir)
				if err != nil {
					t.Fatal(err)
				}
				m.Files = append(m.Files, runfolder.ManifestFile{Path: "../../../../../etc/passwd", Size: 1, SHA256: strings.Repeat("0", 64)})
				if err := runfolder.WriteManifest(dir, m); err != nil {
					t.Fatal(err)
				}
			},
		},
		{name: "no folder", tamper: func(t *testing.T, dir string) { os.RemoveAll(dir) }, want: exitFatal, wantStderr: "no such file"},
		{name: "two folders", tamper: func(*testing.T, string) {}, args: []string{"other"}, want: exitUsage, wantStderr: "want one run folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			if code, stdout, stderr := cli(t, "run", "--source", "sample", "--out", out, "--as-of", "2026-11-01"); code != exitOK {
				t.Fatalf("reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			dir := filepath.Join(out, "2026", "11", "20261101T000000Z")
			tt.tamper(t, dir)
			args := append([]string{"verify", dir}, tt.args...)
			code, stdout, stderr := cli(t, args...)
			if code != tt.want {
				t.Fatalf("reporter %s = %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, tt.want, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("reporter %s\nstdout:\n%s\nstderr:\n%s\nwant stdout with %q, stderr with %q", strings.Join(args, " "), stdout, stderr, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

// writeFileAt writes data to path, creating its folder.
func writeFileAt(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
