package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// script returns an Op that fails with errs[i] (retry true) on attempt i+1
// and succeeds after them; a nil entry succeeds at once.
func script(calls *int, results ...error) Op {
	return func(context.Context) (bool, error) {
		*calls++
		if *calls > len(results) {
			return false, nil
		}
		err := results[*calls-1]
		return err != nil, err
	}
}

func TestRetrierDo(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		r         Retrier
		op        func(calls *int) Op
		wantCalls int
		wantWaits []time.Duration
		wantErr   string // substring; empty means success
	}{
		{
			name: "success at once", op: func(c *int) Op { return script(c) },
			wantCalls: 1,
		},
		{
			name: "retry then success", op: func(c *int) Op { return script(c, boom) },
			wantCalls: 2, wantWaits: []time.Duration{time.Second},
		},
		{
			name:      "backoff doubles up to the cap, then gives up",
			r:         Retrier{Attempts: 5, Backoff: time.Second, MaxBackoff: 3 * time.Second},
			op:        func(c *int) Op { return script(c, boom, boom, boom, boom, boom) },
			wantCalls: 5, wantWaits: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second},
			wantErr: "boom (gave up after 5 attempts)",
		},
		{
			name: "not retryable",
			op: func(c *int) Op {
				return func(context.Context) (bool, error) { *c++; return false, boom }
			},
			wantCalls: 1, wantErr: "boom (attempt 1, not retryable)",
		},
		{
			name:      "Retry-After replaces the backoff",
			op:        func(c *int) Op { return script(c, RetryAfter(boom, 7*time.Second), boom) },
			wantCalls: 3, wantWaits: []time.Duration{7 * time.Second, time.Second},
		},
		{
			name:      "Retry-After longer than allowed stops",
			r:         Retrier{MaxRetryAfter: time.Minute},
			op:        func(c *int) Op { return script(c, RetryAfter(boom, time.Hour)) },
			wantCalls: 1, wantErr: "server asked to wait 1h0m0s, more than the 1m0s allowed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			var retried []int
			r := tt.r
			r.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			r.OnRetry = func(attempt int, _ time.Duration, _ error) { retried = append(retried, attempt) }
			calls := 0
			err := r.Do(context.Background(), tt.op(&calls))
			if calls != tt.wantCalls {
				t.Errorf("Do() made %d attempts, want %d", calls, tt.wantCalls)
			}
			if !slices.Equal(waits, tt.wantWaits) {
				t.Errorf("Do() waited %v, want %v", waits, tt.wantWaits)
			}
			if len(retried) != len(tt.wantWaits) {
				t.Errorf("OnRetry called for attempts %v, want %d calls", retried, len(tt.wantWaits))
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Do() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Do() = %v, want an error containing %q", err, tt.wantErr)
			case tt.wantErr != "" && !errors.Is(err, boom):
				t.Errorf("Do() = %v, does not wrap the last failure", err)
			}
		})
	}
}

func TestRetrierDoCanceled(t *testing.T) {
	boom := errors.New("boom")
	t.Run("during the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		r := Retrier{Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
		err := r.Do(ctx, script(&calls, boom, boom))
		if calls != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, boom) {
			t.Errorf("Do() = %v after %d attempts, want canceled after 1 wrapping boom", err, calls)
		}
	})
	t.Run("before the first attempt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := Retrier{}.Do(ctx, script(&calls))
		if calls != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("Do() = %v after %d attempts, want not attempted", err, calls)
		}
	})
	t.Run("real sleep ends with the context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Sleep() = %v, want deadline exceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Sleep() took %v after the context ended", d)
		}
	})
}

func TestRedact(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T000/B000/s3cr3tPath"
	const token = "xoxb-1234-s3cr3t"
	httpErr := func() error {
		return &url.Error{Op: "Post", URL: hook, Err: errors.New("dial tcp: connection refused")}
	}
	tests := []struct {
		name string
		err  error
	}{
		{"url.Error", httpErr()},
		{"wrapped url.Error", fmt.Errorf("failed to post webhook: %w", httpErr())},
		{"joined", errors.Join(errors.New("first"), fmt.Errorf("second: %w", httpErr()))},
		{"token in text", fmt.Errorf("bad token %s", token)},
		{"escaped URL", fmt.Errorf("request to %s failed", url.QueryEscape(hook))},
		{"path only", errors.New(`POST "/services/T000/B000/s3cr3tPath": 404`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.err, token, hook)
			for _, secret := range []string{"s3cr3t", token} {
				if strings.Contains(got.Error(), secret) {
					t.Errorf("Redact(%q) = %q, still contains %q", tt.err, got, secret)
				}
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Redact() = %v, no longer wraps the original error", got)
			}
		})
	}
	if Redact(nil, token) != nil {
		t.Error("Redact(nil) != nil")
	}
	var ue *url.Error
	if !errors.As(Redact(httpErr(), hook), &ue) || ue.URL != Redacted {
		t.Errorf("Redact() keeps *url.Error reachable with URL %q, want %q", ue.URL, Redacted)
	}
}
