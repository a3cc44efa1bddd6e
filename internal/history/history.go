// Package history finds earlier runs, for run-over-run changes and
// trends. Local reads run folders under an output root; an S3 archive
// can provide the same through the Store interface.
package history

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/report"
)

// Run is a finished run as found in a store.
type Run struct {
	Manifest report.Manifest
	// Location is where the store keeps it (a folder, an S3 prefix).
	Location string
}

// Store lists finished runs and reads their files.
type Store interface {
	// Runs returns every run with a readable manifest, in any order.
	Runs(ctx context.Context) ([]Run, error)
	// ReadFile returns one file of a run, by its manifest path.
	ReadFile(ctx context.Context, run Run, path string) ([]byte, error)
}

// Before returns the runs that precede (asOf, runID), newest first: runs
// of an earlier as-of, and earlier re-runs of the same as-of.
func Before(runs []Run, asOf time.Time, runID string) []Run {
	var out []Run
	for _, r := range runs {
		if r.Manifest.RunID != runID && !after(r.Manifest.AsOf, r.Manifest.RunID, asOf, runID) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return after(out[i].Manifest.AsOf, out[i].Manifest.RunID, out[j].Manifest.AsOf, out[j].Manifest.RunID)
	})
	return out
}

// after reports whether run a comes after run b.
func after(aAsOf time.Time, aID string, bAsOf time.Time, bID string) bool {
	if !aAsOf.Equal(bAsOf) {
		return aAsOf.After(bAsOf)
	}
	return rerun(aID) > rerun(bID)
}

// rerun returns the re-run number of a run ID: 1 for 20261101T060000Z, 2 for …-2.
func rerun(id string) int {
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		if n, err := strconv.Atoi(id[i+1:]); err == nil {
			return n
		}
	}
	return 1
}

// LoadFindings reads a run's findings.json and checks it against the
// run's manifest, so a tampered or truncated file is never trusted.
func LoadFindings(ctx context.Context, s Store, r Run) (*report.Run, error) {
	var entry *report.ManifestFile
	for i := range r.Manifest.Files {
		if r.Manifest.Files[i].Path == "findings.json" {
			entry = &r.Manifest.Files[i]
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("run %s: manifest lists no findings.json", r.Manifest.RunID)
	}
	data, err := s.ReadFile(ctx, r, "findings.json")
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", r.Manifest.RunID, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != entry.SHA256 || int64(len(data)) != entry.Size {
		return nil, fmt.Errorf("run %s: findings.json does not match its manifest (sha256 %s, manifest %s)", r.Manifest.RunID, got, entry.SHA256)
	}
	return report.ReadJSON(bytes.NewReader(data))
}

// Previous returns the newest run before (asOf, runID) whose findings
// load and verify; runs that do not are logged and passed over. It
// returns nil when there is none.
func Previous(ctx context.Context, s Store, log *slog.Logger, asOf time.Time, runID string) (*report.Run, error) {
	runs, err := s.Runs(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range Before(runs, asOf, runID) {
		prev, err := LoadFindings(ctx, s, r)
		if err != nil {
			log.Warn("previous run passed over", "run", r.Manifest.RunID, "location", r.Location, "err", err)
			continue
		}
		return prev, nil
	}
	return nil, nil
}

// Trend returns up to n-1 earlier runs' open findings by severity from
// their manifests, oldest first, followed by cur.
func Trend(runs []Run, cur *report.Run, n int) []report.TrendPoint {
	before := Before(runs, cur.Run.AsOf, cur.Run.ID)
	var points []report.TrendPoint
	for _, r := range before {
		if len(points) == n-1 {
			break
		}
		if r.Manifest.Summary == nil {
			continue
		}
		points = append(points, report.TrendPoint{RunID: r.Manifest.RunID, AsOf: r.Manifest.AsOf, BySeverity: r.Manifest.Summary.BySeverity})
	}
	for i, j := 0, len(points)-1; i < j; i, j = i+1, j-1 {
		points[i], points[j] = points[j], points[i]
	}
	return append(points, report.TrendPoint{RunID: cur.Run.ID, AsOf: cur.Run.AsOf, BySeverity: cur.Summary.BySeverity})
}
