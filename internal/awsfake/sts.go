package awsfake

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// sessionExpiration is far in the future, so credential caches never
// refresh during a test.
var sessionExpiration = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	roleARNPattern     = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role/(.+)$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	// externalIDPattern is AssumeRole's ExternalId constraint: 2 to 1,224
	// characters of [\w+=,.@:/-] (STS API reference, AssumeRole).
	externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]{2,}$`)
)

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type assumeRoleResult struct {
	Credentials     stsCredentials
	AssumedRoleUser struct {
		AssumedRoleID string `xml:"AssumedRoleId"`
		Arn           string
	}
}

type callerIdentityResult struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

// stsAction answers the STS actions. The caller holds s.mu.
func (s *Server) stsAction(action string, id identity, form url.Values) (string, any, *apiError) {
	switch action {
	case "GetCallerIdentity":
		if err := s.injected(id.account, action, faultCall{caller: id.arn}); err != nil {
			return id.account, nil, err
		}
		return id.account, callerIdentityResult{Arn: id.arn, UserID: id.accessKeyID, Account: id.account}, nil
	case "AssumeRole":
		return s.assumeRole(id, form)
	}
	return "", nil, &apiError{status: 400, code: "InvalidAction", message: fmt.Sprintf("Could not find operation %s for version %s", action, stsVersion)}
}

// assumeRole issues session credentials when the caller is the management
// account, the role is the configured one in an active member account,
// the ExternalId matches and no fault denies it.
func (s *Server) assumeRole(id identity, form url.Values) (string, any, *apiError) {
	roleARN, sessionName := form.Get("RoleArn"), form.Get("RoleSessionName")
	m := roleARNPattern.FindStringSubmatch(roleARN)
	if m == nil {
		return "", nil, &apiError{status: 400, code: "ValidationError", message: fmt.Sprintf("%s is invalid", roleARN)}
	}
	if !sessionNamePattern.MatchString(sessionName) {
		return "", nil, &apiError{status: 400, code: "ValidationError",
			message: fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint", sessionName)}
	}
	if ext, ok := form["ExternalId"]; ok && (!externalIDPattern.MatchString(ext[0]) || len(ext[0]) > 1224) {
		// STS echoes the invalid value, as it does for roleSessionName.
		return "", nil, &apiError{status: 400, code: "ValidationError",
			message: fmt.Sprintf("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*", ext[0])}
	}
	target, roleName := m[1], m[2]
	denied := &apiError{status: 403, code: "AccessDenied",
		message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", id.arn, roleARN)}
	st, ok := s.accounts[target]
	if !ok {
		return target, nil, denied
	}
	if err := s.injected(target, "AssumeRole", faultCall{caller: id.arn, resource: roleARN}); err != nil {
		return target, nil, err
	}
	switch {
	case id.session, id.account != s.org.ManagementAccount:
		// The audit role trusts the management account's principals only.
		return target, nil, denied
	case target == s.org.ManagementAccount, roleName != s.opts.RoleName, st.fault.DenyAssumeRole:
		return target, nil, denied
	case st.acct.effectiveState() != "ACTIVE":
		return target, nil, denied
	case s.opts.ExternalID != "" && form.Get("ExternalId") != s.opts.ExternalID:
		return target, nil, denied
	}
	sess := s.newSession(target, roleName, sessionName)
	var res assumeRoleResult
	res.Credentials = stsCredentials{
		AccessKeyID: sess.accessKeyID, SecretAccessKey: sess.secret, SessionToken: sess.token,
		Expiration: sessionExpiration.Format(time.RFC3339),
	}
	res.AssumedRoleUser.AssumedRoleID = "AROAFAKE" + target + ":" + sessionName
	res.AssumedRoleUser.Arn = sess.arn
	return target, res, nil
}
