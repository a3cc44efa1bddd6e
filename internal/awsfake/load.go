package awsfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/posture"
)

// LoadDir reads an organization from a directory in the dir: source layout
// (see collect.DirSource): each <account-id>.csv or
// <account-id>.credential-report.json is an account, names and states
// come from accounts.json, password policies from
// <account-id>.password-policy.json (an account without that file answers
// AccessDenied, so that it is "not collected" as with the dir: source),
// and likewise authorization details, account summary and virtual MFA
// devices from the CLI's <account-id>.authorization-details.json,
// .account-summary.json and .virtual-mfa-devices.json, and the users' tags
// ListUserTags serves from <account-id>.user-tags.json (and the details).
// The Paths of accounts.json entries, when present, give the OU tree. The
// management account is the first account of accounts.json that has a
// report, else the lowest account ID.
func LoadDir(dir string) (Org, error) {
	if _, err := collect.NewDirSource(dir); err != nil {
		return Org{}, err
	}
	// As for the dir: source, no symbolic link may lead outside dir.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Org{}, err
	}
	defer root.Close()
	return LoadFS(root.FS(), "dir:"+dir)
}

// LoadFS reads an organization in the dir: source layout from fsys.
func LoadFS(fsys fs.FS, label string) (Org, error) {
	src := collect.NewFSSource(fsys, label)
	src.ReadLastAccessed(posture.PathScope{})
	accounts, err := src.Accounts()
	if err != nil {
		return Org{}, err
	}
	meta, order, err := readAccountsMeta(fsys)
	if err != nil {
		return Org{}, fmt.Errorf("%s: accounts.json: %w", label, err)
	}
	var org Org
	knownOU := map[string]bool{}
	for _, a := range accounts {
		res := src.Load(a)
		if res.Status != collect.Collected {
			return Org{}, fmt.Errorf("%s: account %s: %w", label, a.ID, res.Err)
		}
		for _, p := range res.Posture.Problems {
			if p.Failed {
				return Org{}, fmt.Errorf("%s: account %s: %w", label, a.ID, p)
			}
		}
		m := meta[a.ID]
		if res.UserTags.Err != nil {
			return Org{}, fmt.Errorf("%s: account %s: %w", label, a.ID, res.UserTags.Err)
		}
		acct := Account{ID: a.ID, Name: a.Name, Email: m.Email, State: m.State, Status: m.Status, Report: res.Report, Policy: res.Policy, Tags: collect.TagMap(m.Tags),
			Details: res.Posture.Details, Summary: res.Posture.Summary, VirtualMFA: res.Posture.VirtualMFA, UserTags: userTagLists(res.UserTags.Tags)}
		if la := res.Posture.LastAccessed; la != nil {
			acct.LastAccessed = la.Principals
		}
		if len(m.Paths) > 0 {
			orgID, rootID, ous, err := parsePath(m.Paths[0])
			if err != nil {
				return Org{}, fmt.Errorf("%s: account %s: %w", label, a.ID, err)
			}
			if org.ID == "" {
				org.ID, org.RootID = orgID, rootID
			}
			parent := ""
			for _, ou := range ous {
				if !knownOU[ou] {
					knownOU[ou] = true
					org.OUs = append(org.OUs, OU{ID: ou, Name: ou, Parent: parent})
				}
				parent = ou
			}
			acct.Parent = parent
		}
		org.Accounts = append(org.Accounts, acct)
	}
	for _, id := range order {
		if slices.ContainsFunc(org.Accounts, func(a Account) bool { return a.ID == id }) {
			org.ManagementAccount = id
			break
		}
	}
	return org, nil
}

// accountMeta is the part of an accounts.json entry the server uses.
type accountMeta struct {
	ID     string `json:"Id"`
	Email  string
	State  string
	Status string
	Paths  []string
	Tags   []collect.Tag
}

// readAccountsMeta reads accounts.json, if any, keyed by account ID, and
// the IDs in file order.
func readAccountsMeta(fsys fs.FS) (map[string]accountMeta, []string, error) {
	data, err := fs.ReadFile(fsys, "accounts.json")
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]accountMeta{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var doc struct{ Accounts []accountMeta }
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	out := make(map[string]accountMeta, len(doc.Accounts))
	order := make([]string, 0, len(doc.Accounts))
	for _, a := range doc.Accounts {
		out[a.ID] = a
		order = append(order, a.ID)
	}
	return out, order, nil
}

// parsePath splits "o-…/r-…/ou-a/ou-b/" into the organization, the root
// and the OUs from the outermost in.
func parsePath(p string) (orgID, rootID string, ous []string, err error) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "o-") || !strings.HasPrefix(parts[1], "r-") {
		return "", "", nil, fmt.Errorf("path %q: want o-…/r-…/[ou-…/…]", p)
	}
	return parts[0], parts[1], parts[2:], nil
}

// userTagLists turns a user tags file's map into ListUserTags' tag lists,
// keys sorted.
func userTagLists(m map[string]map[string]string) map[string][]posture.Tag {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string][]posture.Tag, len(m))
	for user, tags := range m {
		list := make([]posture.Tag, 0, len(tags))
		for _, k := range slices.Sorted(maps.Keys(tags)) {
			list = append(list, posture.Tag{Key: k, Value: tags[k]})
		}
		out[user] = list
	}
	return out
}
