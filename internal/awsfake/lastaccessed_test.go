package awsfake_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// lastAccessedTestOrg is testOrg with member A's users and roles holding
// last-accessed data: user ok completes with 3 services, role broken's
// job FAILED.
func lastAccessedTestOrg() awsfake.Org {
	org := testOrg()
	a := &org.Accounts[1]
	used := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	a.Details = &posture.AuthorizationDetails{
		UserDetailList: []posture.UserDetail{{Path: "/", UserName: "ok", Arn: "arn:aws:iam::" + memberA + ":user/ok"}},
		RoleDetailList: []posture.RoleDetail{{Path: "/", RoleName: "broken", Arn: "arn:aws:iam::" + memberA + ":role/broken"}},
	}
	a.LastAccessed = map[string]*posture.ServiceLastAccessedDetails{
		"arn:aws:iam::" + memberA + ":user/ok": {JobStatus: posture.JobCompleted, ServicesLastAccessed: []posture.ServiceLastAccessed{
			{ServiceName: "Amazon S3", ServiceNamespace: "s3", LastAuthenticated: &used, LastAuthenticatedEntity: "arn:aws:iam::" + memberA + ":user/ok", TotalAuthenticatedEntities: ptr(1)},
			{ServiceName: "Amazon EC2", ServiceNamespace: "ec2"},
			{ServiceName: "AWS Lambda", ServiceNamespace: "lambda"},
		}},
		"arn:aws:iam::" + memberA + ":role/broken": {JobStatus: posture.JobFailed, Error: &posture.JobError{Code: "ServiceFailure", Message: "Job failed for reasons"}},
	}
	a.Fault.JobPolls = 1
	return org
}

// bodyOf captures the raw body of each 200 answer of a client.
type bodyOf struct{ last []byte }

func (b *bodyOf) option(o *iam.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("test.body", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.StatusCode == http.StatusOK {
				data, _ := io.ReadAll(resp.Body)
				resp.Body = io.NopCloser(bytes.NewReader(data))
				b.last = data
			}
			return out, md, err
		}), middleware.After)
	})
}

func TestServiceLastAccessedJobs(t *testing.T) {
	srv, url := start(t, lastAccessedTestOrg(), awsfake.Options{})
	ctx := context.Background()
	session := assume(t, url, memberA)
	client := iam.NewFromConfig(cfg(url, session))
	generate := func(arn string) string {
		t.Helper()
		out, err := client.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arn)})
		if err != nil {
			t.Fatalf("Generate(%s) = %v", arn, err)
		}
		return aws.ToString(out.JobId)
	}

	t.Run("in progress, then completed over pages by Marker", func(t *testing.T) {
		job := generate("arn:aws:iam::" + memberA + ":user/ok")
		var raw bodyOf
		first, err := client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(job)}, raw.option)
		if err != nil || first.JobStatus != types.JobStatusTypeInProgress || first.JobCompletionDate != nil {
			t.Fatalf("first poll = %s completed %v, %v; want IN_PROGRESS without a completion date", first.JobStatus, first.JobCompletionDate, err)
		}
		var names []string
		var marker *string
		pages := 0
		for {
			out, err := client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(job), MaxItems: aws.Int32(2), Marker: marker}, raw.option)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if out.JobStatus != types.JobStatusTypeCompleted || out.JobCompletionDate == nil {
				t.Fatalf("page %d: %s", pages, out.JobStatus)
			}
			for _, s := range out.ServicesLastAccessed {
				names = append(names, aws.ToString(s.ServiceNamespace))
				if aws.ToString(s.ServiceNamespace) == "ec2" && (s.LastAuthenticated != nil || s.TotalAuthenticatedEntities != nil) {
					t.Errorf("unused ec2: %+v, want no last authentication", s)
				}
			}
			if !out.IsTruncated {
				if bytes.Contains(raw.last, []byte("<Marker>")) {
					t.Error("the last page carries a Marker")
				}
				break
			}
			marker = out.Marker
		}
		if pages != 2 || strings.Join(names, ",") != "s3,ec2,lambda" {
			t.Errorf("%d pages of %v, want 2 of s3,ec2,lambda", pages, names)
		}
	})

	t.Run("FAILED is an HTTP 200 with an Error element", func(t *testing.T) {
		job := generate("arn:aws:iam::" + memberA + ":role/broken")
		var raw bodyOf
		var out *iam.GetServiceLastAccessedDetailsOutput
		for range 2 { // one poll in progress
			var err error
			if out, err = client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(job)}, raw.option); err != nil {
				t.Fatalf("a FAILED job answered an error: %v", err)
			}
		}
		if out.JobStatus != types.JobStatusTypeFailed || out.Error == nil || aws.ToString(out.Error.Code) != "ServiceFailure" {
			t.Fatalf("Get = %s, error %+v; want FAILED with ServiceFailure", out.JobStatus, out.Error)
		}
		if !bytes.Contains(raw.last, []byte("<Error><Message>Job failed for reasons</Message><Code>ServiceFailure</Code></Error>")) {
			t.Errorf("body %s: no <Error> inside the result", raw.last)
		}
	})

	t.Run("unknown job, another session's job, unknown principal: NoSuchEntity", func(t *testing.T) {
		job := generate("arn:aws:iam::" + memberA + ":user/ok")
		other := iam.NewFromConfig(cfg(url, assume(t, url, memberA)))
		for name, call := range map[string]func() error{
			"unknown job": func() error {
				_, err := client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String("11111111-2222-4333-8444-555555555555")})
				return err
			},
			"another session": func() error {
				_, err := other.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(job)})
				return err
			},
			"unknown principal": func() error {
				_, err := client.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::" + memberA + ":role/nobody")})
				return err
			},
			"another account's principal": func() error {
				_, err := client.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::" + memberB + ":user/ok")})
				return err
			},
		} {
			if got := code(t, call()); got != "NoSuchEntity" {
				t.Errorf("%s: %s, want NoSuchEntity", name, got)
			}
		}
	})

	t.Run("throttled as injected", func(t *testing.T) {
		if err := srv.SetFault(memberA, awsfake.Fault{Throttle: map[string]int{"GenerateServiceLastAccessedDetails": 1}}); err != nil {
			t.Fatal(err)
		}
		_, err := client.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::" + memberA + ":user/ok")})
		if got := code(t, err); got != "Throttling" {
			t.Errorf("first call: %s, want Throttling", got)
		}
		generate("arn:aws:iam::" + memberA + ":user/ok")
	})
}
