package awsorg

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// ErrAccountTimeout means one account took longer than Options.AccountTimeout.
var ErrAccountTimeout = errors.New("account timeout exceeded")

// ErrRunTimeout means the whole collection took longer than Options.RunTimeout.
var ErrRunTimeout = errors.New("run timeout exceeded")

// OpError locates a failed AWS call: the account it was about, the
// operation, and the AWS error code and message when AWS answered.
type OpError struct {
	// Account is the account the call was about; empty when not yet known.
	Account string
	// Op is the IAM action, e.g. "sts:AssumeRole".
	Op string
	// Resource is what Op was called on, e.g. the role ARN; may be empty.
	Resource string
	// Code and Message are AWS's error code and message; empty when the
	// call got no answer (for example on a timeout).
	Code    string
	Message string
	// RequestID is AWS's request ID, for AWS support.
	RequestID string
	// Attempts counts the attempts when the SDK gave up retrying.
	Attempts int
	// Err is the underlying error: the SDK error, or the cause of a
	// context that ended (ErrAccountTimeout, ErrRunTimeout…).
	Err error
}

// Error renders "account 111122223333: sts:AssumeRole arn:…: AccessDenied: … (request ID …)".
func (e *OpError) Error() string {
	var b strings.Builder
	if e.Account != "" {
		fmt.Fprintf(&b, "account %s: ", e.Account)
	}
	b.WriteString(e.Op)
	if e.Resource != "" {
		b.WriteString(" " + e.Resource)
	}
	if e.Code == "" {
		b.WriteString(": " + e.Err.Error())
		return b.String()
	}
	fmt.Fprintf(&b, ": %s: %s", e.Code, e.Message)
	var extra []string
	if e.Attempts > 0 {
		extra = append(extra, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if e.RequestID != "" {
		extra = append(extra, "request ID "+e.RequestID)
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }

// opError describes err, returned by op about account. When ctx has
// ended, its cause (a timeout or cancellation) replaces the SDK's wording.
func opError(ctx context.Context, account, op, resource string, err error) *OpError {
	e := &OpError{Account: account, Op: op, Resource: resource, Err: err}
	if ctx.Err() != nil {
		e.Err = context.Cause(ctx)
		return e
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		e.Code, e.Message = apiErr.ErrorCode(), apiErr.ErrorMessage()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		e.RequestID = respErr.ServiceRequestID()
	}
	var maxErr *retry.MaxAttemptsError
	if errors.As(err, &maxErr) {
		e.Attempts = maxErr.Attempt
	}
	if respErr != nil && (e.Code == "" || e.Code == "UnknownError") {
		// Not an AWS error body (a proxy's HTML page, say): the SDK has
		// no code, so name the HTTP answer instead of "UnknownError".
		e.Code, e.Message = "", ""
		e.Err = fmt.Errorf("HTTP %d %s with a %s body, not an AWS answer (a proxy or load balancer in between?)%s",
			respErr.HTTPStatusCode(), http.StatusText(respErr.HTTPStatusCode()), or(respErr.Response.Header.Get("Content-Type"), "untyped"), e.attemptsNote())
	}
	return e
}

// attemptsNote is " (after N attempts)" when the SDK gave up retrying.
func (e *OpError) attemptsNote() string {
	if e.Attempts > 0 {
		return fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return ""
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
