//go:build unix

// Package permtest checks, in tests, the modes the reporter gives the
// files and folders it writes.
package permtest

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/reporter-dev/reporter/internal/perm"
)

// Umask sets the process umask to 022, the usual default, until the test
// ends, so modes on disk are exactly perm.File and perm.Dir. The umask is
// the process's: tests using it must not run in parallel.
func Umask(t testing.TB) {
	t.Helper()
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

// Check fails t for every file under root (root included) whose mode is
// not perm.File and every folder whose mode is not perm.Dir. It returns
// how many files it checked.
func Check(t testing.TB, root string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := perm.File
		if d.IsDir() {
			want = perm.Dir
		} else {
			files++
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
