// Package posture holds what an account's IAM says beyond the credential
// report: its authorization details (users, groups, roles and policies,
// iam:GetAccountAuthorizationDetails), its account summary
// (iam:GetAccountSummary) and its assigned virtual MFA devices
// (iam:ListVirtualMFADevices). The types follow the AWS CLI's JSON output
// of those calls, so a folder of CLI exports reads as it is; the AWS
// source fills them from the SDK's types.
package posture

import (
	"fmt"
)

// Input names one of the three inputs.
type Input string

// The inputs, named as the reports name them.
const (
	AuthorizationDetailsInput Input = "authorization details"
	AccountSummaryInput       Input = "account summary"
	VirtualMFADevicesInput    Input = "virtual MFA devices"
)

// Inputs lists every input, in the order reports list them.
var Inputs = []Input{AuthorizationDetailsInput, AccountSummaryInput, VirtualMFADevicesInput}

// Data is one account's posture inputs. A nil input was not collected or
// failed; Problems says which and why.
type Data struct {
	Details    *AuthorizationDetails
	Summary    *AccountSummary
	VirtualMFA *VirtualMFADevices
	// LastAccessed is the service last-accessed data of the account's
	// principals; nil when not asked for (the unused-services check is
	// opt-in) or not collected (then Problems says why).
	LastAccessed *LastAccessed
	// Problems explain every input that is nil.
	Problems []Problem
	// Evidence holds the bytes the inputs were read from, exactly as
	// received: the API's pages or the CLI's files.
	Evidence []File
}

// Problem says why an input is missing.
type Problem struct {
	Input Input
	// Failed is true when reading the input failed (an API error, a
	// malformed file); false when it was not there to read (no file).
	Failed bool
	Err    error
}

// Error renders "authorization details: …".
func (p Problem) Error() string { return fmt.Sprintf("%s: %v", p.Input, p.Err) }

// File is evidence: a name within the run's evidence folder and its bytes.
type File struct {
	Name string
	Data []byte
}

// Fail records that input failed with err.
func (d *Data) Fail(in Input, err error) {
	d.Problems = append(d.Problems, Problem{Input: in, Failed: true, Err: err})
}

// Missing records that input was not collected, and why.
func (d *Data) Missing(in Input, err error) {
	d.Problems = append(d.Problems, Problem{Input: in, Err: err})
}

// Problem returns the problem recorded for in, if any.
func (d *Data) Problem(in Input) (Problem, bool) {
	for _, p := range d.Problems {
		if p.Input == in {
			return p, true
		}
	}
	return Problem{}, false
}

// Has reports whether in was collected.
func (d *Data) Has(in Input) bool {
	switch in {
	case AuthorizationDetailsInput:
		return d.Details != nil
	case AccountSummaryInput:
		return d.Summary != nil
	case VirtualMFADevicesInput:
		return d.VirtualMFA != nil
	case LastAccessedInput:
		return d.LastAccessed != nil
	}
	return false
}

// AnyFailed reports whether reading some input failed.
func (d *Data) AnyFailed() bool {
	for _, p := range d.Problems {
		if p.Failed {
			return true
		}
	}
	return false
}
