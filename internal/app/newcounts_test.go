package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify/slack"
)

// TestNewFindingsCountedAlikeEverywhere: "new" used to mean every new
// finding in the digest, the terminal line and audit.md's headline, but
// the open ones only in audit.md's New findings section and the Summary
// sheet, so one run said "3 new" and "2 new". Every human-facing output
// now counts the new open findings, and says the excepted ones apart;
// findings.json keeps "new" (all of them) and adds "new_open".
func TestNewFindingsCountedAlikeEverywhere(t *testing.T) {
	dir := copySample(t)
	out := t.TempDir()
	run := func(asOf time.Time, excs []audit.Exception) *Result { return runDirAt(t, dir, out, asOf, excs) }
	run(time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC), nil)

	// Between runs, svc-new-etl appears in acme-prod as a copy of
	// svc-legacy-etl, with its three findings (access-key-not-rotated,
	// access-key-unused, user-inactive); an exception accepts one.
	prod := filepath.Join(dir, "222222222222.csv")
	data, err := os.ReadFile(prod)
	if err != nil {
		t.Fatal(err)
	}
	var added string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "svc-legacy-etl,") {
			added = strings.ReplaceAll(line, "svc-legacy-etl", "svc-new-etl")
		}
	}
	if added == "" {
		t.Fatal("the sample's acme-prod has no svc-legacy-etl")
	}
	if err := os.WriteFile(prod, []byte(strings.TrimRight(string(data), "\n")+"\n"+added+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	second := run(asOf, []audit.Exception{{Account: "222222222222", Principal: "svc-new-*", Check: audit.UserInactive,
		Reason: "decommissioned next week", Owner: "o", ApprovedBy: "a", Expires: asOf.AddDate(0, 1, 0), Source: "exceptions.yaml:2"}})

	s := second.Run.Summary
	if s.New != 3 || s.NewOpen != 2 {
		t.Fatalf("Summary new %d, new open %d; want 3 and 2", s.New, s.NewOpen)
	}

	var term bytes.Buffer
	second.WriteSummary(&term)
	if want := ": 2 new (and 1 excepted), 0 resolved\n"; !strings.Contains(term.String(), want) {
		t.Errorf("the terminal summary lacks %q:\n%s", want, term.String())
	}

	md, err := os.ReadFile(filepath.Join(second.Dir, "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"): **2 new** (and 1 excepted), **0 resolved**.",
		"2 new findings (and 1 excepted) and 0 resolved findings.",
		"2 new open findings, most severe first:",
		"1 new finding is covered by an exception",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("audit.md lacks %q", want)
		}
	}

	f, err := excelize.OpenFile(filepath.Join(second.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	sheetNew := ""
	for _, r := range rows {
		if len(r) > 3 && r[0] == "Total" {
			sheetNew = r[3]
		}
	}
	if sheetNew != "2" {
		t.Errorf("the Summary sheet's New total = %q, want 2", sheetNew)
	}

	doc, err := os.ReadFile(filepath.Join(second.Dir, "findings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Summary map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.Summary["new"] != 3.0 || parsed.Summary["new_open"] != 2.0 {
		t.Errorf("findings.json summary new %v, new_open %v; want 3 (every new finding) and 2 (open)", parsed.Summary["new"], parsed.Summary["new_open"])
	}

	var digest bytes.Buffer
	n, err := slack.New(&config.Slack{Channel: "#security", DryRun: config.DryRunText, MaxFindings: config.DefaultSlackMaxFindings},
		slack.Credentials{}, mustSlackTemplate(t), slog.New(slog.DiscardHandler), slack.WithOutput(&digest))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(context.Background(), second.Run, second.Location); err != nil {
		t.Fatal(err)
	}
	if want := "Since the last run: 2 new (and 1 excepted), 0 resolved"; !strings.Contains(digest.String(), want) {
		t.Errorf("the digest lacks %q:\n%s", want, digest.String())
	}
}

func mustSlackTemplate(t *testing.T) *template.Template {
	t.Helper()
	tmpl, err := slack.Template("")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}
