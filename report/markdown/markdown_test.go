package markdown

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/mdcheck"
	"github.com/reporter-dev/reporter/internal/oneline"
	"github.com/reporter-dev/reporter/result"
)

var asOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

// render writes audit.md of r with the built-in templates.
func render(t testing.TB, r *result.Run, limits Limits) string {
	t.Helper()
	if err := r.Summarize(); err != nil {
		t.Fatal(err)
	}
	tmpl, err := Templates("")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, tmpl, r, limits); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// section returns the text of md from the line heading up to the next
// heading of the same or a higher level, "" when heading is missing.
func section(md, heading string) string {
	i := strings.Index(md, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	rest := md[i+1+len(heading)+1:]
	level := strings.Repeat("#", strings.Index(heading, " "))
	next := regexp.MustCompile(`(?m)^#{1,` + fmt.Sprint(len(level)) + `} `)
	if loc := next.FindStringIndex(rest); loc != nil {
		rest = rest[:loc[0]]
	}
	return rest
}

func finding(acct, principal, check string, sev audit.Severity, status string) audit.Finding {
	return audit.Finding{
		AccountID: acct, AccountName: "name-" + acct, Principal: principal, Check: check, Severity: sev,
		Credential: "user", Detail: "detail of " + principal + " " + check, Status: status, FirstSeen: asOf,
	}
}

func sortFindings(fs []audit.Finding) result.Findings {
	slices.SortFunc(fs, func(a, b audit.Finding) int {
		switch {
		case audit.Less(&a, &b):
			return -1
		case audit.Less(&b, &a):
			return 1
		}
		return 0
	})
	return fs
}

func collected(id string, previous string) result.Account {
	return result.Account{ID: id, Name: "name-" + id, Status: result.StatusCollected, PasswordPolicy: "present", PreviousRunID: previous}
}

func TestClip(t *testing.T) {
	tests := []struct {
		n       int
		in, out string
	}{
		{0, "anything at all", "anything at all"},
		{5, "short", "short"},
		{5, "longer text", "longe…"},
		{3, "äöüß", "äöü…"},
		{4, "äöüß", "äöüß"},
	}
	for _, tt := range tests {
		if got := clip(tt.n, tt.in); got != tt.out {
			t.Errorf("clip(%d, %q) = %q, want %q", tt.n, tt.in, got, tt.out)
		}
	}
}

func TestPlural(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0 findings are"},
		{1, "1 finding is"},
		{2, "2 findings are"},
		{1412, "1,412 findings are"},
	}
	for _, tt := range tests {
		if got := plural(tt.n, "finding is", "findings are"); got != tt.want {
			t.Errorf("plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestChanges: new and resolved findings under their own headings, and
// which earlier run each account was compared with. "New" counts open
// findings everywhere (the headline used to count the excepted one too,
// "4 new" above "3 new open findings"), the excepted one said apart.
func TestChanges(t *testing.T) {
	const prev, older = "20261001T060000Z", "20260901T060000Z"
	excepted := finding("111111111111", "carol", "console-mfa-missing", audit.High, audit.StatusNew)
	excepted.Exception = &audit.Exception{Account: "111111111111", Principal: "carol", Check: "console-mfa-missing", Reason: "r", Owner: "o", ApprovedBy: "a", Expires: asOf.AddDate(0, 1, 0)}
	r := &result.Run{
		Run: result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "partial"},
		Accounts: []result.Account{
			collected("111111111111", prev),
			collected("222222222222", prev),
			collected("333333333333", older),
			collected("444444444444", ""),
			{ID: "555555555555", Name: "name-555555555555", Status: result.StatusFailed, Error: "account 555555555555: credential report line 1: 3 fields, want 22"},
		},
		Changes: &result.Changes{
			PreviousRunID: prev, PreviousAsOf: asOf.AddDate(0, -1, 0),
			RecoveredAccounts:   []result.AccountRef{{ID: "333333333333", Name: "name-333333333333", Status: result.StatusCollected}},
			NewlyFailedAccounts: []result.AccountRef{{ID: "555555555555", Name: "name-555555555555", Status: result.StatusFailed, Error: "account 555555555555: credential report line 1: 3 fields, want 22"}},
		},
		Findings: sortFindings([]audit.Finding{
			finding("111111111111", "alice", "user-inactive", audit.Medium, audit.StatusNew),
			finding("111111111111", "bob", "access-key-not-rotated", audit.Medium, audit.StatusPersisting),
			excepted,
			finding("222222222222", "<root_account>", "root-mfa-disabled", audit.Critical, audit.StatusNew),
			finding("444444444444", "dave", "console-mfa-missing", audit.High, audit.StatusNew),
		}),
		Resolved: []audit.Finding{finding("222222222222", "erin", "access-key-unused", audit.Medium, audit.StatusResolved)},
	}
	md := render(t, r, DefaultLimits)

	changes := section(md, "## Changes since the previous run")
	for _, want := range []string{
		"3 new findings (and 1 excepted) and 1 resolved finding. Each account is compared with the newest earlier run that audited it:",
		"- the previous run, `" + prev + "` (as of 2026-10-01 06:00:00 UTC): 2 accounts\n",
		"- the older run `" + older + "`: 1 account (name-333333333333 (333333333333))\n",
		"- no earlier run, as none audited them, so all their findings are new: 1 account (name-444444444444 (444444444444))\n",
		"- name-555555555555 (555555555555): failed: credential report line 1: 3 fields, want 22\n",
		"- name-333333333333 (333333333333): compared with run `" + older + "`, the last that audited it\n",
	} {
		if !strings.Contains(changes, want) {
			t.Errorf("Changes lack %q:\n%s", want, changes)
		}
	}
	newFindings := section(md, "### New findings")
	resolved := section(md, "### Resolved findings")
	for _, tt := range []struct {
		section, name string
		want, not     []string
	}{
		{newFindings, "New findings",
			// Most severe first, the excepted one counted apart.
			[]string{"3 new open findings, most severe first:", "|\n\n1 new finding is covered by an exception"},
			[]string{"erin", "bob", "| high | name-111111111111"}},
		{resolved, "Resolved findings", []string{"1 finding of the earlier run each account is compared with, no longer found; most severe first:", "erin"}, []string{"alice", "dave"}},
	} {
		for _, w := range tt.want {
			if !strings.Contains(tt.section, w) {
				t.Errorf("%s lack %q:\n%s", tt.name, w, tt.section)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(tt.section, w) {
				t.Errorf("%s hold %q:\n%s", tt.name, w, tt.section)
			}
		}
	}
	rows := regexp.MustCompile(`(?m)^\| (critical|high|medium|low) \| \S+ \((\d+)\)`).FindAllStringSubmatch(newFindings, -1)
	var got []string
	for _, m := range rows {
		got = append(got, m[1]+" "+m[2])
	}
	if want := "critical 222222222222,high 444444444444,medium 111111111111"; strings.Join(got, ",") != want {
		t.Errorf("new findings = %v, want %s", got, want)
	}
	if !strings.Contains(md, "; some accounts against older runs, see below): **3 new** (and 1 excepted), **1 resolved**.") {
		t.Errorf("the summary does not say some accounts were compared with older runs:\n%s", md)
	}
	// The failed account's error does not repeat its ID.
	if strings.Contains(md, "account 555555555555:") {
		t.Errorf("audit.md repeats the account ID in its error:\n%s", md)
	}
	if !strings.Contains(md, "| 555555555555 | name-555555555555 | failed | credential report line 1: 3 fields, want 22 |") {
		t.Errorf("audit.md lacks the failed account's row:\n%s", section(md, "## Accounts not audited"))
	}
}

// TestChangesAgainstThePreviousRunOnly: one sentence names the run when
// every account was compared with the previous one; an empty list says so.
func TestChangesAgainstThePreviousRunOnly(t *testing.T) {
	const prev = "20261001T060000Z"
	r := &result.Run{
		Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "complete"},
		Accounts: []result.Account{collected("111111111111", prev)},
		Changes:  &result.Changes{PreviousRunID: prev, PreviousAsOf: asOf.AddDate(0, -1, 0)},
		Findings: result.Findings{finding("111111111111", "bob", "user-inactive", audit.Medium, audit.StatusPersisting)},
	}
	md := render(t, r, DefaultLimits)
	for _, want := range []string{
		"0 new findings and 0 resolved findings. Every account audited is compared with the previous run, `" + prev + "` (as of 2026-10-01 06:00:00 UTC).",
		"### New findings\n\nNo new open findings.\n",
		"### Resolved findings\n\nNo finding was resolved.\n",
		"Since the previous run (" + prev + ", as of 2026-10-01 06:00:00 UTC): **0 new**",
		"**1 open finding** (0 critical, 0 high, 1 medium, 0 low)",
		"**Coverage: audited 1 of 1 account**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("audit.md lacks %q:\n%s", want, md)
		}
	}
}

func TestExceptionPlurals(t *testing.T) {
	exc := &audit.Exception{Account: "*", Principal: "*", Check: "user-inactive", Reason: "r", Owner: "o", ApprovedBy: "a", Expires: asOf.AddDate(0, 1, 0)}
	for _, tt := range []struct {
		findings int
		want     string
	}{
		{1, "1 finding is covered by 1 exception in force."},
		{2, "2 findings are covered by 1 exception in force."},
	} {
		var fs []audit.Finding
		for i := range tt.findings {
			f := finding("111111111111", fmt.Sprintf("user%d", i), "user-inactive", audit.Medium, "")
			f.Exception = exc
			fs = append(fs, f)
		}
		r := &result.Run{
			Run:        result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "complete"},
			Accounts:   []result.Account{collected("111111111111", "")},
			Findings:   result.Findings(fs),
			Exceptions: []audit.ExceptionUse{{Exception: *exc, Status: "active", Matched: tt.findings}},
		}
		if md := render(t, r, DefaultLimits); !strings.Contains(md, tt.want) {
			t.Errorf("%d excepted findings: audit.md lacks %q:\n%s", tt.findings, tt.want, md)
		}
	}
}

// TestFullAndShortForm: a run within the limits lists every finding and
// account; one more finding, or one more account, gives the short form,
// which keeps the most severe accounts' most severe findings.
func TestFullAndShortForm(t *testing.T) {
	limits := Limits{Findings: 12, Accounts: 4, Rows: 2, TopFindings: 2, TopAccounts: 2}
	// Four accounts of three findings; the last one has the critical
	// finding, the first one two high ones.
	build := func(extraFinding, extraAccount bool) *result.Run {
		r := &result.Run{Run: result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "complete"}}
		var fs []audit.Finding
		sevs := map[string][]audit.Severity{
			"111111111111": {audit.High, audit.High, audit.Low},
			"222222222222": {audit.Medium, audit.Low, audit.Low},
			"333333333333": {audit.High, audit.Medium, audit.Low},
			"444444444444": {audit.Critical, audit.Low, audit.Low},
		}
		for _, id := range []string{"111111111111", "222222222222", "333333333333", "444444444444"} {
			r.Accounts = append(r.Accounts, collected(id, ""))
			for i, s := range sevs[id] {
				fs = append(fs, finding(id, fmt.Sprintf("user%d", i), "user-inactive", s, audit.StatusNew))
			}
		}
		if extraFinding {
			fs = append(fs, finding("222222222222", "user9", "user-inactive", audit.Low, audit.StatusNew))
		}
		if extraAccount {
			r.Accounts = append(r.Accounts, collected("555555555555", ""))
		}
		r.Findings = sortFindings(fs)
		return r
	}
	full := render(t, build(false, false), limits)
	if strings.Contains(full, "more in audit.xlsx") || strings.Contains(full, "Most severe open findings") {
		t.Errorf("a run within the limits is cut short:\n%s", full)
	}
	for _, id := range []string{"111111111111", "222222222222", "333333333333", "444444444444"} {
		for i := range 3 {
			if want := fmt.Sprintf("| `user%d` | `user-inactive` |", i); !strings.Contains(section(full, "### name-"+id+" ("+id+")"), want) {
				t.Errorf("full report: account %s lacks %s", id, want)
			}
		}
		if !strings.Contains(section(full, "## Accounts"), "| "+id+" | name-"+id+" | collected |") {
			t.Errorf("full report: the Accounts table lacks %s", id)
		}
	}

	for name, r := range map[string]*result.Run{"one finding more": build(true, false), "one account more": build(false, true)} {
		t.Run(name, func(t *testing.T) {
			md := render(t, r, limits)
			top := section(md, "## Most severe open findings by account")
			headings := regexp.MustCompile(`(?m)^### .*\((\d+)\)$`).FindAllStringSubmatch(top, -1)
			var ids []string
			for _, h := range headings {
				ids = append(ids, h[1])
			}
			if want := "444444444444 111111111111"; strings.Join(ids, " ") != want {
				t.Errorf("accounts listed = %v, want %s (most severe first)\n%s", ids, want, top)
			}
			for _, want := range []string{
				"3 open findings: 1 critical, 0 high, 0 medium, 2 low.",
				"| critical | `user0` |", "| … and 1 more in audit.xlsx |",
				"… and 2 more accounts with open findings",
			} {
				if !strings.Contains(top, want) {
					t.Errorf("short report lacks %q:\n%s", want, top)
				}
			}
			if n := strings.Count(top, "| `user-inactive` |"); n != 4 {
				t.Errorf("short report lists %d findings, want 2 of each of 2 accounts", n)
			}
			accounts := section(md, "## Accounts")
			if strings.Contains(accounts, "| 111111111111 |") || !strings.Contains(accounts, "The Accounts sheet of `audit.xlsx`") {
				t.Errorf("short report's Accounts section:\n%s", accounts)
			}
			if !strings.Contains(md, "### By check") {
				t.Errorf("short report lacks the per-check table")
			}
		})
	}
}

// TestShortReportSize renders a run the size of the 5,000-account
// benchmark (internal/bench/scale): the short form stays under 1 MB
// whatever the number of findings, with every capped list full and long
// texts from AWS.
func TestShortReportSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 150,000 findings")
	}
	const accounts, perAccount = 5000, 30
	const prev = "20261001T060000Z"
	checks := audit.Checks
	long := strings.Repeat("policy AdministratorAccess attached; ", 8) // ~300 bytes
	r := &result.Run{
		Run:     result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "partial", Source: "aws"},
		Changes: &result.Changes{PreviousRunID: prev, PreviousAsOf: asOf.AddDate(0, -1, 0)},
	}
	fs := make([]audit.Finding, 0, accounts*perAccount)
	exc := &audit.Exception{Account: "*", Principal: "svc-*", Check: "user-inactive", Reason: long, Owner: "o@example.com", ApprovedBy: "a@example.com", Expires: asOf.AddDate(0, 1, 0)}
	for a := range accounts {
		id := fmt.Sprintf("%012d", 100000000000+a)
		acct := collected(id, prev)
		acct.Name = fmt.Sprintf("acme-workload-with-a-long-name-%04d", a)
		acct.Users = 200
		switch {
		case a%10 == 9:
			acct.Status, acct.Error, acct.PreviousRunID = result.StatusFailed, "account "+id+": "+long, ""
			r.Accounts = append(r.Accounts, acct)
			r.Changes.NewlyFailedAccounts = append(r.Changes.NewlyFailedAccounts, result.AccountRef{ID: id, Name: acct.Name, Status: acct.Status, Error: acct.Error})
			continue
		case a%7 == 0:
			acct.PreviousRunID = "20260901T060000Z"
			r.Changes.RecoveredAccounts = append(r.Changes.RecoveredAccounts, result.AccountRef{ID: id, Name: acct.Name, Status: acct.Status})
		case a%11 == 0:
			acct.PreviousRunID = ""
		}
		acct.ChecksNotRun = []audit.NotRun{{Checks: []string{"user-policy-attached", "policy-full-admin", "role-unused"}, Reason: long}}
		r.Accounts = append(r.Accounts, acct)
		for i := range perAccount {
			c := checks[(a+i)%len(checks)]
			f := audit.Finding{
				AccountID: id, AccountName: acct.Name, Principal: fmt.Sprintf("user-with-a-long-name-%03d", i),
				Check: c.ID, Severity: c.Severity, Credential: "access_key_1", AgeDays: audit.Days{N: 400, Valid: true},
				Detail: long, Status: audit.StatusNew, FirstSeen: asOf,
			}
			if i%5 == 0 {
				f.Status = audit.StatusPersisting
			}
			if i%9 == 0 {
				f.Principal = "svc-" + f.Principal
				f.Exception = exc
			}
			fs = append(fs, f)
			if i%3 == 0 {
				gone := f
				gone.Principal, gone.Status, gone.Exception = "gone-"+f.Principal, audit.StatusResolved, nil
				r.Resolved = append(r.Resolved, gone)
			}
		}
	}
	for i := range 500 {
		r.Run.UnusedFiles = append(r.Run.UnusedFiles, result.UnusedFile{Name: fmt.Sprintf("stray-%d.csv", i), Reason: long})
	}
	r.Exceptions = []audit.ExceptionUse{{Exception: *exc, Status: "active", Matched: 1}}
	r.Findings = sortFindings(fs)

	md := render(t, r, DefaultLimits)
	if len(md) >= 1<<20 {
		t.Errorf("audit.md of %d accounts is %d bytes, want under 1 MB", accounts, len(md))
	}
	t.Logf("audit.md of %d accounts, %d findings: %d bytes, %d lines", accounts, len(fs), len(md), strings.Count(md, "\n"))
	for _, want := range []string{
		"## Executive summary", "### By check", "### New findings", "### Resolved findings",
		"## Most severe open findings by account", "## Accounts not audited", "## Accepted risks",
		"… and 4,300 more accounts with open findings",
		"more in audit.xlsx (Findings sheet, status new)", "more in audit.xlsx (Resolved sheet)",
		"… and 400 more in audit.xlsx (Accounts sheet)",
		"- … and 400 more in `findings.json` (`changes.newly_failed_accounts`)",
		"more in `findings.json` (`changes.recovered_accounts`)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("audit.md lacks %q", want)
		}
	}
	if n := strings.Count(section(md, "## Most severe open findings by account"), "\n### "); n != DefaultLimits.TopAccounts {
		t.Errorf("audit.md lists %d accounts' findings, want %d", n, DefaultLimits.TopAccounts)
	}
	if active := mdcheck.ActiveExcept([]byte(md), docURLs()); len(active) > 0 {
		t.Errorf("audit.md renders %v", active[:min(3, len(active))])
	}
}

// TestChangesHostileNames: account names, errors and run IDs (from the
// findings.json of a run planted in the archive) in the changes section
// are inert.
func TestChangesHostileNames(t *testing.T) {
	const prev, older = "20261001T060000Z` <img src=x onerror=alert(1)> [x](https://evil.example)", "20260901T060000Z\n# injected"
	var accounts []result.Account
	for i, h := range hostileText {
		id := fmt.Sprintf("%012d", 100000000000+i)
		a := collected(id, []string{prev, older, ""}[i%3])
		a.Name = h.in
		if i%4 == 3 {
			a.Status, a.Error, a.PreviousRunID = result.StatusFailed, "account "+id+": "+h.in, ""
		}
		accounts = append(accounts, a)
	}
	r := &result.Run{
		Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "partial"},
		Accounts: accounts,
		Changes:  &result.Changes{PreviousRunID: prev, PreviousAsOf: asOf.AddDate(0, -1, 0)},
	}
	for _, a := range accounts {
		ref := result.AccountRef{ID: a.ID, Name: a.Name, Status: a.Status, Error: a.Error}
		if a.Status == result.StatusFailed {
			r.Changes.NewlyFailedAccounts = append(r.Changes.NewlyFailedAccounts, ref)
		} else if a.PreviousRunID != prev {
			r.Changes.RecoveredAccounts = append(r.Changes.RecoveredAccounts, ref)
		}
	}
	// The full form and the short one, which clips long texts.
	for _, limits := range []Limits{DefaultLimits, {Accounts: 1, TextChars: 7}} {
		md := render(t, r, limits)
		if active := mdcheck.ActiveExcept([]byte(md), docURLs()); len(active) > 0 {
			t.Errorf("audit.md renders %v:\n%s", active, md)
		}
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "## ") && !strings.HasPrefix(line, "### ") && !strings.HasPrefix(line, "# IAM credential audit") {
				t.Errorf("audit.md has an injected heading: %q", line)
			}
		}
	}
}

// docURLs are the AWS documentation pages the catalog links to: the only
// links audit.md may hold.
func docURLs() map[string]bool {
	urls := map[string]bool{}
	for _, c := range audit.Catalog() {
		urls[c.DocURL] = true
	}
	return urls
}

// TestHostileFindingFields: every field of a finding that comes from AWS
// or an input file (a dir: folder's authorization details name the
// policy in "inline:NAME"; an earlier findings.json read back gives the
// resolved findings whatever check, ID and account it holds) is shown
// inert and whole, in each table that lists the finding: new, open by
// account, resolved and accepted risks.
func TestHostileFindingFields(t *testing.T) {
	fields := []struct {
		name string
		set  func(f *audit.Finding, v string)
		// cell is the text of the cell showing v, as read back.
		cell func(v string) string
		// cells counts the tables that show the field: accepted risks
		// show no credential, the open findings of an account give its
		// ID in their heading.
		cells int
	}{
		{"credential", func(f *audit.Finding, v string) { f.Credential = "inline:" + v }, func(v string) string { return "inline:" + v }, 3},
		{"check", func(f *audit.Finding, v string) { f.Check = v }, func(v string) string { return v }, 4},
		{"id", func(f *audit.Finding, v string) { f.ID = v }, func(v string) string { return v }, 4},
		{"account id", func(f *audit.Finding, v string) { f.AccountID = v }, func(v string) string { return "acct (" + strings.Trim(v, " ") + ")" }, 3},
	}
	for _, field := range fields {
		for _, h := range hostileText {
			t.Run(field.name+"/"+h.name, func(t *testing.T) {
				mk := func(status string) audit.Finding {
					f := finding("111111111111", "user/alice", audit.PolicyFullAdmin, audit.Critical, status)
					f.AccountName, f.ID, f.Credential = "acct", "f-0123456789abcdef0123", "inline:admin"
					field.set(&f, h.in)
					return f
				}
				open, resolved, excepted := mk(audit.StatusNew), mk(audit.StatusResolved), mk(audit.StatusNew)
				excepted.Principal = "user/bob"
				excepted.Exception = &audit.Exception{Account: "111111111111", Principal: "user/bob", Check: audit.PolicyFullAdmin,
					Reason: "r", Owner: "o", ApprovedBy: "a", Expires: asOf.AddDate(0, 1, 0)}
				r := &result.Run{
					Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, Status: "complete", SLADays: audit.DefaultSLA()},
					Accounts: []result.Account{collected("111111111111", "20261001T060000Z")},
					Changes:  &result.Changes{PreviousRunID: "20261001T060000Z", PreviousAsOf: asOf.AddDate(0, -1, 0)},
					Findings: sortFindings([]audit.Finding{open, excepted}),
					Resolved: []audit.Finding{resolved},
				}
				md := render(t, r, DefaultLimits)
				if active := mdcheck.ActiveExcept([]byte(md), docURLs()); len(active) > 0 {
					t.Errorf("audit.md renders %v", active)
				}
				for _, line := range strings.Split(md, "\n") {
					if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "## ") && !strings.HasPrefix(line, "### ") && !strings.HasPrefix(line, "# IAM credential audit") {
						t.Errorf("audit.md has an injected heading: %q", line)
					}
				}
				cells, err := mdcheck.Texts([]byte(md), "td")
				if err != nil {
					t.Fatal(err)
				}
				want := strings.Trim(field.cell(oneline.Clean(h.in)), " ")
				n := 0
				for _, c := range cells {
					if strings.Trim(c, " ") == want {
						n++
					}
				}
				if n != field.cells {
					t.Errorf("audit.md shows %q whole in %d cells, want %d (new, by account, resolved, accepted risks):\n%s", want, n, field.cells, md)
				}
			})
		}
	}
}
