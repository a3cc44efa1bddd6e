package awsorg_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/collect/posture"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// lastAccessedOrg is smallOrg(n) whose accounts hold last-accessed data
// for every principal with a policy (3 users through their group, and
// the roles but the service-linked one).
func lastAccessedOrg(n, roles int) awsfake.Org {
	org := smallOrg(n)
	for i := range org.Accounts {
		a := &org.Accounts[i]
		a.Details, a.Summary, a.VirtualMFA = awsfake.SyntheticPosture(a.ID, generatedTime, roles, 2)
		a.LastAccessed = awsfake.SyntheticLastAccessed(a.ID, a.Details, generatedTime)
	}
	return org
}

func laOptions(la awsorg.LastAccessedOptions) awsorg.Options {
	o := fastOptions(awsorg.ModeOrg)
	la.MinAge = 90 * 24 * time.Hour
	la.Now = func() time.Time { return generatedTime }
	o.LastAccessed = &la
	return o
}

func TestLastAccessedCollected(t *testing.T) {
	member := "100000000001"
	tests := []struct {
		name  string
		la    awsorg.LastAccessedOptions
		setup func(org *awsfake.Org)
		// check judges the member's data.
		check func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal)
	}{
		{
			name: "in progress, then completed over pages",
			setup: func(org *awsfake.Org) {
				org.Accounts[1].Fault.JobPolls = 3 // per job
			},
			check: func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal) {
				if len(la.Principals) != len(holders) || len(la.Failed) != 0 {
					t.Fatalf("%d principals, %d failed (%v); want %d, 0", len(la.Principals), len(la.Failed), la.Failed, len(holders))
				}
				for arn, d := range la.Principals {
					if len(d.ServicesLastAccessed) != 10 || d.JobStatus != posture.JobCompleted {
						t.Errorf("%s: %s with %d services, want COMPLETED with the 10 of 3 pages", arn, d.JobStatus, len(d.ServicesLastAccessed))
					}
				}
			},
		},
		{
			name: "a FAILED job (HTTP 200 with Error) fails that principal only",
			setup: func(org *awsfake.Org) {
				a := &org.Accounts[1]
				arn := a.Details.UserDetailList[1].Arn
				a.LastAccessed[arn] = &posture.ServiceLastAccessedDetails{JobStatus: posture.JobFailed,
					Error: &posture.JobError{Code: "ServiceFailure", Message: "the job failed"}}
			},
			check: func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal) {
				if len(la.Failed) != 1 || len(la.Principals) != len(holders)-1 {
					t.Fatalf("failed %v, %d principals; want one failed, %d principals", la.Failed, len(la.Principals), len(holders)-1)
				}
				for arn, err := range la.Failed {
					if !strings.HasSuffix(arn, ":user/user1") || !strings.Contains(err.Error(), "job FAILED: ServiceFailure: the job failed") {
						t.Errorf("failed %s: %v", arn, err)
					}
				}
			},
		},
		{
			name: "a job that never completes times out, named",
			la:   awsorg.LastAccessedOptions{JobTimeout: 2 * time.Second, JobsPerAccount: 8}, // long enough for the other accounts on a loaded machine
			setup: func(org *awsfake.Org) {
				org.Accounts[1].Fault.JobFor = awsfake.Forever
			},
			check: func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal) {
				if len(la.Failed) != len(holders) || len(la.Principals) != 0 {
					t.Fatalf("failed %d, principals %d; want every one of %d failed", len(la.Failed), len(la.Principals), len(holders))
				}
				for arn, err := range la.Failed {
					if !errors.Is(err, awsorg.ErrJobTimeout) {
						t.Errorf("%s: %v, want the job deadline", arn, err)
					}
				}
			},
		},
		{
			name: "services over pages that do not end: every principal failed, named",
			setup: func(org *awsfake.Org) {
				org.Accounts[1].Fault.Endless = map[string]awsfake.Endless{"GetServiceLastAccessedDetails": awsfake.EndlessSameMarker}
			},
			check: endlessJobs("the listing does not end: page 2 repeats an earlier Marker"),
		},
		{
			name: "services over new Markers for ever: stopped at the page cap",
			setup: func(org *awsfake.Org) {
				org.Accounts[1].Fault.Endless = map[string]awsfake.Endless{"GetServiceLastAccessedDetails": awsfake.EndlessNewMarker}
			},
			check: endlessJobs("the listing does not end: more than 100 pages, for at most 100 services each"),
		},
		{
			name: "throttled calls are retried",
			setup: func(org *awsfake.Org) {
				org.Accounts[1].Fault.Throttle = map[string]int{"GenerateServiceLastAccessedDetails": 3, "GetServiceLastAccessedDetails": 3}
			},
			check: func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal) {
				if len(la.Principals) != len(holders) || len(la.Failed) != 0 {
					t.Fatalf("%d principals, failed %v; want all %d", len(la.Principals), la.Failed, len(holders))
				}
			},
		},
		{
			name: "throttled past the attempts: named, with the code",
			setup: func(org *awsfake.Org) {
				org.Accounts[1].Fault.Actions = map[string]awsfake.ActionFault{"GenerateServiceLastAccessedDetails": {Error: "Throttling"}}
			},
			check: func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal) {
				if len(la.Failed) != len(holders) {
					t.Fatalf("failed %v, want all %d", la.Failed, len(holders))
				}
				for arn, err := range la.Failed {
					if !strings.Contains(err.Error(), "Throttling: Rate exceeded (after 8 attempts") {
						t.Errorf("%s: %v", arn, err)
					}
				}
			},
		},
		{
			name: "cap and path scope leave principals not asked, with why",
			la:   awsorg.LastAccessedOptions{MaxPrincipals: 2, Scope: posture.PathScope{Exclude: []string{"/aws-reserved/"}}},
			setup: func(org *awsfake.Org) {
				r := &org.Accounts[1].Details.RoleDetailList[1]
				r.Path, r.Arn = "/aws-reserved/sso.amazonaws.com/", "arn:aws:iam::"+member+":role/aws-reserved/sso.amazonaws.com/"+r.RoleName
			},
			check: func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal) {
				if len(la.Principals) != 2 || len(la.NotAsked) != len(holders)-2 {
					t.Fatalf("%d principals, not asked %v", len(la.Principals), la.NotAsked)
				}
				var capped, scoped int
				for _, why := range la.NotAsked {
					switch {
					case strings.Contains(why, "cap of 2 principals"):
						capped++
					case strings.Contains(why, "is excluded (/aws-reserved/)"):
						scoped++
					}
				}
				if scoped != 1 || capped != len(holders)-3 {
					t.Errorf("not asked %v: want 1 out of scope, %d over the cap", la.NotAsked, len(holders)-3)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := lastAccessedOrg(3, 4)
			if tt.setup != nil {
				tt.setup(&org)
			}
			_, url := fake(t, org, awsfake.Options{IAMPageSize: 4})
			got := run(t, url, mgmtCreds, laOptions(tt.la))
			if got.err != nil {
				t.Fatal(got.err)
			}
			res := got.results[member]
			if res.Status != collect.Collected || res.Posture.LastAccessed == nil {
				t.Fatalf("account %s: %s %v, last accessed %v, problems %v", member, res.Status, res.Err, res.Posture.LastAccessed, res.Posture.Problems)
			}
			tt.check(t, res.Posture.LastAccessed, org.Accounts[1].Details.PolicyHolders())
			// The other accounts are untouched by the member's faults.
			other := got.results["100000000002"].Posture.LastAccessed
			if other == nil || len(other.Failed) != 0 || len(other.Principals) == 0 {
				t.Errorf("other account: %+v", other)
			}
		})
	}
}

// TestLastAccessedEvidenceReadsAsDir checks that the evidence of the AWS
// source is the file the dir: source reads.
func TestLastAccessedEvidenceReadsAsDir(t *testing.T) {
	org := lastAccessedOrg(2, 3)
	_, url := fake(t, org, awsfake.Options{})
	got := run(t, url, mgmtCreds, laOptions(awsorg.LastAccessedOptions{}))
	res := got.results["100000000001"]
	var data []byte
	for _, f := range res.Posture.Evidence {
		if f.Name == "100000000001.service-last-accessed.json" {
			data = f.Data
		}
	}
	if data == nil {
		t.Fatalf("no last-accessed evidence among %d files", len(res.Posture.Evidence))
	}
	la, err := posture.ParseLastAccessed(data, "100000000001")
	if err != nil || len(la.Failed) != 0 || len(la.Principals) != len(res.Posture.LastAccessed.Principals) {
		t.Fatalf("ParseLastAccessed(evidence) = %d principals, failed %v, %v", len(la.Principals), la.Failed, err)
	}
}

// TestLastAccessedBounds checks the jobs in flight per account and in
// all: the fake counts the jobs generated and not yet seen complete.
func TestLastAccessedBounds(t *testing.T) {
	org := lastAccessedOrg(4, 8)
	for i := range org.Accounts {
		org.Accounts[i].Fault.JobPolls = 2
	}
	srv, url := fake(t, org, awsfake.Options{})
	opts := laOptions(awsorg.LastAccessedOptions{JobsPerAccount: 2, JobsInFlight: 3})
	opts.Concurrency = 4
	got := run(t, url, mgmtCreds, opts)
	if got.err != nil {
		t.Fatal(got.err)
	}
	for _, a := range org.Accounts {
		if n := srv.MaxJobsInFlight(a.ID); n > 2 || n == 0 {
			t.Errorf("account %s: %d jobs in flight at most, want 1 or 2", a.ID, n)
		}
		if la := got.results[a.ID].Posture.LastAccessed; la == nil || len(la.Failed) > 0 {
			t.Errorf("account %s: %+v", a.ID, la)
		}
	}
	if n := srv.MaxJobsInFlight(""); n > 3 {
		t.Errorf("%d jobs in flight at most in the organization, want at most 3", n)
	}
}

// TestLastAccessedWire checks the fake's answers with the real SDK
// client: an unknown job ID and another session's job are NoSuchEntity;
// an unknown principal cannot get a job.
func TestLastAccessedWire(t *testing.T) {
	org := lastAccessedOrg(1, 3)
	_, url := fake(t, org, awsfake.Options{})
	client := iam.NewFromConfig(baseConfig(url, mgmtCreds))
	ctx := context.Background()
	var nse *types.NoSuchEntityException
	if _, err := client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String("00000000-0000-4000-8000-000000000000")}); !errors.As(err, &nse) {
		t.Errorf("unknown job: %v, want NoSuchEntity", err)
	}
	if _, err := client.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String("arn:aws:iam::100000000000:role/nobody")}); !errors.As(err, &nse) {
		t.Errorf("unknown principal: %v, want NoSuchEntity", err)
	}
	gen, err := client.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(org.Accounts[0].Details.UserDetailList[0].Arn)})
	if err != nil || len(aws.ToString(gen.JobId)) != 36 {
		t.Fatalf("Generate = %+v, %v; want a 36-character job ID", gen, err)
	}
	out, err := client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: gen.JobId, MaxItems: aws.Int32(4)})
	if err != nil || out.JobStatus != types.JobStatusTypeCompleted || !out.IsTruncated || out.Marker == nil || len(out.ServicesLastAccessed) != 4 {
		t.Fatalf("Get = %s truncated %v, %d services, %v", out.JobStatus, out.IsTruncated, len(out.ServicesLastAccessed), err)
	}
	// Another caller (a fresh static key the fake does not know is
	// refused before; use the same key but a forged job ID instead).
	if _, err := client.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: aws.String(aws.ToString(gen.JobId) + "x")}); !errors.As(err, &nse) {
		t.Errorf("forged job: %v, want NoSuchEntity", err)
	}
}

// TestLastAccessedPollsArePlanned checks that a job ready at once is read
// with one Get: no poll is made before the first planned wait, so the
// poll clock learns from planned polls only.
func TestLastAccessedPollsArePlanned(t *testing.T) {
	org := lastAccessedOrg(2, 4)
	srv, url := fake(t, org, awsfake.Options{})
	if got := run(t, url, mgmtCreds, laOptions(awsorg.LastAccessedOptions{})); got.err != nil {
		t.Fatal(got.err)
	}
	count := map[string]int{}
	for _, c := range srv.Calls() {
		count[c.Action]++
	}
	gen, get := count["GenerateServiceLastAccessedDetails"], count["GetServiceLastAccessedDetails"]
	if gen == 0 || get != gen {
		t.Errorf("%d Generate and %d Get calls; want one Get per job when jobs are ready at once", gen, get)
	}
}

// endlessJobs checks that every principal's job failed with want and
// that none is reported with a partial list of services.
func endlessJobs(want string) func(*testing.T, *posture.LastAccessed, []posture.Principal) {
	return func(t *testing.T, la *posture.LastAccessed, holders []posture.Principal) {
		if len(la.Failed) != len(holders) || len(la.Principals) != 0 {
			t.Fatalf("failed %d, principals %d; want every one of %d failed", len(la.Failed), len(la.Principals), len(holders))
		}
		for arn, err := range la.Failed {
			if !strings.Contains(err.Error(), "iam:GetServiceLastAccessedDetails") || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", arn, err, want)
			}
		}
	}
}

// TestLastAccessedAgesFromTheAsOf: which principals are old enough to be
// asked about is measured from the run's as-of that the Collect context
// carries, as the evaluator judges them, not from the clock (Now).
func TestLastAccessedAgesFromTheAsOf(t *testing.T) {
	org := lastAccessedOrg(2, 3)
	member := org.Accounts[1]
	holders := member.Details.PolicyHolders()
	// oldEnough counts the principals created more than 90 days before
	// asOf (or at an unknown time).
	oldEnough := func(asOf time.Time) int {
		n := 0
		for _, p := range holders {
			if p.Created.IsZero() || asOf.Sub(p.Created) > 90*24*time.Hour {
				n++
			}
		}
		return n
	}
	oldest, youngest := holders[0].Created, holders[0].Created
	for _, p := range holders {
		if p.Created.Before(oldest) {
			oldest = p.Created
		}
		if p.Created.After(youngest) {
			youngest = p.Created
		}
	}
	clock := youngest.AddDate(1, 0, 0)
	_, url := fake(t, org, awsfake.Options{})
	tests := []struct {
		name string
		asOf time.Time // zero: no as-of in the context
		want int
	}{
		{"no as-of: the clock", time.Time{}, oldEnough(clock)},
		{"an as-of before any principal was 90 days old", oldest.AddDate(0, 0, 10), oldEnough(oldest.AddDate(0, 0, 10))},
		{"an as-of between", youngest.AddDate(0, 0, 80), oldEnough(youngest.AddDate(0, 0, 80))},
		{"an as-of after every one was", youngest.AddDate(0, 0, 91), len(holders)},
	}
	if tests[0].want == tests[1].want {
		t.Fatalf("the synthetic principals do not tell the clock from the as-of (%d old enough either way)", tests[0].want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := laOptions(awsorg.LastAccessedOptions{})
			opts.LastAccessed.Now = func() time.Time { return clock }
			src, err := awsorg.New(baseConfig(url, mgmtCreds), opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if !tt.asOf.IsZero() {
				ctx = collect.WithAsOf(ctx, tt.asOf)
			}
			var la *posture.LastAccessed
			err = src.Collect(ctx, func(res collect.AccountResult) error {
				if res.Account.ID == member.ID {
					la = res.Posture.LastAccessed
				}
				return nil
			})
			if err != nil || la == nil {
				t.Fatalf("Collect = %v, last accessed %v", err, la)
			}
			if got := len(la.Principals) + len(la.Failed); got != tt.want {
				t.Errorf("%d principals asked about, want %d", got, tt.want)
			}
		})
	}
}
