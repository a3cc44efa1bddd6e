package history

import (
	"context"
	"errors"
	"io"
	"sync"
)

// Union merges the runs of several stores: a run found in more than one
// (by run ID) is read from the first that has it. A store that cannot be
// listed is passed over, so an unreachable archive falls back to the
// local run folders; Runs fails only when every store does. A run that
// cannot be read from the first store because it is unavailable (see
// Unavailable) is read from the next store that has it: an archived run
// from its local run folder, checked against the same manifest by
// OpenFindings.
type Union struct {
	Stores []Store

	mu     sync.Mutex
	copies map[string][]storeRun // run ID -> where it is, first store first
}

// storeRun is a run as one store lists it (its Location is that store's).
type storeRun struct {
	store Store
	run   Run
}

// Runs implements Store.
func (u *Union) Runs(ctx context.Context) ([]Run, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.copies = map[string][]storeRun{}
	var out []Run
	var errs []error
	for _, s := range u.Stores {
		runs, err := s.Runs(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range runs {
			id := r.Manifest.RunID
			if _, seen := u.copies[id]; !seen {
				out = append(out, r)
			}
			u.copies[id] = append(u.copies[id], storeRun{s, r})
		}
	}
	if len(errs) == len(u.Stores) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Open implements Store. When the first store that has the run is
// unavailable, the next is tried.
func (u *Union) Open(ctx context.Context, r Run, path string) (io.ReadCloser, error) {
	var rc io.ReadCloser
	err := eachCopy(u, r, func(s Store, r Run) error {
		var err error
		rc, err = s.Open(ctx, r, path)
		return err
	})
	return rc, err
}

// copiesOf returns where the run r can be read, first store first: r
// itself in the store that listed it first, then the run as each other
// store lists it, with r's manifest (the one every copy is checked
// against).
func (u *Union) copiesOf(r Run) []storeRun {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []storeRun
	for i, c := range u.copies[r.Manifest.RunID] {
		if i == 0 {
			out = append(out, storeRun{c.store, r})
			continue
		}
		out = append(out, storeRun{c.store, Run{Manifest: r.Manifest, Location: c.run.Location}})
	}
	return out
}

// eachCopy calls read with the run r in the store s; when s is a Union,
// with each store that has r in turn, as long as read fails because the
// store is unavailable. It returns nil once a read succeeds. Otherwise it
// returns the errors of every store tried, joined: a copy that fails for
// another reason (tampered, missing) after an outage of the first store
// leaves the error Unavailable, since the first store's copy may be
// sound.
func eachCopy(s Store, r Run, read func(Store, Run) error) error {
	u, ok := s.(*Union)
	if !ok {
		return read(s, r)
	}
	copies := u.copiesOf(r)
	if len(copies) == 0 {
		return errors.New("run " + r.Manifest.RunID + " is not in any store")
	}
	var errs []error
	for _, c := range copies {
		err := read(c.store, c.run)
		if err == nil || (len(errs) == 0 && !Unavailable(err)) {
			return err
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
