package archive_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/s3test"
)

// TestRetryConfiguresTheSDK: archive.Retry is the one retry of an S3
// request, done by the SDK's retryer: a request refused twice succeeds on
// the third of three attempts, a request always refused is tried exactly
// Attempts times (not Attempts times the SDK's own tries), every retry is
// logged and the delays come from Retry.Delay.
func TestRetryConfiguresTheSDK(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	var delays []int
	tests := []struct {
		name      string
		attempts  int
		refuse    int // requests refused before S3 answers again
		wantTries int
		wantErr   bool
	}{
		{"recovers on the last attempt", 3, 2, 3, false},
		{"gives up after Attempts", 2, 1000, 2, true},
		{"one attempt: no retry", 1, 1000, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			run := writeRun(t, out, "20261101T060000Z")
			delays = nil
			var logs bytes.Buffer
			a, err := archive.Open(ctx, s3Config(srv, plainBucket, testPrefix(t)), archive.Options{
				Out:    out,
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				Retry: archive.Retry{Attempts: tt.attempts, Delay: func(n int) time.Duration {
					delays = append(delays, n)
					return time.Millisecond
				}},
				AWS: []func(*awsconfig.LoadOptions) error{
					awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")),
					awsconfig.WithSharedConfigFiles([]string{t.TempDir() + "/none"}),
					awsconfig.WithSharedCredentialsFiles([]string{t.TempDir() + "/none"}),
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			// The first object's upload is refused tt.refuse times.
			key := runKey(testPrefix(t), run, "audit.md")
			refused := 0
			srv.Refuse(func(r *http.Request) bool {
				if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+key) && refused < tt.refuse {
					refused++
					return true
				}
				return false
			})
			t.Cleanup(func() { srv.Refuse(nil) })
			srv.ResetRequests()
			_, err = a.Archive(ctx, run.Dir, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Archive = %v, want error %v", err, tt.wantErr)
			}
			tries := 0
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPut && r.Key(plainBucket) == key {
					tries++
				}
			}
			if tries != tt.wantTries {
				t.Errorf("%d PUTs of %s, want %d", tries, key, tt.wantTries)
			}
			if want := tt.wantTries - 1; strings.Count(logs.String(), "S3 request failed; retrying") != want || len(delays) != want {
				t.Errorf("%d retries logged, %d delays asked (%v); want %d:\n%s",
					strings.Count(logs.String(), "S3 request failed; retrying"), len(delays), delays, want, logs.String())
			}
			for i, n := range delays {
				if n != i+1 {
					t.Errorf("delay %d asked for retry %d, want %d", i, n, i+1)
				}
			}
		})
	}
}
