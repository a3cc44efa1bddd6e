// Package passwordpolicy holds an account's IAM password policy as
// iam:GetAccountPasswordPolicy returns it, and whether it was collected.
package passwordpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
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

// ErrShape means a password-policy document is neither shape the AWS CLI
// prints.
var ErrShape = errors.New(`want {"PasswordPolicy": {...}} or the bare policy object`)

// wrapper is the key of `aws iam get-account-password-policy` output.
const wrapper = "PasswordPolicy"

// ParseCLIOutput parses a password policy as the AWS CLI prints it, in
// either shape: `aws iam get-account-password-policy` output,
// {"PasswordPolicy": {...}}, or the bare policy object that
// `--query PasswordPolicy` prints. {"PasswordPolicy": null} and {} mean
// "no policy". Anything else is an error: an array, a string, a wrapper
// beside other keys, or a non-empty object with no policy field (a typo
// must not read as "no policy").
func ParseCLIOutput(data []byte) (Result, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Result{}, fmt.Errorf("password policy JSON: %s: %w", te.Value, ErrShape)
		}
		return Result{}, fmt.Errorf("password policy JSON: %w", err)
	}
	if doc == nil {
		return Result{}, fmt.Errorf("password policy JSON: null: %w", ErrShape)
	}
	if len(doc) == 0 {
		return Result{State: Absent}, nil
	}
	body := data
	if inner, ok := doc[wrapper]; ok {
		if len(doc) > 1 {
			return Result{}, fmt.Errorf("password policy JSON: %s beside other keys: %w", wrapper, ErrShape)
		}
		if string(bytes.TrimSpace(inner)) == "null" {
			return Result{State: Absent}, nil
		}
		body = inner
	} else if !hasPolicyField(doc) {
		keys := slices.Sorted(maps.Keys(doc))
		if len(keys) > 5 {
			keys = append(keys[:5], "…")
		}
		return Result{}, fmt.Errorf("password policy JSON: neither %s nor a policy field among the keys %q: %w", wrapper, keys, ErrShape)
	}
	var p Policy
	if err := json.Unmarshal(body, &p); err != nil {
		return Result{}, fmt.Errorf("password policy JSON: %w", err)
	}
	return Result{State: Present, Policy: p}, nil
}

// hasPolicyField reports whether doc has a field of Policy, matched as
// encoding/json matches names (without regard to case).
func hasPolicyField(doc map[string]json.RawMessage) bool {
	t := reflect.TypeFor[Policy]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		for key := range doc {
			if strings.EqualFold(key, name) {
				return true
			}
		}
	}
	return false
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
