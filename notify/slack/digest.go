package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/oneline"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/markdown"
	"github.com/reporter-dev/reporter/result"
)

// TemplateName is the template, defined in templates/slack.tmpl, that
// renders a Digest as a JSON message {"text": …, "blocks": […]}.
const TemplateName = "slack.message"

// Slack's Block Kit limits (docs.slack.dev/reference/block-kit/blocks).
// Lengths are counted in bytes, which is never less than Slack's count.
const (
	MaxBlocks          = 50
	MaxSectionText     = 3000
	MaxHeaderText      = 150
	MaxFields          = 10
	MaxFieldText       = 2000
	MaxContextElements = 10
	// MaxFallbackText keeps the notification text short; Slack truncates
	// at 40,000 characters.
	MaxFallbackText = 4000
)

// How the lists of a digest are cut into sections.
const (
	findingsPerSection = 5 // a line can be 500 bytes with its links and owner
	failedPerSection   = 5
	maxFailedListed    = 10
	maxErrorLen        = 300  // bytes of a failed account's error, cut at a word
	maxLinkLen         = 2000 // longer workbook links are left out
)

// Template loads the templates from dir like markdown.Templates, falling
// back to the built-in slack.tmpl when dir does not define slack.message
// (a folder made only to override audit.md keeps the default digest).
func Template(dir string) (*template.Template, error) {
	t, err := markdown.Templates(dir)
	if err != nil {
		return nil, err
	}
	if t.Lookup(TemplateName) == nil && dir != "" {
		if t, err = markdown.Templates(""); err != nil {
			return nil, err
		}
	}
	if t.Lookup(TemplateName) == nil {
		return nil, fmt.Errorf("templates: %s is not defined (see templates/slack.tmpl)", TemplateName)
	}
	return t, nil
}

// Text is a string that prints on one line, escaped for Slack mrkdwn (&,
// <, >) and for the inside of a JSON string, so a template writes
// "text": "{{.Name}}" with no function call and cannot produce broken
// JSON, stray links, mentions (<!channel>, <@U…>) or a line of its own.
type Text string

// String returns t on one line (oneline.Clean), escaped for mrkdwn inside
// a JSON string literal.
func (t Text) String() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(escapeMrkdwn(oneline.Clean(string(t))))
	s := strings.TrimSuffix(buf.String(), "\n")
	return s[1 : len(s)-1]
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

// Digest is the data slack.tmpl renders: one channel's view of a run.
// Counts cover the digest's scope only.
type Digest struct {
	RunID Text
	AsOf  time.Time
	// Incomplete is the run's error when it stopped early.
	Incomplete Text
	// Failure leads the digest of a run that is no audit result for this
	// scope: the run is incomplete, or no account in scope was audited
	// ("Audit FAILED: no account could be audited: …"). Empty otherwise;
	// a digest with a Failure never says "no open findings".
	Failure Text
	// FailureTitle is the header's word for it: FAILED or INCOMPLETE.
	FailureTitle string
	Version      Text
	Scope        Scope
	// Coverage: "audited Audited of Expected accounts".
	Audited, Expected int
	Skipped, Failed   int
	Users             int
	// Findings is the number of open findings.
	Findings int
	// Severities counts findings per severity, most severe first (zeros kept).
	Severities []SeverityCount
	// Changes since the previous run, nil when unknown.
	Changes *Changes
	// Top lists the findings that need action first, in sections.
	Top [][]Finding
	// Listed is the number of findings in Top; More the rest, counted per
	// severity in MoreSeverities (zeros left out).
	Listed, More   int
	MoreSeverities []SeverityCount
	// FailedAccounts lists accounts that could not be audited, in sections;
	// MoreFailed counts those left out.
	FailedAccounts [][]FailedAccount
	MoreFailed     int
	// PartialAccounts lists audited accounts where some checks failed to
	// run (their input could not be read), each with the checks and why;
	// MorePartial counts those left out.
	PartialAccounts []FailedAccount
	MorePartial     int
	// Partial is the number of such accounts.
	Partial int
	// Overdue is the number of open findings past their due date; the
	// list of findings puts them first.
	Overdue int
	// Mentions are the user groups and users the digest mentions (a
	// route's mention list, with slack.mentions on).
	Mentions []Mention
	Workbook Workbook
}

// Mention is a Slack user group or user to mention, by ID. It prints as
// Slack's mention markup (<!subteam^S…>, <@U…>) only when the ID has the
// form of one (config.IsSlackUserGroupID, config.IsSlackUserID), and as
// nothing otherwise: no text can become a mention of anything else.
type Mention string

// String returns the mention markup of m, or "".
func (m Mention) String() string {
	id := string(m)
	switch {
	case config.IsSlackUserGroupID(id):
		return "<!subteam^" + id + ">"
	case config.IsSlackUserID(id):
		return "<@" + id + ">"
	}
	return ""
}

// Scope says which accounts a digest covers.
type Scope struct {
	// OrgWide is true for the default channel's digest.
	OrgWide bool
	// Accounts is the number of accounts in scope; OrgAccounts in the run.
	Accounts, OrgAccounts int
	// Rule describes the route, e.g. "OU ou-ab12-payments, tag team=payments".
	Rule Text
	// DefaultChannel receives the organization-wide digest.
	DefaultChannel Text
}

// SeverityCount is the number of findings of one severity.
type SeverityCount struct {
	Name  string
	Count int
}

// Changes are the findings opened and resolved since the previous run.
type Changes struct {
	// New counts the new open findings: excepted ones are accepted
	// risks, counted apart in NewExcepted.
	New, NewExcepted, Resolved int
}

// ChangesFunc returns the changes since the previous run for the accounts
// inScope, or ok false when they are not known; the digest then says
// nothing about changes. It is the hook for run-to-run comparison.
type ChangesFunc func(run *result.Run, inScope func(accountID string) bool) (c Changes, ok bool)

// Finding is one finding as a digest lists it.
type Finding struct {
	Severity  string
	Account   Text // account name, or its ID when it has none
	AccountID Text
	Principal Text // IAM user, <root_account>, or (account) for account settings
	Check     Text // check ID
	Title     Text // check title from the catalog
	// Credential names the key or certificate when the check does not.
	Credential Text
	Detail     Text
	Age        int
	HasAge     bool
	// DocURL is the check's documentation (audit.RemediationOf), for a
	// link on its title; empty when the catalog has none.
	DocURL Text
	// Overdue is how many days past its due date the finding is; 0 when
	// it is not overdue.
	Overdue int
	// Owner is who must act, as the finding says (an email, a team);
	// OwnerMention the Slack user it resolved to, with slack.mentions on.
	Owner        Text
	OwnerMention Mention
}

// FailedAccount is an account that could not be audited.
type FailedAccount struct {
	ID, Name Text
	Error    Text
}

// Workbook says where the full report is: the run's, or for a team's
// digest the team's own files when the run has them.
type Workbook struct {
	// ConsoleURL opens the run's folder (or the team's) in the AWS S3
	// console; it does not expire. Empty when the run is not archived in AWS.
	ConsoleURL Text
	// URL downloads audit.xlsx (a presigned link); empty when unknown.
	URL Text
	// Expires says how long URL works: "7 days, until 2026-11-08 06:00 UTC".
	Expires Text
	// Warning says why the download links expire sooner than configured.
	Warning Text
	// Location is the archive URI of audit.xlsx, or its local path.
	Location Text
	// Archived says whether Location is in the archive.
	Archived bool
	// Team is the team's folder in the run ("teams/payments/") when the
	// files are the team's own; empty otherwise.
	Team Text
}

// Message is a rendered digest: what chat.postMessage and a webhook send.
type Message struct {
	Text   string         `json:"text"`
	Blocks slackgo.Blocks `json:"blocks"`
}

// MarshalIndent returns m as indented JSON with &, < and > left as they
// are, for people to read (dry runs, golden files).
func (m *Message) MarshalIndent() ([]byte, error) { return marshalIndent(m) }

func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return unescapeHTML(buf.Bytes()), nil
}

// unescapeHTML turns the \u0026, \u003c and \u003e that json.Marshal
// writes (slack-go's blocks marshal themselves) back into &, < and >.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			out = append(out, b[i])
			continue
		}
		if b[i+1] == 'u' && i+6 <= len(b) {
			if c, ok := htmlEscapes[strings.ToLower(string(b[i+2:i+6]))]; ok {
				out = append(out, c)
				i += 5
				continue
			}
		}
		out = append(out, b[i], b[i+1]) // an escape pair, e.g. \\ or \"
		i++
	}
	return out
}

var htmlEscapes = map[string]byte{"0026": '&', "003c": '<', "003e": '>'}

// target is one digest to deliver.
type target struct {
	channel string
	orgWide bool
	rule    string
	in      map[string]bool // account IDs in scope; nil when orgWide
	folder  string          // the team's folder under teams/; "" when orgWide
	mention []string        // user group and user IDs the routes mention
}

func (t *target) inScope(id string) bool { return t.orgWide || t.in[id] }

// limits bound the lists of a digest.
type limits struct {
	findings, failed int
}

// buildDigest computes the view of run for t. It fails only if the
// run's findings cannot be read.
func buildDigest(run *result.Run, t *target, loc result.Location, defaultChannel string, lim limits, changes ChangesFunc, people People) (*Digest, error) {
	sub, err := scopeRun(run, t)
	if err != nil {
		return nil, err
	}
	s := sub.Summary
	d := &Digest{
		RunID: Text(run.Run.ID), AsOf: run.Run.AsOf, Incomplete: Text(run.Run.Error), Version: Text(run.Run.Version),
		Scope: Scope{
			OrgWide: t.orgWide, Accounts: len(sub.Accounts), OrgAccounts: len(run.Accounts),
			Rule: Text(t.rule), DefaultChannel: Text(or(defaultChannel, "the default channel")),
		},
		Skipped: s.AccountsSkipped, Failed: s.AccountsFailed, Users: s.Users, Findings: s.Open,
		Workbook: workbook(loc, t.folder),
	}
	for _, f := range run.Run.TeamFailures {
		if t.folder != "" && f.Folder == t.folder {
			d.Workbook.Warning = Text(strings.TrimSpace("Your team's own workbook could not be written (see the reporter's log); the report above is the whole organization's. " +
				string(d.Workbook.Warning)))
		}
	}
	if people != nil {
		for _, id := range t.mention {
			d.Mentions = append(d.Mentions, Mention(id))
		}
	}
	d.Audited, d.Expected = s.Coverage()
	if run.Failed() || (d.Audited == 0 && d.Expected > 0) {
		d.Failure = Text(result.FailureText(shorten(run.Run.Error, maxErrorLen), s))
		d.FailureTitle = "INCOMPLETE"
		if d.Audited == 0 {
			d.FailureTitle = "FAILED"
		}
	}
	for _, sev := range audit.Severities {
		d.Severities = append(d.Severities, SeverityCount{sev.String(), s.BySeverity[sev.String()]})
	}
	if changes != nil {
		if c, ok := changes(run, t.inScope); ok {
			d.Changes = &c
		}
	}

	listed, more, overdue, err := rank(sub.FindingSet(), lim.findings)
	if err != nil {
		return nil, err
	}
	d.Listed, d.Overdue = len(listed), overdue
	for _, sev := range audit.Severities {
		d.More += more[sev]
		if more[sev] > 0 {
			d.MoreSeverities = append(d.MoreSeverities, SeverityCount{sev.String(), more[sev]})
		}
	}
	var section []Finding
	for _, f := range listed {
		section = append(section, digestFinding(f, people))
		if len(section) == findingsPerSection {
			d.Top, section = append(d.Top, section), nil
		}
	}
	if len(section) > 0 {
		d.Top = append(d.Top, section)
	}

	var failed []FailedAccount
	for _, a := range sub.Accounts {
		if a.Status != result.StatusFailed {
			continue
		}
		if len(failed) == lim.failed {
			d.MoreFailed++
			continue
		}
		failed = append(failed, FailedAccount{ID: Text(a.ID), Name: Text(or(a.Name, a.ID)), Error: Text(shorten(a.Error, maxErrorLen))})
	}
	for _, a := range sub.Accounts {
		var why []string
		for _, n := range a.ChecksNotRun {
			if n.Failed {
				why = append(why, n.String())
			}
		}
		if len(why) > 0 {
			d.Partial++
		}
		switch {
		case len(why) == 0:
		case len(d.PartialAccounts) == min(lim.failed, failedPerSection):
			d.MorePartial++
		default:
			d.PartialAccounts = append(d.PartialAccounts, FailedAccount{ID: Text(a.ID), Name: Text(or(a.Name, a.ID)),
				Error: Text(shorten(strings.Join(why, "; "), maxErrorLen))})
		}
	}
	for len(failed) > 0 {
		n := min(failedPerSection, len(failed))
		d.FailedAccounts = append(d.FailedAccounts, failed[:n])
		failed = failed[n:]
	}
	return d, nil
}

// scopeRun returns the part of run in t's scope, summarized.
func scopeRun(run *result.Run, t *target) (*result.Run, error) {
	if t.orgWide {
		return run, nil
	}
	sub := &result.Run{Run: run.Run}
	for _, a := range run.Accounts {
		if t.in[a.ID] {
			sub.Accounts = append(sub.Accounts, a)
		}
	}
	sub.Findings = result.FilterAccounts(run.FindingSet(), func(id string) bool { return t.in[id] })
	return sub, sub.Summarize()
}

// RunChanges is the default ChangesFunc: new (open, and apart excepted)
// and resolved findings in scope, from the run's own comparison with the
// previous run.
func RunChanges(run *result.Run, inScope func(accountID string) bool) (Changes, bool) {
	if run.Changes == nil {
		return Changes{}, false
	}
	var c Changes
	// Unreadable findings fail the digest when it ranks them.
	err := result.FilterAccounts(run.FindingSet(), inScope).EachAccount(func(fs []audit.Finding) error {
		for i := range fs {
			switch {
			case fs[i].Status != audit.StatusNew:
			case fs[i].Open():
				c.New++
			default:
				c.NewExcepted++
			}
		}
		return nil
	})
	if err != nil {
		return Changes{}, false
	}
	for i := range run.Resolved {
		if inScope(run.Resolved[i].AccountID) {
			c.Resolved++
		}
	}
	return c, true
}

// rank returns the n most urgent open findings of set, most urgent
// first, how many open findings it leaves out, by severity, and how many
// open findings are overdue. Urgency is what needs action first: overdue
// findings (past their due date), then severity, then the most overdue,
// then the catalog's order of checks (root first), then the oldest, then
// the report order. Excepted findings are accepted risks and never
// listed. Memory is bounded by n, not by the number of findings.
func rank(set result.FindingSet, n int) ([]audit.Finding, map[audit.Severity]int, int, error) {
	order := map[string]int{}
	for i, c := range audit.Checks {
		order[c.ID] = i
	}
	urgent := func(a, b audit.Finding) int {
		switch {
		case overdue(&a) != overdue(&b):
			if overdue(&a) {
				return -1
			}
			return 1
		case a.Severity != b.Severity:
			return int(b.Severity) - int(a.Severity)
		case a.OverdueDays.N != b.OverdueDays.N:
			return b.OverdueDays.N - a.OverdueDays.N
		case order[a.Check] != order[b.Check]:
			return order[a.Check] - order[b.Check]
		case a.AgeDays.Valid != b.AgeDays.Valid:
			if a.AgeDays.Valid {
				return -1
			}
			return 1
		case a.AgeDays.N != b.AgeDays.N:
			return b.AgeDays.N - a.AgeDays.N
		case audit.Less(&a, &b):
			return -1
		case audit.Less(&b, &a):
			return 1
		}
		return 0
	}
	more := map[audit.Severity]int{}
	late := 0
	var top []audit.Finding
	// keep sorts the candidates and drops all but the n most urgent.
	keep := func() {
		slices.SortFunc(top, urgent)
		for _, f := range top[min(n, len(top)):] {
			more[f.Severity]++
		}
		top = top[:min(n, len(top))]
	}
	err := set.EachAccount(func(fs []audit.Finding) error {
		for i := range fs {
			if fs[i].Open() {
				top = append(top, fs[i])
				if overdue(&fs[i]) {
					late++
				}
			}
			if len(top) >= 2*n+64 {
				keep()
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("ranking the findings: %w", err)
	}
	keep()
	return top, more, late, nil
}

// overdue reports whether f is past its due date.
func overdue(f *audit.Finding) bool { return f.OverdueDays.Valid && f.OverdueDays.N > 0 }

// checkDoc returns the documentation URL of a check from the catalog, ""
// when it has none.
var checkDoc = func(check string) string {
	r, _ := audit.RemediationOf(check)
	return r.DocURL
}

func digestFinding(f audit.Finding, people People) Finding {
	title := f.Check
	if c, ok := audit.LookupCheck(f.Check); ok {
		title = c.Title
	}
	cred := f.Credential
	switch cred {
	case "user", "account", "password":
		cred = ""
	}
	d := Finding{
		Severity: f.Severity.String(), Account: Text(or(f.AccountName, f.AccountID)), AccountID: Text(f.AccountID),
		Principal: Text(or(f.Principal, "(account)")), Check: Text(f.Check), Title: Text(title),
		Credential: Text(cred), Detail: Text(f.Detail), Age: f.AgeDays.N, HasAge: f.AgeDays.Valid,
		DocURL: linkURL(checkDoc(f.Check)), Owner: Text(f.Owner),
	}
	if overdue(&f) {
		d.Overdue = f.OverdueDays.N
	}
	if people != nil && f.Owner != "" {
		d.OwnerMention = Mention(people(f.Owner, f.OwnerSource))
	}
	return d
}

// linkURL returns u for the URL part of a mrkdwn link <url|label>: only
// an http(s) URL of at most maxLinkLen bytes, with | (which would end
// the URL) escaped; "" otherwise.
func linkURL(u string) Text {
	if len(u) > maxLinkLen || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
		return ""
	}
	return Text(strings.ReplaceAll(u, "|", "%7C"))
}

// workbook says where the full report is. For a team's digest (folder
// set) it is the team's own files when the run has them: archived
// (loc.Teams) or, before or without the archive, in the local run folder.
// A team's digest carries only the team's own presigned link: the run's
// covers the whole organization and whoever holds it can download it, so
// a team whose own files are missing gets the console link (where IAM
// decides) and the location, never the run's presigned link.
func workbook(loc result.Location, folder string) Workbook {
	w := Workbook{URL: linkURL(loc.WorkbookURL), ConsoleURL: linkURL(loc.ConsoleURL), Warning: Text(loc.LinkWarning)}
	switch {
	case loc.ArchiveURI != "":
		w.Location, w.Archived = Text(strings.TrimSuffix(loc.ArchiveURI, "/")+"/audit.xlsx"), true
	case loc.Dir != "":
		w.Location = Text(filepath.Join(loc.Dir, "audit.xlsx"))
	default:
		w.Location = "audit.xlsx"
	}
	if folder != "" {
		teamDir := runfolder.TeamPath(folder, "")
		w.URL, w.Warning = "", ""
		if tl, ok := loc.Teams[folder]; ok {
			w.Warning = Text(loc.LinkWarning)
			w.Team, w.Archived = Text(teamDir), true
			w.Location = Text(strings.TrimSuffix(tl.ArchiveURI, "/") + "/audit.xlsx")
			w.URL, w.ConsoleURL = linkURL(tl.WorkbookURL), linkURL(tl.ConsoleURL)
		} else if loc.ArchiveURI == "" && loc.Dir != "" {
			path := filepath.Join(loc.Dir, filepath.FromSlash(teamDir), "audit.xlsx")
			if _, err := os.Stat(path); err == nil {
				w.Team, w.Location = Text(teamDir), Text(path)
			}
		}
	}
	if w.URL != "" && !loc.LinksExpire.IsZero() {
		w.Expires = Text(expiresText(loc.LinkLifetime, loc.LinksExpire))
	}
	return w
}

// expiresText says how long a presigned link works: "7 days, until
// 2026-11-08 06:00 UTC".
func expiresText(d time.Duration, until time.Time) string {
	var life string
	switch {
	case d <= 0:
	case d%(24*time.Hour) == 0 && d == 24*time.Hour:
		life = "1 day, "
	case d%(24*time.Hour) == 0:
		life = fmt.Sprintf("%d days, ", d/(24*time.Hour))
	case d%time.Hour == 0:
		life = fmt.Sprintf("%d hours, ", d/time.Hour)
	default:
		life = strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s") + ", "
	}
	return life + "until " + until.UTC().Format("2006-01-02 15:04 UTC")
}

// shorten cuts s to at most n bytes at a word boundary, marking the cut.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := s[:n]
	for !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + " … (full error in the workbook)"
}

// render executes the template for d and decodes the message.
func render(tmpl *template.Template, d *Digest) (*Message, error) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, TemplateName, d); err != nil {
		return nil, fmt.Errorf("render Slack digest: %w", err)
	}
	var m Message
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		return nil, fmt.Errorf("render Slack digest: template %s produced invalid JSON: %w%s", TemplateName, err, jsonContext(buf.Bytes(), err))
	}
	verbatim(&m)
	return &m, nil
}

// verbatim marks every mrkdwn text of m verbatim: Slack then keeps the
// text as written, without turning a URL, a #channel or an @name in an
// account or user name into a link or a mention. The digest's own link
// (<url|label>) still works (docs.slack.dev/reference/block-kit/
// composition-objects/text-object, field verbatim).
func verbatim(m *Message) {
	mark := func(t *slackgo.TextBlockObject) {
		if t != nil && t.Type == slackgo.MarkdownType {
			t.Verbatim = true
		}
	}
	for _, b := range m.Blocks.BlockSet {
		switch b := b.(type) {
		case *slackgo.SectionBlock:
			mark(b.Text)
			for _, f := range b.Fields {
				mark(f)
			}
		case *slackgo.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slackgo.TextBlockObject); ok {
					mark(t)
				}
			}
		}
	}
}

// jsonContext quotes the template output around a syntax error.
func jsonContext(b []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return ""
	}
	from, to := max(0, int(se.Offset)-60), min(len(b), int(se.Offset)+20)
	return fmt.Sprintf(" near %q", b[from:to])
}

// compose renders the digest of t, listing fewer findings and failed
// accounts until the message fits Slack's limits. It never cuts a line:
// what is left out is counted and left to the workbook.
func compose(tmpl *template.Template, run *result.Run, t *target, loc result.Location, defaultChannel string, maxFindings int, changes ChangesFunc, people People) (*Message, *Digest, error) {
	lim := limits{findings: maxFindings, failed: maxFailedListed}
	for {
		d, err := buildDigest(run, t, loc, defaultChannel, lim, changes, people)
		if err != nil {
			return nil, nil, err
		}
		m, err := render(tmpl, d)
		if err != nil {
			return nil, nil, err
		}
		err = CheckLimits(m)
		if err == nil {
			return m, d, nil
		}
		if lim.findings == 0 && lim.failed == 0 {
			return nil, nil, fmt.Errorf("the digest exceeds Slack's limits even without listing findings (check templates/slack.tmpl): %w", err)
		}
		lim.findings, lim.failed = lim.findings/2, lim.failed/2
	}
}

// CheckLimits reports the first way m breaks Slack's message limits.
func CheckLimits(m *Message) error {
	blocks := m.Blocks.BlockSet
	if len(blocks) == 0 {
		return errors.New("no blocks")
	}
	if len(blocks) > MaxBlocks {
		return fmt.Errorf("%d blocks, Slack allows %d", len(blocks), MaxBlocks)
	}
	if len(m.Text) > MaxFallbackText {
		return fmt.Errorf("fallback text is %d bytes, the limit is %d", len(m.Text), MaxFallbackText)
	}
	for i, b := range blocks {
		where := fmt.Sprintf("block %d (%s)", i+1, b.BlockType())
		switch b := b.(type) {
		case *slackgo.HeaderBlock:
			if b.Text == nil || len(b.Text.Text) > MaxHeaderText {
				return fmt.Errorf("%s: header text must have 1 to %d characters", where, MaxHeaderText)
			}
		case *slackgo.SectionBlock:
			if b.Text == nil && len(b.Fields) == 0 {
				return fmt.Errorf("%s: no text and no fields", where)
			}
			if b.Text != nil && (len(b.Text.Text) == 0 || len(b.Text.Text) > MaxSectionText) {
				return fmt.Errorf("%s: text is %d bytes, Slack allows 1 to %d", where, len(b.Text.Text), MaxSectionText)
			}
			if len(b.Fields) > MaxFields {
				return fmt.Errorf("%s: %d fields, Slack allows %d", where, len(b.Fields), MaxFields)
			}
			for _, f := range b.Fields {
				if len(f.Text) > MaxFieldText {
					return fmt.Errorf("%s: a field is %d bytes, Slack allows %d", where, len(f.Text), MaxFieldText)
				}
			}
		case *slackgo.ContextBlock:
			els := b.ContextElements.Elements
			if len(els) == 0 || len(els) > MaxContextElements {
				return fmt.Errorf("%s: %d elements, Slack allows 1 to %d", where, len(els), MaxContextElements)
			}
			for _, e := range els {
				if t, ok := e.(*slackgo.TextBlockObject); ok && len(t.Text) > MaxSectionText {
					return fmt.Errorf("%s: text is %d bytes, Slack allows %d", where, len(t.Text), MaxSectionText)
				}
			}
		}
	}
	return nil
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
