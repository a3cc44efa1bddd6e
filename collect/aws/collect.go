package awssource

import (
	"context"
	"fmt"

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
func (s *Source) Collect(ctx context.Context, sink func(collect.AccountResult) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.RunTimeout, s.runTimeout)
	defer cancel()

	me, err := s.whoAmI(ctx)
	if err != nil {
		return err
	}
	targets := []target{{acct: collect.Account{ID: me.account}, base: true}}
	if s.opts.Mode == ModeOrg {
		if targets, err = s.planOrg(ctx, me); err != nil {
			return err
		}
	}

	s.expected.Store(int64(len(targets)))

	results := make(chan collect.AccountResult)
	go func() {
		defer close(results)
		var g errgroup.Group
		g.SetLimit(s.opts.Concurrency)
		for _, t := range targets {
			g.Go(func() error {
				results <- s.collectAccount(ctx, me, t)
				return nil // an account's failure is its result
			})
		}
		g.Wait()
	}()

	var sinkErr error
	for res := range results {
		if sinkErr != nil {
			continue // drain, so that the workers can finish
		}
		if sinkErr = sink(res); sinkErr != nil {
			cancel()
		}
	}
	if sinkErr != nil {
		return sinkErr
	}
	if ctx.Err() != nil {
		return fmt.Errorf("collection ended early: %w", context.Cause(ctx))
	}
	return nil
}

// Expected implements collect.Counter: the number of accounts Collect
// yields, known once the organization is listed; 0 before.
func (s *Source) Expected() int { return int(s.expected.Load()) }
