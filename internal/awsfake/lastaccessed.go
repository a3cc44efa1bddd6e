package awsfake

import (
	"fmt"
	"net/url"
	"time"

	"github.com/reporter-dev/reporter/collect/posture"
)

// The service last-accessed jobs (GenerateServiceLastAccessedDetails and
// GetServiceLastAccessedDetails), as IAM answers them
// (shared/reference/aws-iam-posture-facts.md §4): a job ID of 36
// characters; IN_PROGRESS without a JobCompletionDate until the job is
// done; COMPLETED with the services over pages by Marker; FAILED as an
// HTTP 200 with an <Error> element inside the result; NoSuchEntity (404)
// for a principal or job ID that does not exist. A job is readable only
// with the credentials that generated it (the fake's reading of "must be
// used by the same role within a session").

// jobState is one generated job.
type jobState struct {
	account, arn string
	owner        string // access key ID that generated it
	created      time.Time
	pendingPolls int
	readyAt      time.Time
	finished     bool // served COMPLETED or FAILED once
}

// MaxJobsInFlight returns the most service last-accessed jobs that were
// generated and not yet seen complete at one time, in account, or in the
// whole organization when account is "".
func (s *Server) MaxJobsInFlight(account string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jobsMax[account]
}

type generateSLADResult struct {
	JobID string `xml:"JobId"`
}

type xmlServiceLastAccessed struct {
	ServiceName                string
	LastAuthenticated          string `xml:",omitempty"`
	ServiceNamespace           string
	LastAuthenticatedEntity    string `xml:",omitempty"`
	LastAuthenticatedRegion    string `xml:",omitempty"`
	TotalAuthenticatedEntities *int   `xml:",omitempty"`
}

type xmlJobError struct {
	Message string
	Code    string
}

type getSLADResult struct {
	JobStatus            string
	JobType              string
	JobCreationDate      string
	ServicesLastAccessed []xmlServiceLastAccessed `xml:"ServicesLastAccessed>member"`
	JobCompletionDate    string                   `xml:",omitempty"`
	IsTruncated          bool
	Marker               string       `xml:",omitempty"`
	Error                *xmlJobError `xml:",omitempty"`
}

// generateLastAccessed starts a job for the user or role Arn of the
// caller's account. The caller holds s.mu.
func (s *Server) generateLastAccessed(st *accountState, id identity, form url.Values) (any, *apiError) {
	arn := form.Get("Arn")
	if g := form.Get("Granularity"); g != "" && g != "SERVICE_LEVEL" && g != "ACTION_LEVEL" {
		return nil, &apiError{status: 400, code: "ValidationError",
			message: fmt.Sprintf("1 validation error detected: Value '%s' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]", g)}
	}
	if arn == "" {
		return nil, &apiError{status: 400, code: "InvalidInput", message: "Arn is required."}
	}
	if !st.holds(arn) {
		return nil, &apiError{status: 404, code: "NoSuchEntity", message: fmt.Sprintf("The entity %s cannot be found.", arn)}
	}
	if s.jobs == nil {
		s.jobs, s.jobsOpen, s.jobsMax = map[string]*jobState{}, map[string]int{}, map[string]int{}
	}
	s.jobSeq++
	jobID := fmt.Sprintf("%08x-fake-4000-8000-%012x", s.jobSeq, s.jobSeq) // 36 characters
	now := s.now()
	s.jobsOpen[id.account]++
	s.jobsOpen[""]++
	s.jobsMax[id.account] = max(s.jobsMax[id.account], s.jobsOpen[id.account])
	s.jobsMax[""] = max(s.jobsMax[""], s.jobsOpen[""])
	s.jobs[jobID] = &jobState{account: id.account, arn: arn, owner: id.accessKeyID, created: now,
		pendingPolls: st.fault.JobPolls, readyAt: now.Add(st.fault.JobFor)}
	return generateSLADResult{JobID: jobID}, nil
}

// holds reports whether arn is a user or role of the account: in its
// authorization details or its last-accessed data.
func (st *accountState) holds(arn string) bool {
	if _, ok := st.acct.LastAccessed[arn]; ok {
		return true
	}
	if d := st.acct.Details; d != nil {
		for i := range d.UserDetailList {
			if d.UserDetailList[i].Arn == arn {
				return true
			}
		}
		for i := range d.RoleDetailList {
			if d.RoleDetailList[i].Arn == arn {
				return true
			}
		}
	}
	return false
}

// getLastAccessed serves one page of a job. The caller holds s.mu.
func (s *Server) getLastAccessed(st *accountState, id identity, form url.Values, first, size, number int) (any, *apiError) {
	jobID := form.Get("JobId")
	job, ok := s.jobs[jobID]
	if !ok || job.account != id.account || job.owner != id.accessKeyID {
		return nil, &apiError{status: 404, code: "NoSuchEntity", message: fmt.Sprintf("No such job %s.", jobID)}
	}
	res := getSLADResult{JobType: "SERVICE_LEVEL", JobCreationDate: stamp(job.created)}
	if job.pendingPolls > 0 || s.now().Before(job.readyAt) {
		if job.pendingPolls > 0 {
			job.pendingPolls--
		}
		res.JobStatus = "IN_PROGRESS"
		return res, nil
	}
	if !job.finished {
		job.finished = true
		s.jobsOpen[job.account]--
		s.jobsOpen[""]--
	}
	done := job.readyAt
	if done.Before(job.created) || done.Equal(job.created) {
		done = job.created
	}
	res.JobCompletionDate = stamp(done)
	d := st.acct.LastAccessed[job.arn]
	if d != nil && d.JobStatus == posture.JobFailed {
		res.JobStatus = "FAILED"
		res.Error = &xmlJobError{Code: "ServiceFailure", Message: "The job failed."}
		if d.Error != nil {
			res.Error = &xmlJobError{Code: d.Error.Code, Message: d.Error.Message}
		}
		return res, nil
	}
	res.JobStatus = "COMPLETED"
	var services []posture.ServiceLastAccessed
	if d != nil {
		services = d.ServicesLastAccessed
	}
	end := min(first+size, len(services))
	for _, sv := range services[min(first, end):end] {
		res.ServicesLastAccessed = append(res.ServicesLastAccessed, xmlServiceLastAccessed{
			ServiceName: sv.ServiceName, ServiceNamespace: sv.ServiceNamespace, LastAuthenticated: stampPtr(sv.LastAuthenticated),
			LastAuthenticatedEntity: sv.LastAuthenticatedEntity, LastAuthenticatedRegion: sv.LastAuthenticatedRegion,
			TotalAuthenticatedEntities: sv.TotalAuthenticatedEntities,
		})
	}
	if end < len(services) {
		res.IsTruncated, res.Marker = true, marker("GetServiceLastAccessedDetails", number+1, end)
	}
	res.IsTruncated, res.Marker = st.endless("GetServiceLastAccessedDetails", number, res.IsTruncated, res.Marker)
	return res, nil
}
