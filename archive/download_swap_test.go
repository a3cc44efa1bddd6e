package archive_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/internal/s3test"
)

// backendClient is a client of versitygw itself, past the relay: a
// forger acting from inside the relay's hook (which runs one request at
// a time) must not go through the relay again.
func backendClient(srv *s3test.Server) *s3.Client {
	return s3.New(s3.Options{
		Region: s3test.Region, BaseEndpoint: aws.String(srv.BackendURL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, ""), RetryMaxAttempts: 1,
	})
}

// TestDownloadManifestSwapped: on an unversioned bucket, `archive get`
// checks the files against the manifest it read first. When manifest.json
// is replaced while the files are downloaded, by another manifest of the
// same run (it parses and names the run, so only its bytes tell), the
// download fails and writes nothing, rather than pair the checked files
// with a manifest they were not checked against. A manifest rewritten
// with the same bytes (a retried upload) is no change.
func TestDownloadManifestSwapped(t *testing.T) {
	srv := startS3(t)
	tests := []struct {
		name string
		// swap returns what the forger writes as manifest.json once
		// findings.json is being downloaded (nil: nothing).
		swap    func(genuine []byte) []byte
		wantErr string
	}{
		{name: "untouched"},
		{name: "rewritten with the same bytes", swap: func(genuine []byte) []byte { return genuine }},
		{name: "swapped for another manifest of the run", wantErr: "changed while downloading",
			swap: func(genuine []byte) []byte {
				m, err := runfolder.ParseManifest(genuine)
				if err != nil {
					t.Fatal(err)
				}
				m.Version = "forged"
				dir := t.TempDir()
				if err := runfolder.WriteManifest(dir, m); err != nil {
					t.Fatal(err)
				}
				data, err := os.ReadFile(filepath.Join(dir, runfolder.ManifestName))
				if err != nil || bytes.Equal(data, genuine) {
					t.Fatalf("forged manifest: %v (or the same bytes)", err)
				}
				return data
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := testPrefix(t)
			out := t.TempDir()
			c := s3Config(srv, plainBucket, prefix)
			run := writeRun(t, out, "20261001T060000Z")
			archiveRuns(t, c, out, run)
			genuine, err := os.ReadFile(filepath.Join(run.Dir, runfolder.ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			if tt.swap != nil {
				swapped := tt.swap(genuine)
				f := forger{t: t, client: backendClient(srv), bucket: plainBucket, prefix: prefix, run: run}
				findings := runKey(prefix, run, "findings.json")
				var once sync.Once
				srv.Refuse(func(r *http.Request) bool {
					if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+findings) {
						once.Do(func() { f.put(runfolder.ManifestName, swapped) })
					}
					return false
				})
				defer srv.Refuse(nil)
			}
			to := t.TempDir()
			dir, err := openArchiver(t, c, t.TempDir()).Download(ctx, run.ID, to)
			if tt.wantErr != "" {
				entries, _ := os.ReadDir(to)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(entries) != 0 {
					t.Fatalf("Download = %q, %v, leaving %d entries; want %q and nothing written", dir, err, len(entries), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Download = %v", err)
			}
			got, err := os.ReadFile(filepath.Join(dir, runfolder.ManifestName))
			if err != nil || !bytes.Equal(got, genuine) {
				t.Errorf("downloaded manifest.json differs from the archived one (%v)", err)
			}
			if problems, err := runfolder.VerifyDir(dir); err != nil || len(problems) > 0 {
				t.Errorf("VerifyDir(%s) = %v, %v", dir, problems, err)
			}
		})
	}
}
