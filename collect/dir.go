package collect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/collect/posture"
)

// accountIDPattern matches a 12-digit AWS account ID.
var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// DirSource reads credential reports saved as files, in the layout the AWS
// CLI produces:
//
//	<account-id>.csv                       the credential report CSV
//	<account-id>.credential-report.json    or: `aws iam get-credential-report` output
//	<account-id>.password-policy.json      optional: `aws iam get-account-password-policy` output
//	<account-id>.authorization-details.json optional: `aws iam get-account-authorization-details` output
//	<account-id>.account-summary.json      optional: `aws iam get-account-summary` output
//	<account-id>.virtual-mfa-devices.json  optional: `aws iam list-virtual-mfa-devices --assignment-status Assigned` output
//	<account-id>.user-tags.json            optional: users' tags, {"USER": `aws iam list-user-tags --user-name USER` output, …}
//	<account-id>.service-last-accessed.json optional, read only when asked (ReadLastAccessed): an object mapping
//	                                       principal ARNs to `aws iam get-service-last-accessed-details` output
//	accounts.json                          optional: `aws organizations list-accounts` output
//
// A missing optional file means the checks that need it do not run for
// that account; a malformed one fails only those checks. The user tags
// (and the Tags of the authorization details' users) only give findings
// their owners: a malformed user tags file is reported for the account,
// whose checks all still run.
//
// Every other entry of the folder is listed by UnusedFiles with the
// reason. A folder on disk is read through os.Root, so no path, symbolic
// links included, can lead outside it.
type DirSource struct {
	// lastAccessed, when set, makes Collect read the service-last-accessed
	// files, for the principals within its scope.
	lastAccessed *posture.PathScope
	dir          string // the folder on disk; "" when fsys is given
	fsys         fs.FS
	label        string
	expected     int
	unused       []UnusedFile
}

// UnusedFile is an entry of a source's folder that was not read, and why.
type UnusedFile struct {
	Name   string
	Reason string
}

// UnusedLister is implemented by sources that read a folder. After
// Collect, UnusedFiles lists the entries they found but did not use.
type UnusedLister interface {
	UnusedFiles() []UnusedFile
}

// The file names of the dir layout.
const (
	csvSuffix      = ".csv"
	cliSuffix      = ".credential-report.json"
	policySuffix   = ".password-policy.json"
	accountsFile   = "accounts.json"
	layoutReminder = "the directory source reads <account-id>.csv, <account-id>.credential-report.json, <account-id>.password-policy.json, " +
		"<account-id>.authorization-details.json, <account-id>.account-summary.json, <account-id>.virtual-mfa-devices.json, " +
		"<account-id>.user-tags.json, <account-id>.service-last-accessed.json and accounts.json"
	// LastAccessedSuffix ends the name of an account's service
	// last-accessed file.
	LastAccessedSuffix = ".service-last-accessed.json"
	// LastAccessedOff is the reason a service last-accessed file is not
	// used when the opt-in unused-services check is off.
	LastAccessedOff = "the unused-permissions check is off (unused_permissions.enabled)"
)

// ReadLastAccessed makes Collect read each account's
// <account-id>.service-last-accessed.json for the unused-services check,
// keeping the principals within scope (the others become NotAsked). The
// check is opt-in: without this call the files are not read.
func (s *DirSource) ReadLastAccessed(scope posture.PathScope) { s.lastAccessed = &scope }

// PostureFiles are the dir layout's optional posture files: the input
// each holds, its suffix after the account ID, and its parser.
var PostureFiles = []struct {
	Input  posture.Input
	Suffix string
	parse  func(data []byte, d *posture.Data) error
}{
	{posture.AuthorizationDetailsInput, ".authorization-details.json", func(b []byte, d *posture.Data) (err error) {
		d.Details, err = posture.ParseAuthorizationDetails(b)
		return err
	}},
	{posture.AccountSummaryInput, ".account-summary.json", func(b []byte, d *posture.Data) (err error) {
		d.Summary, err = posture.ParseAccountSummary(b)
		return err
	}},
	{posture.VirtualMFADevicesInput, ".virtual-mfa-devices.json", func(b []byte, d *posture.Data) (err error) {
		d.VirtualMFA, err = posture.ParseVirtualMFADevices(b)
		return err
	}},
}

// postureSuffix reports whether name ends with a posture file's suffix,
// and returns the account ID part.
func postureSuffix(name string) (prefix string, ok bool) {
	for _, f := range PostureFiles {
		if p, found := strings.CutSuffix(name, f.Suffix); found {
			return p, true
		}
	}
	return "", false
}

// Expected implements Counter.
func (s *DirSource) Expected() int { return s.expected }

// UnusedFiles implements UnusedLister.
func (s *DirSource) UnusedFiles() []UnusedFile { return s.unused }

// NewDirSource reads the directory at dir. The folder is opened anew by
// each Collect, so one that is replaced between runs is read afresh.
func NewDirSource(dir string) (*DirSource, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("report directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("report directory %s is not a directory", dir)
	}
	return &DirSource{dir: dir, label: "dir:" + dir}, nil
}

// NewFSSource reads the dir layout from fsys, labelled label.
func NewFSSource(fsys fs.FS, label string) *DirSource {
	return &DirSource{fsys: fsys, label: label}
}

// Name implements Source.
func (s *DirSource) Name() string { return s.label }

// open returns the folder's files and a function that releases them.
func (s *DirSource) open() (fs.FS, func(), error) {
	if s.dir == "" {
		return s.fsys, func() {}, nil
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.label, err)
	}
	return root.FS(), func() { root.Close() }, nil
}

// Accounts returns the account IDs with a report in the directory, sorted,
// with names from accounts.json where present.
func (s *DirSource) Accounts() ([]Account, error) {
	fsys, done, err := s.open()
	if err != nil {
		return nil, err
	}
	defer done()
	accounts, unused, err := s.accounts(fsys)
	s.unused = unused
	return accounts, err
}

// accounts sorts the folder's entries into accounts and unused files.
func (s *DirSource) accounts(fsys fs.FS) ([]Account, []UnusedFile, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.label, err)
	}
	// The account IDs with a report of either form, to judge the others.
	csvIDs, cliIDs := map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		if id, ok := cutAccountID(e.Name(), csvSuffix); ok && !e.IsDir() {
			csvIDs[id] = true
		}
		if id, ok := cutAccountID(e.Name(), cliSuffix); ok && !e.IsDir() {
			cliIDs[id] = true
		}
	}
	var accounts []Account
	var unused []UnusedFile
	skip := func(name, reason string) { unused = append(unused, UnusedFile{Name: name, Reason: reason}) }
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			skip(name, "a folder: subfolders are not read")
			continue
		}
		if name == accountsFile {
			continue
		}
		if id, ok := cutAccountID(name, csvSuffix); ok {
			accounts = append(accounts, Account{ID: id})
			continue
		}
		if id, ok := cutAccountID(name, cliSuffix); ok {
			if csvIDs[id] {
				skip(name, id+csvSuffix+" is read instead")
				continue
			}
			accounts = append(accounts, Account{ID: id})
			continue
		}
		if id, ok := cutAccountID(name, policySuffix); ok {
			if !csvIDs[id] && !cliIDs[id] {
				skip(name, "no credential report for account "+id)
			}
			continue
		}
		if id, ok := cutAccountID(name, LastAccessedSuffix); ok {
			switch {
			case s.lastAccessed == nil:
				// The check is opt-in: the file is not read.
				skip(name, LastAccessedOff)
			case !csvIDs[id] && !cliIDs[id]:
				skip(name, "no credential report for account "+id)
			}
			continue
		}
		prefix, ok := postureSuffix(name)
		if !ok {
			prefix, ok = strings.CutSuffix(name, UserTagsSuffix)
		}
		if !ok {
			prefix, ok = strings.CutSuffix(name, LastAccessedSuffix)
		}
		if ok {
			switch {
			case !accountIDPattern.MatchString(prefix):
				skip(name, "not named after a 12-digit account ID")
			case !csvIDs[prefix] && !cliIDs[prefix]:
				skip(name, "no credential report for account "+prefix)
			}
			continue
		}
		if strings.HasSuffix(name, csvSuffix) || strings.HasSuffix(name, cliSuffix) || strings.HasSuffix(name, policySuffix) {
			skip(name, "not named after a 12-digit account ID")
			continue
		}
		skip(name, "unknown file name: "+layoutReminder)
	}
	if len(accounts) == 0 {
		return nil, unused, fmt.Errorf("%s: no credential reports found (want files named <12-digit-account-id>.csv)", s.label)
	}
	meta, err := accountMeta(fsys, s.label)
	if err != nil {
		return nil, unused, err
	}
	for i := range accounts {
		m := meta[accounts[i].ID]
		accounts[i].Name, accounts[i].Tags = m.Name, TagMap(m.Tags)
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].ID < accounts[j].ID })
	return accounts, unused, nil
}

// cutAccountID returns the account ID of a file named <account-id><suffix>.
func cutAccountID(name, suffix string) (string, bool) {
	id, ok := strings.CutSuffix(name, suffix)
	return id, ok && accountIDPattern.MatchString(id)
}

// Collect implements Source.
func (s *DirSource) Collect(ctx context.Context, sink func(AccountResult) error) error {
	fsys, done, err := s.open()
	if err != nil {
		return err
	}
	defer done()
	accounts, unused, err := s.accounts(fsys)
	s.unused = unused
	if err != nil {
		return err
	}
	s.expected = len(accounts)
	for _, acct := range accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := sink(s.load(fsys, acct)); err != nil {
			return err
		}
	}
	return nil
}

// Load reads one account's files. Problems become a Failed result.
func (s *DirSource) Load(acct Account) AccountResult {
	fsys, done, err := s.open()
	if err != nil {
		return AccountResult{Account: acct, Status: Failed, Err: err}
	}
	defer done()
	return s.load(fsys, acct)
}

// load reads one account's files from fsys.
func (s *DirSource) load(fsys fs.FS, acct Account) AccountResult {
	start := time.Now()
	res := AccountResult{Account: acct, Status: Collected}
	fail := func(err error) AccountResult {
		res.Status, res.Err, res.Duration = Failed, err, time.Since(start)
		return res
	}
	report, generated, err := readReport(fsys, acct.ID)
	if err != nil {
		return fail(err)
	}
	res.Report, res.ReportGeneratedAt = report, generated

	policyFile := acct.ID + policySuffix
	data, err := readFile(fsys, policyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Not collected: no password-policy check runs.
	case err != nil:
		return fail(err)
	default:
		pol, err := passwordpolicy.ParseCLIOutput(data)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", policyFile, err))
		}
		res.Policy = pol
	}
	res.Posture = loadPosture(fsys, acct.ID)
	res.UserTags = loadUserTags(fsys, acct.ID, &res.Posture)
	if s.lastAccessed != nil {
		loadLastAccessed(fsys, acct.ID, *s.lastAccessed, &res.Posture)
	}
	res.Duration = time.Since(start)
	return res
}

// loadPosture reads an account's posture files. A missing file leaves its
// input not collected; an unreadable or malformed one fails it, naming the
// file and the position. The bytes read are kept as evidence, even when
// they do not parse.
func loadPosture(fsys fs.FS, id string) posture.Data {
	var d posture.Data
	for _, f := range PostureFiles {
		name := id + f.Suffix
		data, err := readFile(fsys, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			d.Missing(f.Input, fmt.Errorf("no file %s", name))
			continue
		case err != nil:
			d.Fail(f.Input, err)
			continue
		}
		d.Evidence = append(d.Evidence, posture.File{Name: name, Data: data})
		if err := f.parse(data, &d); err != nil {
			d.Fail(f.Input, fmt.Errorf("%s: %w", name, err))
		}
	}
	return d
}

// loadUserTags reads an account's user tags file, if any, keeping its
// bytes as evidence beside the posture inputs'. A problem is the
// result's Err: the account's checks stand.
func loadUserTags(fsys fs.FS, id string, d *posture.Data) UserTags {
	name := id + UserTagsSuffix
	data, err := readFileUpTo(fsys, name, MaxUserTagsFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return UserTags{}
	case err != nil:
		return UserTags{Err: err, Failed: true}
	}
	d.Evidence = append(d.Evidence, posture.File{Name: name, Data: data})
	tags, err := ParseUserTags(data)
	if err != nil {
		return UserTags{Err: fmt.Errorf("%s: %w", name, err), Failed: true}
	}
	return UserTags{Tags: tags}
}

// loadLastAccessed reads an account's service-last-accessed file into d:
// missing, it leaves the input not collected; larger than
// posture.MaxLastAccessedFile, unreadable or not a JSON object, it fails
// the input; an entry that is not usable (another account's ARN, a job
// not COMPLETED) fails only that principal. The bytes read are evidence.
func loadLastAccessed(fsys fs.FS, id string, scope posture.PathScope, d *posture.Data) {
	name := id + LastAccessedSuffix
	if info, err := fs.Stat(fsys, name); err == nil && info.Mode().IsRegular() && info.Size() > posture.MaxLastAccessedFile {
		d.Fail(posture.LastAccessedInput, fmt.Errorf("%s: %d bytes, more than the %d read at most: not read", name, info.Size(), posture.MaxLastAccessedFile))
		return
	}
	data, err := readFile(fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.Missing(posture.LastAccessedInput, fmt.Errorf("no file %s", name))
		return
	case err != nil:
		d.Fail(posture.LastAccessedInput, err)
		return
	}
	d.Evidence = append(d.Evidence, posture.File{Name: name, Data: data})
	la, err := posture.ParseLastAccessed(data, id)
	if err != nil {
		d.Fail(posture.LastAccessedInput, fmt.Errorf("%s: %w", name, err))
		return
	}
	if d.Details != nil {
		for _, p := range d.Details.PolicyHolders() {
			if why := scope.Why(p.Path); why != "" {
				delete(la.Principals, p.ARN)
				delete(la.Failed, p.ARN)
				la.NotAsked[p.ARN] = why
			}
		}
	}
	d.LastAccessed = la
}

// ErrOutside means a symbolic link in the folder points outside it.
var ErrOutside = errors.New("symbolic link to a path outside the report directory: refused")

// readFile reads the regular file name of the folder. A symbolic link is
// followed only within the folder; a FIFO or device is refused (reading
// one could block the run or never end).
func readFile(fsys fs.FS, name string) ([]byte, error) {
	return readFileUpTo(fsys, name, -1)
}

// readFileUpTo is readFile refusing a file of more than limit bytes
// (no limit when negative) without reading it whole.
func readFileUpTo(fsys fs.FS, name string, limit int64) ([]byte, error) {
	target, isLink, outside := followLinks(fsys, name)
	if outside {
		return nil, fmt.Errorf("read %s: %w (it points to %s)", name, ErrOutside, target)
	}
	info, err := fs.Stat(fsys, name)
	switch {
	case isLink && errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: symbolic link to %s, which does not exist", name, target)
	case errors.Is(err, fs.ErrNotExist):
		return nil, err
	case isLink && err != nil:
		return nil, fmt.Errorf("read %s: symbolic link to %s, not followed within the report directory: %w", name, target, err)
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: %s, not a regular file", name, describeMode(info.Mode()))
	}
	tooLarge := fmt.Errorf("read %s: larger than %d bytes: refused", name, limit)
	if limit >= 0 && info.Size() > limit {
		return nil, tooLarge
	}
	if limit < 0 {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		return data, nil
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", name, err)
	case int64(len(data)) > limit:
		return nil, tooLarge // it grew while read
	}
	return data, nil
}

// followLinks follows name through symbolic links and reports the first
// target, whether name is a link, and whether a link of the chain points
// outside the folder (then target is that link's target). A link reached
// through a linked folder is not followed here; os.Root refuses it when
// read.
func followLinks(fsys fs.FS, name string) (target string, isLink, outside bool) {
	cur := name
	for hop := 0; hop < 40; hop++ {
		t, err := fs.ReadLink(fsys, cur)
		if err != nil {
			break
		}
		if hop == 0 {
			target, isLink = t, true
		}
		next := path.Join(path.Dir(cur), filepath.ToSlash(t))
		if filepath.IsAbs(t) || !fs.ValidPath(next) {
			return t, true, true
		}
		cur = next
	}
	return target, isLink, false
}

// describeMode names the kind of a file that is not regular.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.Type().String()
}

// readReport reads <id>.csv, or else the CLI's <id>.credential-report.json.
func readReport(fsys fs.FS, id string) ([]byte, time.Time, error) {
	data, err := readFile(fsys, id+csvSuffix)
	if err == nil {
		return data, time.Time{}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, err
	}
	name := id + cliSuffix
	data, err = readFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("read %s: %w", name, err)
	}
	if err != nil {
		return nil, time.Time{}, err
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
func accountMeta(fsys fs.FS, label string) (map[string]OrgAccount, error) {
	data, err := readFile(fsys, accountsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]OrgAccount{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	list, err := ParseAccountsJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", label, accountsFile, err)
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
