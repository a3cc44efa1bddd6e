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
// local run folders; Runs fails only when every store does.
type Union struct {
	Stores []Store

	mu    sync.Mutex
	owner map[string]Store // run ID -> the store it is read from
}

// Runs implements Store.
func (u *Union) Runs(ctx context.Context) ([]Run, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.owner = map[string]Store{}
	var out []Run
	var errs []error
	for _, s := range u.Stores {
		runs, err := s.Runs(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range runs {
			if _, seen := u.owner[r.Manifest.RunID]; !seen {
				u.owner[r.Manifest.RunID] = s
				out = append(out, r)
			}
		}
	}
	if len(errs) == len(u.Stores) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Open implements Store.
func (u *Union) Open(ctx context.Context, r Run, path string) (io.ReadCloser, error) {
	u.mu.Lock()
	s, ok := u.owner[r.Manifest.RunID]
	u.mu.Unlock()
	if !ok {
		return nil, errors.New("run " + r.Manifest.RunID + " is not in any store")
	}
	return s.Open(ctx, r, path)
}
