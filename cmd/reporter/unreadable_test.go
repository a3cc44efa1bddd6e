package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// TestArchiveWithPlantedManifest: someone with write access to the bucket
// PUTs "not json" as the manifest.json of two made-up runs, one newer than
// every run and one between two audits. `archive list` still lists every
// run and marks the planted ones UNREADABLE, `verify latest` checks the
// newest genuine run, `verify` of a planted run exits 5, and the next
// audit, with no local history, still takes its previous run from the
// archive: its findings persist with their first_seen.
func TestArchiveWithPlantedManifest(t *testing.T) {
	srv := archiveEnv(t)
	s3flags := []string{"--bucket", "locked", "--prefix", "planted", "--s3-endpoint", srv.URL, "--s3-path-style"}
	if code, stdout, stderr := cli(t, append([]string{"run", "--source", "sample", "--out", t.TempDir(), "--as-of", "2026-11-01"}, s3flags...)...); code != exitOK {
		t.Fatalf("reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, key := range []string{"planted/2026/12/20261201T000000Z/manifest.json", "planted/2026/11/20261101T120000Z/manifest.json"} {
		if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("locked"), Key: aws.String(key), Body: strings.NewReader("not json"),
		}); err != nil {
			t.Fatalf("forger: PutObject %s = %v", key, err)
		}
	}

	code, stdout, stderr := cli(t, append([]string{"archive", "list"}, s3flags...)...)
	if code != exitOK {
		t.Fatalf("archive list = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "20261201T000000Z") || !strings.Contains(lines[1], "UNREADABLE: manifest.json") ||
		!strings.HasPrefix(lines[2], "20261101T120000Z") || !strings.Contains(lines[2], "UNREADABLE: manifest.json") ||
		!strings.HasPrefix(lines[3], "20261101T000000Z") || !strings.HasSuffix(lines[3], "complete") {
		t.Errorf("archive list:\n%s\nwant the two planted runs UNREADABLE and the genuine one complete", stdout)
	}
	if code, stdout, _ := cli(t, append([]string{"archive", "list", "--json"}, s3flags...)...); code != exitOK || strings.Count(stdout, `"unreadable"`) != 2 {
		t.Errorf("archive list --json = %d:\n%s\nwant two runs with unreadable", code, stdout)
	}

	if code, stdout, stderr := cli(t, append([]string{"archive", "verify", "latest"}, s3flags...)...); code != exitOK || !strings.Contains(stdout, "Run 20261101T000000Z ") {
		t.Errorf("archive verify latest = %d, want %d for run 20261101T000000Z\nstdout:\n%s\nstderr:\n%s", code, exitOK, stdout, stderr)
	}
	if code, stdout, stderr := cli(t, append([]string{"archive", "verify", "20261201T000000Z"}, s3flags...)...); code != exitVerifyFailed || !strings.Contains(stdout, "manifest.json: ") {
		t.Errorf("archive verify of the planted run = %d, want %d naming manifest.json\nstdout:\n%s\nstderr:\n%s", code, exitVerifyFailed, stdout, stderr)
	}

	out := t.TempDir() // no local history: the previous run comes from the archive
	if code, stdout, stderr := cli(t, append([]string{"run", "--source", "sample", "--out", out, "--as-of", "2026-11-02"}, s3flags...)...); code != exitOK {
		t.Fatalf("second reporter run = %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	f, err := os.Open(filepath.Join(out, "2026", "11", "20261102T000000Z", "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := jsonfile.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	persisting := 0
	for _, fd := range run.Findings.(result.Findings) {
		if fd.Status == audit.StatusPersisting && fd.FirstSeen.Equal(first) {
			persisting++
		} else if fd.Status == audit.StatusNew {
			t.Errorf("%s %s %s: new in the second run, want persisting since %s", fd.AccountID, fd.Principal, fd.Check, first.Format(time.DateOnly))
		}
	}
	if persisting == 0 {
		t.Errorf("no finding persists from the run of 2026-11-01; findings: %d", run.Findings.Len())
	}
}
