// Package passwordpolicy holds an account's IAM password policy as
// iam:GetAccountPasswordPolicy returns it, and whether it was collected.
package passwordpolicy

import (
	"encoding/json"
	"fmt"
)

// State says what is known about an account's password policy.
type State uint8

// The states of a collected password policy.
const (
	// NotCollected means nobody asked: no password-policy check runs.
	NotCollected State = iota
	// Absent means the account has no password policy (IAM's NoSuchEntity).
	Absent
	// Present means Policy holds the account's policy.
	Present
)

// String names s for reports.
func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Present:
		return "present"
	default:
		return "not collected"
	}
}

// Policy mirrors the fields of IAM's PasswordPolicy. Pointers are nil when
// IAM omits the field.
type Policy struct {
	MinimumPasswordLength      *int  `json:"MinimumPasswordLength,omitempty"`
	RequireSymbols             bool  `json:"RequireSymbols"`
	RequireNumbers             bool  `json:"RequireNumbers"`
	RequireUppercaseCharacters bool  `json:"RequireUppercaseCharacters"`
	RequireLowercaseCharacters bool  `json:"RequireLowercaseCharacters"`
	AllowUsersToChangePassword bool  `json:"AllowUsersToChangePassword"`
	ExpirePasswords            bool  `json:"ExpirePasswords"`
	MaxPasswordAge             *int  `json:"MaxPasswordAge,omitempty"`
	PasswordReusePrevention    *int  `json:"PasswordReusePrevention,omitempty"`
	HardExpiry                 *bool `json:"HardExpiry,omitempty"`
}

// Result is an account's password policy together with its State.
type Result struct {
	State  State
	Policy Policy // meaningful only when State is Present
}

// ParseCLIOutput parses the JSON printed by
// `aws iam get-account-password-policy`: {"PasswordPolicy": {...}}.
// A document whose PasswordPolicy is absent or null means "no policy".
func ParseCLIOutput(data []byte) (Result, error) {
	var doc struct {
		PasswordPolicy *Policy `json:"PasswordPolicy"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return Result{}, fmt.Errorf("password policy JSON: %w", err)
	}
	if doc.PasswordPolicy == nil {
		return Result{State: Absent}, nil
	}
	return Result{State: Present, Policy: *doc.PasswordPolicy}, nil
}

// MarshalCLIOutput renders r in the same shape ParseCLIOutput reads, so
// collected policies can be kept as evidence. It returns nil when the
// policy was not collected.
func MarshalCLIOutput(r Result) []byte {
	var doc struct {
		PasswordPolicy *Policy `json:"PasswordPolicy"`
	}
	switch r.State {
	case NotCollected:
		return nil
	case Present:
		p := r.Policy
		doc.PasswordPolicy = &p
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	return append(out, '\n')
}
