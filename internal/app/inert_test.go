package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/internal/mdcheck"
	"github.com/reporter-dev/reporter/internal/oneline"
)

// hostileNames are account names an attacker with access to an
// Organizations account (or to a dir: folder's accounts.json) can set.
var hostileNames = map[string]string{
	"111111111111": "[click](https://evil.example) acme-prod\u202Edorp-emca \u2066x\u2069\u200F",
	"222222222222": "![x](https://evil.example/pixel.png)",
	"333333333333": "`x` <img src=x onerror=alert(1)>",
	"444444444444": "prod\r\n# injected\x00 <https://evil.example>",
	"555555555555": "- a | b www.evil.example alice@evil.example",
	"666666666666": "=HYPERLINK(\"https://evil.example\",\"x\")",
}

// hostilePrincipals are IAM user names as a dir: report can carry them.
var hostilePrincipals = []string{"`<img src=x onerror=alert(1)>`", "[u](https://evil.example)"}

// hostileDir is the sample organization with hostile account names, two
// hostile users in acme-prod, and an account whose report is an HTML page.
func hostileDir(t *testing.T) string {
	t.Helper()
	dir := copySample(t)
	var doc struct {
		Accounts []map[string]any
	}
	for _, id := range slices.Sorted(mapsKeys(hostileNames)) {
		doc.Accounts = append(doc.Accounts, map[string]any{"Id": id, "Name": hostileNames[id]})
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "accounts.json"), data, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "666666666666.csv"), []byte("<html><body><a href=https://evil.example>Service Unavailable</a></body></html>\n"), 0o644))
	prod := filepath.Join(dir, "222222222222.csv")
	report, err := os.ReadFile(prod)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range hostilePrincipals {
		report = append(report, []byte(p+",arn:aws:iam::222222222222:user/x,2024-02-01T09:00:00+00:00,true,no_information,2024-02-01T09:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")...)
	}
	must(t, os.WriteFile(prod, report, 0o644))
	return dir
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunOnceHostileText runs an audit over hostile account names, user
// names and exception fields: audit.md must render none of them as a
// link, an image or HTML, keep every table row on its line, hold no CR
// or NUL, and still show each name as text; the workbook must hold them
// as plain strings, never as formulas or hyperlinks, its bidirectional
// and control characters shown as U+FFFD.
func TestRunOnceHostileText(t *testing.T) {
	src, err := collect.NewDirSource(hostileDir(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := sampleOptions(t, src)
	opts.Exceptions = []audit.Exception{{
		Account: "222222222222", Principal: "deploy-*", Check: "access-key-not-rotated",
		Reason: "[approved](https://evil.example) <script>alert(1)</script>", Owner: "owner@evil.example",
		ApprovedBy: "![ciso](https://evil.example/p.png)", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Source: "exceptions.yaml:1",
	}}
	res, err := RunOnce(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if res.Run.Summary.AccountsFailed != 1 || res.Run.Summary.Excepted == 0 {
		t.Fatalf("summary = %+v, want 1 failed account and excepted findings", res.Run.Summary)
	}
	md, err := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	if active := mdcheck.ActiveExcept(md, docURLs()); len(active) > 0 {
		t.Errorf("audit.md renders text from outside as %s", strings.Join(active, "; "))
	}
	if i := strings.IndexAny(string(md), "\r\x00"); i >= 0 {
		t.Errorf("audit.md holds a %q at byte %d", md[i], i)
	}
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "# IAM credential audit") {
			t.Errorf("audit.md has an injected heading: %q", line)
		}
	}
	cells, err := mdcheck.Texts(md, "td")
	if err != nil {
		t.Fatal(err)
	}
	for id, name := range hostileNames {
		if want := strings.TrimSpace(oneline.Clean(name)); !slices.Contains(cells, want) {
			t.Errorf("audit.md has no table cell reading the name of %s, %q", id, want)
		}
	}
	for _, p := range hostilePrincipals {
		if !slices.Contains(cells, p) {
			t.Errorf("audit.md has no table cell reading the principal %q", p)
		}
	}
	for _, want := range []string{opts.Exceptions[0].Reason, opts.Exceptions[0].ApprovedBy} {
		if !slices.Contains(cells, want) {
			t.Errorf("audit.md has no table cell reading the exception's %q", want)
		}
	}

	f, err := excelize.OpenFile(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
					t.Errorf("%s!%s holds the formula %q", sheet, cell, formula)
				}
				if link, target, _ := f.GetCellHyperLink(sheet, cell); link && strings.Contains(target, "evil") {
					t.Errorf("%s!%s links to %q", sheet, cell, target)
				}
				seen[v] = true
			}
		}
	}
	if !seen[hostileNames["666666666666"]] {
		t.Errorf("the workbook does not show the name %q as text", hostileNames["666666666666"])
	}
	// Bidirectional controls are shown as U+FFFD, as in audit.md, so that
	// a name cannot read as another account's.
	if want := "[click](https://evil.example) acme-prod\uFFFDdorp-emca \uFFFDx\uFFFD\uFFFD"; !seen[want] {
		t.Errorf("the workbook does not show the name of 111111111111 as %q", want)
	}
	for v := range seen {
		if strings.ContainsAny(v, "\u202E\u2066\u2069\u200F\r\x00") {
			t.Errorf("a workbook cell holds a bidirectional or control character: %q", v)
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
