package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// garbage is a run the forger makes up: a manifest.json under a run
// prefix of its own.
type garbage struct {
	run      runFolder
	manifest []byte
	// reason is part of the run's Unreadable.
	reason string
}

// TestUnreadableManifests: someone with write access to the bucket PUTs
// manifests that are no manifest of their run under new run prefixes,
// one newer than every genuine run and one between the genuine run and
// the next audit. Listing shows the genuine runs and the bad ones as
// UNREADABLE, "latest" is the newest genuine run, the next audit's
// history still finds the genuine previous run (first_seen kept), and
// verify reports each bad run as a problem. On a versioned bucket and on
// an unversioned one.
func TestUnreadableManifests(t *testing.T) {
	srv := startS3(t)
	for _, bucket := range []string{lockedBucket, plainBucket} {
		t.Run(bucket, func(t *testing.T) {
			ctx := context.Background()
			prefix := testPrefix(t)
			out := t.TempDir()
			june := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
			march := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
			older := writeRun(t, out, "20260901T060000Z")
			previous := writeRunDoc(t, out, findingsRun(t, "20261001T060000Z", map[string]time.Time{"alice": june, "bob": march}))
			archiveRuns(t, s3Config(srv, bucket, prefix), out, older, previous)
			genuine, err := os.ReadFile(filepath.Join(previous.Dir, runfolder.ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			at := func(id string) runFolder { return runFolder{ID: id, AsOf: runAsOf(t, id)} }
			// A run ID under a month folder it does not belong to.
			misplaced := runFolder{ID: "20261105T060000Z", AsOf: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
			forged := []garbage{
				{run: at("20261201T000000Z"), manifest: []byte("not json"), reason: "invalid character"},
				{run: at("20261015T060000Z"), manifest: []byte(`{"files":[]}`), reason: "no run_id"},
				{run: at("20261020T060000Z"), manifest: genuine, reason: "names run " + previous.ID + ", not 20261020T060000Z"},
				{run: misplaced, manifest: bytes.Replace(genuine, []byte(previous.ID), []byte(misplaced.ID), 1), reason: "does not belong under"},
			}
			for _, g := range forged {
				forger{t: t, client: srv.Client(), bucket: bucket, prefix: prefix, run: g.run}.put(runfolder.ManifestName, g.manifest)
			}

			t.Run("list", func(t *testing.T) {
				runs, err := openArchiver(t, s3Config(srv, bucket, prefix), t.TempDir()).Runs(ctx, time.Time{})
				if err != nil {
					t.Fatalf("Runs = %v, want the runs listed with the unreadable ones marked", err)
				}
				status := map[string]string{}
				var ids []string
				for _, r := range runs {
					ids = append(ids, r.ID)
					status[r.ID] = r.Status()
				}
				want := []string{"20261201T000000Z", misplaced.ID, "20261020T060000Z", "20261015T060000Z", previous.ID, older.ID}
				if !slices.Equal(ids, want) {
					t.Fatalf("Runs = %q, want %q", ids, want)
				}
				for _, g := range forged {
					if s := status[g.run.ID]; !strings.HasPrefix(s, "UNREADABLE: manifest.json") || !strings.Contains(s, g.reason) {
						t.Errorf("run %s status = %q, want UNREADABLE: manifest.json … %s", g.run.ID, s, g.reason)
					}
				}
				for _, r := range runs[4:] {
					if r.Manifest == nil || r.Unreadable != "" || strings.Contains(r.Status(), "UNREADABLE") {
						t.Errorf("genuine run %s: status %q, manifest read %t", r.ID, r.Status(), r.Manifest != nil)
					}
				}
				if s := status[previous.ID]; s != result.RunComplete {
					t.Errorf("genuine run %s status = %q, want %q", previous.ID, s, result.RunComplete)
				}
				doc, err := json.Marshal(runs)
				if err != nil {
					t.Fatal(err)
				}
				var listed []map[string]any
				if err := json.Unmarshal(doc, &listed); err != nil {
					t.Fatal(err)
				}
				if u, _ := listed[0]["unreadable"].(string); !strings.Contains(u, "invalid character") || listed[0]["manifest"] != nil {
					t.Errorf("JSON of the newest run = %v, want its reason under unreadable and no manifest", listed[0])
				}
				if _, ok := listed[4]["unreadable"]; ok {
					t.Errorf("JSON of the genuine run = %v, want no unreadable", listed[4])
				}
			})

			t.Run("latest", func(t *testing.T) {
				var logs bytes.Buffer
				a := openArchiverLog(t, s3Config(srv, bucket, prefix), t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil)))
				r, err := a.Lookup(ctx, archive.Latest)
				if err != nil {
					t.Fatalf("Lookup(latest) = %v", err)
				}
				if r.ID != previous.ID || r.Manifest == nil || r.Manifest.RunID != previous.ID {
					t.Fatalf("Lookup(latest) = %s, want the newest genuine run %s", r.ID, previous.ID)
				}
				for _, w := range []string{"level=WARN", "run passed over as latest", "key=" + "s3://" + bucket + "/" + runKey(prefix, forged[0].run, runfolder.ManifestName)} {
					if !strings.Contains(logs.String(), w) {
						t.Errorf("log:\n%s\nwant %q", logs.String(), w)
					}
				}
				got, err := a.Findings(ctx, archive.Latest)
				if err != nil {
					t.Fatalf("Findings(latest) = %v", err)
				}
				if got.Run.ID != previous.ID {
					t.Errorf("Findings(latest) = run %s, want %s", got.Run.ID, previous.ID)
				}
				v, err := a.Verify(ctx, archive.Latest)
				if err != nil {
					t.Fatalf("Verify(latest) = %v", err)
				}
				if v.Run.ID != previous.ID || !v.OK() {
					t.Errorf("Verify(latest) = run %s, problems %q; want run %s without problems", v.Run.ID, v.Problems(), previous.ID)
				}
			})

			t.Run("history", func(t *testing.T) {
				logs := checkNextRunKeepsHistory(t, ctx, s3Config(srv, bucket, prefix), previous.ID,
					map[string]time.Time{"alice": june, "bob": march})
				for _, g := range forged {
					key := "s3://" + bucket + "/" + runKey(prefix, g.run, runfolder.ManifestName)
					if !strings.Contains(logs, "archived run passed over: its manifest cannot be read") || !strings.Contains(logs, "key="+key) {
						t.Errorf("log:\n%s\nwant a warning naming %s", logs, key)
					}
				}
			})

			t.Run("verify", func(t *testing.T) {
				a := openArchiver(t, s3Config(srv, bucket, prefix), t.TempDir())
				for _, g := range forged[:3] { // the misplaced one has another key than its ID gives
					v, err := a.Verify(ctx, g.run.ID)
					if err != nil {
						t.Fatalf("Verify(%s) = %v, want a verification with problems", g.run.ID, err)
					}
					problems := strings.Join(v.Problems(), "\n")
					if v.OK() || !strings.Contains(problems, "manifest.json: ") || !strings.Contains(problems, g.reason) {
						t.Errorf("Verify(%s) problems:\n%s\nwant manifest.json … %s", g.run.ID, problems, g.reason)
					}
				}
				if _, err := a.Lookup(ctx, forged[0].run.ID); !errors.Is(err, archive.ErrUnreadable) {
					t.Errorf("Lookup(%s) = %v, want ErrUnreadable", forged[0].run.ID, err)
				}
			})
		})
	}
}

// TestOversizedManifest: a manifest.json larger than the limit is refused
// by its size, never read whole: on a versioned bucket by the size the
// version listing gives, without a download; on an unversioned one by
// the size S3 announces before the body. The run is listed as
// UNREADABLE, and verify reports it.
func TestOversizedManifest(t *testing.T) {
	srv := startS3(t)
	for _, bucket := range []string{lockedBucket, plainBucket} {
		t.Run(bucket, func(t *testing.T) {
			ctx := context.Background()
			prefix := testPrefix(t)
			out := t.TempDir()
			genuine := writeRun(t, out, "20261001T060000Z")
			archiveRuns(t, s3Config(srv, bucket, prefix), out, genuine)
			data, err := os.ReadFile(filepath.Join(genuine.Dir, runfolder.ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			limit := int64(len(data)) + 100
			defer archive.SetManifestLimit(limit)()

			// A valid manifest of its run, padded with spaces past the limit:
			// read whole, it would parse.
			huge := runFolder{ID: "20261101T060000Z", AsOf: runAsOf(t, "20261101T060000Z")}
			doc, _ := json.Marshal(runfolder.Manifest{RunID: huge.ID, AsOf: huge.AsOf})
			doc = append(doc, bytes.Repeat([]byte(" "), int(4*limit))...)
			if _, err := runfolder.ParseManifest(doc); err != nil {
				t.Fatal(err)
			}
			forger{t: t, client: srv.Client(), bucket: bucket, prefix: prefix, run: huge}.put(runfolder.ManifestName, doc)
			key := runKey(prefix, huge, runfolder.ManifestName)

			a := openArchiver(t, s3Config(srv, bucket, prefix), t.TempDir())
			srv.ResetRequests()
			runs, err := a.Runs(ctx, time.Time{})
			if err != nil {
				t.Fatalf("Runs = %v", err)
			}
			if len(runs) != 2 || runs[0].ID != huge.ID || runs[1].ID != genuine.ID || runs[1].Manifest == nil {
				t.Fatalf("Runs = %+v, want %s (unreadable) and %s", runs, huge.ID, genuine.ID)
			}
			if s := runs[0].Status(); !strings.HasPrefix(s, "UNREADABLE: manifest.json") || !strings.Contains(s, fmt.Sprintf("is %d bytes, more than the %d a manifest may have; not read", len(doc), limit)) {
				t.Errorf("status = %q, want UNREADABLE: … not read", s)
			}
			gets := 0
			for _, r := range srv.Requests() {
				if r.Method == http.MethodGet && r.Key(bucket) == key {
					gets++
				}
			}
			if want := map[string]int{lockedBucket: 0, plainBucket: 1}[bucket]; gets != want {
				t.Errorf("%d GETs of the oversized manifest, want %d", gets, want)
			}

			v, err := a.Verify(ctx, huge.ID)
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if problems := strings.Join(v.Problems(), "\n"); v.OK() || !strings.Contains(problems, "manifest.json: ") {
				t.Errorf("Verify problems:\n%s\nwant the oversized manifest.json named", problems)
			}
		})
	}
}

// TestOutageIsNoUnreadableRun: when S3 fails to answer for a run's
// manifest (a 503 after every retry) the listing fails as a whole: an
// outage must not turn runs into unreadable ones and so empty a history.
func TestOutageIsNoUnreadableRun(t *testing.T) {
	srv := startS3(t)
	for _, bucket := range []string{lockedBucket, plainBucket} {
		t.Run(bucket, func(t *testing.T) {
			ctx := context.Background()
			prefix := testPrefix(t)
			out := t.TempDir()
			run := writeRun(t, out, "20261001T060000Z")
			archiveRuns(t, s3Config(srv, bucket, prefix), out, run)
			key := runKey(prefix, run, "")
			srv.Refuse(func(r *http.Request) bool {
				return r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, "/"+key+runfolder.ManifestName) || r.URL.Query().Get("prefix") == key)
			})
			defer srv.Refuse(nil)
			runs, err := openArchiver(t, s3Config(srv, bucket, prefix), t.TempDir()).Runs(ctx, time.Time{})
			if err == nil || errors.Is(err, archive.ErrUnreadable) {
				t.Fatalf("Runs = %+v, %v; want the outage as the error", runs, err)
			}
			if _, err := (archive.History{Archiver: openArchiver(t, s3Config(srv, bucket, prefix), t.TempDir())}).Runs(ctx); err == nil {
				t.Error("History.Runs succeeded during the outage, want its error")
			}
		})
	}
}
