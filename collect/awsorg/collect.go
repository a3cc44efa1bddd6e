package awsorg

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/collect"
)

// heldPerWorker bounds, per account collected at a time, the results held
// back while the organization is still being listed.
const heldPerWorker = 4

// Collect implements collect.Source. It lists the accounts (org mode) or
// identifies the caller's account (account mode), collects up to
// Options.Concurrency accounts at a time, and calls sink with each result
// from this goroutine only. It returns an error when the accounts cannot
// be listed, when sink fails, or when the run timeout or ctx ended the
// collection early (every account is still passed to sink, the
// unfinished ones as Failed).
//
// Accounts are collected as soon as their page of the listing is read,
// so that a long listing overlaps the collection; but no result reaches
// sink before the whole organization is listed. A listing that fails
// therefore yields nothing, as one that fails on its first page, and
// Expected is known before the first result. Until then, results are held
// (at most heldPerWorker × Options.Concurrency; the accounts that finish
// after that wait for the listing).
func (s *Source) Collect(ctx context.Context, sink func(collect.AccountResult) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.RunTimeout, s.runTimeout)
	defer cancel()

	me, err := s.whoAmI(ctx)
	if err != nil {
		return err
	}
	s.expected.Store(0)

	queue := newTargetQueue()
	listed := make(chan error, 1)
	go func() {
		defer queue.close()
		if s.opts.Mode != ModeOrg {
			queue.push(target{acct: collect.Account{ID: me.account}, base: true})
			listed <- nil
			return
		}
		_, err := s.planOrg(ctx, me, queue.push)
		listed <- err
	}()

	results := make(chan collect.AccountResult)
	go func() {
		defer close(results)
		var g errgroup.Group
		g.SetLimit(s.opts.Concurrency)
		for t, ok := queue.pop(); ok; t, ok = queue.pop() {
			g.Go(func() error {
				results <- s.collectAccount(ctx, me, t)
				return nil // an account's failure is its result
			})
		}
		g.Wait()
	}()

	var held []collect.AccountResult
	var listErr, sinkErr error
	deliver := func(res collect.AccountResult) {
		if sinkErr != nil {
			return // drain, so that the workers can finish
		}
		if sinkErr = sink(res); sinkErr != nil {
			cancel()
		}
	}
	for in := results; in != nil || listed != nil; {
		recv := in
		if listed != nil && len(held) >= heldPerWorker*s.opts.Concurrency {
			recv = nil // the workers wait for the listing
		}
		select {
		case listErr = <-listed:
			listed = nil
			if listErr != nil {
				cancel() // the results of the accounts in flight are dropped
				held = nil
				continue
			}
			s.expected.Store(int64(queue.pushed()))
			for _, res := range held {
				deliver(res)
			}
			held = nil
		case res, ok := <-recv:
			switch {
			case !ok:
				in = nil
			case listErr != nil:
			case listed != nil:
				held = append(held, res)
			default:
				deliver(res)
			}
		}
	}
	switch {
	case listErr != nil:
		return listErr
	case sinkErr != nil:
		return sinkErr
	case ctx.Err() != nil:
		return fmt.Errorf("collection ended early: %w", context.Cause(ctx))
	}
	return nil
}

// Expected implements collect.Counter: the number of accounts Collect
// yields, known once the organization is listed (before the first
// result); 0 before.
func (s *Source) Expected() int { return int(s.expected.Load()) }

// targetQueue hands the targets of the listing, one goroutine, to the
// dispatcher of the workers, another, as pages are read. Pushing never
// waits, so the listing never waits for the workers.
type targetQueue struct {
	mu     sync.Mutex
	items  []target
	next   int
	closed bool
	ready  chan struct{} // a token after a push or close, for the one popper
}

func newTargetQueue() *targetQueue { return &targetQueue{ready: make(chan struct{}, 1)} }

func (q *targetQueue) push(t target) {
	q.mu.Lock()
	q.items = append(q.items, t)
	q.mu.Unlock()
	q.signal()
}

// close ends the queue: pop returns false once the items are taken.
func (q *targetQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *targetQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop returns the next target, waiting for one; false when the queue is
// closed and empty. Only one goroutine may pop.
func (q *targetQueue) pop() (target, bool) {
	for {
		q.mu.Lock()
		if q.next < len(q.items) {
			t := q.items[q.next]
			q.items[q.next] = target{}
			q.next++
			q.mu.Unlock()
			return t, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return target{}, false
		}
		<-q.ready
	}
}

// pushed is the number of targets pushed so far.
func (q *targetQueue) pushed() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
