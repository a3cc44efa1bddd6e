package awsorg

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// iamThrottleCodes are IAM throttling codes the SDK does not retry by
// itself: LimitExceeded on GenerateCredentialReport means "no capacity
// for another report generation task now".
var iamThrottleCodes = map[string]struct{}{"LimitExceeded": {}}

// retryer is the single retry policy of every AWS call: the SDK's
// standard retryer (Throttling, TooManyRequestsException, 5xx, connection
// errors), plus IAM's LimitExceeded for IAM clients, with the configured
// attempts and backoff. The client-side retry quota is off: one account
// throttled many times must not make other accounts fail fast.
func (s *Source) retryer(iamClient bool) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = s.opts.MaxAttempts
		o.MaxBackoff = s.opts.MaxBackoff
		o.Backoff = s.opts.Backoff
		if o.Backoff == nil {
			o.Backoff = retry.NewExponentialJitterBackoff(s.opts.MaxBackoff)
		}
		o.RateLimiter = ratelimit.None
		if iamClient {
			o.Retryables = append(o.Retryables[:len(o.Retryables):len(o.Retryables)], retry.RetryableErrorCode{Codes: iamThrottleCodes})
			o.Throttles = append(o.Throttles[:len(o.Throttles):len(o.Throttles)], retry.ThrottleErrorCode{Codes: iamThrottleCodes})
		}
	})
}

// sleep waits d, or until ctx ends and returns its cause.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
