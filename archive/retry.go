package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Retry says how often, and after which delays, a failed S3 request is
// tried again. It applies on top of the SDK's own retries, so that a
// short S3 outage does not send a run to the spool.
type Retry struct {
	// Attempts is the number of tries of each request, at least 1.
	Attempts int
	// Delay returns the wait before retry n (1 for the first retry);
	// nil means no wait.
	Delay func(n int) time.Duration
}

// DefaultRetry tries each request 4 times, 2s, 4s then 8s apart.
func DefaultRetry() Retry {
	return Retry{Attempts: 4, Delay: Backoff(2*time.Second, time.Minute)}
}

// Backoff returns delays doubling from base, capped at limit.
func Backoff(base, limit time.Duration) func(n int) time.Duration {
	return func(n int) time.Duration {
		d := base
		for i := 1; i < n && d < limit; i++ {
			d *= 2
		}
		return min(d, limit)
	}
}

// Retryable reports whether a failed S3 request may succeed when tried
// again: no answer at all (connection refused or reset, timeouts),
// throttling and 5xx answers. Every other error is final.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed",
			"InternalError", "ServiceUnavailable", "OperationAborted":
			return true
		}
	}
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	if errors.As(err, &sendErr) || errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		code := respErr.HTTPStatusCode()
		return code >= 500 || code == 429 || code == 408
	}
	return false
}

// do runs op until it succeeds, fails for good, or the attempts run out.
func (r Retry) do(ctx context.Context, log *slog.Logger, what string, op func(context.Context) error) error {
	attempts := max(r.Attempts, 1)
	for n := 1; ; n++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if !Retryable(err) {
			return fmt.Errorf("%s: %w", what, err)
		}
		if n == attempts {
			return fmt.Errorf("%s: gave up after %d attempts: %w", what, n, err)
		}
		var d time.Duration
		if r.Delay != nil {
			d = r.Delay(n)
		}
		log.Warn("S3 request failed; retrying", "op", what, "attempt", n, "of", attempts, "delay", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w after %d attempts (last error: %v)", what, ctx.Err(), n, err)
		case <-t.C:
		}
	}
}
