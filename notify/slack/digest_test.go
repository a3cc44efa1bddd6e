package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/result"
)

// TestDigestGolden renders the sample run's digests and compares them with
// testdata/*.json (the message Slack receives) and *.txt (the dry run).
func TestDigestGolden(t *testing.T) {
	run, _ := sampleRun(t)
	// What the other parts of issue 14 fill in: owners, overdue days
	// and the catalog's documentation links.
	actionable(t, run)
	const dir = "/srv/reporter/reports/2026/11/20261101T060000Z"
	archived := result.Location{
		Dir:          dir,
		ArchiveURI:   "s3://acme-iam-audit/reports/2026/11/20261101T060000Z/",
		ConsoleURL:   "https://eu-west-1.console.aws.amazon.com/s3/buckets/acme-iam-audit?prefix=reports/2026/11/20261101T060000Z/&region=eu-west-1",
		WorkbookURL:  "https://acme-iam-audit.s3.eu-west-1.amazonaws.com/reports/2026/11/20261101T060000Z/audit.xlsx?X-Amz-Expires=604800&X-Amz-Signature=0f1e",
		LinksExpire:  time.Date(2026, 11, 8, 6, 0, 12, 0, time.UTC),
		LinkLifetime: 7 * 24 * time.Hour,
		Teams: map[string]result.TeamLocation{"payments": {
			ArchiveURI:  "s3://acme-iam-audit/reports/2026/11/20261101T060000Z/teams/payments/",
			ConsoleURL:  "https://eu-west-1.console.aws.amazon.com/s3/buckets/acme-iam-audit?prefix=reports/2026/11/20261101T060000Z/teams/payments/&region=eu-west-1",
			WorkbookURL: "https://acme-iam-audit.s3.eu-west-1.amazonaws.com/reports/2026/11/20261101T060000Z/teams/payments/audit.xlsx?X-Amz-Expires=7200&X-Amz-Signature=9a8b",
		}},
	}
	// The credentials expire in two hours (a role session): the links
	// are cut to that, and the digest says so.
	shortLinks := archived
	shortLinks.LinksExpire, shortLinks.LinkLifetime = time.Date(2026, 11, 1, 8, 0, 12, 0, time.UTC), 2*time.Hour
	shortLinks.LinkWarning = "download links work for 2 hours only, not the 7 days of s3.presign_expiry: the credentials that signed them (a role session) expire at 2026-11-01 08:00 UTC"
	people := func(owner, _ string) string {
		if owner == "alice.chen@acme.example" {
			return "U024BE7LH"
		}
		return ""
	}
	// A variant of the sample with teams, OUs and a failed account.
	routed := *run
	routed.Accounts = append([]result.Account(nil), run.Accounts...)
	for i := range routed.Accounts {
		a := &routed.Accounts[i]
		switch a.ID {
		case "222222222222":
			a.Tags = map[string]string{"team": "payments"}
		case "333333333333":
			a.OUs = []string{"ou-dev1-payments", "ou-root-dev"}
		case "444444444444":
			a.Tags = map[string]string{"team": "payments"}
			a.Status, a.Error, a.Users = result.StatusFailed, "assume role arn:aws:iam::444444444444:role/OrganizationAccountAccessRole: AccessDenied: User is not authorized to perform: sts:AssumeRole", 0
		}
	}
	routed.Findings = result.FilterAccounts(run.FindingSet(), func(id string) bool { return id != "444444444444" })
	routed.Summarize()
	payments := target{channel: "#payments", rule: describeRoutes([]config.SlackRoute{
		{Channel: "#payments", Tags: map[string]string{"team": "payments"}, OUs: []string{"ou-dev1-payments"}},
	})}
	payments.in = map[string]bool{"222222222222": true, "333333333333": true, "444444444444": true}
	payments.folder, payments.mention = "payments", []string{"S012AB3CD", "U0G9QF9C6"}

	// Credentials rejected: the run audited nothing.
	failed := &result.Run{Run: run.Run}
	failed.Run.Error = "collection stopped: operation error STS: GetCallerIdentity, https response error StatusCode: 403, api error InvalidClientTokenId: The security token included in the request is invalid."
	failed.Summarize()
	failed.SetStatus()
	// Interrupted (SIGTERM) after two accounts.
	interrupted := *run
	interrupted.Accounts = append([]result.Account(nil), run.Accounts...)
	for i := range interrupted.Accounts {
		if a := &interrupted.Accounts[i]; a.ID > "222222222222" {
			a.Status, a.Error, a.Users = result.StatusFailed, "collection ended early: context canceled", 0
		}
	}
	interrupted.Run.Error = "collection stopped: collection ended early: context canceled"
	interrupted.Findings = result.FilterAccounts(run.FindingSet(), func(id string) bool { return id <= "222222222222" })
	interrupted.Summarize()
	interrupted.SetStatus()

	tests := []struct {
		name    string
		run     *result.Run
		target  target
		loc     result.Location
		changes ChangesFunc
		people  People
	}{
		{name: "sample-archived", run: run, target: target{channel: "#security", orgWide: true}, loc: archived},
		{
			name: "sample-local", run: run, target: target{channel: "#security", orgWide: true}, loc: result.Location{Dir: dir},
			changes: func(*result.Run, func(string) bool) (Changes, bool) {
				return Changes{New: 3, NewExcepted: 1, Resolved: 5}, true
			},
		},
		{name: "sample-routed", run: &routed, target: payments, loc: shortLinks, people: people},
		{name: "failed-run", run: failed, target: target{channel: "#security", orgWide: true}, loc: archived},
		{name: "incomplete-run", run: &interrupted, target: target{channel: "#security", orgWide: true}, loc: archived},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := compose(builtinTemplate(t), tt.run, &tt.target, tt.loc, "#security", config.DefaultSlackMaxFindings, tt.changes, tt.people)
			if err != nil {
				t.Fatalf("compose() = %v", err)
			}
			b, err := m.MarshalIndent()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".json", b)
			text := MrkdwnText(m)
			golden(t, tt.name+".txt", []byte(text))
			// What a dry run prints for a person: no markup left.
			golden(t, tt.name+".terminal.txt", []byte(PlainText(m)))
			// A run that is no audit result leads with its failure, in
			// the notification text and the message, and never reads as
			// all clear.
			if failure := tt.run.Failure(); failure != "" {
				lines := strings.SplitN(text, "\n", 4)
				if !strings.HasPrefix(m.Text, "Audit ") || len(lines) < 3 || !strings.HasPrefix(lines[2], ":rotating_light: *Audit ") {
					t.Errorf("digest does not lead with the failure:\n%s\n%s", m.Text, text)
				}
				for _, allClear := range []string{"No open findings", "Nothing needs action"} {
					if strings.Contains(text, allClear) {
						t.Errorf("digest of a failed run says %q:\n%s", allClear, text)
					}
				}
			}
		})
	}
}

var (
	findingLine = regexp.MustCompile("^• \\*(critical|high|medium|low)\\*( · \\*[\\d,]+ days? overdue\\*)? · .+ `\\d{12}` · `[^`]+` · [^·]+( · [\\d,]+ days)?( · owner [^·]+)?$")
	failedLine  = regexp.MustCompile("^• .+ `\\d{12}`: .+$")
)

// TestDigestLimits checks that big runs fit Slack's limits, list whole
// lines only, count what they leave out and end with the workbook.
func TestDigestLimits(t *testing.T) {
	short := func(i int) string { return "acct-" + strings.Repeat("a", i%7) }
	nasty := func(int) string { return strings.Repeat("&<>", 16) + "xy" } // 50 chars, 242 escaped
	longErr := strings.Repeat("AccessDenied: not authorized to perform sts:AssumeRole on <role> & more ", 30)
	tests := []struct {
		name                      string
		accounts, per, failed     int
		accountName               func(int) string
		errText                   string
		maxFindings               int
		wantListed, wantFailedMax int
	}{
		{name: "thousands of findings", accounts: 300, per: 20, failed: 40, accountName: short, errText: "AccessDenied", maxFindings: 10, wantListed: 10, wantFailedMax: maxFailedListed},
		{name: "max_findings above what fits", accounts: 500, per: 12, failed: 0, accountName: short, errText: "", maxFindings: 5000},
		{name: "escaped names and long errors", accounts: 200, per: 30, failed: 900, accountName: nasty, errText: longErr, maxFindings: 100},
		{name: "no findings", accounts: 12, per: 0, failed: 0, accountName: short, maxFindings: 10, wantListed: 0},
		{name: "every account failed", accounts: 0, per: 0, failed: 2000, accountName: short, errText: longErr, maxFindings: 10, wantFailedMax: maxFailedListed},
	}
	// Long documentation links on every check's title.
	was := checkDoc
	checkDoc = func(check string) string {
		return "https://docs.aws.amazon.com/IAM/latest/UserGuide/" + strings.Repeat("x", 200) + "-" + check + ".html"
	}
	t.Cleanup(func() { checkDoc = was })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := synthRun(tt.accounts, tt.per, tt.failed, tt.accountName, tt.errText)
			loc := result.Location{Dir: "/srv/reports/run", ArchiveURI: "s3://b/p/run/", WorkbookURL: "https://b.s3.amazonaws.com/p/run/audit.xlsx?X-Amz-Signature=" + strings.Repeat("f", 1500)}
			m, d, err := compose(builtinTemplate(t), run, &target{channel: "#security", orgWide: true}, loc, "#security", tt.maxFindings, nil, nil)
			if err != nil {
				t.Fatalf("compose() = %v", err)
			}
			if err := CheckLimits(m); err != nil {
				t.Errorf("CheckLimits() = %v", err)
			}
			blocks := m.Blocks.BlockSet
			if len(blocks) > MaxBlocks {
				t.Errorf("%d blocks, want at most %d", len(blocks), MaxBlocks)
			}
			last, ok := blocks[len(blocks)-1].(*slackgo.SectionBlock)
			if !ok || !strings.Contains(last.Text.Text, "audit.xlsx") || !strings.Contains(last.Text.Text, "s3://b/p/run/audit.xlsx") {
				t.Errorf("last block = %#v, want a section pointing to the workbook", blocks[len(blocks)-1])
			}
			if d.Listed+d.More != run.Summary.Findings {
				t.Errorf("listed %d + more %d != %d findings", d.Listed, d.More, run.Summary.Findings)
			}
			if tt.wantListed > 0 && d.Listed != tt.wantListed {
				t.Errorf("listed %d findings, want %d", d.Listed, tt.wantListed)
			}
			listedFailed := 0
			for _, g := range d.FailedAccounts {
				listedFailed += len(g)
			}
			if listedFailed+d.MoreFailed != run.Summary.AccountsFailed {
				t.Errorf("listed %d + more %d failed accounts != %d", listedFailed, d.MoreFailed, run.Summary.AccountsFailed)
			}
			if tt.wantFailedMax > 0 && listedFailed > tt.wantFailedMax {
				t.Errorf("listed %d failed accounts, want at most %d", listedFailed, tt.wantFailedMax)
			}
			all := PlainText(m)
			if d.More > 0 && !strings.Contains(all, "more finding") {
				t.Errorf("digest leaves out %d findings without saying so:\n%s", d.More, all)
			}
			if d.MoreFailed > 0 && !strings.Contains(all, "could not be audited: see the workbook") {
				t.Errorf("digest leaves out %d failed accounts without saying so:\n%s", d.MoreFailed, all)
			}
			lines := 0
			for _, b := range blocks {
				s, ok := b.(*slackgo.SectionBlock)
				if !ok || s.Text == nil {
					continue
				}
				for _, line := range strings.Split(plain(s.Text.Text), "\n") {
					if !strings.HasPrefix(line, "• *") && !strings.HasPrefix(line, "• ") {
						continue
					}
					lines++
					if strings.HasPrefix(line, "• *") && !findingLine.MatchString(line) {
						t.Errorf("finding line is not whole: %q", line)
					}
					if !strings.HasPrefix(line, "• *") && !failedLine.MatchString(line) {
						t.Errorf("failed-account line is not whole: %q", line)
					}
				}
			}
			if lines != d.Listed+listedFailed {
				t.Errorf("%d bullet lines, want %d findings + %d failed accounts", lines, d.Listed, listedFailed)
			}
			headline := plain(blocks[1].(*slackgo.SectionBlock).Text.Text)
			if run.Summary.Findings > 0 && !strings.Contains(headline, thousands(run.Summary.Findings)+" open findings") {
				t.Errorf("headline %q does not count %d findings", headline, run.Summary.Findings)
			}
		})
	}
}

// thousands formats n like the templates' num: 6,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func TestCheckLimits(t *testing.T) {
	section := func(n int) slackgo.Block {
		return slackgo.NewSectionBlock(slackgo.NewTextBlockObject("mrkdwn", strings.Repeat("x", n), false, false), nil, nil)
	}
	many := func(n int) []slackgo.Block {
		var bs []slackgo.Block
		for range n {
			bs = append(bs, slackgo.NewDividerBlock())
		}
		return bs
	}
	tests := []struct {
		name    string
		blocks  []slackgo.Block
		text    string
		wantErr string
	}{
		{name: "fits", blocks: []slackgo.Block{section(MaxSectionText)}, text: "x"},
		{name: "no blocks", wantErr: "no blocks"},
		{name: "too many blocks", blocks: many(MaxBlocks + 1), wantErr: "51 blocks"},
		{name: "section too long", blocks: []slackgo.Block{section(MaxSectionText + 1)}, wantErr: "block 1 (section): text is 3001 bytes"},
		{name: "header too long", blocks: []slackgo.Block{slackgo.NewHeaderBlock(slackgo.NewTextBlockObject("plain_text", strings.Repeat("h", 151), false, false))}, wantErr: "header text"},
		{name: "fallback too long", blocks: many(1), text: strings.Repeat("t", MaxFallbackText+1), wantErr: "fallback text"},
		{name: "empty context", blocks: []slackgo.Block{slackgo.NewContextBlock("")}, wantErr: "0 elements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLimits(&Message{Text: tt.text, Blocks: slackgo.Blocks{BlockSet: tt.blocks}})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("CheckLimits() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTextEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"<root_account>", "&lt;root_account&gt;"},
		{`R&D "ops" \ tab` + "\t\n", `R&amp;D \"ops\" \\ tab  `},
		{"prod\r\n• INJECTED\n<!here>", "prod  • INJECTED &lt;!here&gt;"},
		{"a\x00b\x1b[31m\u202ered", "a\ufffdb\ufffd[31m\ufffdred"},
		{"<https://evil|click>", "&lt;https://evil|click&gt;"},
		{"prod <!channel> <@U123>", "prod &lt;!channel&gt; &lt;@U123&gt;"},
		{"ünïcødé ✓", "ünïcødé ✓"},
	}
	for _, tt := range tests {
		if got := Text(tt.in).String(); got != tt.want {
			t.Errorf("Text(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTemplateFallsBackToBuiltin(t *testing.T) {
	dir := t.TempDir()
	// A folder that only overrides audit.md keeps the built-in digest.
	if err := os.WriteFile(filepath.Join(dir, "audit.md.tmpl"), []byte(`{{define "audit.md.tmpl"}}custom{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, err := Template(dir)
	if err != nil || tmpl.Lookup(TemplateName) == nil {
		t.Fatalf("Template(%s) = %v, %v; want the built-in %s", dir, tmpl, err, TemplateName)
	}
	// A folder that overrides slack.message uses it, and a broken one fails.
	if err := os.WriteFile(filepath.Join(dir, "slack.tmpl"), []byte(`{{define "slack.message"}}{"text": "x", "blocks": [}{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, err = Template(dir)
	if err != nil {
		t.Fatal(err)
	}
	run := synthRun(1, 1, 0, func(int) string { return "a" }, "")
	_, _, err = compose(tmpl, run, &target{orgWide: true}, result.Location{}, "", 10, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "invalid JSON") || !strings.Contains(err.Error(), "near") {
		t.Errorf("compose() with a broken template = %v, want an invalid JSON error quoting the output", err)
	}
}

// TestComposeReportsUnreadableFindings: a run whose findings cannot be
// read back (a closed store) gets no digest and a clear error, rather
// than a digest that undercounts.
func TestComposeReportsUnreadableFindings(t *testing.T) {
	store, err := findingstore.Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Add([]audit.Finding{{AccountID: "111111111111", Check: audit.UserInactive, Severity: audit.Medium}}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	run := &result.Run{Findings: store, Accounts: []result.Account{{ID: "111111111111", Status: result.StatusCollected}}}
	for _, tt := range []struct {
		target *target
		want   string
	}{
		{&target{orgWide: true}, "ranking the findings"},
		{&target{in: map[string]bool{"111111111111": true}}, "summarizing the findings"},
	} {
		_, _, err := compose(builtinTemplate(t), run, tt.target, result.Location{}, "#security", 10, RunChanges, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("compose(%+v) = %v, want an error %q", tt.target, err, tt.want)
		}
	}
}

func TestMarshalIndentKeepsJSON(t *testing.T) {
	// The tricky case: a literal backslash before u0026 must stay escaped.
	in := map[string]string{"a": `R&D <x> \u0026 "q"`}
	b, err := marshalIndent(in)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := json.Unmarshal(b, &back); err != nil || back["a"] != in["a"] {
		t.Errorf("marshalIndent(%q) = %s, decodes to %q, %v", in, b, back, err)
	}
	if !strings.Contains(string(b), `R&D <x>`) {
		t.Errorf("marshalIndent(%q) = %s, want &, <, > unescaped", in, b)
	}
}

func TestRankKeepsTheMostUrgent(t *testing.T) {
	run := synthRun(40, 25, 0, func(int) string { return "acct" }, "")
	// Excepted findings are never ranked.
	findings := run.Findings.(result.Findings)
	for i := range findings {
		if i%9 == 0 {
			findings[i].Exception = &audit.Exception{Account: "*", Principal: "*", Check: findings[i].Check}
		}
	}
	all, none, late, err := rank(run.FindingSet(), len(findings))
	if err != nil {
		t.Fatal(err)
	}
	open, wantLate := 0, 0
	for i := range findings {
		if findings[i].Open() {
			open++
			if findings[i].OverdueDays.N > 0 {
				wantLate++
			}
		}
	}
	if len(all) != open || len(none) != 0 || late != wantLate || late == 0 {
		t.Fatalf("rank(all) = %d findings, %v left out, %d overdue; want %d, none, %d (some)", len(all), none, late, open, wantLate)
	}
	// Overdue findings first, each part most severe first, and the
	// most overdue first within a severity.
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		switch {
		case overdue(&a) != overdue(&b):
			if !overdue(&a) {
				t.Fatalf("rank(all)[%d] is overdue after one that is not", i)
			}
		case b.Severity > a.Severity:
			t.Fatalf("rank(all)[%d] is %s after %s", i, b.Severity, a.Severity)
		case b.Severity == a.Severity && b.OverdueDays.N > a.OverdueDays.N:
			t.Fatalf("rank(all)[%d] is %d days overdue after %d", i, b.OverdueDays.N, a.OverdueDays.N)
		}
	}
	for _, n := range []int{0, 1, 7, 100, open - 1} {
		top, more, _, err := rank(run.FindingSet(), n)
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != n {
			t.Fatalf("rank(%d) = %d findings", n, len(top))
		}
		for i := range top {
			if top[i].Key() != all[i].Key() {
				t.Fatalf("rank(%d)[%d] = %v, want %v", n, i, top[i].Key(), all[i].Key())
			}
		}
		want := map[audit.Severity]int{}
		for _, f := range all[n:] {
			want[f.Severity]++
		}
		for _, sev := range audit.Severities {
			if more[sev] != want[sev] {
				t.Errorf("rank(%d) leaves out %d %s findings, want %d", n, more[sev], sev, want[sev])
			}
		}
	}
}
