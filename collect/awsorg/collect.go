package awsorg

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/collect"
)

// Collect implements collect.Source. It lists the accounts (org mode) or
// identifies the caller's account (account mode), collects up to
// Options.Concurrency accounts at a time, and calls sink with each result
// from this goroutine only. It returns an error when the accounts cannot
// be listed, when sink fails, or when the run timeout or ctx ended the
// collection early (every account is still passed to sink, the
// unfinished ones as Failed).
//
// Accounts are collected as soon as their page of the listing is read,
// so that a long listing overlaps the collection, and each result goes to
// sink as soon as it is ready, listing or not: a worker hands its result
// over before it takes the next account, so at most Options.Concurrency
// results exist that sink has not taken, whatever the organization's
// size. (An account's result can weigh megabytes: its authorization
// details and their raw pages.) Expected is therefore known only once the
// organization is listed. A listing that fails part way cancels the
// accounts in flight, drops their results and returns the error after
// the results already passed: the run is incomplete, as an interrupted
// one.
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

	var listErr, sinkErr error
	for in := results; in != nil || listed != nil; {
		select {
		case listErr = <-listed:
			listed = nil
			if listErr != nil {
				cancel() // the results of the accounts in flight are dropped
				continue
			}
			s.expected.Store(int64(queue.pushed()))
		case res, ok := <-in:
			switch {
			case !ok:
				in = nil
			case listErr != nil, sinkErr != nil:
				// drain, so that the workers can finish
			default:
				if sinkErr = sink(res); sinkErr != nil {
					cancel()
				}
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
// yields, known once the organization is listed (in org mode usually
// after the first results); 0 before.
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
