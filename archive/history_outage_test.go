package archive_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/compare"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/result"
)

// TestHistoryOutageReadingFindings: S3 lists the runs, then answers the
// download of the previous run's findings.json with 503 after every
// retry. History, as the runner builds it (the archive, then the local
// run folders), reads the run's local copy, checked against the archived
// manifest, and the finding keeps its first_seen; without a local copy
// (pruned, another host) Baselines fails naming the run and the outage,
// instead of passing the run over and reporting every finding as new. A
// findings.json tampered with in the archive is still passed over.
func TestHistoryOutageReadingFindings(t *testing.T) {
	srv := startS3(t)
	march := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		bucket string
		// local: the local run folders keep the runs (else an empty root).
		local bool
		// tamper, on the unversioned bucket, rewrites the archived
		// findings.json of run 2 instead of an outage.
		tamper  bool
		wantRun string // the previous run; "" = Baselines fails
		wantLog string
	}{
		{name: "outage, local copy read", bucket: lockedBucket, local: true, wantRun: "20261001T060000Z",
			wantLog: "S3 request failed; retrying"},
		{name: "outage, local copy read (unversioned bucket)", bucket: plainBucket, local: true, wantRun: "20261001T060000Z"},
		{name: "outage, no local copy", bucket: lockedBucket},
		{name: "outage, no local copy (unversioned bucket)", bucket: plainBucket},
		{name: "tampered, no outage: passed over", bucket: plainBucket, local: false, tamper: true, wantRun: "20260901T060000Z",
			wantLog: "does not match its manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := testPrefix(t)
			out := t.TempDir()
			c := s3Config(srv, tt.bucket, prefix)
			run1 := writeRunDoc(t, out, findingsRun(t, "20260901T060000Z", map[string]time.Time{"alice": march}))
			run2 := writeRunDoc(t, out, findingsRun(t, "20261001T060000Z", map[string]time.Time{"alice": march}))
			archiveRuns(t, c, out, run1, run2)

			key := runKey(prefix, run2, "findings.json")
			if tt.tamper {
				putRaw(t, srv, tt.bucket, key, bytes.ReplaceAll(run2.Files["findings.json"], []byte("2026-03-01"), []byte("2026-09-30")))
			} else {
				srv.Refuse(func(r *http.Request) bool {
					return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+key)
				})
				defer srv.Refuse(nil)
			}
			root := t.TempDir()
			if tt.local {
				root = out
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			store := &history.Union{Stores: []history.Store{
				archive.History{Archiver: openArchiverLog(t, c, t.TempDir(), log)}, history.Local{Root: root}}}
			next := findingsRun(t, "20261101T060000Z", map[string]time.Time{"alice": {}})
			earlier, err := history.Baselines(ctx, store, log, next.Run.AsOf, next.Run.ID, history.Need{Accounts: map[string]bool{"111111111111": true}}, t.TempDir())
			for _, f := range earlier {
				defer f.Close()
			}
			if tt.wantRun == "" {
				if err == nil || !history.Unavailable(err) || len(earlier) != 0 ||
					!strings.Contains(err.Error(), "earlier run "+run2.ID) || !strings.Contains(err.Error(), "503") {
					t.Fatalf("Baselines = %d runs, %v; want an outage naming run %s and the 503; log:\n%s", len(earlier), err, run2.ID, logs.String())
				}
				return
			}
			if err != nil || len(earlier) != 1 || earlier[0].RunID != tt.wantRun {
				t.Fatalf("Baselines = %d runs, %v; want run %s; log:\n%s", len(earlier), err, tt.wantRun, logs.String())
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
			rd, err := earlier[0].Reader()
			if err != nil {
				t.Fatal(err)
			}
			if err := compare.Runs(next, rd); err != nil {
				t.Fatal(err)
			}
			for _, fd := range next.Findings.(result.Findings) {
				if fd.Status != audit.StatusPersisting || !fd.FirstSeen.Equal(march) {
					t.Errorf("%s: %s first seen %s, want persisting first seen %s", fd.Principal, fd.Status, fd.FirstSeen.Format(time.DateOnly), march.Format(time.DateOnly))
				}
			}
		})
	}
}

// TestHistoryOutageLocalCopyTampered: during an outage, a local copy
// that does not match the archived manifest is not read, and the outage
// is still the error: the archived run may be sound.
func TestHistoryOutageLocalCopyTampered(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	out := t.TempDir()
	c := s3Config(srv, lockedBucket, prefix)
	run := writeRunDoc(t, out, findingsRun(t, "20261001T060000Z", map[string]time.Time{"alice": time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)}))
	archiveRuns(t, c, out, run)
	if err := os.WriteFile(filepath.Join(run.Dir, "findings.json"), []byte(`{"run":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	key := runKey(prefix, run, "findings.json")
	srv.Refuse(func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+key)
	})
	defer srv.Refuse(nil)
	store := &history.Union{Stores: []history.Store{archive.History{Archiver: openArchiver(t, c, t.TempDir())}, history.Local{Root: out}}}
	log := slog.New(slog.DiscardHandler)
	earlier, err := history.Baselines(ctx, store, log, time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), "20261101T060000Z",
		history.Need{Accounts: map[string]bool{"111111111111": true}}, t.TempDir())
	for _, f := range earlier {
		f.Close()
	}
	if err == nil || !history.Unavailable(err) || !strings.Contains(err.Error(), "does not match its manifest") {
		t.Fatalf("Baselines = %d runs, %v; want the outage and the local copy's mismatch", len(earlier), err)
	}
}
