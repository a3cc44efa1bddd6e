package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Retry says how often, and after which delays, a failed S3 request is
// tried again, so that a short S3 outage does not send a run to the
// spool. It configures the SDK's own retryer (retry.Standard) for every
// request of the Archiver: the archive has no retry loop of its own.
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

// retryer is the SDK retryer r configures: r.Attempts tries, r.Delay
// between them, what Retryable accepts retried besides what the SDK
// retries anyway, no client-side retry quota (an outage must not use up
// the retries of the requests after it), and every retry logged.
func (r Retry) retryer(log *slog.Logger) aws.RetryerV2 {
	attempts := max(r.Attempts, 1)
	std := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(attempt int, _ error) (time.Duration, error) {
			if r.Delay == nil {
				return 0, nil
			}
			// The SDK counts the attempt that failed from 1 (from 0
			// under AWS_NEW_RETRIES_2026): either way, at least retry 1.
			return r.Delay(max(attempt, 1)), nil
		})
		o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if Retryable(err) {
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		}))
	})
	return loggedRetryer{RetryerV2: std, log: log, attempts: attempts}
}

// loggedRetryer logs every retry its RetryerV2 decides on.
type loggedRetryer struct {
	aws.RetryerV2
	log      *slog.Logger
	attempts int
}

// RetryDelay implements aws.Retryer, logging the failure about to be retried.
func (l loggedRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, derr := l.RetryerV2.RetryDelay(attempt, err)
	if derr == nil {
		l.log.Warn("S3 request failed; retrying", "attempt", attempt, "of", l.attempts, "delay", d, "err", err)
	}
	return d, derr
}

// request runs op, one S3 request retried by the SDK as Retry says,
// naming what failed.
func request(ctx context.Context, what string, op func(context.Context) error) error {
	if err := op(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// retryingClient is a Client whose every request uses the archive's retryer.
type retryingClient struct {
	c   Client
	opt func(*s3.Options)
}

func (r retryingClient) PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return r.c.PutObject(ctx, in, append(optFns, r.opt)...)
}

func (r retryingClient) HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return r.c.HeadObject(ctx, in, append(optFns, r.opt)...)
}

func (r retryingClient) GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return r.c.GetObject(ctx, in, append(optFns, r.opt)...)
}

func (r retryingClient) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return r.c.ListObjectsV2(ctx, in, append(optFns, r.opt)...)
}

func (r retryingClient) GetObjectLockConfiguration(ctx context.Context, in *s3.GetObjectLockConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error) {
	return r.c.GetObjectLockConfiguration(ctx, in, append(optFns, r.opt)...)
}

func (r retryingClient) GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	return r.c.GetBucketVersioning(ctx, in, append(optFns, r.opt)...)
}

func (r retryingClient) GetObjectRetention(ctx context.Context, in *s3.GetObjectRetentionInput, optFns ...func(*s3.Options)) (*s3.GetObjectRetentionOutput, error) {
	return r.c.GetObjectRetention(ctx, in, append(optFns, r.opt)...)
}

func (r retryingClient) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	return r.c.ListObjectVersions(ctx, in, append(optFns, r.opt)...)
}
