package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// spoolLockPoll is how often a reporter waiting for another one's upload
// of a spool entry tries the entry's lock again.
const spoolLockPoll = 250 * time.Millisecond

// uploadSpooled uploads the spool entry and removes it once S3 has
// confirmed its manifest, holding the entry's lock throughout (see
// lockEntry): two reporters that flush one spool at once (the daemon and
// a manual `archive flush`) upload each run once. gone is true when the
// entry was archived and removed by another reporter meanwhile.
func (a *Archiver) uploadSpooled(ctx context.Context, entry string) (loc result.Location, gone bool, err error) {
	unlock, gone, err := a.lockEntry(ctx, entry)
	if err != nil || gone {
		return result.Location{}, gone, err
	}
	defer unlock()
	loc, err = a.upload(ctx, entry)
	if err == nil {
		a.unspool(entry)
	}
	return loc, false, err
}

// lockEntry takes the exclusive lock of a spool entry: an advisory lock
// on its manifest.json (flock, where the OS has it), waiting while
// another reporter holds it, until ctx ends. gone is true when the entry
// no longer exists once the lock is free: the other reporter archived it.
func (a *Archiver) lockEntry(ctx context.Context, entry string) (unlock func(), gone bool, err error) {
	path := filepath.Join(entry, runfolder.ManifestName)
	waiting := false
	for {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("spool entry %s: %w", entry, err)
		}
		locked, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, false, fmt.Errorf("lock spool entry %s: %w", entry, err)
		}
		if locked {
			// The entry may have been removed, or removed and spooled
			// anew, while this reporter waited: then the file opened is
			// not the entry's any more.
			opened, ferr := f.Stat()
			now, serr := os.Stat(path)
			switch {
			case errors.Is(serr, fs.ErrNotExist):
				f.Close()
				return nil, true, nil
			case ferr == nil && serr == nil && os.SameFile(opened, now):
				return func() { f.Close() }, false, nil
			}
			f.Close()
			continue
		}
		f.Close()
		if !waiting {
			waiting = true
			a.log.Info("spooled run is being uploaded by another reporter; waiting for it", "dir", entry)
		}
		select {
		case <-ctx.Done():
			return nil, false, fmt.Errorf("spool entry %s: waiting for another reporter's upload: %w", entry, context.Cause(ctx))
		case <-time.After(spoolLockPoll):
		}
	}
}
