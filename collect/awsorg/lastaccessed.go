package awsorg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/posture"
)

// Defaults of LastAccessedOptions.
const (
	DefaultJobsPerAccount = 2
	DefaultJobsInFlight   = 32
	DefaultJobTimeout     = 2 * time.Minute
	// maxJobPoll caps the wait between two polls of a job.
	maxJobPoll = 5 * time.Second
)

// LastAccessedOptions configure the service last-accessed jobs of the
// unused-services check (iam:GenerateServiceLastAccessedDetails, service
// level, then iam:GetServiceLastAccessedDetails, every page), run for
// each user and role that holds a policy, in the account's assumed-role
// session, after the account's other reads.
type LastAccessedOptions struct {
	// MinAge: principals created less than this long ago are not asked
	// about (the check judges only older ones).
	MinAge time.Duration
	// Scope selects principals by IAM path.
	Scope posture.PathScope
	// MaxPrincipals caps the principals asked about per account (users
	// first, in IAM's order); 0 means no cap. The others are NotAsked.
	MaxPrincipals int
	// JobsPerAccount bounds the jobs in flight in one account;
	// JobsInFlight those of the whole collection.
	JobsPerAccount int
	JobsInFlight   int
	// JobTimeout bounds one principal's job, from generation to the last
	// page; a job that takes longer fails that principal only.
	JobTimeout time.Duration
	// Now is the clock MinAge is measured with when the Collect context
	// carries no as-of (collect.WithAsOf); time.Now when nil.
	Now func() time.Time
}

func (o *LastAccessedOptions) withDefaults() error {
	setDefault(&o.JobsPerAccount, DefaultJobsPerAccount)
	setDefault(&o.JobsInFlight, DefaultJobsInFlight)
	setDefault(&o.JobTimeout, DefaultJobTimeout)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.JobsPerAccount < 0 || o.JobsInFlight < 0 || o.JobTimeout < 0 || o.MaxPrincipals < 0 || o.MinAge < 0 {
		return errors.New("last-accessed jobs, timeout, cap and age must not be negative")
	}
	return o.Scope.Validate()
}

// ErrJobTimeout means one principal's last-accessed job took longer than
// LastAccessedOptions.JobTimeout.
var ErrJobTimeout = errors.New("last-accessed job deadline exceeded")

// lastAccessed runs the jobs of the account's principals that hold a
// policy and returns what they gave; evidence is every completed job, as
// the dir: source reads it. A principal whose job fails is in Failed.
func (s *Source) lastAccessed(ctx context.Context, client iamAPI, account string, d *posture.AuthorizationDetails) (*posture.LastAccessed, []posture.File) {
	o := s.opts.LastAccessed
	la := posture.NewLastAccessed()
	// The run's as-of, as the evaluator judges ages: a principal too
	// young for it is not asked about, one old enough always is.
	now, ok := collect.AsOf(ctx)
	if !ok {
		now = o.Now()
	}
	var asked []posture.Principal
	for _, p := range d.PolicyHolders() {
		if !p.Created.IsZero() && now.Sub(p.Created) <= o.MinAge {
			continue // too young to be judged
		}
		if why := o.Scope.Why(p.Path); why != "" {
			la.NotAsked[p.ARN] = why
			continue
		}
		if o.MaxPrincipals > 0 && len(asked) == o.MaxPrincipals {
			la.NotAsked[p.ARN] = fmt.Sprintf("over the cap of %d principals per account (unused_permissions.max_principals_per_account)", o.MaxPrincipals)
			continue
		}
		asked = append(asked, p)
	}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(o.JobsPerAccount)
	for _, p := range asked {
		g.Go(func() error {
			out, err := s.lastAccessedJob(ctx, client, p.ARN)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				la.Failed[p.ARN] = err
				s.log.Warn("unused-services not judged for a principal", "account", account, "principal", p.ID(), "err", err)
				return nil
			}
			la.Principals[p.ARN] = out
			return nil
		})
	}
	g.Wait()
	var ev []posture.File
	if len(la.Principals) > 0 {
		data, err := posture.MarshalLastAccessed(la)
		if err == nil {
			ev = append(ev, posture.File{Name: account + ".service-last-accessed.json", Data: data})
		}
	}
	return la, ev
}

// lastAccessedJob generates one principal's service-level job and reads
// it, polling while it is in progress, then every page by Marker (the SDK
// has no paginator for it), within one slot of JobsInFlight and
// JobTimeout. A FAILED job (HTTP 200 with an Error element) is an error.
func (s *Source) lastAccessedJob(ctx context.Context, client iamAPI, arn string) (*posture.ServiceLastAccessedDetails, error) {
	select {
	case s.jobSlots <- struct{}{}:
		defer func() { <-s.jobSlots }()
	case <-ctx.Done():
		return nil, opError(ctx, "", "iam:GenerateServiceLastAccessedDetails", "", ctx.Err())
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.opts.LastAccessed.JobTimeout,
		fmt.Errorf("%w (%s)", ErrJobTimeout, s.opts.LastAccessed.JobTimeout))
	defer cancel()
	gen, err := client.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String(arn), Granularity: types.AccessAdvisorUsageGranularityTypeServiceLevel,
	})
	if err != nil {
		return nil, opError(ctx, "", "iam:GenerateServiceLastAccessedDetails", "", err)
	}
	// The job's time counts from its creation: a throttled Generate's
	// retries must not teach the clock that jobs are slow.
	started := time.Now()
	jobID := aws.ToString(gen.JobId)
	const get = "iam:GetServiceLastAccessedDetails"
	estimated := false
	var out *iam.GetServiceLastAccessedDetailsOutput
	// Every poll is planned: a job is never complete the moment it is
	// generated, so the first comes when jobs typically complete (once
	// one has been seen to), and the clock learns from whether it was
	// early or late.
	for n := 0; ; n++ {
		d, planned := s.pollDelayOf(&s.jobs, n, time.Since(started))
		if n == 0 {
			estimated = planned
		}
		if err := sleep(ctx, min(d, maxJobPoll)); err != nil {
			return nil, fmt.Errorf("%s job %s: still IN_PROGRESS after %d polls: %w", get, jobID, n, err)
		}
		if out, err = client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(jobID)}); err != nil {
			if n > 0 && ctx.Err() != nil {
				return nil, fmt.Errorf("%s job %s: still IN_PROGRESS after %d polls: %w", get, jobID, n, context.Cause(ctx))
			}
			return nil, opError(ctx, "", get, "job "+jobID, err)
		}
		if out.JobStatus != types.JobStatusTypeInProgress {
			s.jobs.observe(time.Since(started), estimated, n == 0)
			break
		}
	}
	res := &posture.ServiceLastAccessedDetails{JobStatus: string(out.JobStatus), JobType: string(out.JobType),
		JobCreationDate: out.JobCreationDate, JobCompletionDate: out.JobCompletionDate}
	if e := out.Error; e != nil {
		res.Error = &posture.JobError{Code: aws.ToString(e.Code), Message: aws.ToString(e.Message)}
	}
	if out.JobStatus != types.JobStatusTypeCompleted {
		return nil, fmt.Errorf("%s job %s: %w", get, jobID, res.Usable())
	}
	guard := newPageGuard(maxLastAccessedPages, "for at most 100 services each")
	for {
		for _, sv := range out.ServicesLastAccessed {
			res.ServicesLastAccessed = append(res.ServicesLastAccessed, posture.ServiceLastAccessed{
				ServiceName: aws.ToString(sv.ServiceName), ServiceNamespace: aws.ToString(sv.ServiceNamespace),
				LastAuthenticated: sv.LastAuthenticated, LastAuthenticatedEntity: aws.ToString(sv.LastAuthenticatedEntity),
				LastAuthenticatedRegion: aws.ToString(sv.LastAuthenticatedRegion), TotalAuthenticatedEntities: intPtr(sv.TotalAuthenticatedEntities),
			})
		}
		more, err := guard.next(out.IsTruncated, out.Marker)
		if err != nil {
			return nil, opError(ctx, "", get, "job "+jobID, err)
		}
		if !more {
			break
		}
		marker := out.Marker
		if out, err = client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(jobID), Marker: marker}); err != nil {
			return nil, opError(ctx, "", get, "job "+jobID+" (a later page)", err)
		}
	}
	return res, nil
}

func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}
