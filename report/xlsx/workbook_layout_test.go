package xlsx

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/oneline"
	"github.com/reporter-dev/reporter/result"
)

// layoutRun is a run whose findings carry issue 14's fields and hostile
// text: a formula, a detail far beyond a cell's 32,767 characters,
// newlines, right-to-left text and control characters; one excepted
// finding expiring in 10 days, one resolved, three exceptions (active,
// expired, stale).
func layoutRun(t *testing.T) *result.Run {
	t.Helper()
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	firstSeen := asOf.AddDate(0, -2, 0)
	due := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	finding := func(principal, check string, sev audit.Severity, cred, detail string) audit.Finding {
		f := audit.Finding{AccountID: "011111111111", AccountName: "prod", Principal: principal, Check: check, Severity: sev,
			Credential: cred, AgeDays: audit.DaysOf(120), Since: asOf.AddDate(0, 0, -120), Detail: detail,
			Status: audit.StatusPersisting, FirstSeen: firstSeen, ARN: "arn:aws:iam::011111111111:user/" + principal,
			Owner: "team-a@example.com", OwnerSource: "account-tag:team", Due: due, OverdueDays: audit.DaysOf(31),
			Remediation: "aws iam update-access-key --user-name " + principal + " --access-key-id <key-id> --status Inactive\n" +
				"aws iam delete-access-key --user-name " + principal + " --access-key-id <key-id>"}
		f.ID = f.Key().ID()
		return f
	}
	expires := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	exc := audit.Exception{Account: "011111111111", Principal: "carol", Check: audit.AccessKeyNotRotated, Reason: "vendor",
		Owner: "team", ApprovedBy: "ciso", Expires: expires, Source: "exceptions.yaml:3"}
	excepted := finding("carol", audit.AccessKeyNotRotated, audit.High, "access_key_1", "key 1 last rotated")
	excepted.Exception = &exc
	excepted.Due, excepted.OverdueDays = time.Time{}, audit.Days{}
	findings := []audit.Finding{
		finding("alice", audit.AccessKeyNotRotated, audit.High, "access_key_1", `=HYPERLINK("http://evil.example","x")`),
		finding("bob", audit.AccessKeyUnused, audit.Medium, "access_key_2", strings.Repeat("long detail ", 4000)),
		finding("dave", audit.UserInactive, audit.Medium, "user", "line one\nline two\nline three"),
		finding("\u202eevil", audit.UserInactive, audit.Medium, "user", "مستخدم غير نشط \u05e2\u05d1\u05e8\u05d9\u05ea \u202e txet"),
		excepted,
	}
	slices.SortFunc(findings, func(a, b audit.Finding) int {
		if audit.Less(&a, &b) {
			return -1
		}
		if audit.Less(&b, &a) {
			return 1
		}
		return 0
	})
	run := &result.Run{
		Run:      result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, StartedAt: asOf, FinishedAt: asOf, Version: "test"},
		Accounts: []result.Account{{ID: "011111111111", Name: "prod", Status: "collected", Users: 4, PasswordPolicy: "collected"}},
		Findings: result.Findings(findings),
		Resolved: []audit.Finding{finding("erin", audit.ConsoleMFAMissing, audit.High, "password", "console password enabled without MFA")},
		Exceptions: []audit.ExceptionUse{
			{Exception: exc, Status: exceptions.Active, Matched: 1},
			{Exception: audit.Exception{Account: "*", Principal: "old-*", Check: audit.UserInactive, Reason: "migration",
				Expires: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:9"}, Status: exceptions.Expired},
			{Exception: audit.Exception{Account: "*", Principal: "gone", Check: audit.UserInactive, Reason: "left",
				Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml:15"}, Status: exceptions.Stale},
		},
	}
	if err := run.Summarize(); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestWorkbookSheetsReadAndPrint writes layoutRun's workbook and reads
// back, with excelize, what a reader and a printer get: issue 14's
// columns typed, hostile text as text, wrapped text in rows tall enough,
// centred numbers, whole headers, one meaning per column, the Resolved
// and Excepted additions, the conditional colours, empty sheets, and
// every sheet's print setup (landscape, one page wide, repeated header,
// footer naming the run and the page).
func TestWorkbookSheetsReadAndPrint(t *testing.T) {
	run := layoutRun(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.xlsx")
	if err := Write(path, run, nil, Options{TmpDir: dir}); err != nil {
		t.Fatal(err)
	}
	checkZipParts(t, path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	value := func(sheet, cell string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	style := func(sheet, cell string) *excelize.Style {
		t.Helper()
		id, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Findings, in order: alice (high) first, then bob, dave and the RTL
	// principal (medium, by principal).
	c := columnsOf(t, f, "Findings")
	wantHeader := []string{"Severity", "Account ID", "Account name", "Principal", "Check", "Credential", "Detail", "Age (days)",
		"Due", "Overdue (days)", "Owner", "Owner source", "Remediation", "Status", "First seen (UTC)", "Finding ID", "ARN"}
	if rows, _ := f.GetRows("Findings"); !slices.Equal(rows[0], wantHeader) {
		t.Errorf("Findings header %q, want %q", rows[0], wantHeader)
	}
	var alice audit.Finding
	run.EachFinding(func(fd *audit.Finding) error {
		if fd.Principal == "alice" {
			alice = *fd
		}
		return nil
	})
	for col, want := range map[string]string{"Finding ID": alice.ID, "Owner": "team-a@example.com", "Owner source": "account-tag:team",
		"Overdue (days)": "31", "Remediation": alice.Remediation, "Detail": alice.Detail} {
		if got := value("Findings", c[col]+"2"); got != want {
			t.Errorf("Findings %s (%s2) = %q, want %q", col, c[col], got, want)
		}
	}
	checkCellTypes(t, f, "Findings", 2, map[string]string{c["Finding ID"]: textCell, c["Owner"]: textCell, c["Overdue (days)"]: numberCell,
		c["Remediation"]: textCell, c["Detail"]: textCell})
	checkDateCell(t, f, "Findings", c["Due"]+"2", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), "yyyy-mm-dd")
	if formula, _ := f.GetCellFormula("Findings", c["Detail"]+"2"); formula != "" {
		t.Errorf("a detail became the formula %q", formula)
	}
	if !strings.HasPrefix(alice.ID, "f-") || len(alice.ID) != 22 {
		t.Errorf("finding ID %q, want f- and 20 hex digits", alice.ID)
	}

	// Hostile text stays text, whole up to a cell's limit.
	long := value("Findings", c["Detail"]+"3")
	if n := utf8.RuneCountInString(long); n != excelize.TotalCellChars || !strings.HasPrefix(long, "long detail long detail") {
		t.Errorf("the long detail reads back %d characters, want the first %d", n, excelize.TotalCellChars)
	}
	checkCellTypes(t, f, "Findings", 3, map[string]string{c["Detail"]: textCell})
	if got := value("Findings", c["Detail"]+"4"); got != "line one\nline two\nline three" {
		t.Errorf("multi-line detail reads back %q", got)
	}
	// Right-to-left letters stay; the override that would reorder what
	// follows it is shown as U+FFFD, as in audit.md and Slack.
	rtl := "مستخدم غير نشط \u05e2\u05d1\u05e8\u05d9\u05ea \ufffd txet"
	if got, principal := value("Findings", c["Detail"]+"5"), value("Findings", c["Principal"]+"5"); got != rtl || principal != "\ufffdevil" {
		t.Errorf("right-to-left text reads back %q and %q", got, principal)
	}

	// Row heights follow the wrapped text: alice's two-line remediation
	// (46 wide) takes 4 lines, the long detail the most a row shows,
	// the header's "Overdue (days)" (9 wide) two lines.
	for _, tc := range []struct {
		row  int
		want float64
	}{{1, 30}, {2, 4 * lineHeight}, {3, maxLines * lineHeight}, {4, 4 * lineHeight}} {
		if got, err := f.GetRowHeight("Findings", tc.row); err != nil || got != tc.want {
			t.Errorf("Findings row %d is %v high (%v), want %v", tc.row, got, err, tc.want)
		}
	}
	if s := style("Findings", c["Detail"]+"2"); s.Alignment == nil || !s.Alignment.WrapText || s.Alignment.Vertical != "top" {
		t.Errorf("Detail cell alignment %+v, want wrapped, at the top", s.Alignment)
	}
	if s := style("Findings", c["Remediation"]+"2"); s.Alignment == nil || !s.Alignment.WrapText {
		t.Errorf("Remediation cell alignment %+v, want wrapped", s.Alignment)
	}
	for _, col := range []string{"Age (days)", "Overdue (days)", "Due", "First seen (UTC)"} {
		if s := style("Findings", c[col]+"2"); s.Alignment == nil || s.Alignment.Horizontal != "center" {
			t.Errorf("%s cell alignment %+v, want centred", col, s.Alignment)
		}
	}
	if s := style("Findings", "A1"); s.Alignment == nil || !s.Alignment.WrapText {
		t.Errorf("header alignment %+v, want wrapped", s.Alignment)
	}
	// Overdue findings stand out, whatever the sort order.
	checkConditional(t, f, "Findings", c["Overdue (days)"]+"2:"+c["Overdue (days)"]+"5", "AND(ISNUMBER("+c["Overdue (days)"]+"2),"+c["Overdue (days)"]+"2>0)")

	// One meaning per column: on Unrotated keys, alice's key (not
	// rotated) has its last rotation, bob's (unused) the day since
	// which it is unused.
	u := columnsOf(t, f, "Unrotated keys")
	for _, tc := range []struct{ cell, want string }{
		{u["Last rotated (UTC)"] + "2", "2026-07-04 06:00:00"}, {u["Unused since (UTC)"] + "2", ""},
		{u["Last rotated (UTC)"] + "3", ""}, {u["Unused since (UTC)"] + "3", "2026-07-04 06:00:00"},
		{u["Finding ID"] + "2", alice.ID}, {u["Overdue (days)"] + "2", "31"},
	} {
		if got := value("Unrotated keys", tc.cell); got != tc.want {
			t.Errorf("Unrotated keys %s = %q, want %q", tc.cell, got, tc.want)
		}
	}
	for _, name := range []string{"Rotated / last used (UTC)", "Since (UTC)"} {
		if _, ok := u[name]; ok {
			t.Errorf("Unrotated keys still has the column %q", name)
		}
	}
	// Every family sheet has issue 14's columns.
	for _, sheet := range []string{"Inactive users", "Unrotated keys", "MFA gaps", "Root account", "Permissions", "Password policy"} {
		fc := columnsOf(t, f, sheet)
		for _, col := range []string{"Finding ID", "Owner", "Owner source", "Due", "Overdue (days)", "Remediation"} {
			if _, ok := fc[col]; !ok {
				t.Errorf("%s lacks the column %s", sheet, col)
			}
		}
	}

	// Resolved: in this run, on its as-of.
	r := columnsOf(t, f, "Resolved")
	if got := value("Resolved", r["Resolved in run"]+"2"); got != run.Run.ID {
		t.Errorf("Resolved in run = %q, want %q", got, run.Run.ID)
	}
	checkDateCell(t, f, "Resolved", r["Resolved on (UTC)"]+"2", run.Run.AsOf, "yyyy-mm-dd hh:mm:ss")

	// Excepted: 10 days to expiry, amber within 30.
	e := columnsOf(t, f, "Excepted")
	if got := value("Excepted", e["Days to expiry"]+"2"); got != "10" {
		t.Errorf("Excepted days to expiry = %q, want 10", got)
	}
	checkCellTypes(t, f, "Excepted", 2, map[string]string{e["Days to expiry"]: numberCell})
	checkConditional(t, f, "Excepted", e["Days to expiry"]+"2:"+e["Days to expiry"]+"2",
		"AND(ISNUMBER("+e["Days to expiry"]+"2),"+e["Days to expiry"]+"2<=30)")
	for _, name := range []string{"Due", "Overdue (days)"} {
		if _, ok := e[name]; ok {
			t.Errorf("Excepted has %q: an excepted finding is not due", name)
		}
	}

	// Exceptions: days to expiry (negative once expired), expired rows
	// red and stale ones amber.
	x := columnsOf(t, f, "Exceptions")
	for row, want := range map[string]string{"2": "10", "3": "-12", "4": "61"} {
		if got := value("Exceptions", x["Days to expiry"]+row); got != want {
			t.Errorf("Exceptions row %s days to expiry = %q, want %s", row, got, want)
		}
	}
	formats, err := f.GetConditionalFormats("Exceptions")
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for ref, list := range formats {
		for _, cf := range list {
			rules = append(rules, ref+" "+cf.Criteria)
		}
	}
	slices.Sort(rules)
	if want := []string{`A2:K4 $A2="expired"`, `A2:K4 $A2="stale"`}; !slices.Equal(rules, want) {
		t.Errorf("Exceptions conditional formats %q, want %q", rules, want)
	}

	// An empty sheet says so in one merged row, not under Severity.
	if rows, _ := f.GetRows("Permissions"); len(rows) != 2 || rows[1][0] != "No findings" {
		t.Errorf("Permissions rows %q, want the header and No findings", rows)
	}
	if merged, _ := f.GetMergeCells("Permissions"); len(merged) != 1 || merged[0].GetStartAxis() != "A2" {
		t.Errorf("Permissions merged cells %v, want one from A2", merged)
	}

	// Headers whole: each column at least as wide as its header's
	// longest word, the header row tall enough for its wrapped lines.
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range f.GetSheetList() {
		layout, err := f.GetPageLayout(sheet)
		if err != nil || *layout.Orientation != "landscape" || *layout.FitToWidth != 1 || *layout.FitToHeight != 0 {
			t.Errorf("%s: page layout %+v (%v), want landscape, one page wide, any pages down", sheet, layout, err)
		}
		if props, err := f.GetSheetProps(sheet); err != nil || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: sheet props %+v (%v), want fit to page", sheet, props, err)
		}
		hf, err := f.GetHeaderFooter(sheet)
		if err != nil || hf == nil || !strings.Contains(hf.OddFooter, "run 20261101T060000Z, as of 2026-11-01 06:00 UTC") ||
			!strings.Contains(hf.OddFooter, "Page &P of &N") || !strings.Contains(hf.OddFooter, "&A") {
			t.Errorf("%s: footer %+v (%v), want the run, the sheet and page N of M", sheet, hf, err)
		}
		if sheet == "Summary" {
			continue
		}
		if want := "'" + sheet + "'!$1:$1"; titles[sheet] != want {
			t.Errorf("%s: print titles %q, want %q", sheet, titles[sheet], want)
		}
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: rows %v", sheet, err)
		}
		lines := 1
		for i, name := range rows[0] {
			col, _ := excelize.ColumnNumberToName(i + 1)
			width, _ := f.GetColWidth(sheet, col)
			for _, word := range strings.Fields(name) {
				if float64(len(word)) > width {
					t.Errorf("%s: column %s (%q) is %v wide, narrower than %q", sheet, col, name, width, word)
				}
			}
			lines = max(lines, textLines(name, width))
		}
		if h, _ := f.GetRowHeight(sheet, 1); h < float64(lines*lineHeight) {
			t.Errorf("%s: header row %v high, want %d lines", sheet, h, lines)
		}
	}
}

// checkConditional checks that sheet has one conditional format, over
// ref, of the given formula.
func checkConditional(t *testing.T, f *excelize.File, sheet, ref, formula string) {
	t.Helper()
	formats, err := f.GetConditionalFormats(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if list := formats[ref]; len(formats) != 1 || len(list) != 1 || list[0].Type != "formula" || list[0].Criteria != formula || list[0].Format == nil {
		t.Errorf("%s: conditional formats %+v, want %s over %s", sheet, formats, formula, ref)
	}
}

// TestOverdueEmptyWhenExcepted: an excepted finding has no due date or
// overdue days, even if the fields were set.
func TestOverdueEmptyWhenExcepted(t *testing.T) {
	w := &workbook{}
	f := audit.Finding{Due: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), OverdueDays: audit.DaysOf(3), Exception: &audit.Exception{}}
	if v := colOverdue.value(w, &f); v != nil {
		t.Errorf("overdue of an excepted finding = %v, want empty", v)
	}
	if v := colDue.value(w, &f); v != nil {
		t.Errorf("due of an excepted finding = %v, want empty", v)
	}
	f.Exception = nil
	if v := colOverdue.value(w, &f); v != 3 {
		t.Errorf("overdue of an open finding = %v, want 3", v)
	}
	f.OverdueDays = audit.Days{}
	if v := colOverdue.value(w, &f); v != nil {
		t.Errorf("overdue not computed = %v, want empty", v)
	}
}

func TestTextLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     string
		width float64
		want  int
	}{
		{"empty", "", 46, 1},
		{"fits", "root key 1 is active", 46, 1},
		{"exactly a line", strings.Repeat("x", 44), 46, 1},
		{"one more", strings.Repeat("x", 45), 46, 2},
		{"newlines", "a\nb\nc", 46, 3},
		{"trailing newline", "a\n", 46, 2},
		{"long line and short", strings.Repeat("x", 100) + "\nshort", 46, 4},
		{"blank lines count", "a\n\nb", 46, 3},
		{"wide characters count twice", strings.Repeat("漢", 30), 46, 2},
		{"two-byte characters once", strings.Repeat("é", 44), 46, 1},
		{"narrow column", "Overdue (days)", 9, 2},
		{"tiny column", "abc", 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := textLines(tc.s, tc.width); got != tc.want {
				t.Errorf("textLines(%q, %v) = %d, want %d", tc.s, tc.width, got, tc.want)
			}
		})
	}
	if got := linesHeight(1000); got > excelize.MaxRowHeight {
		t.Errorf("linesHeight(1000) = %v, above Excel's %v", got, excelize.MaxRowHeight)
	}
}

// TestRemediationAboveFamilyLimit: when the run is too large for the
// family sheets, the Findings sheet's Remediation cells point to where
// the commands are instead of repeating them; the other columns stay.
func TestRemediationAboveFamilyLimit(t *testing.T) {
	run := layoutRun(t) // 4 open findings
	for _, tc := range []struct {
		limit int
		want  func(f *audit.Finding) string
	}{
		{4, func(f *audit.Finding) string { return oneline.CleanLines(f.Remediation) }},
		{3, func(*audit.Finding) string { return remediationElsewhere.(string) }},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "audit.xlsx")
		if err := Write(path, run, nil, Options{MaxFamilyRows: tc.limit, TmpDir: dir}); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := columnsOf(t, f, "Findings")
		row := 2
		run.EachFinding(func(fd *audit.Finding) error {
			if !fd.Open() {
				return nil
			}
			if got, _ := f.GetCellValue("Findings", c["Remediation"]+strconv.Itoa(row)); got != tc.want(fd) {
				t.Errorf("limit %d: Findings row %d remediation %q, want %q", tc.limit, row, got, tc.want(fd))
			}
			if got, _ := f.GetCellValue("Findings", c["Finding ID"]+strconv.Itoa(row)); got != fd.ID {
				t.Errorf("limit %d: Findings row %d ID %q, want %q", tc.limit, row, got, fd.ID)
			}
			row++
			return nil
		})
		f.Close()
	}
}
