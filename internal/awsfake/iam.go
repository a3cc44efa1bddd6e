package awsfake

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
)

// reportState follows one account's credential report through
// GenerateCredentialReport and GetCredentialReport.
type reportState struct {
	inProgress   bool
	pendingPolls int
	readyAt      time.Time
	ready        bool
	generatedAt  time.Time
}

type generateReportResult struct {
	Description string
	State       string
}

type credentialReportResult struct {
	Content       string
	ReportFormat  string
	GeneratedTime string
}

type passwordPolicyResult struct {
	PasswordPolicy struct {
		AllowUsersToChangePassword bool
		ExpirePasswords            bool
		HardExpiry                 *bool `xml:",omitempty"`
		MaxPasswordAge             *int  `xml:",omitempty"`
		MinimumPasswordLength      *int  `xml:",omitempty"`
		PasswordReusePrevention    *int  `xml:",omitempty"`
		RequireLowercaseCharacters bool
		RequireNumbers             bool
		RequireSymbols             bool
		RequireUppercaseCharacters bool
	}
}

// iamAction answers the IAM actions for the account the credentials
// belong to. The caller holds s.mu.
func (s *Server) iamAction(action string, id identity, form url.Values) (string, any, *apiError) {
	st := s.accounts[id.account]
	var number, first, size int
	if action == "GetAccountAuthorizationDetails" || action == "ListVirtualMFADevices" || action == "ListUserTags" || action == "GetServiceLastAccessedDetails" {
		var err *apiError
		if number, first, size, err = s.iamPage(action, form); err != nil {
			return id.account, nil, err
		}
	}
	if err := s.injected(id.account, action, faultCall{caller: id.arn, page: number}); err != nil {
		return id.account, nil, err
	}
	switch action {
	case "GenerateCredentialReport":
		res, err := s.generateReport(st)
		return id.account, res, err
	case "GetCredentialReport":
		res, err := s.getReport(st)
		return id.account, res, err
	case "GetAccountPasswordPolicy":
		res, err := s.passwordPolicy(st, id)
		return id.account, res, err
	case "GetAccountAuthorizationDetails":
		res, err := s.authorizationDetails(st, id, first, size, number)
		return id.account, res, err
	case "GetAccountSummary":
		res, err := s.accountSummary(st, id)
		return id.account, res, err
	case "ListVirtualMFADevices":
		res, err := s.virtualMFADevices(st, id, form, first, size, number)
		return id.account, res, err
	case "ListUserTags":
		if form.Get("UserName") == "" {
			return id.account, nil, &apiError{status: 400, code: "ValidationError",
				message: "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"}
		}
		res, err := s.userTags(st, form.Get("UserName"), first, size, number)
		return id.account, res, err
	case "GenerateServiceLastAccessedDetails":
		res, err := s.generateLastAccessed(st, id, form)
		return id.account, res, err
	case "GetServiceLastAccessedDetails":
		res, err := s.getLastAccessed(st, id, form, first, size, number)
		return id.account, res, err
	}
	return id.account, nil, &apiError{status: 400, code: "InvalidAction", message: fmt.Sprintf("Could not find operation %s for version %s", action, iamVersion)}
}

// generateReport starts a report, or reports on the one in progress.
func (s *Server) generateReport(st *accountState) (any, *apiError) {
	if st.fault.LimitExceeded > 0 {
		st.fault.LimitExceeded--
		return nil, &apiError{status: 409, code: "LimitExceeded", message: "Cannot start a credential report generation task: the maximum number of concurrent tasks was reached."}
	}
	rep := &st.report
	switch {
	case rep.ready && !st.fault.ReportStuck:
		return generateReportResult{State: "COMPLETE"}, nil
	case !rep.inProgress:
		*rep = reportState{inProgress: true, pendingPolls: st.fault.InProgressPolls, readyAt: s.now().Add(st.fault.InProgressFor)}
		return generateReportResult{State: "STARTED", Description: "No report exists. Starting a new report generation task"}, nil
	case s.advance(st):
		return generateReportResult{State: "COMPLETE"}, nil
	}
	return generateReportResult{State: "INPROGRESS"}, nil
}

// advance consumes one poll of a report in progress and completes it when
// no injected delay is left.
func (s *Server) advance(st *accountState) bool {
	rep := &st.report
	if st.fault.ReportStuck {
		return false
	}
	if rep.pendingPolls > 0 {
		rep.pendingPolls--
		return false
	}
	if s.now().Before(rep.readyAt) {
		return false
	}
	rep.inProgress, rep.ready = false, true
	rep.generatedAt = s.opts.GeneratedTime
	if rep.generatedAt.IsZero() {
		rep.generatedAt = s.now().UTC().Truncate(time.Second)
	}
	return true
}

// getReport serves the complete report.
func (s *Server) getReport(st *accountState) (any, *apiError) {
	rep := &st.report
	if rep.inProgress && !s.advance(st) {
		return nil, &apiError{status: 404, code: "ReportInProgress", message: "Report generation is in progress. Try again later."}
	}
	if !rep.ready {
		return nil, &apiError{status: 410, code: "ReportNotPresent", message: "Credential report is not present. Use GenerateCredentialReport to generate a report."}
	}
	if st.fault.ExpireReport > 0 {
		st.fault.ExpireReport--
		rep.ready = false
		return nil, &apiError{status: 410, code: "ReportExpired", message: "Credential report has expired. Use GenerateCredentialReport to generate a new report."}
	}
	content := st.acct.Report
	if st.fault.MalformedReport {
		content = MalformedReport
	}
	return credentialReportResult{
		Content:       base64.StdEncoding.EncodeToString(content),
		ReportFormat:  "text/csv",
		GeneratedTime: rep.generatedAt.Format(time.RFC3339),
	}, nil
}

// passwordPolicy serves the account's policy: Absent is NoSuchEntity and
// NotCollected is AccessDenied.
func (s *Server) passwordPolicy(st *accountState, id identity) (any, *apiError) {
	pol := st.acct.Policy
	switch pol.State {
	case passwordpolicy.Present:
		var res passwordPolicyResult
		p, out := pol.Policy, &res.PasswordPolicy
		out.AllowUsersToChangePassword, out.ExpirePasswords, out.HardExpiry = p.AllowUsersToChangePassword, p.ExpirePasswords, p.HardExpiry
		out.MaxPasswordAge, out.MinimumPasswordLength, out.PasswordReusePrevention = p.MaxPasswordAge, p.MinimumPasswordLength, p.PasswordReusePrevention
		out.RequireLowercaseCharacters, out.RequireNumbers = p.RequireLowercaseCharacters, p.RequireNumbers
		out.RequireSymbols, out.RequireUppercaseCharacters = p.RequireSymbols, p.RequireUppercaseCharacters
		return res, nil
	case passwordpolicy.Absent:
		return nil, &apiError{status: 404, code: "NoSuchEntity", message: fmt.Sprintf("The Password Policy with domain name %s cannot be found.", st.acct.ID)}
	}
	return nil, &apiError{status: 403, code: "AccessDenied",
		message: fmt.Sprintf("User: %s is not authorized to perform: iam:GetAccountPasswordPolicy on resource: *", id.arn)}
}
