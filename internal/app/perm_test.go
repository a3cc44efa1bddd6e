//go:build unix

package app

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/perm/permtest"
)

// TestRunFolderModes: the folders OUT/YYYY/MM/RUN-ID and evidence are
// 0750, and every file of the run (evidence, findings.json, audit.md,
// audit.xlsx, manifest.json) 0640, under the usual umask 022.
func TestRunFolderModes(t *testing.T) {
	permtest.Umask(t)
	opts := sampleOptions(t, sample.NewSource())
	opts.OutDir = filepath.Join(t.TempDir(), "reports")
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if n := permtest.Check(t, opts.OutDir); n < 10 {
		t.Errorf("checked %d files, want the run's reports and evidence", n)
	}
}
