package awsfake

// IAMAction is the call's action as IAM policies name it, e.g.
// "iam:GetCredentialReport" or "organizations:ListAccounts".
func (c Call) IAMAction() string { return c.Service + ":" + c.Action }

// Resource is the ARN a policy must allow the call on: the role for
// sts:AssumeRole, "*" for the IAM, STS and Organizations actions the
// reporter makes (none of them takes a resource ARN).
func (c Call) Resource() string {
	if c.Service == "sts" && c.Action == "AssumeRole" {
		return c.RoleArn
	}
	return "*"
}

// NeedsPermission reports whether IAM authorizes the call at all:
// sts:GetCallerIdentity is answered for any valid credentials.
func (c Call) NeedsPermission() bool {
	return !(c.Service == "sts" && c.Action == "GetCallerIdentity")
}
