package posture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// AuthorizationDetails is the output of `aws iam
// get-account-authorization-details` (all pages merged), the fields the
// checks and the fake use.
type AuthorizationDetails struct {
	UserDetailList  []UserDetail    `json:"UserDetailList"`
	GroupDetailList []GroupDetail   `json:"GroupDetailList"`
	RoleDetailList  []RoleDetail    `json:"RoleDetailList"`
	Policies        []ManagedPolicy `json:"Policies"`
}

// UserDetail is an IAM user with its policies and groups.
type UserDetail struct {
	Path                    string           `json:"Path"`
	UserName                string           `json:"UserName"`
	UserID                  string           `json:"UserId"`
	Arn                     string           `json:"Arn"`
	CreateDate              time.Time        `json:"CreateDate"`
	UserPolicyList          []InlinePolicy   `json:"UserPolicyList,omitempty"`
	GroupList               []string         `json:"GroupList,omitempty"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
	// Tags are the user's tags (the AWS source keeps only the owner tag
	// keys it is configured with).
	Tags []Tag `json:"Tags,omitempty"`
}

// Tag is an IAM tag, as the CLI prints it.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// GroupDetail is an IAM group with its policies.
type GroupDetail struct {
	Path                    string           `json:"Path"`
	GroupName               string           `json:"GroupName"`
	GroupID                 string           `json:"GroupId"`
	Arn                     string           `json:"Arn"`
	CreateDate              time.Time        `json:"CreateDate"`
	GroupPolicyList         []InlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
}

// RoleDetail is an IAM role with its policies and last use.
type RoleDetail struct {
	Path                     string           `json:"Path"`
	RoleName                 string           `json:"RoleName"`
	RoleID                   string           `json:"RoleId"`
	Arn                      string           `json:"Arn"`
	CreateDate               time.Time        `json:"CreateDate"`
	AssumeRolePolicyDocument Document         `json:"AssumeRolePolicyDocument"`
	RolePolicyList           []InlinePolicy   `json:"RolePolicyList"`
	AttachedManagedPolicies  []AttachedPolicy `json:"AttachedManagedPolicies"`
	// RoleLastUsed is nil when absent; its LastUsedDate is nil when the
	// role was not used within IAM's tracking period (400 days).
	RoleLastUsed *RoleLastUsed `json:"RoleLastUsed,omitempty"`
}

// RoleLastUsed is when and where a role was last assumed.
type RoleLastUsed struct {
	LastUsedDate *time.Time `json:"LastUsedDate,omitempty"`
	Region       string     `json:"Region,omitempty"`
}

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	PolicyName     string   `json:"PolicyName"`
	PolicyDocument Document `json:"PolicyDocument"`
}

// AttachedPolicy names a managed policy attached to a principal.
type AttachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// ManagedPolicy is a managed policy (customer or AWS) with its versions.
type ManagedPolicy struct {
	PolicyName                    string          `json:"PolicyName"`
	PolicyID                      string          `json:"PolicyId"`
	Arn                           string          `json:"Arn"`
	Path                          string          `json:"Path"`
	DefaultVersionID              string          `json:"DefaultVersionId"`
	AttachmentCount               int             `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int             `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool            `json:"IsAttachable"`
	CreateDate                    time.Time       `json:"CreateDate"`
	UpdateDate                    time.Time       `json:"UpdateDate"`
	PolicyVersionList             []PolicyVersion `json:"PolicyVersionList"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	Document         Document  `json:"Document"`
	VersionID        string    `json:"VersionId"`
	IsDefaultVersion bool      `json:"IsDefaultVersion"`
	CreateDate       time.Time `json:"CreateDate"`
}

// DefaultVersion returns the version IAM applies: the one marked
// IsDefaultVersion, else the one named by DefaultVersionId; not
// necessarily the first of the list.
func (p *ManagedPolicy) DefaultVersion() (*PolicyVersion, bool) {
	for i := range p.PolicyVersionList {
		if p.PolicyVersionList[i].IsDefaultVersion {
			return &p.PolicyVersionList[i], true
		}
	}
	for i := range p.PolicyVersionList {
		if p.PolicyVersionList[i].VersionID == p.DefaultVersionID && p.DefaultVersionID != "" {
			return &p.PolicyVersionList[i], true
		}
	}
	return nil, false
}

// AccountSummary is the output of `aws iam get-account-summary`.
type AccountSummary struct {
	SummaryMap map[string]int `json:"SummaryMap"`
}

// AccountMFAEnabledKey is the summary key that is 1 when the root user
// has an MFA device of any kind.
const AccountMFAEnabledKey = "AccountMFAEnabled"

// VirtualMFADevices is the output of `aws iam list-virtual-mfa-devices
// --assignment-status Assigned`.
type VirtualMFADevices struct {
	VirtualMFADevices []VirtualMFADevice `json:"VirtualMFADevices"`
}

// VirtualMFADevice is a virtual MFA device and the principal it is
// assigned to (nil when unassigned).
type VirtualMFADevice struct {
	SerialNumber string     `json:"SerialNumber"`
	EnableDate   *time.Time `json:"EnableDate,omitempty"`
	User         *MFAUser   `json:"User,omitempty"`
}

// MFAUser is the principal of a virtual MFA device. For the root user,
// Arn is arn:<partition>:iam::<account>:root and UserName is empty.
type MFAUser struct {
	Path       string     `json:"Path,omitempty"`
	UserName   string     `json:"UserName,omitempty"`
	UserID     string     `json:"UserId,omitempty"`
	Arn        string     `json:"Arn"`
	CreateDate *time.Time `json:"CreateDate,omitempty"`
}

// Document is a policy document as JSON text. The CLI prints documents
// as JSON objects; IAM sends them URL-encoded (RFC 3986) and the Go SDK
// passes them on undecoded, so DecodeDocument decodes them exactly once.
type Document string

// DecodeDocument decodes a document as IAM sends it. url.PathUnescape
// keeps a literal "+" (QueryUnescape would turn it into a space).
func DecodeDocument(s string) (Document, error) {
	d, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("policy document is not URL-encoded: %w", err)
	}
	return Document(d), nil
}

// Encode returns the document URL-encoded as IAM sends it: every byte
// but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~) escaped, so
// ':' '*' ',' and spaces too.
func (d Document) Encode() string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(d)*2)
	for i := 0; i < len(d); i++ {
		c := d[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

// UnmarshalJSON reads a document printed as an object (the CLI) or as a
// string (URL-encoded or not).
func (d *Document) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*d = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if !json.Valid([]byte(s)) {
			dec, err := DecodeDocument(s)
			if err != nil {
				return err
			}
			s = string(dec)
		}
		*d = Document(s)
		return nil
	case len(b) > 0 && b[0] == '{':
		*d = Document(b)
		return nil
	}
	return errors.New("policy document: want an object or a string")
}

// MarshalJSON writes the document as an object, as the CLI does, or as
// a string when it is not valid JSON.
func (d Document) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("null"), nil
	}
	if json.Valid([]byte(d)) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(d)); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return json.Marshal(string(d))
}
