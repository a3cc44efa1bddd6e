package archive_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/jsonfile"
)

// TestPlantedBeforeUpload: run IDs are predictable (the scheduled as-of),
// so someone with s3:PutObject can write under the next run's prefix
// before the reporter archives it. The version the run's upload wrote is
// still the archived one: list, history, get and url read it; verify
// passes it and names every planted version with other content
// ("planted: …", exit 5), and list shows "PLANTED: PATH". A version with
// identical bytes, as a retried upload leaves, is no tampering; written
// without retention where Object Lock is configured, it is that problem.
func TestPlantedBeforeUpload(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const id = "20261001T060000Z" // the run before the one checkNextRunKeepsHistory compares
	tests := []struct {
		name string
		// plant writes under the run's prefix before the upload.
		plant       func(f forger)
		wantPlanted []string
		// wantProblem is a problem verify must find besides the planted.
		wantProblem string
		wantNote    string
	}{
		{
			name: "findings.json with no finding",
			plant: func(f forger) {
				var doc bytes.Buffer
				if err := jsonfile.Write(&doc, findingsRun(f.t, id, map[string]time.Time{})); err != nil {
					f.t.Fatal(err)
				}
				f.put("findings.json", doc.Bytes())
			},
			wantPlanted: []string{"findings.json"},
		},
		{
			// Same size: only the checksum tells it from the run's.
			name: "evidence of the same size, twice",
			plant: func(f forger) {
				data := bytes.Clone(f.run.Files["evidence/222222222222.csv"])
				data[len(data)-2] = 'X'
				f.put("evidence/222222222222.csv", data)
				data[len(data)-2] = 'Y'
				f.put("evidence/222222222222.csv", data)
			},
			wantPlanted: []string{"evidence/222222222222.csv"},
		},
		{
			// Identical bytes are the same content: the oldest version
			// with it is the archived one, and the run's the re-upload.
			name:        "the run's own bytes, without retention",
			plant:       func(f forger) { f.put("findings.json", f.run.Files["findings.json"]) },
			wantProblem: "findings.json: no Object Lock retention, although s3.object_lock_mode COMPLIANCE is configured",
			wantNote:    "uploaded again with identical content",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := testPrefix(t)
			out := t.TempDir()
			c := s3Config(srv, lockedBucket, prefix)
			c.ObjectLockMode, c.RetainDays = "COMPLIANCE", 1
			run := writeRunDoc(t, out, findingsRun(t, id, map[string]time.Time{"alice": march, "bob": march}))
			tt.plant(forger{t: t, client: srv.Client(), bucket: lockedBucket, prefix: prefix, run: run})
			archiveRuns(t, c, out, run)

			reader := s3Config(srv, lockedBucket, prefix)
			reader.ObjectLockMode, reader.RetainDays = "COMPLIANCE", 1
			a := openArchiver(t, reader, t.TempDir())
			v, err := a.Verify(ctx, run.ID)
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			problems := strings.Join(v.Problems(), "\n")
			if got := v.Planted(); !slices.Equal(got, tt.wantPlanted) {
				t.Errorf("Verify().Planted() = %q, want %q; problems:\n%s", got, tt.wantPlanted, problems)
			}
			wantOK := len(tt.wantPlanted) == 0 && tt.wantProblem == ""
			if v.OK() != wantOK || len(v.Tampered()) > 0 {
				t.Errorf("Verify: OK %t, tampered %q; want OK %t, nothing tampered; problems:\n%s", v.OK(), v.Tampered(), wantOK, problems)
			}
			if !strings.Contains(problems, tt.wantProblem) {
				t.Errorf("Verify problems:\n%s\nwant one containing %q", problems, tt.wantProblem)
			}
			for _, p := range tt.wantPlanted {
				want := p + ": planted: version "
				if !strings.Contains(problems, want) || !strings.Contains(problems, "before the run was uploaded") {
					t.Errorf("Verify problems:\n%s\nwant one containing %q and saying it was written before the upload", problems, want)
				}
			}
			var notes []string
			for _, o := range v.Objects {
				notes = append(notes, o.Notes...)
				// The archived version is the upload's: it matches the manifest.
				if o.Path == "findings.json" && o.SHA256 != entry("findings.json", run.Files["findings.json"]).SHA256 {
					t.Errorf("Verify checked findings.json version %s with sha256 %s, not the run's", o.VersionID, o.SHA256)
				}
			}
			if !strings.Contains(strings.Join(notes, "\n"), tt.wantNote) {
				t.Errorf("Verify notes %q, want one containing %q", notes, tt.wantNote)
			}
			var text bytes.Buffer
			v.WriteText(&text)
			if len(tt.wantPlanted) > 0 && !strings.Contains(text.String(), "PLANTED: written under the run's prefix before it was uploaded, with other content: "+tt.wantPlanted[0]) {
				t.Errorf("verify text does not name the planted object:\n%s", text.String())
			}

			// archive list
			runs, err := a.Runs(ctx, time.Time{})
			if err != nil || len(runs) != 1 {
				t.Fatalf("Runs = %+v, %v; want the run", runs, err)
			}
			status := runs[0].Status()
			if len(tt.wantPlanted) == 0 && (strings.Contains(status, "PLANTED") || strings.Contains(status, "TAMPERED")) {
				t.Errorf("Status() = %q, want neither planted nor tampered", status)
			}
			for _, p := range tt.wantPlanted {
				if want := "PLANTED: " + p + " written before the upload, run reporter archive verify"; !strings.Contains(status, want) || strings.Contains(status, "TAMPERED") {
					t.Errorf("Status() = %q, want it to contain %q and no TAMPERED", status, want)
				}
			}

			// The next run's comparison reads the genuine run.
			checkNextRunKeepsHistory(t, ctx, reader, run.ID, map[string]time.Time{"alice": march, "bob": march})

			// archive get
			dir, err := a.Download(ctx, run.ID, t.TempDir())
			if err != nil {
				t.Fatalf("Download = %v", err)
			}
			for p, want := range run.Files {
				if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p))); err != nil || !bytes.Equal(got, want) {
					t.Errorf("Download: %s is not the run's (%v)", p, err)
				}
			}
			// archive url
			links, err := a.Links(ctx, run.ID, time.Hour)
			if err != nil {
				t.Fatalf("Links = %v", err)
			}
			for _, l := range links {
				if want, ok := run.Files[l.Path]; ok {
					if code, body := get(t, l.URL); code != http.StatusOK || !bytes.Equal(body, want) {
						t.Errorf("link of %s = %d, %d bytes; want 200 and the run's %d bytes", l.Path, code, len(body), len(want))
					}
				}
			}
		})
	}
}

// TestRetryOfPartUploadOnVersionedBucket: an upload stopped before the
// manifest leaves a version of some files; the retry writes them again
// with identical bytes. The run verifies, with a note for each, and
// nothing is reported planted or tampered.
func TestRetryOfPartUploadOnVersionedBucket(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	out := t.TempDir()
	c := s3Config(srv, lockedBucket, prefix)
	c.ObjectLockMode, c.RetainDays = "COMPLIANCE", 1
	run := writeRun(t, out, "20261101T060000Z")
	srv.Refuse(func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/"+runfolder.ManifestName)
	})
	_, err := openArchiver(t, c, out).Archive(ctx, run.Dir, nil)
	srv.Refuse(nil)
	if err == nil {
		t.Fatal("Archive with the manifest refused = nil, want an error")
	}
	a := openArchiver(t, c, out)
	if res, err := a.Flush(ctx); err != nil || len(res.Archived) != 1 {
		t.Fatalf("Flush = %+v, %v; want the run archived", res, err)
	}
	v, err := a.Verify(ctx, run.ID)
	if err != nil || !v.OK() {
		t.Fatalf("Verify = %v; problems:\n%s", err, strings.Join(v.Problems(), "\n"))
	}
	retried := 0
	for _, o := range v.Objects {
		for _, n := range o.Notes {
			if strings.Contains(n, "uploaded again with identical content") {
				retried++
			}
		}
	}
	if retried != len(run.Files) {
		t.Errorf("Verify notes %d files uploaded again with identical content, want %d", retried, len(run.Files))
	}
	runs, err := a.Runs(ctx, time.Time{})
	if err != nil || len(runs) != 1 || len(runs[0].Changes) != 0 {
		t.Errorf("Runs = %+v, %v; want the run, unchanged", runs, err)
	}
}

// TestPlantedManifestBlocksTheRun: a manifest planted where the next run
// goes, consistent with planted files or not, makes the upload stop with
// ErrConflict (a run is never overwritten). The error says what is there
// and what to do; the run waits in the spool.
func TestPlantedManifestBlocksTheRun(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		plant func(f forger, out string)
		want  []string
	}{
		{
			name: "a whole consistent run",
			plant: func(f forger, _ string) {
				fake := writeRun(f.t, f.t.TempDir(), f.run.ID)
				for p, data := range fake.Files {
					f.put(p, data)
				}
				data, err := os.ReadFile(filepath.Join(fake.Dir, runfolder.ManifestName))
				if err != nil {
					f.t.Fatal(err)
				}
				f.put(runfolder.ManifestName, data)
			},
			want: []string{"is another manifest of run 20261101T060000Z, written ", ", version ", "as of 2026-11-01T06:00:00Z, listing 6 files"},
		},
		{
			name:  "bytes that are no manifest",
			plant: func(f forger, _ string) { f.put(runfolder.ManifestName, []byte("not json")) },
			want:  []string{"is an object written ", "that is no manifest of this run ("},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := testPrefix(t)
			out := t.TempDir()
			c := s3Config(srv, lockedBucket, prefix)
			run := writeRun(t, out, "20261101T060000Z")
			tt.plant(forger{t: t, client: srv.Client(), bucket: lockedBucket, prefix: prefix, run: run}, out)
			a := openArchiver(t, c, out)
			_, err := a.Archive(ctx, run.Dir, nil)
			if !errors.Is(err, archive.ErrConflict) {
				t.Fatalf("Archive = %v, want ErrConflict", err)
			}
			msg := err.Error()
			for _, want := range append(tt.want,
				"s3://"+lockedBucket+"/"+runKey(prefix, run, runfolder.ManifestName),
				"nothing of run 20261101T060000Z was uploaded",
				"planted it under the run's predictable prefix",
				"reporter archive flush --prefix OTHER",
				"waits in the spool",
			) {
				if !strings.Contains(msg, want) {
					t.Errorf("Archive error does not say %q:\n%s", want, msg)
				}
			}
			if got := pending(t, a); !slices.Equal(got, []string{run.ID}) {
				t.Errorf("spool = %v, want [%s]", got, run.ID)
			}
		})
	}
}

// TestLinksNameTheArchivedVersion: on a versioned bucket each presigned
// link of the run's location (the digest's) names the version the run's
// upload wrote, so a later overwrite of the key is not what it
// downloads, also when the run is found already archived. On an
// unversioned bucket the links name no version (nothing older is kept).
func TestLinksNameTheArchivedVersion(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	forged := []byte("a forged workbook: nothing to see")
	tests := []struct {
		bucket      string
		wantVersion bool
	}{
		{bucket: lockedBucket, wantVersion: true},
		{bucket: plainBucket},
	}
	for _, tt := range tests {
		t.Run(tt.bucket, func(t *testing.T) {
			prefix := testPrefix(t)
			out := t.TempDir()
			c := s3Config(srv, tt.bucket, prefix)
			if tt.bucket == lockedBucket {
				c.ObjectLockMode, c.RetainDays = "COMPLIANCE", 1
			}
			run, team := writeTeamRun(t, out, "20261101T060000Z")
			loc, err := openArchiver(t, c, out).Archive(ctx, run.Dir, nil)
			if err != nil {
				t.Fatalf("Archive = %v", err)
			}
			f := forger{t: t, client: srv.Client(), bucket: tt.bucket, prefix: prefix, run: run}
			f.put("audit.xlsx", forged)
			f.put("teams/payments/audit.xlsx", forged)
			// The run found already archived (a second flush, another reporter).
			again, err := openArchiver(t, c, out).Archive(ctx, run.Dir, nil)
			if err != nil {
				t.Fatalf("Archive again = %v", err)
			}
			for _, l := range []struct{ name, url string }{
				{"run", loc.WorkbookURL}, {"team", loc.Teams["payments"].WorkbookURL},
				{"run, already archived", again.WorkbookURL}, {"team, already archived", again.Teams["payments"].WorkbookURL},
			} {
				if l.url == "" {
					t.Errorf("%s: no presigned link", l.name)
					continue
				}
				if got := strings.Contains(l.url, "versionId="); got != tt.wantVersion {
					t.Errorf("%s: link %s names a version: %t, want %t", l.name, l.url, got, tt.wantVersion)
				}
				want := run.Files["audit.xlsx"]
				if strings.HasPrefix(l.name, "team") {
					want = team["teams/payments/audit.xlsx"]
				}
				code, body := get(t, l.url)
				if tt.wantVersion && (code != http.StatusOK || !bytes.Equal(body, want)) {
					t.Errorf("%s: GET %s = %d, %d bytes; want 200 and the archived %d bytes", l.name, l.url, code, len(body), len(want))
				}
				if !tt.wantVersion && !bytes.Equal(body, forged) {
					t.Errorf("%s: GET %s = %d, %d bytes; on an unversioned bucket the overwrite is all there is", l.name, l.url, code, len(body))
				}
			}
		})
	}
}
