package awsfake

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/collect/posture"
)

// Org is the in-memory organization the server answers for.
type Org struct {
	// ID is the organization ID; default "o-awsfake0001".
	ID string
	// RootID is the ID of the organization's root; default "r-fake".
	RootID string
	// ManagementAccount is the account the management key pair belongs
	// to; default the first account.
	ManagementAccount string
	// OUs are the organizational units, parents before children.
	OUs []OU
	// Accounts are the member accounts, in ListAccounts order.
	Accounts []Account
}

// OU is an organizational unit.
type OU struct {
	ID   string // e.g. "ou-fake-11111111"
	Name string
	// Parent is the ID of the containing OU; empty for the root.
	Parent string
}

// Account is one account of the organization and what its IAM holds.
type Account struct {
	ID    string
	Name  string
	Email string
	// State is the account's Organizations State (ACTIVE, SUSPENDED,
	// PENDING_CLOSURE, CLOSED…). When both State and Status are empty the
	// account is ACTIVE. When only Status is set, ListAccounts sends only
	// the legacy Status field.
	State  string
	Status string
	// Parent is the ID of the OU containing the account; empty for the root.
	Parent string
	// Tags are the account's Organizations tags.
	Tags map[string]string
	// Report is the credential report CSV served by GetCredentialReport.
	Report []byte
	// Policy is the account's password policy. Present serves it, Absent
	// answers NoSuchEntity, NotCollected answers AccessDenied (the audit
	// role may not read it), mirroring a dir: layout without the file.
	Policy passwordpolicy.Result
	// Details, Summary and VirtualMFA are served by
	// GetAccountAuthorizationDetails, GetAccountSummary and
	// ListVirtualMFADevices. Nil answers AccessDenied, so that the checks
	// needing it do not run, as with a dir: layout without the file.
	Details    *posture.AuthorizationDetails
	Summary    *posture.AccountSummary
	VirtualMFA *posture.VirtualMFADevices
	// UserTags are the tags ListUserTags serves for users without an
	// entry in Details (whose own Tags it serves, as GAAD does).
	UserTags map[string][]posture.Tag
	// LastAccessed is each principal's service last-accessed data, by
	// ARN, served by GetServiceLastAccessedDetails: an entry with
	// JobStatus FAILED is served as a FAILED job with its Error. A user or
	// role of Details without an entry completes with no service.
	LastAccessed map[string]*posture.ServiceLastAccessedDetails
	// Fault injects failures into the calls about this account.
	Fault Fault
}

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	ouIDPattern      = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$`)
)

// withDefaults fills the defaults and checks the organization is consistent.
func (o Org) withDefaults() (Org, error) {
	if o.ID == "" {
		o.ID = "o-awsfake0001"
	}
	if o.RootID == "" {
		o.RootID = "r-fake"
	}
	if len(o.Accounts) == 0 {
		return o, fmt.Errorf("awsfake: the organization has no accounts")
	}
	if o.ManagementAccount == "" {
		o.ManagementAccount = o.Accounts[0].ID
	}
	ous := map[string]bool{}
	for _, ou := range o.OUs {
		if !ouIDPattern.MatchString(ou.ID) {
			return o, fmt.Errorf("awsfake: OU ID %q: want ou-…", ou.ID)
		}
		if ou.Parent != "" && !ous[ou.Parent] {
			return o, fmt.Errorf("awsfake: OU %s: parent %q is not an earlier OU", ou.ID, ou.Parent)
		}
		ous[ou.ID] = true
	}
	seen := map[string]bool{}
	o.Accounts = slices.Clone(o.Accounts)
	for i := range o.Accounts {
		a := &o.Accounts[i]
		if !accountIDPattern.MatchString(a.ID) {
			return o, fmt.Errorf("awsfake: account ID %q: want 12 digits", a.ID)
		}
		if seen[a.ID] {
			return o, fmt.Errorf("awsfake: account %s listed twice", a.ID)
		}
		seen[a.ID] = true
		if a.Parent != "" && !ous[a.Parent] {
			return o, fmt.Errorf("awsfake: account %s: parent OU %q is not defined", a.ID, a.Parent)
		}
		if a.State == "" && a.Status == "" {
			a.State = "ACTIVE"
		}
		if a.Status == "" {
			a.Status = legacyStatus(a.State)
		}
		if a.Email == "" {
			a.Email = "aws+" + a.ID + "@example.com"
		}
	}
	if !seen[o.ManagementAccount] {
		return o, fmt.Errorf("awsfake: management account %s is not in the organization", o.ManagementAccount)
	}
	return o, nil
}

// legacyStatus maps a State to the older Status field, which has fewer values.
func legacyStatus(state string) string {
	switch state {
	case "ACTIVE", "SUSPENDED", "PENDING_CLOSURE":
		return state
	case "CLOSED":
		return "SUSPENDED"
	}
	return ""
}

// effectiveState is what decides whether an account can be used.
func (a *Account) effectiveState() string {
	if a.State != "" {
		return a.State
	}
	return a.Status
}

// parentOf returns the parent ID of an account or OU, and whether id exists.
func (o *Org) parentOf(id string) (string, bool) {
	for _, a := range o.Accounts {
		if a.ID == id {
			return o.orRoot(a.Parent), true
		}
	}
	for _, ou := range o.OUs {
		if ou.ID == id {
			return o.orRoot(ou.Parent), true
		}
	}
	return "", false
}

func (o *Org) orRoot(parent string) string {
	if parent == "" {
		return o.RootID
	}
	return parent
}

// path renders an account's Organizations path: "o-…/r-…/ou-a/ou-b/".
func (o *Org) path(a *Account) string {
	var chain []string
	for id := a.Parent; id != ""; {
		chain = append(chain, id)
		id, _ = o.parentOf(id)
		if id == o.RootID {
			break
		}
	}
	p := o.ID + "/" + o.RootID + "/"
	for i := len(chain) - 1; i >= 0; i-- {
		p += chain[i] + "/"
	}
	return p
}

// isParent reports whether id is the root or an OU.
func (o *Org) isParent(id string) bool {
	if id == o.RootID {
		return true
	}
	return slices.ContainsFunc(o.OUs, func(ou OU) bool { return ou.ID == id })
}
