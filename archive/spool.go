package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/reporter-dev/reporter/internal/perm"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/result"
)

// The spool holds one folder per run not yet confirmed in S3, in the
// layout of the run folders: SPOOL/YYYY/MM/RUN-ID. A run is copied into
// SPOOL/.incoming-RUN-ID-* first and renamed into place once complete,
// so a spool entry always has every file of its manifest.

// ErrNoSpool means no spool folder is configured (s3.spool_dir or --out).
var ErrNoSpool = errors.New("no spool folder: set s3.spool_dir or --out")

// PendingRun is a run waiting in the spool.
type PendingRun struct {
	ID  string
	Dir string
}

// Pending returns the runs waiting in the spool, oldest first.
func (a *Archiver) Pending() ([]PendingRun, error) {
	if a.spool == "" {
		return nil, ErrNoSpool
	}
	dirs, err := runfolder.Entries(a.spool)
	if err != nil {
		return nil, err
	}
	var runs []PendingRun
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			runs = append(runs, PendingRun{ID: filepath.Base(d), Dir: d})
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runfolder.Less(runs[i].ID, runs[j].ID) })
	return runs, nil
}

// FlushResult says what Flush did.
type FlushResult struct {
	// Archived are the runs uploaded and removed from the spool.
	Archived []result.Location
	// Failed are the runs still in the spool.
	Failed []PendingRun
}

// Flush uploads the runs waiting in the spool, oldest first, and removes
// each once its manifest is confirmed in S3. When S3 cannot be reached it
// stops at the first run; a run that fails for another reason (a spool
// copy that no longer matches its manifest, a conflicting archive) does
// not hold up the others. The error joins one error per run left.
func (a *Archiver) Flush(ctx context.Context) (FlushResult, error) {
	var res FlushResult
	pending, err := a.Pending()
	if err != nil {
		return res, err
	}
	var errs []error
	for i, p := range pending {
		loc, gone, err := a.uploadSpooled(ctx, p.Dir)
		if gone {
			a.log.Info("spooled run archived by another reporter meanwhile", "run_id", p.ID)
			continue
		}
		if err == nil {
			res.Archived = append(res.Archived, loc)
			continue
		}
		res.Failed = append(res.Failed, p)
		errs = append(errs, fmt.Errorf("spooled run %s (%s): %w", p.ID, p.Dir, err))
		if Retryable(err) || ctx.Err() != nil {
			if rest := pending[i+1:]; len(rest) > 0 {
				res.Failed = append(res.Failed, rest...)
				errs = append(errs, fmt.Errorf("%d more spooled runs not tried while S3 is unavailable", len(rest)))
			}
			break
		}
	}
	if len(res.Archived) > 0 {
		a.log.Info("spooled runs archived", "runs", len(res.Archived))
	}
	return res, errors.Join(errs...)
}

// spoolRun copies the run folder dir into the spool, checking every file
// against the manifest m, and returns the spool entry. A run folder that
// is already in the spool is its own entry.
func (a *Archiver) spoolRun(dir string, m *runfolder.Manifest) (string, error) {
	if a.spool == "" {
		return "", ErrNoSpool
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if within(abs, a.spool) {
		return abs, nil
	}
	entry := runfolder.Dir(a.spool, m.AsOf, m.RunID)
	manifest, err := os.ReadFile(filepath.Join(dir, runfolder.ManifestName))
	if err != nil {
		return "", err
	}
	if prev, err := os.ReadFile(filepath.Join(entry, runfolder.ManifestName)); err == nil {
		if !bytes.Equal(prev, manifest) {
			return "", fmt.Errorf("spool %s already holds another run %s", entry, m.RunID)
		}
		return entry, nil
	}
	if err := perm.MkdirAll(a.spool); err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	tmp, err := perm.MkdirTemp(a.spool, ".incoming-"+m.RunID+"-")
	if err != nil {
		return "", fmt.Errorf("spool: %w", err)
	}
	if err := copyRun(dir, tmp, m, manifest); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("copy run %s to the spool: %w", m.RunID, err)
	}
	if err := perm.MkdirAll(filepath.Dir(entry)); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("spool: %w", err)
	}
	if err := os.Rename(tmp, entry); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("spool: %w", err)
	}
	syncDir(filepath.Dir(entry))
	return entry, nil
}

// copyRun copies the files of m, then the manifest, from src to dst,
// checking each file's size and SHA-256 on the way.
func copyRun(src, dst string, m *runfolder.Manifest, manifest []byte) error {
	for _, f := range m.Files {
		if err := copyFile(filepath.Join(src, filepath.FromSlash(f.Path)), filepath.Join(dst, filepath.FromSlash(f.Path)), f); err != nil {
			return err
		}
	}
	return writeFileSync(filepath.Join(dst, runfolder.ManifestName), manifest)
}

func copyFile(src, dst string, want runfolder.ManifestFile) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := perm.MkdirAll(filepath.Dir(dst)); err != nil {
		return err
	}
	out, err := perm.CreateNew(dst)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != want.Size || got != want.SHA256 {
		return fmt.Errorf("%w: %s: size %d sha256 %s, manifest says size %d sha256 %s", ErrLocalMismatch, src, n, got, want.Size, want.SHA256)
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := perm.CreateNew(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir flushes a directory entry to disk, where the OS allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// unspool removes an archived run from the spool, and its YYYY/MM
// folders when they become empty.
func (a *Archiver) unspool(entry string) {
	if a.spool == "" || !within(entry, a.spool) || entry == a.spool {
		return
	}
	if err := os.RemoveAll(entry); err != nil {
		a.log.Error("archived run not removed from the spool; it will be confirmed and removed by the next flush", "dir", entry, "err", err)
		return
	}
	month := filepath.Dir(entry)
	if os.Remove(month) == nil {
		os.Remove(filepath.Dir(month))
	}
}
