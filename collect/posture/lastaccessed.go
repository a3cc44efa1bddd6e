package posture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// LastAccessedInput is the service last-accessed data of the account's
// users and roles (iam:GenerateServiceLastAccessedDetails and
// iam:GetServiceLastAccessedDetails, service level). It is collected only
// when the unused-services check is asked for.
const LastAccessedInput Input = "service last accessed"

// LastAccessed is what an account's service last-accessed data says, per
// principal. A principal is in at most one of Principals, Failed and
// NotAsked.
type LastAccessed struct {
	// Principals holds each principal's completed job, by ARN.
	Principals map[string]*ServiceLastAccessedDetails
	// Failed holds why a principal's data is missing: its job failed,
	// timed out or was refused, or its entry of a file is unusable.
	Failed map[string]error
	// NotAsked holds the principals deliberately left out, with why
	// (outside the path scope, over the cap on principals per account).
	NotAsked map[string]string
}

// NewLastAccessed returns an empty LastAccessed.
func NewLastAccessed() *LastAccessed {
	return &LastAccessed{Principals: map[string]*ServiceLastAccessedDetails{}, Failed: map[string]error{}, NotAsked: map[string]string{}}
}

// ServiceLastAccessedDetails is the output of `aws iam
// get-service-last-accessed-details` (every page merged, as the CLI
// prints it).
type ServiceLastAccessedDetails struct {
	JobStatus            string                `json:"JobStatus"`
	JobType              string                `json:"JobType,omitempty"`
	JobCreationDate      *time.Time            `json:"JobCreationDate,omitempty"`
	JobCompletionDate    *time.Time            `json:"JobCompletionDate,omitempty"`
	ServicesLastAccessed []ServiceLastAccessed `json:"ServicesLastAccessed"`
	IsTruncated          bool                  `json:"IsTruncated,omitempty"`
	Marker               string                `json:"Marker,omitempty"`
	Error                *JobError             `json:"Error,omitempty"`
}

// ServiceLastAccessed is one service the principal's identity policies
// allow, and when it was last authenticated against (nil: not within
// IAM's tracking period).
type ServiceLastAccessed struct {
	ServiceName                string     `json:"ServiceName"`
	ServiceNamespace           string     `json:"ServiceNamespace"`
	LastAuthenticated          *time.Time `json:"LastAuthenticated,omitempty"`
	LastAuthenticatedEntity    string     `json:"LastAuthenticatedEntity,omitempty"`
	LastAuthenticatedRegion    string     `json:"LastAuthenticatedRegion,omitempty"`
	TotalAuthenticatedEntities *int       `json:"TotalAuthenticatedEntities,omitempty"`
}

// JobError is the Error element of a FAILED job (answered with HTTP 200).
type JobError struct {
	Message string `json:"Message"`
	Code    string `json:"Code"`
}

// The job statuses of GetServiceLastAccessedDetails.
const (
	JobInProgress = "IN_PROGRESS"
	JobCompleted  = "COMPLETED"
	JobFailed     = "FAILED"
)

// Usable says why details cannot be judged, or nil: a job not COMPLETED
// (a FAILED job with its error), or a list cut short.
func (d *ServiceLastAccessedDetails) Usable() error {
	switch {
	case d.JobStatus == JobFailed && d.Error != nil:
		return fmt.Errorf("job FAILED: %s: %s", d.Error.Code, d.Error.Message)
	case d.JobStatus != JobCompleted:
		return fmt.Errorf("job %s, not COMPLETED", or(d.JobStatus, "without a status"))
	case d.IsTruncated:
		return errors.New("the list of services is truncated (IsTruncated true): not every page was read")
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// MaxLastAccessedFile is the largest service-last-accessed file read
// (an account of 2,000 principals with 400 services each is about
// 200 MB of CLI output).
const MaxLastAccessedFile = 256 << 20

// ParseLastAccessed reads a JSON object mapping each principal ARN to the
// `aws iam get-service-last-accessed-details` output for it. account is
// the account the file belongs to: an entry whose key is not the ARN of
// a user or role of that account, or whose job is not usable, is put in
// Failed with the reason and the other entries are kept. A file that is
// not such an object is an error with the line and column.
func ParseLastAccessed(data []byte, account string) (*LastAccessed, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, located(data, err)
	}
	if top == nil {
		return nil, errors.New("line 1, column 1: null: want an object mapping principal ARNs to get-service-last-accessed-details output")
	}
	la := NewLastAccessed()
	for key, raw := range top {
		if _, _, err := ParsePrincipalARN(key, account); err != nil {
			la.Failed[key] = err
			continue
		}
		var d ServiceLastAccessedDetails
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&d); err != nil {
			la.Failed[key] = fmt.Errorf("not get-service-last-accessed-details output: %w", err)
			continue
		}
		if !bytes.Contains(raw, []byte(`"JobStatus"`)) {
			la.Failed[key] = errors.New("no JobStatus: not get-service-last-accessed-details output")
			continue
		}
		if err := d.Usable(); err != nil {
			la.Failed[key] = err
			continue
		}
		la.Principals[key] = &d
	}
	return la, nil
}

// ParsePrincipalARN checks that arn is a user or role of account
// (arn:<partition>:iam::<account>:user/… or role/…) and returns its kind
// ("user" or "role") and name.
func ParsePrincipalARN(arn, account string) (kind, name string, err error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return "", "", fmt.Errorf("%q is not an IAM ARN", clip(arn))
	}
	if parts[4] != account {
		return "", "", fmt.Errorf("%s belongs to account %s, not %s: ignored", clip(arn), clip(parts[4]), account)
	}
	kind, rest, _ := strings.Cut(parts[5], "/")
	if (kind != "user" && kind != "role") || rest == "" {
		return "", "", fmt.Errorf("%s is not a user or role ARN", clip(arn))
	}
	return kind, path.Base(rest), nil
}

// clip shortens a hostile value for an error message.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// Principal is a user or role that the unused-services check may judge.
type Principal struct {
	Kind    string // "user" or "role"
	Name    string
	Path    string
	ARN     string
	Created time.Time
}

// ID is "user/<name>" or "role/<name>", as findings name it.
func (p Principal) ID() string { return p.Kind + "/" + p.Name }

// ServiceRolePath is the path of every service-linked role.
const ServiceRolePath = "/aws-service-role/"

// PolicyHolders lists the users and roles of d that hold at least one
// policy (attached, inline, or for a user through a group that has one),
// service-linked roles left out, users first, each in the order of d.
func (d *AuthorizationDetails) PolicyHolders() []Principal {
	groups := map[string]bool{}
	for _, g := range d.GroupDetailList {
		if len(g.AttachedManagedPolicies) > 0 || len(g.GroupPolicyList) > 0 {
			groups[g.GroupName] = true
		}
	}
	var out []Principal
	for _, u := range d.UserDetailList {
		has := len(u.AttachedManagedPolicies) > 0 || len(u.UserPolicyList) > 0
		for _, g := range u.GroupList {
			has = has || groups[g]
		}
		if has {
			out = append(out, Principal{Kind: "user", Name: u.UserName, Path: u.Path, ARN: u.Arn, Created: u.CreateDate})
		}
	}
	for _, r := range d.RoleDetailList {
		if strings.HasPrefix(r.Path, ServiceRolePath) {
			continue
		}
		if len(r.AttachedManagedPolicies) > 0 || len(r.RolePolicyList) > 0 {
			out = append(out, Principal{Kind: "role", Name: r.RoleName, Path: r.Path, ARN: r.Arn, Created: r.CreateDate})
		}
	}
	return out
}

// PathScope selects principals by IAM path. A pattern ending in "/" is
// a prefix ("/engineering/" covers that path and every path under it);
// any other is a shell pattern matched against the whole path
// (path.Match: "/team-*/" covers "/team-a/"). A principal is in scope
// when Include is empty or one of its patterns matches its path, and
// none of Exclude does.
type PathScope struct {
	Include []string
	Exclude []string
}

// Validate reports the first malformed pattern.
func (s PathScope) Validate() error {
	for _, p := range append(append([]string(nil), s.Include...), s.Exclude...) {
		if _, err := path.Match(p, "/"); err != nil {
			return fmt.Errorf("path pattern %q: %w", p, err)
		}
	}
	return nil
}

// Why returns "" when a principal with IAM path p is in scope, else why not.
func (s PathScope) Why(p string) string {
	if len(s.Include) > 0 {
		in := false
		for _, pat := range s.Include {
			in = in || pathMatch(pat, p)
		}
		if !in {
			return "path " + p + " matches no include pattern"
		}
	}
	for _, pat := range s.Exclude {
		if pathMatch(pat, p) {
			return "path " + p + " is excluded (" + pat + ")"
		}
	}
	return ""
}

// pathMatch reports whether pattern pat matches IAM path p.
func pathMatch(pat, p string) bool {
	if strings.HasSuffix(pat, "/") && strings.HasPrefix(p, pat) {
		return true
	}
	ok, _ := path.Match(pat, p)
	return ok
}

// SortedARNs returns the keys of m, sorted.
func SortedARNs[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MarshalLastAccessed renders la.Principals as the dir: source reads it
// (ARN → get-service-last-accessed-details output), indented.
func MarshalLastAccessed(la *LastAccessed) ([]byte, error) {
	return json.MarshalIndent(la.Principals, "", "  ")
}
