package audit

import "fmt"

// Thresholds are the configurable limits of the checks. Day limits fire
// when an age is strictly greater than the limit.
type Thresholds struct {
	InactiveUserDays     int `json:"inactive_user_days" yaml:"inactive_user_days"`
	UnusedCredentialDays int `json:"unused_credential_days" yaml:"unused_credential_days"`
	KeyRotationDays      int `json:"key_rotation_days" yaml:"key_rotation_days"`
	RootUseDays          int `json:"root_use_days" yaml:"root_use_days"`
	MinPasswordLength    int `json:"min_password_length" yaml:"min_password_length"`
	PasswordReuse        int `json:"password_reuse_prevention" yaml:"password_reuse_prevention"`
	MaxPasswordAgeDays   int `json:"max_password_age_days" yaml:"max_password_age_days"`
	RoleUnusedDays       int `json:"role_unused_days" yaml:"role_unused_days"`
	// UnusedPermissionsDays is the limit of the opt-in unused-services
	// check; 0 when the check is off. It is set from the
	// unused_permissions settings, not from the thresholds section.
	UnusedPermissionsDays int `json:"unused_permissions_days,omitempty" yaml:"-"`
}

// DefaultThresholds follow AWS Security Hub's 90-day controls.
func DefaultThresholds() Thresholds {
	return Thresholds{
		InactiveUserDays:     90,
		UnusedCredentialDays: 90,
		KeyRotationDays:      90,
		RootUseDays:          90,
		MinPasswordLength:    14,
		PasswordReuse:        24,
		MaxPasswordAgeDays:   90,
		RoleUnusedDays:       90,
	}
}

// CISThresholds follow CIS AWS Foundations v1.4 and later: credentials
// unused for 45 days are disabled. Findings judged by that 45-day limit
// carry Security Hub IAM.22 instead of IAM.8 (see Evaluator).
func CISThresholds() Thresholds {
	t := DefaultThresholds()
	t.InactiveUserDays = 45
	t.UnusedCredentialDays = 45
	return t
}

// Presets names the threshold presets a user can choose.
var Presets = map[string]func() Thresholds{
	"default": DefaultThresholds,
	"cis":     CISThresholds,
}

// Preset returns the named preset.
func Preset(name string) (Thresholds, error) {
	p, ok := Presets[name]
	if !ok {
		return Thresholds{}, fmt.Errorf("unknown threshold preset %q (want default or cis)", name)
	}
	return p(), nil
}

// Validate reports the first nonsensical limit.
func (t Thresholds) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"inactive_user_days", t.InactiveUserDays},
		{"unused_credential_days", t.UnusedCredentialDays},
		{"key_rotation_days", t.KeyRotationDays},
		{"root_use_days", t.RootUseDays},
		{"min_password_length", t.MinPasswordLength},
		{"password_reuse_prevention", t.PasswordReuse},
		{"max_password_age_days", t.MaxPasswordAgeDays},
		{"role_unused_days", t.RoleUnusedDays},
		{"unused_permissions_days", t.UnusedPermissionsDays},
	} {
		if f.v < 0 {
			return fmt.Errorf("threshold %s must not be negative, got %d", f.name, f.v)
		}
	}
	return nil
}

// cisUnusedDays is the CIS limit of unused credentials, that of Security
// Hub IAM.22 ("unused for 45 days").
const cisUnusedDays = 45
