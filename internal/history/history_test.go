package history

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/report"
)

// writeRun writes a minimal finished run folder.
func writeRun(t *testing.T, root, id string, asOf time.Time, open int) string {
	t.Helper()
	dir := filepath.Join(root, asOf.Format("2006"), asOf.Format("01"), id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run := &report.Run{Run: report.RunInfo{ID: id, AsOf: asOf}}
	run.Summarize()
	run.Summary.BySeverity["high"] = open
	f, err := os.Create(filepath.Join(dir, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(f, run); err != nil {
		t.Fatal(err)
	}
	f.Close()
	files, err := report.BuildManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.WriteManifest(dir, &report.Manifest{RunID: id, AsOf: asOf, Summary: &run.Summary, Files: files}); err != nil {
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
			os.Remove(filepath.Join(dir, report.ManifestName))
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
			// The verified copy is made in the folder given, not in /tmp.
			if copies, _ := filepath.Glob(filepath.Join(tmp, "*")); (prev != nil) != (len(copies) == 1) {
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
	cur := &report.Run{Run: report.RunInfo{ID: "cur", AsOf: day(15)}}
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
