package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// writeRun writes a minimal finished run folder that audited one account.
func writeRun(t *testing.T, root, id string, asOf time.Time, open int) string {
	t.Helper()
	run := &result.Run{Run: result.RunInfo{ID: id, AsOf: asOf},
		Accounts: []result.Account{{ID: "111111111111", Status: result.StatusCollected}}}
	run.Summarize()
	run.SetStatus()
	run.Summary.BySeverity["high"] = open
	return writeRunFolder(t, root, run)
}

// writeRunFolder writes run as a finished run folder: findings.json and
// the manifest.
func writeRunFolder(t *testing.T, root string, run *result.Run) string {
	t.Helper()
	id, asOf := run.Run.ID, run.Run.AsOf
	dir := filepath.Join(root, asOf.Format("2006"), asOf.Format("01"), id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonfile.Write(f, run); err != nil {
		t.Fatal(err)
	}
	f.Close()
	files, err := runfolder.BuildManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := runfolder.WriteManifest(dir, &runfolder.Manifest{RunID: id, AsOf: asOf, Status: run.Run.Status, Summary: &run.Summary, Files: files}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func day(d int) time.Time { return time.Date(2026, 1, d, 6, 0, 0, 0, time.UTC) }

func TestPrevious(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name   string
		setup  func(root string)
		asOf   time.Time
		runID  string
		wantID string
	}{
		{"no runs", func(string) {}, day(10), "x", ""},
		{"newest earlier run", func(root string) {
			writeRun(t, root, "r1", day(1), 1)
			writeRun(t, root, "r5", day(5), 1)
			writeRun(t, root, "r20", day(20), 1) // later as-of: a backfill must not compare with the future
		}, day(10), "cur", "r5"},
		{"re-run of the same as-of compares with the earlier re-run", func(root string) {
			writeRun(t, root, "20260110T060000Z", day(10), 1)
			writeRun(t, root, "20260110T060000Z-2", day(10), 1)
		}, day(10), "20260110T060000Z-3", "20260110T060000Z-2"},
		{"tampered findings.json is passed over", func(root string) {
			writeRun(t, root, "r1", day(1), 1)
			dir := writeRun(t, root, "r5", day(5), 1)
			if err := os.WriteFile(filepath.Join(dir, "findings.json"), []byte(`{"run":{"id":"forged"}}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}, day(10), "cur", "r1"},
		{"incomplete run (no manifest) is passed over", func(root string) {
			writeRun(t, root, "r1", day(1), 1)
			dir := writeRun(t, root, "r5", day(5), 1)
			os.Remove(filepath.Join(dir, runfolder.ManifestName))
		}, day(10), "cur", "r1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(root)
			tmp := t.TempDir()
			prev, err := Previous(context.Background(), Local{Root: root}, log, tt.asOf, tt.runID, tmp)
			if err != nil {
				t.Fatal(err)
			}
			// A local run folder's findings.json is read where it is:
			// nothing is copied.
			if copies, _ := filepath.Glob(filepath.Join(tmp, "*")); len(copies) > 0 {
				t.Errorf("Previous() = %v with copies %v in the temporary folder", prev != nil, copies)
			}
			got := ""
			if prev != nil {
				got = prev.RunID
				prev.Close()
			}
			if got != tt.wantID {
				t.Errorf("Previous() = %q, want %q", got, tt.wantID)
			}
		})
	}
}

func TestTrend(t *testing.T) {
	root := t.TempDir()
	for d := 1; d <= 14; d++ {
		writeRun(t, root, "r"+time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC).Format("0102"), day(d), d)
	}
	runs, err := Local{Root: root}.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cur := &result.Run{Run: result.RunInfo{ID: "cur", AsOf: day(15)}}
	cur.Summarize()
	points := Trend(runs, cur, 12)
	var ids []string
	for _, p := range points {
		ids = append(ids, p.RunID)
	}
	if got := strings.Join(ids, " "); got != "r0104 r0105 r0106 r0107 r0108 r0109 r0110 r0111 r0112 r0113 r0114 cur" {
		t.Errorf("Trend() = %s", got)
	}
	if points[0].BySeverity["high"] != 4 {
		t.Errorf("oldest point = %+v, want the run's open high findings (4)", points[0])
	}
}

// failingStore cannot list its runs.
type failingStore struct{}

func (failingStore) Runs(context.Context) ([]Run, error) {
	return nil, errors.New("archive unreachable")
}
func (failingStore) Open(context.Context, Run, string) (io.ReadCloser, error) {
	return nil, errors.New("archive unreachable")
}

func TestUnion(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := t.TempDir(), t.TempDir()
	writeRun(t, a, "r1", day(1), 1)
	writeRun(t, b, "r1", day(1), 1) // the same run in both: read from the first
	writeRun(t, b, "r5", day(5), 1) // only local, e.g. still in the spool
	tests := []struct {
		name   string
		stores []Store
		want   string
	}{
		{"newest run of either store", []Store{Local{Root: a}, Local{Root: b}}, "r5"},
		{"unreachable archive falls back to local", []Store{failingStore{}, Local{Root: a}}, "r1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev, err := Previous(context.Background(), &Union{Stores: tt.stores}, log, day(10), "cur", t.TempDir())
			if err != nil || prev == nil || prev.RunID != tt.want {
				t.Fatalf("Previous() = %v, %v; want %s", prev, err, tt.want)
			}
			prev.Close()
		})
	}
	if _, err := (&Union{Stores: []Store{failingStore{}}}).Runs(context.Background()); err == nil {
		t.Error("Runs() succeeded with every store failing")
	}
}

// runWith returns a run of the given accounts (ID → status) and error.
func runWith(id string, asOf time.Time, runErr string, accounts map[string]string) *result.Run {
	run := &result.Run{Run: result.RunInfo{ID: id, AsOf: asOf, Error: runErr}}
	for _, acct := range []string{"111111111111", "222222222222", "333333333333"} {
		if st, ok := accounts[acct]; ok {
			run.Accounts = append(run.Accounts, result.Account{ID: acct, Status: st})
		}
	}
	run.Summarize()
	run.SetStatus()
	return run
}

// TestBaselines: each account is compared with the newest run that
// audited it; incomplete runs and runs that audited nothing are never
// used; older runs are copied only when they place an account.
func TestBaselines(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const a, b, c = "111111111111", "222222222222", "333333333333"
	ok, failed := result.StatusCollected, result.StatusFailed
	root := t.TempDir()
	writeRunFolder(t, root, runWith("r1", day(1), "", map[string]string{a: ok, b: ok, c: ok}))
	writeRunFolder(t, root, runWith("r2", day(2), "", map[string]string{a: ok, b: ok, c: failed}))
	writeRunFolder(t, root, runWith("r3", day(3), "", map[string]string{a: ok, b: failed, c: failed}))
	// Interrupted: it audited a and b, but it is never a baseline.
	writeRunFolder(t, root, runWith("r4", day(4), "collection ended early: context canceled", map[string]string{a: ok, b: ok, c: failed}))
	// Credentials rejected: nothing audited.
	writeRunFolder(t, root, runWith("r5", day(5), "sts:GetCallerIdentity: InvalidClientTokenId", nil))
	// Every account failed on its own: no audit result either.
	writeRunFolder(t, root, runWith("r6", day(6), "", map[string]string{a: failed, b: failed, c: failed}))

	tests := []struct {
		name string
		need []string
		want string
	}{
		{"every account placed", []string{a, b, c}, "r3 r2 r1"},
		{"the previous run only", []string{a}, "r3"},
		{"an account never audited before searches every run", []string{a, "444444444444"}, "r3"},
		{"nothing needed still gives the previous run", nil, "r3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			need := map[string]bool{}
			for _, id := range tt.need {
				need[id] = true
			}
			if ids := baselineIDs(t, root, need); ids != tt.want {
				t.Errorf("Baselines(need %v) = %v, want %s", tt.need, ids, tt.want)
			}
		})
	}
	prev, err := Previous(context.Background(), Local{Root: root}, log, day(10), "cur", t.TempDir())
	if err != nil || prev == nil || prev.RunID != "r3" {
		t.Fatalf("Previous() = %v, %v; want r3 (r4-r6 are no audit results)", prev, err)
	}
	prev.Close()
}

// TestBaselinesLookback: the search stops after MaxLookback runs.
func TestBaselinesLookback(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const a, b = "111111111111", "222222222222"
	root := t.TempDir()
	base := time.Date(2024, 1, 1, 6, 0, 0, 0, time.UTC)
	writeRunFolder(t, root, runWith("old", base, "", map[string]string{a: result.StatusCollected, b: result.StatusCollected}))
	for i := 1; i <= MaxLookback; i++ {
		asOf := base.AddDate(0, 0, i)
		writeRunFolder(t, root, runWith(asOf.Format("20060102T150405Z"), asOf, "", map[string]string{a: result.StatusCollected, b: result.StatusFailed}))
	}
	got, err := Baselines(context.Background(), Local{Root: root}, log, base.AddDate(1, 0, 0), "cur", Need{Accounts: map[string]bool{a: true, b: true}}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		f.Close()
	}
	if len(got) != 1 {
		t.Errorf("Baselines() = %d runs, want only the previous run: the run that audited b is %d runs back", len(got), MaxLookback+1)
	}
}

// streamStore is a Store whose files are streams, as S3's are: Open
// hides the *os.File, so OpenFindings copies.
type streamStore struct{ Local }

func (s streamStore) Open(ctx context.Context, r Run, path string) (io.ReadCloser, error) {
	f, err := s.Local.Open(ctx, r, path)
	if err != nil {
		return nil, err
	}
	return struct{ io.ReadCloser }{f}, nil
}

// TestOpenFindingsCopy: a findings.json that is not a local file is
// verified on its way into a temporary copy in the folder given, which
// is what is read, and which Close removes; a tampered one is refused and
// leaves no copy.
func TestOpenFindingsCopy(t *testing.T) {
	root, tmp := t.TempDir(), t.TempDir()
	dir := writeRun(t, root, "r5", day(5), 3)
	runs, err := streamStore{Local{Root: root}}.Runs(context.Background())
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs() = %v, %v", runs, err)
	}
	f, err := OpenFindings(context.Background(), streamStore{Local{Root: root}}, runs[0], tmp)
	if err != nil {
		t.Fatal(err)
	}
	copies, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(copies) != 1 {
		t.Fatalf("copies %v in the temporary folder, want one", copies)
	}
	// The copy is read, whatever happens to the original afterwards.
	if err := os.WriteFile(filepath.Join(dir, "findings.json"), []byte(`{"run":{"id":"forged"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rd, err := f.Reader()
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonfile.NewReader(rd)
	if err != nil {
		t.Fatal(err)
	}
	if id := p.Info().ID; id != "r5" {
		t.Fatalf("the copy reads as run %q; want r5", id)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if copies, _ := filepath.Glob(filepath.Join(tmp, "*")); len(copies) != 0 {
		t.Errorf("copies %v left after Close", copies)
	}
	// The original is now tampered with: refused, nothing left behind.
	if _, err := OpenFindings(context.Background(), streamStore{Local{Root: root}}, runs[0], tmp); err == nil || !strings.Contains(err.Error(), "does not match its manifest") {
		t.Errorf("tampered stream: err = %v, want a mismatch", err)
	}
	if copies, _ := filepath.Glob(filepath.Join(tmp, "*")); len(copies) != 0 {
		t.Errorf("copies %v left after a refused stream", copies)
	}
}

// TestOpenFindingsInPlaceChanged: a local findings.json verified in
// place is refused once it is written to: before a reader is made, or
// while it is being read, even when the size and the modification time
// are put back as they were. Of one replaced by rename, the forged file
// is never read.
func TestOpenFindingsInPlaceChanged(t *testing.T) {
	open := func(t *testing.T) (*Findings, string) {
		root := t.TempDir()
		dir := writeRun(t, root, "r5", day(5), 3)
		runs, err := Local{Root: root}.Runs(context.Background())
		if err != nil || len(runs) != 1 {
			t.Fatalf("Runs() = %v, %v", runs, err)
		}
		f, err := OpenFindings(context.Background(), Local{Root: root}, runs[0], t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f, filepath.Join(dir, "findings.json")
	}
	// overwrite writes the same number of bytes over the start of path
	// and puts its modification time back, until the file's change time
	// differs from the one f verified (it has a clock tick's
	// granularity: a write within the tick of the last one keeps it).
	overwrite := func(t *testing.T, f *Findings, path string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		for {
			w, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.WriteAt([]byte(`{"run":{"id":"x"`), 0); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			now, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) {
				t.Fatalf("size or modification time not put back: %v", now)
			}
			if !changeTime(now).Equal(f.verified.ctime) {
				return
			}
		}
	}
	t.Run("written between hash and read", func(t *testing.T) {
		f, path := open(t)
		overwrite(t, f, path)
		if _, err := f.Reader(); !errors.Is(err, errChanged) {
			t.Fatalf("Reader() err = %v, want %v", err, errChanged)
		}
	})
	t.Run("written while read", func(t *testing.T) {
		f, path := open(t)
		rd, err := f.Reader()
		if err != nil {
			t.Fatal(err)
		}
		overwrite(t, f, path)
		if _, err := io.ReadAll(rd); !errors.Is(err, errChanged) {
			t.Fatalf("read err = %v, want %v", err, errChanged)
		}
	})
	t.Run("replaced by rename", func(t *testing.T) {
		f, path := open(t)
		forged := path + ".new"
		if err := os.WriteFile(forged, []byte(`{"run":{"id":"forged"}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(forged, path); err != nil {
			t.Fatal(err)
		}
		// The verified file lost its link, which moves its change time
		// unless within the same clock tick: it is refused, or read as
		// it was verified. The forged file is never read.
		rd, err := f.Reader()
		if errors.Is(err, errChanged) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := jsonfile.NewReader(rd)
		if err != nil {
			t.Fatal(err)
		}
		if id := p.Info().ID; id != "r5" {
			t.Fatalf("reads as run %q; want the verified r5 or a refusal", id)
		}
	})
}

// TestBaselinesChecksNotRun: a run that did not judge some checks of an
// account places only the others, so an older run that judged them is a
// baseline too; runs that judged no more than the newer ones are not
// copied, and a check no run judged ends the search at MaxLookback.
func TestBaselinesChecksNotRun(t *testing.T) {
	const a, b = "111111111111", "222222222222"
	ok := result.StatusCollected
	details := audit.NotRun{Checks: []string{audit.UserPolicyAttached, audit.PolicyFullAdmin, audit.RoleUnused},
		Reason: "iam:GetAccountAuthorizationDetails: AccessDenied", Failed: true}
	withGaps := func(id string, asOf time.Time, gaps map[string][]audit.NotRun) *result.Run {
		run := runWith(id, asOf, "", map[string]string{a: ok, b: ok})
		for i := range run.Accounts {
			run.Accounts[i].ChecksNotRun = gaps[run.Accounts[i].ID]
		}
		return run
	}
	withChecks := func(r *result.Run, th audit.Thresholds) *result.Run {
		r.Run.Checks = audit.Applied(th)
		return r
	}
	tests := []struct {
		name string
		runs []*result.Run
		want string
	}{
		{"an older run judged what the newer did not",
			[]*result.Run{
				withGaps("r1", day(1), nil),
				withGaps("r2", day(2), map[string][]audit.NotRun{a: {details}}),
				withGaps("r3", day(3), map[string][]audit.NotRun{a: {details}}),
			}, "r3 r1"},
		{"no gaps: the previous run only",
			[]*result.Run{withGaps("r1", day(1), nil), withGaps("r2", day(2), nil)}, "r2"},
		{"entries that are no check gap: the previous run only",
			[]*result.Run{
				withGaps("r1", day(1), nil),
				withGaps("r2", day(2), map[string][]audit.NotRun{a: {
					{Checks: []string{"owners from user tags"}, Reason: "tags of 3 of 203 users not read"},
					{Checks: []string{audit.UnusedServices}, Partial: true, Failed: true, Reason: "1 last-accessed entry refused"},
				}}),
			}, "r2"},
		{"a check the previous run did not apply: the older run that applied it",
			[]*result.Run{
				withChecks(withGaps("r1", day(1), nil), audit.Thresholds{UnusedPermissionsDays: 90}),
				withChecks(withGaps("r2", day(2), nil), audit.Thresholds{}),
			}, "r2 r1"},
		{"a gap no run fills: the previous run only, nothing more copied",
			[]*result.Run{
				withGaps("r1", day(1), map[string][]audit.NotRun{b: {details}}),
				withGaps("r2", day(2), map[string][]audit.NotRun{b: {details}}),
			}, "r2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, r := range tt.runs {
				writeRunFolder(t, root, r)
			}
			if ids := baselineIDs(t, root, map[string]bool{a: true, b: true}); ids != tt.want {
				t.Errorf("Baselines() = %v, want %s", ids, tt.want)
			}
		})
	}
}

// TestBaselinesNeedOnlyWhatIsJudgedNow: a check the current run did not
// judge either (off now too) sends Baselines to no older run.
func TestBaselinesNeedOnlyWhatIsJudgedNow(t *testing.T) {
	const a = "111111111111"
	root := t.TempDir()
	for i, th := range []audit.Thresholds{{UnusedPermissionsDays: 90}, {}} {
		r := runWith(fmt.Sprintf("r%d", i+1), day(i+1), "", map[string]string{a: result.StatusCollected})
		r.Run.Checks = audit.Applied(th)
		writeRunFolder(t, root, r)
	}
	log := slog.New(slog.DiscardHandler)
	need := Need{Accounts: map[string]bool{a: true}, Judges: func(_, check string) bool { return check != audit.UnusedServices }}
	got, err := Baselines(context.Background(), Local{Root: root}, log, day(10), "cur", need, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range got {
		ids = append(ids, f.RunID)
		f.Close()
	}
	if strings.Join(ids, " ") != "r2" {
		t.Errorf("Baselines() = %v, want only r2: unused-services is not judged now", ids)
	}
}

// baselineIDs returns the IDs of the runs Baselines picks under root for
// the accounts in need at day 10, space-separated. It reads through a
// stream store, which copies what it verifies: a copy beyond the runs
// picked (a run read whole though not needed) fails the test.
func baselineIDs(t *testing.T, root string, need map[string]bool) string {
	t.Helper()
	tmp := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	got, err := Baselines(context.Background(), streamStore{Local{Root: root}}, log, day(10), "cur", Need{Accounts: need}, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if copies, _ := filepath.Glob(filepath.Join(tmp, "*")); len(copies) != len(got) {
		t.Errorf("Baselines() made %d copies for %d runs: a run not needed was copied", len(copies), len(got))
	}
	var ids []string
	for _, f := range got {
		ids = append(ids, f.RunID)
		f.Close()
	}
	return strings.Join(ids, " ")
}
