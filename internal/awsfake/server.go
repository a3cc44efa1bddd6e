// Package awsfake is a local AWS endpoint for tests and demos. It speaks
// the wire protocols the SDK clients use, IAM and STS (awsQuery: form POST,
// XML answers and errors) and Organizations (awsJson1_1 with X-Amz-Target),
// over an in-memory organization whose accounts hold credential reports
// and password policies.
//
// It checks SigV4 signatures with the SDK's own signer: the management
// key pair is accepted, AssumeRole issues session credentials for one
// account, and every IAM call answers for the account its credentials
// belong to. A session used with another session's token or secret is
// refused as AWS would (InvalidClientTokenId, SignatureDoesNotMatch), and
// so is a session that tries to assume a role in another account.
//
// Faults (throttling, AccessDenied and other AWS errors, HTML error pages,
// slow, stuck or expired reports, malformed CSV, latency, listings that
// fail part way) are injected per account with Fault, in code or from a
// fault file (ReadFaultFile).
package awsfake

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// The management key pair accepted when Options leave it empty: AWS's own
// documentation example, never a real key.
const (
	DefaultAccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	DefaultSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	// DefaultRoleName is the role AssumeRole accepts in member accounts.
	DefaultRoleName = "OrganizationAccountAccessRole"
)

// Options configure a Server.
type Options struct {
	// AccessKeyID and SecretAccessKey are the management account's key
	// pair; DefaultAccessKeyID and DefaultSecretAccessKey when empty.
	AccessKeyID     string
	SecretAccessKey string
	// RoleName is the only role AssumeRole accepts in member accounts;
	// DefaultRoleName when empty. The management account has no such role.
	RoleName string
	// ExternalID, when set, must be given to AssumeRole.
	ExternalID string
	// PageSize caps every Organizations page; 20 (the AWS maximum) when 0.
	PageSize int
	// IAMPageSize caps the items of every IAM list page
	// (GetAccountAuthorizationDetails counts users, groups, roles and
	// policies together; ListVirtualMFADevices; ListUserTags), as IAM may return fewer
	// than MaxItems; 0 serves MaxItems (default 100).
	IAMPageSize int
	// EmptyPageEvery makes every n-th Organizations page empty (with a
	// NextToken) and adds an empty last page, as Organizations may do.
	// 0 disables; 1 is treated as 2.
	EmptyPageEvery int
	// OmitPaths leaves the Paths field out of Account objects, as older
	// Organizations answers do, so a client must walk the OU tree.
	OmitPaths bool
	// GeneratedTime is the GeneratedTime of every report; the moment the
	// report completes when zero.
	GeneratedTime time.Time
	// ReportsReady starts every account with a complete report, as when
	// IAM reuses a report younger than four hours: GenerateCredentialReport
	// answers COMPLETE at once.
	ReportsReady bool
	// Now is the server clock; time.Now when nil.
	Now func() time.Time
}

// Call records one request the server answered.
type Call struct {
	Service     string // "iam", "sts" or "organizations"
	Action      string
	AccessKeyID string // of the signing credentials; empty when unsigned
	// Caller is the account the signing credentials belong to.
	Caller string
	// Target is the account AssumeRole was asked for.
	Target string
	// Session is the RoleSessionName given to AssumeRole.
	Session string
	// RoleArn is the role AssumeRole was asked for.
	RoleArn string
	// Error is the error code answered ("HTML 502" for an injected HTML
	// page); empty on success.
	Error string
	// ReportState is the State GenerateCredentialReport answered
	// (STARTED, INPROGRESS or COMPLETE); empty for other calls.
	ReportState string
}

// Server is an http.Handler serving one organization.
type Server struct {
	opts Options

	mu       sync.Mutex
	org      Org
	accounts map[string]*accountState
	keys     map[string]identity
	calls    []Call
	seq      int
	// jobs are the service last-accessed jobs generated, by job ID.
	jobs   map[string]*jobState
	jobSeq int
	// jobsOpen and jobsMax count the jobs not yet seen complete, now and
	// at most, by account ("" for all).
	jobsOpen, jobsMax map[string]int
}

// accountState is the mutable state of one account.
type accountState struct {
	acct   *Account
	fault  Fault
	report reportState
}

// New returns a server for org.
func New(org Org, opts Options) (*Server, error) {
	org, err := org.withDefaults()
	if err != nil {
		return nil, err
	}
	if opts.AccessKeyID == "" {
		opts.AccessKeyID, opts.SecretAccessKey = DefaultAccessKeyID, DefaultSecretAccessKey
	}
	if opts.SecretAccessKey == "" {
		return nil, fmt.Errorf("awsfake: access key %s has no secret key", opts.AccessKeyID)
	}
	if opts.RoleName == "" {
		opts.RoleName = DefaultRoleName
	}
	if opts.PageSize <= 0 || opts.PageSize > 20 {
		opts.PageSize = 20
	}
	if opts.EmptyPageEvery == 1 {
		opts.EmptyPageEvery = 2
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, org: org, accounts: map[string]*accountState{}, keys: map[string]identity{}}
	for i := range s.org.Accounts {
		a := &s.org.Accounts[i]
		st := &accountState{acct: a, fault: a.Fault.clone()}
		if opts.ReportsReady {
			st.report = reportState{ready: true, generatedAt: opts.GeneratedTime}
			if st.report.generatedAt.IsZero() {
				st.report.generatedAt = opts.Now().UTC().Truncate(time.Second)
			}
		}
		s.accounts[a.ID] = st
	}
	s.keys[opts.AccessKeyID] = identity{
		accessKeyID: opts.AccessKeyID, secret: opts.SecretAccessKey, account: org.ManagementAccount,
		arn: "arn:aws:iam::" + org.ManagementAccount + ":user/awsfake-admin",
	}
	return s, nil
}

// Org returns a copy of the organization served, with its defaults filled in.
func (s *Server) Org() Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	org := s.org
	org.OUs, org.Accounts = slices.Clone(org.OUs), slices.Clone(org.Accounts)
	return org
}

// SetFault replaces the faults of account id and resets their counters.
func (s *Server) SetFault(id string, f Fault) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.accounts[id]
	if !ok {
		return fmt.Errorf("awsfake: no account %s", id)
	}
	st.fault = f.clone()
	return nil
}

// Calls returns the requests answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) now() time.Time { return s.opts.Now() }

// ServeHTTP dispatches on X-Amz-Target (Organizations) or on the form's
// Version (IAM 2010-05-08, STS 2011-06-15).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "awsfake: read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "awsfake: only POST requests are served", http.StatusMethodNotAllowed)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveOrganizations(w, r, body, target)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeQueryError(w, iamNS, s.requestID(), &apiError{status: 400, code: "MalformedQueryString", message: err.Error()})
		return
	}
	switch v := form.Get("Version"); v {
	case iamVersion:
		s.serveQuery(w, r, body, form, "iam", iamNS, s.iamAction)
	case stsVersion:
		s.serveQuery(w, r, body, form, "sts", stsNS, s.stsAction)
	default:
		writeQueryError(w, iamNS, s.requestID(), &apiError{status: 400, code: "InvalidAction",
			message: fmt.Sprintf("Version %q is not served (want %s for IAM or %s for STS)", v, iamVersion, stsVersion)})
	}
}

// queryAction answers one awsQuery action for an authenticated caller. It
// returns the account the call is about, the result and an error. The
// caller holds s.mu.
type queryAction func(action string, id identity, form url.Values) (about string, result any, err *apiError)

// serveQuery authenticates an awsQuery request, applies the latency of
// the account it is about, and writes the answer.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, body []byte, form url.Values, service, ns string, act queryAction) {
	action := form.Get("Action")
	s.mu.Lock()
	reqID := s.nextRequestID()
	call := Call{Service: service, Action: action}
	id, aerr := s.authenticate(r, body, service)
	var about string
	var result any
	if aerr == nil {
		call.AccessKeyID, call.Caller = id.accessKeyID, id.account
		about, result, aerr = act(action, id, form)
		if action == "AssumeRole" {
			call.Target, call.Session, call.RoleArn = about, form.Get("RoleSessionName"), form.Get("RoleArn")
		}
		if res, ok := result.(generateReportResult); ok {
			call.ReportState = res.State
		}
	}
	latency := s.latency(about, action)
	if aerr != nil {
		call.Error = aerr.code
	}
	s.calls = append(s.calls, call)
	s.mu.Unlock()

	if !sleep(r.Context(), latency) {
		return
	}
	if aerr != nil {
		writeQueryError(w, ns, reqID, aerr)
		return
	}
	writeQueryResult(w, ns, action, reqID, result)
}

// sleep waits d, or less when ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// nextRequestID returns a fresh request ID. The caller holds s.mu.
func (s *Server) nextRequestID() string {
	s.seq++
	return fmt.Sprintf("awsfake-%08d", s.seq)
}

func (s *Server) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextRequestID()
}

// newSession issues session credentials for role in account. The caller
// holds s.mu.
func (s *Server) newSession(account, role, sessionName string) identity {
	id := identity{
		accessKeyID: "ASIA" + randomString(base32.StdEncoding.WithPadding(base32.NoPadding), 10)[:16],
		secret:      randomString(base64.RawStdEncoding, 30),
		token:       "FwoGZXIvYXdzfake" + randomString(base64.RawStdEncoding, 96),
		account:     account,
		arn:         fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, role, sessionName),
		session:     true,
	}
	s.keys[id.accessKeyID] = id
	return id
}

// randomString encodes n random bytes.
func randomString(enc interface{ EncodeToString([]byte) string }, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return enc.EncodeToString(b)
}
