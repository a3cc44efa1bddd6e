package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reporter-dev/reporter/internal/runfolder"
)

func TestFindRunLatest(t *testing.T) {
	out := t.TempDir()
	for _, p := range []string{
		"2026/10/20261031T060000Z", "2026/11/20261101T060000Z", "2026/11/20261101T060000Z-2",
		"2026/11/20261101T060000Z-10", "2026/11/20261102T060000Z-incomplete",
	} {
		d := filepath.Join(out, filepath.FromSlash(p))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(p, "incomplete") {
			os.WriteFile(filepath.Join(d, runfolder.ManifestName), []byte("{}"), 0o644)
		}
	}
	got, err := FindRun(out, "latest")
	if want := filepath.Join(out, "2026", "11", "20261101T060000Z-10"); err != nil || got != want {
		t.Errorf("FindRun(latest) = %q, %v, want %q", got, err, want)
	}
}
