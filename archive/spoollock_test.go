package archive_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/internal/s3test"
)

// spoolRuns writes run folders with the given IDs under out and leaves
// them in the spool, as runs do while S3 cannot be reached.
func spoolRuns(t *testing.T, c config.S3, out string, ids ...string) []runFolder {
	t.Helper()
	dead := c
	dead.Endpoint = "http://127.0.0.1:1"
	a := openArchiver(t, dead, out)
	var runs []runFolder
	for _, id := range ids {
		r := writeRun(t, out, id)
		if _, err := a.Archive(context.Background(), r.Dir, nil); err == nil {
			t.Fatalf("Archive(%s) to a dead endpoint = nil", id)
		}
		runs = append(runs, r)
	}
	if got := pending(t, a); len(got) != len(ids) {
		t.Fatalf("spool = %v, want %v", got, ids)
	}
	return runs
}

// manifestPuts counts the PUTs of each run's manifest.json.
func manifestPuts(srv *s3test.Server) map[string]int {
	puts := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/"+runfolder.ManifestName) && !r.Refused {
			puts[filepath.Base(filepath.Dir(r.Path))]++
		}
	}
	return puts
}

// TestConcurrentFlushes: two reporters flushing one spool at once (the
// daemon and a manual `archive flush`) upload each run once, report no
// error for a run the other archived, and leave the spool empty.
func TestConcurrentFlushes(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	out := t.TempDir()
	c := s3Config(srv, plainBucket, testPrefix(t))
	ids := []string{"20260901T060000Z", "20261001T060000Z", "20261101T060000Z"}
	spoolRuns(t, c, out, ids...)
	srv.ResetRequests()

	var wg sync.WaitGroup
	results := make([]archive.FlushResult, 2)
	errs := make([]error, 2)
	flushers := []*archive.Archiver{openArchiver(t, c, out), openArchiver(t, c, out)}
	for i, a := range flushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = a.Flush(ctx)
		}()
	}
	wg.Wait()
	var archived []string
	for i := range 2 {
		if errs[i] != nil || len(results[i].Failed) > 0 {
			t.Errorf("flush %d = %+v, %v; want no error", i, results[i], errs[i])
		}
		for _, loc := range results[i].Archived {
			archived = append(archived, filepath.Base(loc.Dir))
		}
	}
	slices.Sort(archived)
	if !slices.Equal(archived, ids) {
		t.Errorf("archived %v between the two flushes, want each of %v once", archived, ids)
	}
	for _, id := range ids {
		if n := manifestPuts(srv)[id]; n != 1 {
			t.Errorf("run %s: manifest.json put %d times, want once", id, n)
		}
	}
	if got := pending(t, openArchiver(t, c, out)); len(got) != 0 {
		t.Errorf("spool = %v, want empty", got)
	}
}

// TestFlushWaitsForAnotherUpload plays the other reporter by holding a
// spool entry's lock: the flush waits for it, then skips the entry the
// other archived, uploads one the other left (its upload failed), or
// gives up when its own time is over.
func TestFlushWaitsForAnotherUpload(t *testing.T) {
	srv := startS3(t)
	tests := []struct {
		name    string
		release func(t *testing.T, entry string, unlock func()) // what the other reporter does
		timeout time.Duration
		puts    int
		wantErr string
	}{
		{name: "the other archived it: skipped", puts: 0,
			release: func(t *testing.T, entry string, unlock func()) {
				if err := os.RemoveAll(entry); err != nil {
					t.Fatal(err)
				}
				unlock()
			}},
		{name: "the other failed: uploaded", puts: 1,
			release: func(t *testing.T, entry string, unlock func()) { unlock() }},
		{name: "still held when the flush's time is over", timeout: 150 * time.Millisecond,
			wantErr: "waiting for another reporter's upload: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			c := s3Config(srv, plainBucket, testPrefix(t))
			run := spoolRuns(t, c, out, "20261101T060000Z")[0]
			a := openArchiver(t, c, out)
			entry := filepath.Join(out, ".spool", "2026", "11", run.ID)
			unlock, gone, err := archive.LockSpoolEntry(context.Background(), a, entry)
			if err != nil || gone {
				t.Fatalf("LockSpoolEntry(%s) = %v, gone %t", entry, err, gone)
			}
			defer unlock()
			srv.ResetRequests()

			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			type flushed struct {
				res archive.FlushResult
				err error
			}
			done := make(chan flushed, 1)
			go func() {
				res, err := a.Flush(ctx)
				done <- flushed{res, err}
			}()
			select {
			case f := <-done:
				if tt.release != nil {
					t.Fatalf("Flush returned while another reporter held the entry: %+v, %v", f.res, f.err)
				}
				if f.err == nil || !strings.Contains(f.err.Error(), tt.wantErr) || !errors.Is(f.err, context.DeadlineExceeded) {
					t.Errorf("Flush = %v, want %q", f.err, tt.wantErr)
				}
				if len(f.res.Failed) != 1 {
					t.Errorf("Flush failed %v, want the run left in the spool", f.res.Failed)
				}
				return
			case <-time.After(400 * time.Millisecond):
			}
			tt.release(t, entry, unlock)
			f := <-done
			if f.err != nil || len(f.res.Archived) != tt.puts {
				t.Errorf("Flush = %+v, %v; want %d archived, no error", f.res, f.err, tt.puts)
			}
			if n := manifestPuts(srv)[run.ID]; n != tt.puts {
				t.Errorf("manifest.json put %d times, want %d", n, tt.puts)
			}
		})
	}
}

// TestArchiveAfterAnotherFlush: a run whose spool entry another
// reporter's flush archived and removed while this run waited for it is
// found in S3, and its own upload puts nothing again.
func TestArchiveAfterAnotherFlush(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	out := t.TempDir()
	c := s3Config(srv, plainBucket, testPrefix(t))
	run := spoolRuns(t, c, out, "20261101T060000Z")[0]
	other := openArchiver(t, c, out)
	entry := filepath.Join(out, ".spool", "2026", "11", run.ID)
	unlock, _, err := archive.LockSpoolEntry(ctx, other, entry)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	a := openArchiver(t, c, out)
	go func() {
		_, err := a.Archive(ctx, run.Dir, nil)
		done <- err
	}()
	time.Sleep(400 * time.Millisecond)
	// The other reporter uploads the entry and removes it.
	if _, err := openArchiver(t, c, t.TempDir()).Archive(ctx, entry, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(entry); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	unlock()
	if err := <-done; err != nil {
		t.Fatalf("Archive = %v, want the run found archived", err)
	}
	if n := manifestPuts(srv)[run.ID]; n != 0 {
		t.Errorf("manifest.json put %d more times, want none", n)
	}
}
