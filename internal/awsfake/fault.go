package awsfake

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Fault injects failures into the calls about one account: its IAM calls,
// AssumeRole into it, and, for the management account, the Organizations
// calls. Counters count down as calls consume them.
type Fault struct {
	// DenyAssumeRole answers AccessDenied to AssumeRole into the account,
	// as when an invited account lacks the audit role.
	DenyAssumeRole bool
	// Throttle answers this many throttling errors (Throttling for IAM and
	// STS, TooManyRequestsException for Organizations) to the named action
	// before it succeeds, e.g. {"GetCredentialReport": 2}.
	Throttle map[string]int
	// LimitExceeded answers this many GenerateCredentialReport calls with
	// IAM's LimitExceeded (HTTP 409), which the SDK does not retry.
	LimitExceeded int
	// InProgressPolls keeps a started report in progress for this many
	// GenerateCredentialReport or GetCredentialReport calls.
	InProgressPolls int
	// InProgressFor keeps a started report in progress for this long.
	InProgressFor time.Duration
	// ReportStuck keeps every report in progress for ever:
	// GenerateCredentialReport never answers COMPLETE and
	// GetCredentialReport answers ReportInProgress once one was asked for.
	ReportStuck bool
	// ExpireReport answers this many GetCredentialReport calls of a
	// complete report with ReportExpired (HTTP 410) and discards the
	// report, so it must be generated again.
	ExpireReport int
	// MalformedReport serves a credential report that is not valid CSV.
	MalformedReport bool
	// JobPolls keeps every service last-accessed job IN_PROGRESS for this
	// many GetServiceLastAccessedDetails calls.
	JobPolls int
	// JobFor keeps every service last-accessed job IN_PROGRESS for this
	// long after it was generated (Forever: never completes).
	JobFor time.Duration
	// Latency delays every answer about the account.
	Latency time.Duration
	// Endless makes the listings of the named actions ("ListUserTags",
	// "GetAccountAuthorizationDetails", "ListVirtualMFADevices",
	// "GetServiceLastAccessedDetails") answer every page with IsTruncated
	// true, as a broken endpoint or proxy could: a client that trusts it
	// never stops.
	Endless map[string]Endless
	// Actions injects faults into single actions, keyed by action name
	// ("AssumeRole", "GetAccountPasswordPolicy", "ListAccounts"…).
	Actions map[string]ActionFault
}

// Endless says how a listing that never ends goes on (Fault.Endless).
type Endless int

// The listings that never end.
const (
	// EndlessSameMarker answers the same Marker on every page.
	EndlessSameMarker Endless = iota + 1
	// EndlessNewMarker answers a new Marker on every page.
	EndlessNewMarker
)

// ActionFault injects a failure into one action of one account. Error and
// HTML are exclusive; with neither, only Latency applies.
type ActionFault struct {
	// Error is the AWS error code answered, with the HTTP status and body
	// AWS sends for it (FaultErrors lists the codes of each service).
	Error string
	// HTML, when not 0, answers an HTML error page with this HTTP status
	// (502, 503 or 504) and Content-Type text/html, as a proxy or load
	// balancer in front of the endpoint does.
	HTML int
	// Times limits Error or HTML to the first Times calls; 0 means every call.
	Times int
	// Rate, when in (0, 1], answers Error or HTML to that fraction of the
	// calls instead, spread evenly: 0.5 fails every second call, 0.25
	// every fourth. It is deterministic, so a replay fails the same calls.
	Rate float64
	// AfterPages lets this many pages of a paginated action (ListAccounts,
	// ListAccountsForParent, ListChildren, GetAccountAuthorizationDetails,
	// ListVirtualMFADevices, ListUserTags) through before the fault applies, so that a
	// listing fails part way.
	AfterPages int
	// Latency delays every answer to the action (on top of Fault.Latency).
	Latency time.Duration

	calls int // calls the fault applied to so far
}

// Forever is a Latency or InProgressFor that never ends: the answer waits
// until the client gives up.
const Forever = time.Duration(math.MaxInt64)

// MalformedReport is the body served for a Fault.MalformedReport: a bare
// quote in an unquoted field, which encoding/csv rejects.
var MalformedReport = []byte("user,arn,user_creation_time\n<root_account>,arn:aws:iam::000000000000:root,2020-01-01T00:00:00+00:00\nbad\"user,arn,\"unterminated\n")

// faultError is an error code a fault may answer: its HTTP status, the
// service and actions that answer it, and its message.
type faultError struct {
	status  int
	service string
	// actions answering the code; nil means every action of the service.
	actions []string
	// message is formatted with the caller's ARN, the action, the
	// resource (the role ARN of AssumeRole, else "*") and the account ID.
	message string
}

// faultErrors are the codes a Fault.Actions entry may answer, by
// service. The status and the envelope are those of the wire protocol:
// awsQuery's <ErrorResponse><Error><Code> for IAM and STS,
// {"__type": …} with HTTP 400 (500 for server faults) for Organizations.
// Sources: the IAM, STS and Organizations API references' error lists
// and the SDK's deserializers; the 403 of AccessDenied and the 400 of
// Throttling are common knowledge, not documented per action.
var faultErrors = map[string]map[string]faultError{
	"iam": {
		"AccessDenied":     {status: 403, service: "iam", message: "User: %[1]s is not authorized to perform: iam:%[2]s on resource: %[3]s"},
		"Throttling":       {status: 400, service: "iam", message: "Rate exceeded"},
		"ServiceFailure":   {status: 500, service: "iam", message: "The request processing has failed because of an unknown error, exception or failure."},
		"LimitExceeded":    {status: 409, service: "iam", actions: []string{"GenerateCredentialReport"}, message: "Cannot start a credential report generation task: the maximum number of concurrent tasks was reached."},
		"ReportExpired":    {status: 410, service: "iam", actions: []string{"GetCredentialReport"}, message: "Credential report has expired. Use GenerateCredentialReport to generate a new report."},
		"ReportNotPresent": {status: 410, service: "iam", actions: []string{"GetCredentialReport"}, message: "Credential report is not present. Use GenerateCredentialReport to generate a report."},
		"NoSuchEntity":     {status: 404, service: "iam", actions: []string{"GetAccountPasswordPolicy", "ListUserTags"}, message: "The entity %[2]s asked for in account %[4]s cannot be found."},
	},
	"sts": {
		"AccessDenied":            {status: 403, service: "sts", actions: []string{"AssumeRole"}, message: "User: %[1]s is not authorized to perform: sts:AssumeRole on resource: %[3]s"},
		"Throttling":              {status: 400, service: "sts", message: "Rate exceeded"},
		"RegionDisabledException": {status: 403, service: "sts", actions: []string{"AssumeRole"}, message: "STS is not activated in this region for account:%[4]s. Your account administrator can activate STS in this region using the IAM Console."},
	},
	"organizations": {
		"AccessDeniedException":             {status: 400, service: "organizations", message: "You don't have permissions to access this resource."},
		"TooManyRequestsException":          {status: 400, service: "organizations", message: "Rate exceeded"},
		"ServiceException":                  {status: 500, service: "organizations", message: "AWS Organizations can't complete your request because of an internal service error. Try again later."},
		"AWSOrganizationsNotInUseException": {status: 400, service: "organizations", message: "Your account is not a member of an organization."},
	},
}

// actionServices names the service of every action the server answers.
var actionServices = map[string]string{
	"GenerateCredentialReport":           "iam",
	"GetCredentialReport":                "iam",
	"GetAccountPasswordPolicy":           "iam",
	"GetAccountAuthorizationDetails":     "iam",
	"GetAccountSummary":                  "iam",
	"ListVirtualMFADevices":              "iam",
	"GenerateServiceLastAccessedDetails": "iam",
	"GetServiceLastAccessedDetails":      "iam",
	"ListUserTags":                       "iam",
	"AssumeRole":                         "sts",
	"GetCallerIdentity":                  "sts",
	"DescribeOrganization":               "organizations",
	"ListAccounts":                       "organizations",
	"ListAccountsForParent":              "organizations",
	"ListChildren":                       "organizations",
	"ListParents":                        "organizations",
	"ListTagsForResource":                "organizations",
}

// paginatedActions are the paginated actions ActionFault.AfterPages applies to.
var paginatedActions = []string{"ListAccounts", "ListAccountsForParent", "ListChildren", "GetAccountAuthorizationDetails", "ListVirtualMFADevices", "GetServiceLastAccessedDetails", "ListUserTags"}

// FaultErrors returns the error codes an ActionFault may answer to action,
// or nil when action is not served.
func FaultErrors(action string) []string {
	var codes []string
	for code, e := range faultErrors[actionServices[action]] {
		if e.actions == nil || slices.Contains(e.actions, action) {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	return codes
}

// Validate checks f: a known error code for the action, HTML 502 to 504,
// Times and Rate not both, AfterPages on a paginated action only.
func (f ActionFault) Validate(action string) error {
	service, ok := actionServices[action]
	if !ok {
		return fmt.Errorf("awsfake does not serve action %q", action)
	}
	switch {
	case f.Error != "" && f.HTML != 0:
		return fmt.Errorf("%s: error and html are exclusive", action)
	case f.Error != "":
		if e, ok := faultErrors[service][f.Error]; !ok || (e.actions != nil && !slices.Contains(e.actions, action)) {
			return fmt.Errorf("%s: error %q is not one %s answers (want one of %s)", action, f.Error, action, strings.Join(FaultErrors(action), ", "))
		}
	case f.HTML != 0:
		if f.HTML < 502 || f.HTML > 504 {
			return fmt.Errorf("%s: html status %d: want 502, 503 or 504", action, f.HTML)
		}
	case f.Times != 0 || f.Rate != 0 || f.AfterPages != 0:
		return fmt.Errorf("%s: times, rate and after_pages need an error or html", action)
	}
	switch {
	case f.Times < 0:
		return fmt.Errorf("%s: times %d: want at least 1", action, f.Times)
	case f.Rate < 0 || f.Rate > 1 || math.IsNaN(f.Rate):
		return fmt.Errorf("%s: rate %v: want a fraction in (0, 1]", action, f.Rate)
	case f.Times != 0 && f.Rate != 0:
		return fmt.Errorf("%s: times and rate are exclusive", action)
	case f.AfterPages < 0:
		return fmt.Errorf("%s: after_pages %d: want 0 or more", action, f.AfterPages)
	case f.AfterPages != 0 && !slices.Contains(paginatedActions, action):
		return fmt.Errorf("%s: after_pages applies to %s only", action, strings.Join(paginatedActions, ", "))
	case f.Latency < 0:
		return fmt.Errorf("%s: latency %v is negative", action, f.Latency)
	}
	return nil
}

// clone copies f so that counting down does not touch the caller's maps.
func (f Fault) clone() Fault {
	f.Throttle = maps.Clone(f.Throttle)
	f.Actions = maps.Clone(f.Actions)
	return f
}

// takeThrottle consumes one injected throttle of action, if any is left.
func (f *Fault) takeThrottle(action string) bool {
	if f.Throttle[action] > 0 {
		f.Throttle[action]--
		return true
	}
	return false
}

// faultCall describes a call to an injected fault: who made it, on what,
// and for paginated actions the page asked for (from 0).
type faultCall struct {
	caller   string // ARN of the signing credentials
	resource string // the role ARN of AssumeRole; "*" otherwise
	page     int
}

// injected returns the fault injected into this call of action about
// account, if any: an injected throttle, or the error or HTML page of
// Fault.Actions. The caller holds s.mu.
func (s *Server) injected(account, action string, c faultCall) *apiError {
	st, ok := s.accounts[account]
	if !ok {
		return nil
	}
	service := actionServices[action]
	if st.fault.takeThrottle(action) {
		return &apiError{status: 400, code: "Throttling", message: "Rate exceeded"}
	}
	af, ok := st.fault.Actions[action]
	if !ok || (af.Error == "" && af.HTML == 0) || c.page < af.AfterPages {
		return nil
	}
	af.calls++
	st.fault.Actions[action] = af
	switch {
	case af.Times > 0 && af.calls > af.Times:
		return nil
	case af.Rate > 0 && math.Floor(float64(af.calls)*af.Rate) == math.Floor(float64(af.calls-1)*af.Rate):
		return nil
	case af.HTML != 0:
		return &apiError{status: af.HTML, html: true, code: fmt.Sprintf("HTML %d", af.HTML)}
	}
	e := faultErrors[service][af.Error]
	if af.Error == "ReportExpired" {
		st.report.ready = false // gone: it must be generated again
	}
	if c.resource == "" {
		c.resource = "*"
	}
	msg := e.message
	if strings.Contains(msg, "%") {
		msg = fmt.Sprintf(msg, c.caller, action, c.resource, account)
	}
	return &apiError{status: e.status, code: af.Error, message: msg}
}

// latency returns the injected latency of a call of action about account
// id. The caller holds s.mu.
func (s *Server) latency(id, action string) time.Duration {
	st, ok := s.accounts[id]
	if !ok {
		return 0
	}
	d := st.fault.Latency
	if a := st.fault.Actions[action].Latency; a > 0 {
		if d > Forever-a {
			return Forever
		}
		d += a
	}
	return d
}
