// Package notify holds what every notifier needs: retrying an operation
// with backoff under a (retry bool, err) contract, honouring a server's
// Retry-After, and keeping secrets out of errors.
//
// The notifiers themselves live in subpackages (notify/slack) and
// implement app.Notifier. A notification is best-effort: it must never
// touch the run's artifacts, and its failure is reported, not hidden.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reporter-dev/reporter/internal/redact"
)

// Defaults of a zero Retrier.
const (
	DefaultAttempts      = 4
	DefaultBackoff       = time.Second
	DefaultMaxBackoff    = 30 * time.Second
	DefaultMaxRetryAfter = 5 * time.Minute
)

// Op is one attempt of an operation. retry says whether a failure is worth
// another attempt; it is ignored when err is nil. To make the next attempt
// wait for a time the server asked for, wrap err with RetryAfter.
type Op func(ctx context.Context) (retry bool, err error)

// Retrier runs an Op until it succeeds, fails for good, runs out of
// attempts or its context ends. The zero value is ready to use.
type Retrier struct {
	// Attempts is the maximum number of attempts, the first included;
	// 0 means DefaultAttempts.
	Attempts int
	// Backoff is the wait before the second attempt; it doubles for each
	// further attempt, up to MaxBackoff. 0 means the defaults.
	Backoff, MaxBackoff time.Duration
	// MaxRetryAfter caps the wait a server may ask for with Retry-After;
	// a longer one ends the retries. 0 means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	// nil means a real timer; tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told about every failed attempt that will be
	// retried, before the wait. It is how callers log retries.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// Do runs op. It returns nil on success, otherwise an error wrapping the
// last failure that says how many attempts were made and why it stopped.
func (r Retrier) Do(ctx context.Context, op Op) error {
	attempts := or(r.Attempts, DefaultAttempts)
	backoff := or(r.Backoff, DefaultBackoff)
	maxBackoff := or(r.MaxBackoff, DefaultMaxBackoff)
	maxRetryAfter := or(r.MaxRetryAfter, DefaultMaxRetryAfter)
	sleep := r.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	var last error
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			if last == nil {
				return fmt.Errorf("not attempted: %w", err)
			}
			return fmt.Errorf("%w (canceled after %d attempts: %w)", last, n-1, err)
		}
		retry, err := op(ctx)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			return fmt.Errorf("%w (attempt %d, not retryable)", err, n)
		}
		if n >= attempts {
			return fmt.Errorf("%w (gave up after %d attempts)", err, n)
		}
		wait := backoff
		if ra, ok := errors.AsType[*RetryAfterError](err); ok {
			if ra.Wait > maxRetryAfter {
				return fmt.Errorf("%w (attempt %d: server asked to wait %s, more than the %s allowed)", err, n, ra.Wait, maxRetryAfter)
			}
			wait = max(ra.Wait, 0)
		} else {
			backoff = min(2*backoff, maxBackoff)
		}
		if r.OnRetry != nil {
			r.OnRetry(n, wait, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w (canceled after %d attempts: %w)", last, n, err)
		}
	}
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RetryAfterError is a failure after which the server asked for a pause
// (an HTTP 429 with Retry-After). Retrier waits exactly Wait before the
// next attempt instead of its own backoff.
type RetryAfterError struct {
	Wait time.Duration
	Err  error
}

// RetryAfter wraps err so that the next attempt waits d.
func RetryAfter(err error, d time.Duration) error { return &RetryAfterError{Wait: d, Err: err} }

// Error returns the wrapped failure's text.
func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped failure.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// Redacted is the placeholder that replaces a secret in an error.
const Redacted = redact.Placeholder

// Redact returns err with every occurrence of the secrets replaced by
// <redacted>, and the URL of any *url.Error in its chain replaced too, the
// way alertmanager's RedactURL does (an HTTP client error quotes the whole
// URL, and a webhook URL is a secret). A URL secret is also redacted in its
// escaped form, by its path (the secret part of a webhook) and by its
// query string and values. errors.Is and errors.As still see the original
// chain.
func Redact(err error, secrets ...string) error { return redact.Error(err, secrets...) }

func or[T comparable](v, fallback T) T {
	var zero T
	if v == zero {
		return fallback
	}
	return v
}
