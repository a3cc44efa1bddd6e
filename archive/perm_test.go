//go:build unix

package archive_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reporter-dev/reporter/internal/perm/permtest"
)

// TestWrittenModes: the spool (its folder, each run's copy) and the
// folder `archive get` downloads to are 0750, their files 0640, under
// the usual umask 022.
func TestWrittenModes(t *testing.T) {
	permtest.Umask(t)
	srv := startS3(t)
	ctx := context.Background()
	out := t.TempDir()
	r := writeRun(t, out, "20261001T060000Z")

	t.Run("spool", func(t *testing.T) {
		c := s3Config(srv, plainBucket, testPrefix(t))
		c.Endpoint = "http://127.0.0.1:1"
		c.SpoolDir = filepath.Join(t.TempDir(), "spool")
		if _, err := openArchiver(t, c, out).Archive(ctx, r.Dir, nil); err == nil {
			t.Fatal("Archive to an unreachable endpoint succeeded")
		}
		if n := permtest.Check(t, c.SpoolDir); n != len(r.Files)+1 {
			t.Errorf("the spool holds %d files, want the run's %d and its manifest", n, len(r.Files))
		}
	})

	t.Run("archive get", func(t *testing.T) {
		a := openArchiver(t, s3Config(srv, plainBucket, testPrefix(t)), out)
		if _, err := a.Archive(ctx, r.Dir, nil); err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(t.TempDir(), "downloads")
		if _, err := a.Download(ctx, r.ID, to); err != nil {
			t.Fatal(err)
		}
		if n := permtest.Check(t, to); n != len(r.Files)+1 {
			t.Errorf("downloaded %d files, want the run's %d and its manifest", n, len(r.Files))
		}
	})
}
