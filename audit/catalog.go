// Package audit turns credential reports and password policies into
// findings. Every check is a pure function of (row or policy, thresholds,
// as-of time): no I/O and no wall clock, so a run is reproducible.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Severity ranks a finding. Higher values are more severe.
type Severity uint8

// The severities, least severe first.
const (
	Low Severity = iota + 1
	Medium
	High
	Critical
)

// Severities lists every severity, most severe first, for reports.
var Severities = []Severity{Critical, High, Medium, Low}

// String returns the lower-case name used in every output.
func (s Severity) String() string {
	switch s {
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	case Critical:
		return "critical"
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	for _, v := range Severities {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", b)
}

// The stable check IDs. They appear in findings.json, the workbook, the
// Markdown and exception files: never rename one.
const (
	RootAccessKeyActive      = "root-access-key-active"
	RootMFADisabled          = "root-mfa-disabled"
	RootUsedRecently         = "root-used-recently"
	ConsoleMFAMissing        = "console-mfa-missing"
	ConsolePasswordUnused    = "console-password-unused"
	AccessKeyNotRotated      = "access-key-not-rotated"
	AccessKeyUnused          = "access-key-unused"
	MultipleActiveAccessKeys = "multiple-active-access-keys"
	UserInactive             = "user-inactive"
	PasswordPolicyMissing    = "password-policy-missing"
	PasswordPolicyMinLength  = "password-policy-min-length"
	PasswordPolicyReuse      = "password-policy-reuse"
	PasswordPolicySymbols    = "password-policy-symbols"
	PasswordPolicyNumbers    = "password-policy-numbers"
	PasswordPolicyUppercase  = "password-policy-uppercase"
	PasswordPolicyLowercase  = "password-policy-lowercase"
	PasswordPolicyMaxAge     = "password-policy-max-age"
	InitialAccessKeyUnused   = "initial-access-key-unused"
	RootAccessKeyInactive    = "root-access-key-inactive"
	RootHardwareMFAMissing   = "root-hardware-mfa-missing"
	UserPolicyAttached       = "user-policy-attached"
	PolicyFullAdmin          = "policy-full-admin"
	RoleUnused               = "role-unused"
)

// Check describes one rule of the catalog.
type Check struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`     // default severity; user-inactive may lower it
	CIS         string   `json:"cis"`          // CIS AWS Foundations Benchmark v3.0.0 control
	SecurityHub string   `json:"security_hub"` // AWS Security Hub control
	Family      string   `json:"family"`       // report grouping: root, mfa, keys, inactive, password-policy, permissions
	// Note states the check's scope where the title cannot, e.g. what it
	// deliberately leaves out; empty for most checks.
	Note string `json:"note,omitempty"`
}

// Checks is the check catalog, in the order reports list it.
var Checks = []Check{
	{RootAccessKeyActive, "Root user has an active access key", Critical, "1.4", "IAM.4", "root", ""},
	{RootMFADisabled, "Root user has no MFA", Critical, "1.5", "IAM.9", "root", ""},
	{RootUsedRecently, "Root user was used recently", High, "1.7", "", "root", ""},
	{ConsoleMFAMissing, "Console user without MFA", High, "1.10", "IAM.5", "mfa", ""},
	{ConsolePasswordUnused, "Console password unused", Medium, "1.12", "IAM.8", "inactive", ""},
	{AccessKeyNotRotated, "Access key not rotated", Medium, "1.14", "IAM.3", "keys", ""},
	{AccessKeyUnused, "Active access key unused", Medium, "1.12", "IAM.8", "keys", ""},
	{MultipleActiveAccessKeys, "User has two active access keys", Low, "1.13", "", "keys", ""},
	{UserInactive, "User inactive", Medium, "1.12", "", "inactive", ""},
	{PasswordPolicyMissing, "No account password policy", Medium, "1.8, 1.9", "IAM.7", "password-policy", ""},
	{PasswordPolicyMinLength, "Password policy minimum length too short", Medium, "1.8", "IAM.15", "password-policy", ""},
	{PasswordPolicyReuse, "Password policy allows password reuse", Medium, "1.9", "IAM.16", "password-policy", ""},
	{PasswordPolicySymbols, "Password policy does not require symbols", Low, "", "IAM.13", "password-policy", ""},
	{PasswordPolicyNumbers, "Password policy does not require numbers", Low, "", "IAM.14", "password-policy", ""},
	{PasswordPolicyUppercase, "Password policy does not require uppercase letters", Low, "", "IAM.11", "password-policy", ""},
	{PasswordPolicyLowercase, "Password policy does not require lowercase letters", Low, "", "IAM.12", "password-policy", ""},
	{PasswordPolicyMaxAge, "Passwords do not expire within the maximum age", Low, "", "IAM.17", "password-policy", ""},
	{InitialAccessKeyUnused, "Access key set up with the console password and never used", Medium, "1.11", "", "keys", ""},
	{RootAccessKeyInactive, "Root user has an inactive access key", High, "1.4", "IAM.4", "root",
		"an inactive key still exists and can be activated again: delete it"},
	{RootHardwareMFAMissing, "Root user MFA is a virtual device, not hardware", High, "1.6", "IAM.6", "root",
		"needs the account summary and the assigned virtual MFA devices; not judged when root has no credentials"},
	{UserPolicyAttached, "User has policies attached directly", Low, "1.15", "IAM.2", "permissions",
		"one finding per user, listing its attached and inline policies"},
	{PolicyFullAdmin, "Policy allows every action on every resource (full administrator)", High, "1.16", "IAM.1", "permissions",
		"customer-managed policies that are attached (their default version) and inline policies of users, groups and roles; " +
			"AWS-managed policies such as AdministratorAccess are left out, as in Security Hub IAM.1"},
	{RoleUnused, "Role unused", Low, "", "", "permissions",
		"the counterpart of IAM Access Analyzer's unused-role finding; service-linked roles (path /aws-service-role/) are left out"},
	{UnusedServices, "User or role has granted services it does not use", Low, "", "", "permissions",
		"opt-in (--unused-permissions); IAM's service last-accessed data for users and roles with a policy, older than the limit. " +
			"Differs from IAM Access Analyzer's unused permissions: service level only (no actions), " +
			"identity policies only (resource policies, permissions boundaries and SCPs are not considered), " +
			"IAM reports activity about 4 hours late, and it tracks 400 days (never used means not in that period)"},
}

var checksByID = func() map[string]Check {
	m := make(map[string]Check, len(Checks))
	for _, c := range Checks {
		m[c.ID] = c
	}
	return m
}()

// LookupCheck returns the catalog entry for id.
func LookupCheck(id string) (Check, bool) {
	c, ok := checksByID[id]
	return c, ok
}

// Days is a whole number of days that may be absent (JSON null).
type Days struct {
	N     int
	Valid bool
}

// DaysOf returns a valid Days holding n.
func DaysOf(n int) Days { return Days{N: n, Valid: true} }

// MarshalJSON renders d as a number, or null when it is not valid.
func (d Days) MarshalJSON() ([]byte, error) {
	if !d.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(d.N)
}

// UnmarshalJSON reads a number or null.
func (d *Days) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Days{}
		return nil
	}
	d.Valid = true
	return json.Unmarshal(b, &d.N)
}

// Finding is one failed check for one principal's credential.
// Its identity is (AccountID, Principal, Check, Credential).
type Finding struct {
	AccountID   string   `json:"account_id"`
	AccountName string   `json:"account_name"`
	Principal   string   `json:"principal"`
	ARN         string   `json:"arn"`
	Check       string   `json:"check"`
	Severity    Severity `json:"severity"`
	Credential  string   `json:"credential"`
	AgeDays     Days     `json:"age_days"`
	Detail      string   `json:"detail"`
	CIS         string   `json:"cis"`
	SecurityHub string   `json:"security_hub"`
	// Since is the date AgeDays counts from (last use, rotation, creation).
	Since time.Time `json:"since,omitzero"`
	// Status is the run-over-run status: new, persisting or resolved.
	Status string `json:"status,omitempty"`
	// FirstSeen is the as-of of the first run that reported this finding.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// Exception is the accepted risk covering this finding; nil when the
	// finding is open.
	Exception *Exception `json:"exception,omitempty"`
	// ID is the finding's stable identifier, Key().ID(): the same for
	// the same account, principal, check and credential in every run,
	// the key for ticketing systems.
	ID string `json:"id,omitempty"`
	// Owner is who must act on the finding; OwnerSource says where it
	// came from (e.g. "user-tag:owner", "account-tag:team", "exception",
	// "route": see OwnerFromUserTag). Both are empty when no owner is
	// known.
	Owner       string `json:"owner,omitempty"`
	OwnerSource string `json:"owner_source,omitempty"`
	// Due is the day by which an open finding must be fixed: FirstSeen
	// plus the days its severity allows. OverdueDays is how many whole
	// days past Due the run's as-of is (0 when not yet due). Both are
	// absent for excepted findings.
	Due         time.Time `json:"due,omitzero"`
	OverdueDays Days      `json:"overdue_days,omitzero"`
	// Remediation is the fix for this finding: the catalog's command
	// with the finding's user name or key number filled in.
	Remediation string `json:"remediation,omitempty"`
}

// The sources of an owner, as Finding.OwnerSource names them: the tag of
// an IAM user or of the account ("user-tag:KEY", "account-tag:KEY"), an
// exception's owner, a Slack route's owner.
const (
	OwnerFromUserTag    = "user-tag:"
	OwnerFromAccountTag = "account-tag:"
	OwnerFromException  = "exception"
	OwnerFromRoute      = "route"
)

// OwnerFromTag reports whether source names an owner read from a tag of
// an IAM user or an account: text anyone allowed to tag them chose.
func OwnerFromTag(source string) bool {
	return strings.HasPrefix(source, OwnerFromUserTag) || strings.HasPrefix(source, OwnerFromAccountTag)
}

// Run-over-run statuses of a finding.
const (
	StatusNew        = "new"
	StatusPersisting = "persisting"
	StatusResolved   = "resolved"
)

// Open reports whether f counts as open: not covered by an exception.
func (f *Finding) Open() bool { return f.Exception == nil }

// Key is a finding's identity across runs.
type Key struct {
	AccountID, Principal, Check, Credential string
}

// Key returns f's identity: (account, principal, check, credential).
func (f *Finding) Key() Key { return Key{f.AccountID, f.Principal, f.Check, f.Credential} }

// ID returns the stable finding ID of k: "f-" and the first 20 hex
// digits of the SHA-256 of its four parts, each followed by a NUL byte.
// It never changes for the same key, so tickets can refer to it.
func (k Key) ID() string {
	// Hashed from a buffer on the stack, for one allocation: every
	// finding of a run gets an ID.
	var buf [256]byte
	b := buf[:0]
	for _, part := range [...]string{k.AccountID, k.Principal, k.Check, k.Credential} {
		b = append(b, part...)
		b = append(b, 0)
	}
	sum := sha256.Sum256(b)
	var id [22]byte
	id[0], id[1] = 'f', '-'
	hex.Encode(id[2:], sum[:10])
	return string(id[:])
}

// Exception is an accepted risk: a reviewed decision to tolerate the
// findings it matches until it expires.
type Exception struct {
	Account    string    `json:"account" yaml:"account"`     // account ID or "*"
	Principal  string    `json:"principal" yaml:"principal"` // exact name or glob, e.g. svc-*
	Check      string    `json:"check" yaml:"check"`
	Reason     string    `json:"reason" yaml:"reason"`
	Owner      string    `json:"owner" yaml:"owner"`
	ApprovedBy string    `json:"approved_by" yaml:"approved_by"`
	Expires    time.Time `json:"expires" yaml:"-"` // valid through this day, UTC
	// Source locates the entry, e.g. "exceptions.yaml:12".
	Source string `json:"source" yaml:"-"`
}

// ExceptionUse reports how one exception applied in a run (package
// exceptions applies them).
type ExceptionUse struct {
	Exception
	// Status is "active", "expired" or "stale" (exceptions.Active,
	// exceptions.Expired, exceptions.Stale).
	Status string `json:"status"`
	// Matched counts the findings it matched (for an expired one: the
	// findings it would have covered, now open again).
	Matched int `json:"matched"`
}

// Less orders findings by account, principal, check and credential, the
// order of findings.json and every report.
func Less(a, b *Finding) bool {
	if a.AccountID != b.AccountID {
		return a.AccountID < b.AccountID
	}
	if a.Principal != b.Principal {
		return a.Principal < b.Principal
	}
	if a.Check != b.Check {
		return a.Check < b.Check
	}
	return a.Credential < b.Credential
}
