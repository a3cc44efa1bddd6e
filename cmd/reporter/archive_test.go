package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/s3test"
)

// archiveEnv starts versitygw with a bucket "locked" (Object Lock) and a
// bucket "plain", points the SDK's default chain at it, and makes the
// archive give up at the first failure.
func archiveEnv(t *testing.T) *s3test.Server {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "locked", true)
	srv.CreateBucket(t, "plain", false)
	srv.Env(t)
	saved := archiveRetry
	archiveRetry = archive.Retry{Attempts: 1}
	t.Cleanup(func() { archiveRetry = saved })
	return srv
}

// cli runs the reporter with args and returns its exit status and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestArchiveCommands(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	s3flags := []string{"--bucket", "locked", "--prefix", "audits", "--s3-endpoint", srv.URL, "--s3-path-style"}
	runArgs := append([]string{"run", "--source", "sample", "--out", out, "--object-lock-mode", "COMPLIANCE", "--retain-days", "1"}, s3flags...)
	for _, asOf := range []string{"2026-10-01", "2026-11-01T06:00:00Z"} {
		if code, stdout, stderr := cli(t, append(runArgs, "--as-of", asOf)...); code != exitOK {
			t.Fatalf("reporter run --as-of %s = %d, want %d\nstdout:\n%s\nstderr:\n%s", asOf, code, exitOK, stdout, stderr)
		}
	}
	local := filepath.Join(out, "2026", "11", "20261101T060000Z")
	to := t.TempDir()

	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout []string
		wantStderr string
	}{
		{name: "list", args: []string{"list"}, wantStdout: []string{"20261101T060000Z", "2026-11-01T06:00:00Z", "5/5 (100%)", "20261001T000000Z", "complete"}},
		{name: "list since", args: []string{"list", "--since", "2026-11"}, wantStdout: []string{"20261101T060000Z"}},
		{name: "list json", args: []string{"list", "--json"}, wantStdout: []string{`"run_id": "20261101T060000Z"`, `"accounts_audited": 5`}},
		{name: "list bad since", args: []string{"list", "--since", "November"}, want: exitUsage, wantStderr: "--since"},
		{name: "verify latest", args: []string{"verify", "latest"}, wantStdout: []string{"Run 20261101T060000Z", "Retention: COMPLIANCE", "Verified: "}},
		{name: "verify by ID, flags after", args: []string{"verify", "20261001T000000Z", "--json"}, wantStdout: []string{`"lock_mode": "COMPLIANCE"`}},
		{name: "verify unknown run", args: []string{"verify", "20250101T000000Z"}, want: exitFatal, wantStderr: "run not found"},
		{name: "get", args: []string{"get", "20261101T060000Z", "--to", to}, wantStdout: []string{"Downloaded to " + filepath.Join(to, "20261101T060000Z")}},
		{name: "get without --to", args: []string{"get", "latest"}, want: exitUsage, wantStderr: "--to DIR is required"},
		{name: "url", args: []string{"url", "latest", "--expires", "2d"}, wantStdout: []string{"audit.xlsx", "X-Amz-Expires=172800"}},
		{name: "url too long", args: []string{"url", "latest", "--expires", "8d"}, want: exitUsage, wantStderr: "at most 7d"},
		{name: "url unknown file", args: []string{"url", "latest", "--file", "nope.txt"}, want: exitFatal, wantStderr: "no file"},
		{name: "flush empty", args: []string{"flush", "--out", out}, wantStdout: []string{"Nothing to upload"}},
		{name: "no bucket", args: []string{"list"}, want: exitUsage, wantStderr: "no bucket"},
		{name: "missing run ID", args: []string{"verify"}, want: exitUsage, wantStderr: "want 1 argument"},
		{name: "unknown command", args: []string{"frob"}, want: exitUsage, wantStderr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"archive"}, tt.args...)
			if tt.name != "no bucket" && tt.name != "unknown command" {
				args = append(args, s3flags...)
			}
			code, stdout, stderr := cli(t, args...)
			if code != tt.want {
				t.Fatalf("reporter %s = %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, tt.want, stdout, stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("reporter %s stdout:\n%s\nwant it to contain %q", strings.Join(tt.args, " "), stdout, want)
				}
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("reporter %s stderr:\n%s\nwant it to contain %q", strings.Join(tt.args, " "), stderr, tt.wantStderr)
			}
		})
	}

	t.Run("downloaded run is the local run", func(t *testing.T) {
		for _, name := range []string{"manifest.json", "audit.xlsx", "findings.json", "evidence/111111111111.csv"} {
			want, _ := os.ReadFile(filepath.Join(local, name))
			got, err := os.ReadFile(filepath.Join(to, "20261101T060000Z", name))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("downloaded %s differs from the local run (%v)", name, err)
			}
		}
	})

	t.Run("presigned link serves the workbook", func(t *testing.T) {
		code, stdout, stderr := cli(t, append([]string{"archive", "url", "20261101T060000Z", "--file", "audit.xlsx"}, s3flags...)...)
		if code != exitOK {
			t.Fatalf("archive url = %d: %s", code, stderr)
		}
		resp, err := http.Get(strings.TrimSpace(stdout))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want, _ := os.ReadFile(filepath.Join(local, "audit.xlsx"))
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("GET presigned audit.xlsx = %d, %d bytes; want 200 and the %d bytes of the run", resp.StatusCode, len(got), len(want))
		}
	})

	t.Run("verify catches a tampered object", func(t *testing.T) {
		if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("locked"), Key: aws.String("audits/2026/11/20261101T060000Z/audit.md"), Body: strings.NewReader("# all clear\n"),
		}); err != nil {
			t.Fatal(err)
		}
		code, stdout, _ := cli(t, append([]string{"archive", "verify", "latest"}, s3flags...)...)
		if code != exitVerifyFailed || !strings.Contains(stdout, "audit.md: tampered: version ") {
			t.Errorf("archive verify after tampering = %d, want %d\n%s", code, exitVerifyFailed, stdout)
		}
	})
}

func TestRunSpoolsWhileS3IsDown(t *testing.T) {
	srv := archiveEnv(t)
	out := t.TempDir()
	live := []string{"--bucket", "plain", "--s3-endpoint", srv.URL, "--s3-path-style"}
	dead := []string{"--bucket", "plain", "--s3-endpoint", "http://127.0.0.1:1", "--s3-path-style"}
	sample := []string{"run", "--source", "sample", "--out", out}

	code, stdout, stderr := cli(t, append(append(sample, "--as-of", "2026-09-01"), dead...)...)
	if code != exitDelivery || !strings.Contains(stdout, "DELIVERY FAILED") || !strings.Contains(stdout, "waits in the spool") {
		t.Fatalf("reporter run with S3 down = %d, want %d and the spool named\nstdout:\n%s\nstderr:\n%s", code, exitDelivery, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, ".spool", "2026", "09", "20260901T000000Z", "manifest.json")); err != nil {
		t.Fatalf("run not in the spool: %v", err)
	}

	// With S3 still down, flush fails and keeps the run.
	if code, stdout, _ := cli(t, append([]string{"archive", "flush", "--out", out}, dead...)...); code != exitDelivery || !strings.Contains(stdout, "STILL IN THE SPOOL 20260901T000000Z") {
		t.Errorf("archive flush with S3 down = %d, want %d\n%s", code, exitDelivery, stdout)
	}

	// The next run, with S3 back, uploads the spooled run first.
	code, stdout, stderr = cli(t, append(append(sample, "--as-of", "2026-10-01"), live...)...)
	if code != exitOK {
		t.Fatalf("reporter run with S3 back = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "earlier run archived from the spool") {
		t.Errorf("reporter run stderr does not report the spooled run archived:\n%s", stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(out, ".spool")); len(entries) != 0 {
		t.Errorf("spool after the runs = %v, want empty", entries)
	}
	code, stdout, _ = cli(t, append([]string{"archive", "list"}, live...)...)
	if code != exitOK || !strings.Contains(stdout, "20260901T000000Z") || !strings.Contains(stdout, "20261001T000000Z") {
		t.Errorf("archive list = %d, want both runs\n%s", code, stdout)
	}
}

func TestRunArchiveConfig(t *testing.T) {
	srv := archiveEnv(t)
	tests := []struct {
		name       string
		yaml       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{
			name: "config file",
			yaml: "s3:\n  bucket: plain\n  prefix: from-config\n  endpoint: " + srv.URL + "\n  path_style: true\n  presign_expiry: 1d\n",
			want: exitOK,
		},
		{
			name: "bucket without Object Lock",
			args: []string{"--bucket", "plain", "--s3-endpoint", srv.URL, "--s3-path-style", "--object-lock-mode", "COMPLIANCE", "--retain-days", "30"},
			want: exitDelivery, wantStdout: `needs Object Lock on bucket "plain"`,
		},
		{
			name: "bad lock mode",
			args: []string{"--bucket", "plain", "--object-lock-mode", "forever", "--retain-days", "30"},
			want: exitUsage, wantStderr: "GOVERNANCE or COMPLIANCE",
		},
		{
			name: "unknown s3 key",
			yaml: "s3:\n  bukket: plain\n",
			want: exitUsage, wantStderr: "bukket",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"run", "--source", "sample", "--out", t.TempDir()}
			if tt.yaml != "" {
				path := filepath.Join(t.TempDir(), "reporter.yaml")
				if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", path)
			}
			code, stdout, stderr := cli(t, append(args, tt.args...)...)
			if code != tt.want || !strings.Contains(stdout, tt.wantStdout) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("reporter %s = %d, want %d with stdout containing %q and stderr %q\nstdout:\n%s\nstderr:\n%s",
					strings.Join(args, " "), code, tt.want, tt.wantStdout, tt.wantStderr, stdout, stderr)
			}
		})
	}
	code, stdout, _ := cli(t, "archive", "list", "--bucket", "plain", "--prefix", "from-config", "--s3-endpoint", srv.URL, "--s3-path-style")
	if code != exitOK || !strings.Contains(stdout, "20261101T060000Z") {
		t.Errorf("archive list of the config file's prefix = %d\n%s", code, stdout)
	}
}

// TestRunRefusedWhileAnotherReporterHoldsTheArchive: two reporters
// sharing a bucket never audit at once.
func TestRunRefusedWhileAnotherReporterHoldsTheArchive(t *testing.T) {
	srv := archiveEnv(t)
	cfg := config.DefaultS3()
	cfg.Bucket, cfg.Endpoint, cfg.PathStyle, cfg.Region = "plain", srv.URL, true, s3test.Region
	other, err := archive.Open(context.Background(), cfg, archive.Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := other.Lock(context.Background(), "other-host pid 42", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--source", "sample", "--out", t.TempDir(), "--bucket", "plain", "--s3-endpoint", srv.URL, "--s3-path-style"}
	code, _, stderr := cli(t, args...)
	if code != exitFatal || !strings.Contains(stderr, "another reporter is running an audit") || !strings.Contains(stderr, "other-host pid 42") {
		t.Fatalf("reporter run while locked = %d, want %d naming the holder\n%s", code, exitFatal, stderr)
	}
	if err := lock.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, args...); code != exitOK {
		t.Fatalf("reporter run after release = %d\n%s", code, stderr)
	}
}

// TestExceptionsFromS3 reads the accepted risks from an S3 object.
func TestExceptionsFromS3(t *testing.T) {
	srv := archiveEnv(t)
	doc := "exceptions:\n  - account: \"222222222222\"\n    principal: deploy-*\n    check: access-key-not-rotated\n    reason: vendor integration\n    owner: platform@example.com\n    approved_by: ciso@example.com\n    expires: 2027-01-31\n"
	if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("plain"), Key: aws.String("config/exceptions.yaml"), Body: strings.NewReader(doc),
	}); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--source", "sample", "--out", t.TempDir(), "--s3-endpoint", srv.URL, "--s3-path-style"}
	code, stdout, stderr := cli(t, append(base, "--exceptions", "s3://plain/config/exceptions.yaml")...)
	if code != exitOK || !strings.Contains(stdout, "1 excepted") {
		t.Fatalf("run with exceptions in S3 = %d, want 0 and 1 excepted finding\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, _, stderr = cli(t, append(base, "--exceptions", "s3://plain/config/missing.yaml")...)
	if code != exitUsage || !strings.Contains(stderr, "s3://plain/config/missing.yaml") {
		t.Errorf("run with a missing exceptions object = %d, want 2 naming it\n%s", code, stderr)
	}
}
