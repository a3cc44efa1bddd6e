// Package history finds earlier runs, for run-over-run changes and
// trends. Local reads run folders under an output root; an S3 archive
// can provide the same through the Store interface.
package history

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/result"
)

// Run is a finished run as found in a store.
type Run struct {
	Manifest runfolder.Manifest
	// Location is where the store keeps it (a folder, an S3 prefix).
	Location string
}

// ErrUnavailable means a store did not answer a read for now (an S3
// outage, throttling, a cut connection), as opposed to a run that is
// genuinely unreadable or tampered with. A Store wraps it in the errors
// of Open and of the reads of what Open returns. An earlier run that
// cannot be read for this reason is never passed over: Baselines fails
// instead, so an outage cannot make every finding look new.
var ErrUnavailable = errors.New("the store is unavailable")

// Unavailable reports whether err is an outage (ErrUnavailable) or the
// end of the context, after which a read may succeed again.
func Unavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Store lists finished runs and reads their files.
type Store interface {
	// Runs returns every run with a readable manifest, in any order.
	Runs(ctx context.Context) ([]Run, error)
	// Open streams one file of a run, by its manifest path.
	Open(ctx context.Context, run Run, path string) (io.ReadCloser, error)
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
	return runfolder.Rerun(aID) > runfolder.Rerun(bID)
}

// Findings is an earlier run's findings.json, verified against its
// manifest: a temporary copy of it, or, for a run folder on a local file
// system, the run's own file, read where it is and refused once it
// changes (see OpenFindings).
type Findings struct {
	RunID string
	file  *os.File
	// copied is true when file is a temporary copy, which Close removes.
	copied bool
	// verified is the state of file when its bytes were verified, for a
	// file read in place.
	verified fileStamp
}

// fileStamp is what changes when a file's content is written: its size,
// modification time and inode change time (the latter cannot be set
// back by its owner).
type fileStamp struct {
	size         int64
	mtime, ctime time.Time
}

// stampOf returns the current stamp of the open file f.
func stampOf(f *os.File) (fileStamp, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime(), ctime: changeTime(fi)}, nil
}

// errChanged means a findings.json read in place was written to after it
// was verified.
var errChanged = errors.New("findings.json changed after it was verified against the manifest")

// unchanged returns errChanged when f's file was written to since it was
// verified (a copy is never checked: only this process has it).
func (f *Findings) unchanged() error {
	if f.copied {
		return nil
	}
	now, err := stampOf(f.file)
	if err != nil {
		return err
	}
	if !now.equal(f.verified) {
		return fmt.Errorf("run %s: %w", f.RunID, errChanged)
	}
	return nil
}

func (a fileStamp) equal(b fileStamp) bool {
	return a.size == b.size && a.mtime.Equal(b.mtime) && a.ctime.Equal(b.ctime)
}

// Reader returns the document from its start. For a file read in place
// it fails when the file changed since it was verified, and the reader
// fails as soon as it reads bytes written since: it checks the file
// after each read.
func (f *Findings) Reader() (io.Reader, error) {
	if err := f.unchanged(); err != nil {
		return nil, err
	}
	if _, err := f.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if f.copied {
		return bufio.NewReaderSize(f.file, 1<<20), nil
	}
	return bufio.NewReaderSize(checkedReader{f}, 1<<20), nil
}

// checkedReader reads a file read in place, checking after each read
// that it did not change since it was verified: the bytes it returns are
// the verified ones.
type checkedReader struct{ f *Findings }

func (r checkedReader) Read(p []byte) (int, error) {
	n, err := r.f.file.Read(p)
	if cerr := r.f.unchanged(); cerr != nil {
		return 0, cerr
	}
	return n, err
}

// Close closes the file, removing it if it is a copy.
func (f *Findings) Close() error {
	err := f.file.Close()
	if !f.copied {
		return err
	}
	if rerr := os.Remove(f.file.Name()); err == nil {
		err = rerr
	}
	return err
}

// OpenFindings opens a run's findings.json, checking its size and
// SHA-256 against the run's manifest, so that a tampered or truncated
// file is never trusted, and the document can be streamed however large
// it is.
//
// A regular file on a local file system (a Store whose Open returns an
// *os.File: Local) is hashed where it is, through the descriptor that
// will read it, and kept open: its stamp (size, modification and change
// times) is taken before and after hashing and must not differ, and
// every later read checks it again (Findings.Reader), so a file written
// to after it was verified is refused (a file replaced by rename is not
// read: the descriptor keeps the verified one). Any other source (S3) is
// copied into a temporary file in tmpDir (os.TempDir when empty) and
// hashed on the way; only the copy is read.
//
// When the run cannot be read because its store is unavailable (see
// Unavailable) and s is a Union that has the run in another store too
// (the local run folder of an archived run), that copy is read instead,
// checked against the same manifest.
func OpenFindings(ctx context.Context, s Store, r Run, tmpDir string) (*Findings, error) {
	var f *Findings
	err := eachCopy(s, r, func(s Store, r Run) error {
		var err error
		f, err = openFindings(ctx, s, r, tmpDir)
		return err
	})
	return f, err
}

// openFindings is OpenFindings from the one store s.
func openFindings(ctx context.Context, s Store, r Run, tmpDir string) (*Findings, error) {
	var entry *runfolder.ManifestFile
	for i := range r.Manifest.Files {
		if r.Manifest.Files[i].Path == "findings.json" {
			entry = &r.Manifest.Files[i]
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("run %s: manifest lists no findings.json", r.Manifest.RunID)
	}
	src, err := s.Open(ctx, r, "findings.json")
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", r.Manifest.RunID, err)
	}
	if file, ok := src.(*os.File); ok {
		if fi, err := file.Stat(); err == nil && fi.Mode().IsRegular() {
			return verifyInPlace(r.Manifest.RunID, entry, file)
		}
	}
	defer src.Close()
	tmp, err := os.CreateTemp(tmpDir, "reporter-previous-findings-*.json")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Findings, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	if err != nil {
		return fail(fmt.Errorf("run %s: read findings.json: %w", r.Manifest.RunID, err))
	}
	if err := matches(r.Manifest.RunID, entry, h.Sum(nil), n); err != nil {
		return fail(err)
	}
	return &Findings{RunID: r.Manifest.RunID, file: tmp, copied: true}, nil
}

// verifyInPlace hashes the local file and returns it open, with the
// stamp it had while it was hashed. It closes file on error.
func verifyInPlace(runID string, entry *runfolder.ManifestFile, file *os.File) (*Findings, error) {
	fail := func(err error) (*Findings, error) {
		file.Close()
		return nil, err
	}
	before, err := stampOf(file)
	if err != nil {
		return fail(fmt.Errorf("run %s: findings.json: %w", runID, err))
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, struct{ io.Reader }{file}, make([]byte, 1<<20))
	if err != nil {
		return fail(fmt.Errorf("run %s: read findings.json: %w", runID, err))
	}
	if err := matches(runID, entry, h.Sum(nil), n); err != nil {
		return fail(err)
	}
	f := &Findings{RunID: runID, file: file, verified: before}
	if err := f.unchanged(); err != nil {
		return fail(err)
	}
	return f, nil
}

// matches checks a findings.json's SHA-256 and size against its manifest
// entry.
func matches(runID string, entry *runfolder.ManifestFile, sum []byte, n int64) error {
	if got := hex.EncodeToString(sum); got != entry.SHA256 || n != entry.Size {
		return fmt.Errorf("run %s: findings.json does not match its manifest (sha256 %s, manifest %s)", runID, got, entry.SHA256)
	}
	return nil
}

// Previous returns the findings of the newest run before (asOf, runID)
// that is an audit result (not incomplete, at least one account audited)
// and verifies against its manifest; runs that do not are logged and
// passed over. It returns nil when there is none. The caller closes it.
// The verified copy is made in tmpDir (os.TempDir when empty).
func Previous(ctx context.Context, s Store, log *slog.Logger, asOf time.Time, runID, tmpDir string) (*Findings, error) {
	earlier, err := Baselines(ctx, s, log, asOf, runID, Need{}, tmpDir)
	if err != nil || len(earlier) == 0 {
		return nil, err
	}
	return earlier[0], nil
}

// MaxLookback bounds how many earlier runs Baselines considers: an
// account not audited in any of the MaxLookback newest earlier runs that
// are audit results has its findings reported as new.
const MaxLookback = 24

// Baselines returns the earlier runs each account's findings are to be
// compared with, newest first, as verified copies of their findings.json
// (for compare.Runs). The first is the previous run: the newest run
// before (asOf, runID) that is an audit result and verifies against its
// manifest. Older runs follow only where they audited an account in need
// (those audited now) that no newer one did, so an account that failed
// or was left out keeps its history.
//
// Runs are considered newest first, at most MaxLookback of them, and the
// search stops once every account in need is placed. A run that did not
// judge some checks of an account (its checks not run) places only the
// others: an older run that judged them is looked for too. An older run's
// account list is read from the head of its findings.json, which is
// closed there; the whole document is copied (and checked against the
// manifest) only when the run is needed. Incomplete runs, runs that
// audited no account and runs that do not verify (tampered, truncated,
// not a findings document) are passed over, with a log line. A run that
// cannot be read because its store is unavailable, in any store that has
// it, is not passed over: Baselines then fails with an error naming the
// run and wrapping the store's (Unavailable reports it), rather than
// compare with an older run or with none. The caller closes every copy;
// they are made in tmpDir.
func Baselines(ctx context.Context, s Store, log *slog.Logger, asOf time.Time, runID string, need Need, tmpDir string) ([]*Findings, error) {
	runs, err := s.Runs(ctx)
	if err != nil {
		return nil, err
	}
	pending, judges := newNeeds(need)
	var out []*Findings
	fail := func(err error) ([]*Findings, error) {
		for _, f := range out {
			f.Close()
		}
		return nil, err
	}
	looked := 0
	for _, r := range Before(runs, asOf, runID) {
		if len(out) > 0 && len(pending) == 0 {
			break
		}
		if r.Manifest.Failed() {
			log.Info("earlier run passed over: it is no audit result", "run", r.Manifest.RunID, "status", r.Manifest.RunStatus(), "location", r.Location)
			continue
		}
		if looked == MaxLookback {
			log.Info("earlier runs not searched further", "max_runs", MaxLookback, "accounts_without_history", len(pending))
			break
		}
		looked++
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if len(out) > 0 {
			// An older run: is it the baseline of any account in need?
			ids, err := auditedAccounts(ctx, s, r)
			if Unavailable(err) {
				return fail(unreadableRun(r, err))
			}
			if err != nil {
				log.Warn("earlier run passed over", "run", r.Manifest.RunID, "location", r.Location, "err", err)
				continue
			}
			if !pending.placedBy(ids) {
				continue
			}
		}
		f, err := OpenFindings(ctx, s, r, tmpDir)
		if Unavailable(err) {
			return fail(unreadableRun(r, err))
		}
		if err != nil {
			log.Warn("earlier run passed over", "run", r.Manifest.RunID, "location", r.Location, "err", err)
			continue
		}
		// The verified copy decides what the run audited.
		ids, err := f.audited()
		if err != nil {
			f.Close()
			if Unavailable(err) {
				return fail(unreadableRun(r, err))
			}
			log.Warn("earlier run passed over", "run", r.Manifest.RunID, "location", r.Location, "err", err)
			continue
		}
		if ids == nil {
			f.Close()
			log.Info("earlier run passed over: it is no audit result", "run", r.Manifest.RunID, "location", r.Location)
			continue
		}
		if len(out) > 0 && !pending.placedBy(ids) {
			f.Close()
			continue
		}
		pending.place(ids, judges)
		out = append(out, f)
	}
	return out, nil
}

// unreadableRun is the error of Baselines when the earlier run r cannot
// be read for now (err is Unavailable).
func unreadableRun(r Run, err error) error {
	return fmt.Errorf("earlier run %s (%s) could not be read, so no finding could be compared with it: %w", r.Manifest.RunID, r.Location, err)
}

// placement is what an earlier run can be the baseline of: each account
// it audited, with the checks it did not judge there in full (the
// account's checks not run, whole or for some principals).
type placement map[string][]string

// Need is what a run needs earlier runs for.
type Need struct {
	// Accounts are the accounts it audited.
	Accounts map[string]bool
	// Judges reports whether the run judged check in account (for every
	// principal or some); nil: every check in every account. A check it
	// did not judge (turned off, its input failed) needs no baseline.
	Judges func(account, check string) bool
}

// needs are the accounts still without a baseline for some checks: nil
// for every check (no run placed the account yet), else the checks the
// runs placing it so far did not judge in full. compare.Runs then takes
// each finding's baseline from the first run that judged its check.
type needs map[string]map[string]bool

// newNeeds returns the needs of a run; judges is need.Judges, or every
// check when that is nil.
func newNeeds(need Need) (needs, func(account, check string) bool) {
	n := needs{}
	for id, ok := range need.Accounts {
		if ok {
			n[id] = nil
		}
	}
	judges := need.Judges
	if judges == nil {
		judges = func(string, string) bool { return true }
	}
	return n, judges
}

// placedBy reports whether a run of placement p is the baseline of
// anything still needed: an account not placed yet, or a check not
// judged by the runs placing it so far that p judged.
func (n needs) placedBy(p placement) bool {
	for id, gaps := range p {
		checks, ok := n[id]
		if !ok {
			continue
		}
		if checks == nil {
			return true
		}
		for c := range checks {
			if !slices.Contains(gaps, c) {
				return true
			}
		}
	}
	return false
}

// place records the run of placement p as a baseline: what it judged is
// no longer needed, nor what the current run did not judge (judges).
func (n needs) place(p placement, judges func(account, check string) bool) {
	for id, gaps := range p {
		checks, ok := n[id]
		if !ok {
			continue
		}
		left := map[string]bool{}
		for _, c := range gaps {
			if (checks == nil || checks[c]) && judges(id, c) {
				left[c] = true
			}
		}
		if len(left) == 0 {
			delete(n, id)
		} else {
			n[id] = left
		}
	}
}

// auditedAccounts reads the accounts a run audited from the head of its
// findings.json, unverified: it only decides whether the run is worth
// copying and verifying.
func auditedAccounts(ctx context.Context, s Store, r Run) (placement, error) {
	var ids placement
	err := eachCopy(s, r, func(s Store, r Run) error {
		var err error
		ids, err = auditedAccountsOf(ctx, s, r)
		return err
	})
	return ids, err
}

// auditedAccountsOf is auditedAccounts from the one store s.
func auditedAccountsOf(ctx context.Context, s Store, r Run) (placement, error) {
	rc, err := s.Open(ctx, r, "findings.json")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	src := &firstError{r: rc}
	info, accounts, err := jsonfile.ReadHeader(bufio.NewReaderSize(src, 64<<10))
	if src.err != nil {
		// The parser may word a failed read as bad JSON: the read's own
		// error says whether the store is unavailable.
		return nil, fmt.Errorf("run %s: read findings.json: %w", r.Manifest.RunID, src.err)
	}
	if err != nil {
		return nil, err
	}
	return audited(info, accounts), nil
}

// firstError is a reader that keeps the first error of r other than
// io.EOF.
type firstError struct {
	r   io.Reader
	err error
}

func (f *firstError) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF && f.err == nil {
		f.err = err
	}
	return n, err
}

// audited returns the placement of a run, or nil when the run is no
// audit result.
func audited(info result.RunInfo, accounts []result.Account) placement {
	if result.StatusOf(info.Status, info.Error, nil) == result.RunIncomplete {
		return nil
	}
	// A run that lists the checks it applied judged none of the others
	// (the opt-in unused-services turned off).
	var unapplied []string
	if len(info.Checks) > 0 {
		for _, c := range audit.Catalog() {
			if !slices.ContainsFunc(info.Checks, func(e audit.CatalogEntry) bool { return e.ID == c.ID }) {
				unapplied = append(unapplied, c.ID)
			}
		}
	}
	var p placement
	for _, a := range accounts {
		if a.Status != result.StatusCollected {
			continue
		}
		if p == nil {
			p = placement{}
		}
		var gaps []string
		for _, n := range a.ChecksNotRun {
			if n.IsPartial() && len(n.Principals) == 0 && len(n.NotJudged) == 0 {
				continue // only input refused: everything was judged
			}
			for _, c := range n.Checks {
				if _, isCheck := audit.LookupCheck(c); isCheck {
					gaps = append(gaps, c) // not "owners from user tags"
				}
			}
		}
		p[a.ID] = append(gaps, unapplied...)
	}
	return p
}

// audited reads the accounts the run audited from the verified copy.
func (f *Findings) audited() (placement, error) {
	rd, err := f.Reader()
	if err != nil {
		return nil, err
	}
	info, accounts, err := jsonfile.ReadHeader(rd)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", f.RunID, err)
	}
	return audited(info, accounts), nil
}

// NewestAudit returns the as-of of the newest run that is an audit
// result; incomplete runs and runs that audited no account are left out,
// so they never count as a period's audit (the daemon's catch-up).
func NewestAudit(runs []Run) (time.Time, bool) {
	var newest time.Time
	found := false
	for _, r := range runs {
		if r.Manifest.Failed() {
			continue
		}
		if !found || r.Manifest.AsOf.After(newest) {
			newest, found = r.Manifest.AsOf, true
		}
	}
	return newest, found
}

// Trend returns up to n-1 earlier runs' open findings by severity from
// their manifests, oldest first, followed by cur.
func Trend(runs []Run, cur *result.Run, n int) []result.TrendPoint {
	before := Before(runs, cur.Run.AsOf, cur.Run.ID)
	var points []result.TrendPoint
	for _, r := range before {
		if len(points) == n-1 {
			break
		}
		if r.Manifest.Summary == nil {
			continue
		}
		points = append(points, result.TrendPoint{
			RunID: r.Manifest.RunID, AsOf: r.Manifest.AsOf, BySeverity: r.Manifest.Summary.BySeverity,
			Status: r.Manifest.RunStatus(), Failed: r.Manifest.Failed(),
		})
	}
	for i, j := 0, len(points)-1; i < j; i, j = i+1, j-1 {
		points[i], points[j] = points[j], points[i]
	}
	return append(points, result.TrendPoint{
		RunID: cur.Run.ID, AsOf: cur.Run.AsOf, BySeverity: cur.Summary.BySeverity,
		Status: result.StatusOf(cur.Run.Status, cur.Run.Error, &cur.Summary), Failed: cur.Failed(),
	})
}
