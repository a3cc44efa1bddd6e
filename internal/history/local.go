package history

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/reporter-dev/reporter/internal/runfolder"
)

// Local is a Store over the run folders under Root (Root/YYYY/MM/RUN-ID).
type Local struct {
	Root string
}

// Runs implements Store. Folders without a readable manifest (incomplete
// runs) are left out.
func (l Local) Runs(ctx context.Context) ([]Run, error) {
	dirs, err := runfolder.Complete(l.Root)
	if err != nil {
		return nil, err
	}
	var runs []Run
	for _, dir := range dirs {
		man, err := runfolder.ReadManifest(dir)
		if err != nil {
			continue
		}
		runs = append(runs, Run{Manifest: *man, Location: dir})
	}
	return runs, nil
}

// Open implements Store.
func (l Local) Open(ctx context.Context, r Run, path string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(r.Location, filepath.FromSlash(path)))
}
