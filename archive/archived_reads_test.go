package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// findingsRun returns a run of one audited account with the findings
// given as principal → first seen (zero: new in this run).
func findingsRun(t *testing.T, id string, firstSeen map[string]time.Time) *result.Run {
	t.Helper()
	run := &result.Run{Run: result.RunInfo{ID: id, AsOf: runAsOf(t, id), Version: "test", Source: "sample"}}
	run.Accounts = []result.Account{{ID: "111111111111", Name: "prod", Status: result.StatusCollected}}
	var findings result.Findings
	for p, seen := range firstSeen {
		findings = append(findings, audit.Finding{AccountID: "111111111111", Principal: p, Check: audit.UserInactive,
			Credential: "user", Severity: audit.Medium, FirstSeen: seen})
	}
	slices.SortFunc(findings, func(a, b audit.Finding) int {
		if audit.Less(&a, &b) {
			return -1
		}
		return 1
	})
	run.Findings = findings
	run.Summary.AccountsTotal, run.Summary.AccountsAudited = 1, 1
	run.Summary.Findings, run.Summary.Open = len(findings), len(findings)
	run.Summary.BySeverity = map[string]int{"medium": len(findings)}
	return run
}

// TestHistoryReadsArchivedVersions: a forger rewrites findings.json and
// manifest.json of run 1 consistently, to hide how long alice's finding
// has been open and to drop bob's. On a versioned bucket the next run's
// comparison still sees run 1 as archived, Findings, ReadFile and the
// presigned links return the archived versions, and the list flags run 1.
func TestHistoryReadsArchivedVersions(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	out := t.TempDir()
	c := s3Config(srv, lockedBucket, prefix)
	c.ObjectLockMode, c.RetainDays = "COMPLIANCE", 1
	june := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	march := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)

	genuine := findingsRun(t, "20261001T060000Z", map[string]time.Time{"alice": june, "bob": march})
	run1 := writeRunDoc(t, out, genuine)
	untouched := writeRun(t, out, "20260901T060000Z")
	archiveRuns(t, c, out, untouched, run1)

	// The forger: alice first seen the day before run 1, bob never
	// found; a new manifest that agrees, with its summary to match.
	forged := findingsRun(t, run1.ID, map[string]time.Time{"alice": time.Date(2026, 9, 30, 6, 0, 0, 0, time.UTC)})
	var doc bytes.Buffer
	if err := jsonfile.Write(&doc, forged); err != nil {
		t.Fatal(err)
	}
	f := forger{t: t, client: srv.Client(), bucket: lockedBucket, prefix: prefix, run: run1}
	f.put("findings.json", doc.Bytes())
	m, err := runfolder.ReadManifest(run1.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Files {
		if m.Files[i].Path == "findings.json" {
			m.Files[i] = entry("findings.json", doc.Bytes())
		}
	}
	m.Summary.Findings, m.Summary.Open = 1, 1
	forgedManifest, _ := json.MarshalIndent(m, "", "  ")
	f.put(runfolder.ManifestName, forgedManifest)
	// The forgery is what a read without version ID returns.
	cur, err := srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(lockedBucket), Key: aws.String(runKey(prefix, run1, "findings.json"))})
	if err != nil {
		t.Fatal(err)
	}
	current, _ := io.ReadAll(cur.Body)
	cur.Body.Close()
	if !bytes.Equal(current, doc.Bytes()) {
		t.Fatal("the forger's findings.json is not the current version")
	}

	t.Run("history", func(t *testing.T) {
		// A new process: nothing remembered from the uploads.
		logs := checkNextRunKeepsHistory(t, ctx, s3Config(srv, lockedBucket, prefix), run1.ID,
			map[string]time.Time{"alice": june, "bob": march})
		for _, w := range []string{"level=WARN", "archived run changed after it was archived", "run=" + run1.ID, "findings.json: rewritten"} {
			if !strings.Contains(logs, w) {
				t.Errorf("log:\n%s\nwant %q", logs, w)
			}
		}
		if strings.Contains(logs, "run="+untouched.ID) {
			t.Errorf("log names the untouched run %s:\n%s", untouched.ID, logs)
		}
	})

	t.Run("list", func(t *testing.T) {
		a := openArchiver(t, s3Config(srv, lockedBucket, prefix), t.TempDir())
		srv.ResetRequests()
		runs, err := a.Runs(ctx, time.Time{})
		if err != nil {
			t.Fatalf("Runs = %v", err)
		}
		if len(runs) != 2 || runs[0].ID != run1.ID || runs[1].ID != untouched.ID {
			t.Fatalf("Runs = %+v, want %s and %s", runs, run1.ID, untouched.ID)
		}
		if s := runs[0].Manifest.Summary; s.Findings != 2 || s.Open != 2 {
			t.Errorf("run 1 summary = %d findings %d open, want the archived 2 and 2", s.Findings, s.Open)
		}
		var paths []string
		for _, ch := range runs[0].Changes {
			paths = append(paths, ch.Path)
		}
		if want := []string{"findings.json", runfolder.ManifestName}; !slices.Equal(paths, want) {
			t.Errorf("run 1 changes = %+v, want %q", runs[0].Changes, want)
		}
		if got, want := runs[0].Status(), "complete; TAMPERED: findings.json, manifest.json changed after archiving, run reporter archive verify"; got != want {
			t.Errorf("run 1 status = %q, want %q", got, want)
		}
		if len(runs[1].Changes) != 0 || strings.Contains(runs[1].Status(), "TAMPERED") {
			t.Errorf("untouched run: changes %+v, status %q", runs[1].Changes, runs[1].Status())
		}
		// Bounded cost: per run one listing of its prefix and one download,
		// of the first manifest; no report is read.
		lists := map[string]int{}
		for _, r := range srv.Requests() {
			switch {
			case r.Query.Has("versions"):
				lists[r.Query.Get("prefix")]++
			case r.Method == "GET" && strings.HasPrefix(r.Path, "/"+lockedBucket+"/"+prefix+"/") && !strings.HasSuffix(r.Path, "/"+runfolder.ManifestName):
				t.Errorf("Runs read %s", r.Path)
			}
		}
		for _, r := range []runFolder{run1, untouched} {
			if n := lists[runKey(prefix, r, "")]; n != 1 {
				t.Errorf("Runs listed the versions of run %s %d times, want once", r.ID, n)
			}
		}
	})

	t.Run("Findings, ReadFile and links", func(t *testing.T) {
		a := openArchiver(t, s3Config(srv, lockedBucket, prefix), t.TempDir())
		got, err := a.Findings(ctx, run1.ID)
		if err != nil {
			t.Fatalf("Findings = %v", err)
		}
		if got.Findings.Len() != 2 {
			t.Errorf("Findings = %d findings, want the 2 archived", got.Findings.Len())
		}
		r, err := a.Lookup(ctx, archive.Latest)
		if err != nil || r.ID != run1.ID {
			t.Fatalf("Lookup(latest) = %v, %v", r, err)
		}
		data, err := a.ReadFile(ctx, r, runfolder.ManifestName)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := runfolder.ParseManifest(data); err != nil || m.Summary.Findings != 2 {
			t.Errorf("ReadFile(manifest.json) = %s, %v; want the first version", data, err)
		}
		links, err := a.Links(ctx, run1.ID, time.Hour)
		if err != nil {
			t.Fatalf("Links = %v", err)
		}
		for _, l := range links {
			if l.Path != "findings.json" {
				continue
			}
			u, _ := url.Parse(l.URL)
			if u.Query().Get("versionId") == "" {
				t.Errorf("link %s names no version", l.URL)
			}
			resp, err := http.Get(l.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, run1.Files["findings.json"]) {
				t.Errorf("GET link of findings.json = %s, %d bytes; want the archived %d bytes", resp.Status, len(body), len(run1.Files["findings.json"]))
			}
		}
	})
}

// TestRunsFlagChanges: what the list flags from the version listing, and
// what it does not.
func TestRunsFlagChanges(t *testing.T) {
	srv := startS3(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		bucket string
		attack func(f forger)
		// want are the changes, as "PATH: start of what".
		want []string
	}{
		{name: "untouched", bucket: lockedBucket, attack: func(forger) {}},
		{name: "identical re-upload", bucket: lockedBucket, attack: func(f forger) { f.put("audit.md", f.run.Files["audit.md"]) }},
		{name: "identical re-upload of the manifest", bucket: lockedBucket, attack: func(f forger) {
			raw, err := os.ReadFile(filepath.Join(f.run.Dir, runfolder.ManifestName))
			if err != nil {
				f.t.Fatal(err)
			}
			f.put(runfolder.ManifestName, raw)
		}},
		{name: "same size, other bytes", bucket: lockedBucket, attack: func(f forger) {
			b := bytes.Clone(f.run.Files["audit.md"])
			b[0] = '!'
			f.put("audit.md", b)
		}, want: []string{"audit.md: rewritten: version "}},
		{name: "rewritten and put back", bucket: lockedBucket, attack: func(f forger) {
			f.put("audit.md", []byte("# all clear\n"))
			f.put("audit.md", f.run.Files["audit.md"])
		}, want: []string{"audit.md: rewritten: version "}},
		{name: "delete marker", bucket: lockedBucket, attack: func(f forger) { f.remove("evidence/222222222222.csv") },
			want: []string{"evidence/222222222222.csv: deleted: delete marker "}},
		{name: "manifest deleted", bucket: lockedBucket, attack: func(f forger) { f.remove(runfolder.ManifestName) },
			want: []string{"manifest.json: deleted: delete marker "}},
		{name: "object added", bucket: lockedBucket, attack: func(f forger) { f.put("evidence/999999999999.csv", []byte("user,arn\n")) },
			want: []string{"evidence/999999999999.csv: not in the manifest"}},
		// The limit of an unversioned bucket: nothing to compare with.
		{name: "unversioned bucket", bucket: plainBucket, attack: func(f forger) { f.rewrite("evidence/111111111111.csv", []byte("user,arn\n")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := testPrefix(t)
			out := t.TempDir()
			c := s3Config(srv, tt.bucket, prefix)
			run := writeRun(t, out, "20261101T060000Z")
			archiveRuns(t, c, out, run)
			tt.attack(forger{t: t, client: srv.Client(), bucket: tt.bucket, prefix: prefix, run: run})

			runs, err := openArchiver(t, c, t.TempDir()).Runs(ctx, time.Time{})
			if err != nil {
				t.Fatalf("Runs = %v", err)
			}
			if len(runs) != 1 || !runs[0].Complete() {
				t.Fatalf("Runs = %+v, want run %s, complete", runs, run.ID)
			}
			var got []string
			for _, ch := range runs[0].Changes {
				got = append(got, ch.Path+": "+ch.What)
			}
			ok := len(got) == len(tt.want)
			for i := range tt.want {
				ok = ok && strings.HasPrefix(got[i], tt.want[i])
			}
			if !ok {
				t.Errorf("changes = %q, want %q", got, tt.want)
			}
			if tampered := strings.Contains(runs[0].Status(), "TAMPERED"); tampered != (len(tt.want) > 0) {
				t.Errorf("status %q", runs[0].Status())
			}
		})
	}
}
