package collect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
)

// accountIDPattern matches a 12-digit AWS account ID.
var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// DirSource reads credential reports saved as files, in the layout the AWS
// CLI produces:
//
//	<account-id>.csv                       the credential report CSV
//	<account-id>.credential-report.json    or: `aws iam get-credential-report` output
//	<account-id>.password-policy.json      optional: `aws iam get-account-password-policy` output
//	accounts.json                          optional: `aws organizations list-accounts` output
type DirSource struct {
	fsys     fs.FS
	label    string
	expected int
}

// Expected implements Counter.
func (s *DirSource) Expected() int { return s.expected }

// NewDirSource reads the directory at dir.
func NewDirSource(dir string) (*DirSource, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("report directory %s is not a directory", dir)
	}
	return &DirSource{fsys: os.DirFS(dir), label: "dir:" + dir}, nil
}

// NewFSSource reads the dir layout from fsys, labelled label.
func NewFSSource(fsys fs.FS, label string) *DirSource {
	return &DirSource{fsys: fsys, label: label}
}

// Name implements Source.
func (s *DirSource) Name() string { return s.label }

// Accounts returns the account IDs with a report in the directory, sorted,
// with names from accounts.json where present.
func (s *DirSource) Accounts() ([]Account, error) {
	entries, err := fs.ReadDir(s.fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.label, err)
	}
	meta, err := s.accountMeta()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var accounts []Account
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		id, ok := reportAccountID(e.Name())
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		accounts = append(accounts, Account{ID: id, Name: meta[id].Name, Tags: TagMap(meta[id].Tags)})
	}
	if len(accounts) == 0 {
		return nil, fmt.Errorf("%s: no credential reports found (want files named <12-digit-account-id>.csv)", s.label)
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].ID < accounts[j].ID })
	return accounts, nil
}

// reportAccountID recognises a report file name and returns its account.
func reportAccountID(name string) (string, bool) {
	for _, suffix := range []string{".csv", ".credential-report.json"} {
		if id, ok := strings.CutSuffix(name, suffix); ok && accountIDPattern.MatchString(id) {
			return id, true
		}
	}
	return "", false
}

// Collect implements Source.
func (s *DirSource) Collect(ctx context.Context, sink func(AccountResult) error) error {
	accounts, err := s.Accounts()
	if err != nil {
		return err
	}
	s.expected = len(accounts)
	for _, acct := range accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sink(s.Load(acct)); err != nil {
			return err
		}
	}
	return nil
}

// Load reads one account's files. Problems become a Failed result.
func (s *DirSource) Load(acct Account) AccountResult {
	start := time.Now()
	res := AccountResult{Account: acct, Status: Collected}
	fail := func(err error) AccountResult {
		res.Status, res.Err, res.Duration = Failed, err, time.Since(start)
		return res
	}
	report, generated, err := s.readReport(acct.ID)
	if err != nil {
		return fail(err)
	}
	res.Report, res.ReportGeneratedAt = report, generated

	policyFile := acct.ID + ".password-policy.json"
	data, err := fs.ReadFile(s.fsys, policyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Not collected: no password-policy check runs.
	case err != nil:
		return fail(fmt.Errorf("read %s: %w", policyFile, err))
	default:
		pol, err := passwordpolicy.ParseCLIOutput(data)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", policyFile, err))
		}
		res.Policy = pol
	}
	res.Duration = time.Since(start)
	return res
}

// readReport reads <id>.csv, or else the CLI's <id>.credential-report.json.
func (s *DirSource) readReport(id string) ([]byte, time.Time, error) {
	data, err := fs.ReadFile(s.fsys, id+".csv")
	if err == nil {
		return data, time.Time{}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("read %s.csv: %w", id, err)
	}
	name := id + ".credential-report.json"
	data, err = fs.ReadFile(s.fsys, name)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read %s: %w", name, err)
	}
	var doc struct {
		Content       string    `json:"Content"`
		GeneratedTime time.Time `json:"GeneratedTime"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", name, err)
	}
	csv, err := base64.StdEncoding.DecodeString(doc.Content)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: Content is not base64: %w", name, err)
	}
	return csv, doc.GeneratedTime.UTC(), nil
}

// accountMeta reads accounts.json when present, keyed by account ID.
func (s *DirSource) accountMeta() (map[string]OrgAccount, error) {
	data, err := fs.ReadFile(s.fsys, "accounts.json")
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]OrgAccount{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read accounts.json: %w", s.label, err)
	}
	list, err := ParseAccountsJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: accounts.json: %w", s.label, err)
	}
	meta := make(map[string]OrgAccount, len(list))
	for _, a := range list {
		meta[a.ID] = a
	}
	return meta, nil
}

// OrgAccount is one entry of `aws organizations list-accounts` output.
// Tags is an extension: the account's tags in the shape
// `aws organizations list-tags-for-resource` prints, for Slack routing.
type OrgAccount struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Email  string `json:"Email,omitempty"`
	State  string `json:"State,omitempty"`
	Status string `json:"Status,omitempty"`
	Tags   []Tag  `json:"Tags,omitempty"`
}

// Tag is an Organizations tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// TagMap turns tags into a map, nil when there are none.
func TagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// ParseAccountsJSON parses `aws organizations list-accounts` output.
func ParseAccountsJSON(data []byte) ([]OrgAccount, error) {
	var doc struct {
		Accounts []OrgAccount `json:"Accounts"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return doc.Accounts, nil
}
