package xlsx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/result"
)

// bidiControls are the characters that reorder the text shown around
// them: embeddings, overrides, isolates and marks.
const bidiControls = "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C"

// TestWorkbookNeutralisesBidiControls: text from AWS or an input file
// reaches every sheet as audit.md and the Slack digest show it: a
// bidirectional control (the "Trojan Source" characters) or another
// control character becomes U+FFFD, so that "acme-prod" spelled with a
// right-to-left override cannot read as another account. Our own line
// breaks stay.
func TestWorkbookNeutralisesBidiControls(t *testing.T) {
	asOf := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	// Shown, the override reverses what follows: "acme-prod‮dorp-emca"
	// reads as "acme-prodacme-prod", another account.
	hostile := "acme-prod\u202Edorp-emca"
	failedName := "\u2066evil\u2069 \u200Fname\x1b[31m"
	user := "alice\u202Eecila"
	findings := []audit.Finding{
		{AccountID: "111111111111", AccountName: hostile, Principal: user, Check: audit.UserInactive,
			Severity: audit.Medium, Credential: "user", AgeDays: audit.DaysOf(120), Detail: "detail\u2067x",
			Status: audit.StatusNew, FirstSeen: asOf, Owner: "owner\u202Dx"},
		{AccountID: "111111111111", AccountName: hostile, Principal: "bob", Check: audit.AccessKeyNotRotated,
			Severity: audit.Medium, Credential: "access_key_1", AgeDays: audit.DaysOf(120), Detail: "key",
			Exception: &audit.Exception{Reason: "vendor\u202Ereason", Owner: "team", ApprovedBy: "ciso\u200E",
				Expires: asOf.AddDate(0, 1, 0), Source: "exceptions.yaml:3"}},
	}
	run := &result.Run{
		Run: result.RunInfo{ID: "20261101T060000Z", AsOf: asOf, StartedAt: asOf, FinishedAt: asOf, Version: "test",
			UnusedFiles: []result.UnusedFile{{Name: "notes\u202Etxt.exe", Reason: "unknown file name"}}},
		Accounts: []result.Account{
			{ID: "111111111111", Name: hostile, Status: result.StatusCollected, Users: 2, PasswordPolicy: "present",
				Tags: map[string]string{"team": "pay\u202Ements"}},
			{ID: "222222222222", Name: failedName, Status: result.StatusFailed, Error: "credential report line 3: \u202Eerror"},
		},
		Findings: result.Findings(findings),
	}
	run.SetStatus()
	if err := run.Summarize(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	report := filepath.Join(dir, "111111111111.csv")
	fields := map[string]string{"user": user, "arn": "arn:aws:iam::111111111111:user/alice",
		"access_key_1_last_used_region": "us-east-1\u2068"}
	var header, rec []string
	for _, c := range credreport.Columns {
		header = append(header, c)
		v, ok := fields[c]
		if !ok {
			v = "N/A"
		}
		rec = append(rec, v)
	}
	if err := os.WriteFile(report, []byte(strings.Join(header, ",")+"\n"+strings.Join(rec, ",")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "audit.xlsx")
	evidence := []Evidence{{AccountID: "111111111111", AccountName: hostile, Path: report, Rows: 1}}
	if err := Write(path, run, evidence, Options{TmpDir: dir}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	shown := map[string]bool{}
	lineBreaks := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			for j, cell := range row {
				if k := strings.IndexFunc(cell, func(r rune) bool {
					return strings.ContainsRune(bidiControls, r) || (r < ' ' && r != '\n') || r == 0x7f
				}); k >= 0 {
					ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
					t.Errorf("%s!%s = %q holds the control %U", sheet, ref, cell, []rune(cell[k:])[0])
				}
				lineBreaks += strings.Count(cell, "\n")
				shown[cell] = true
			}
		}
	}
	for _, want := range []string{
		"acme-prod\uFFFDdorp-emca",              // Findings, Accounts, Credentials
		"alice\uFFFDecila",                      // a principal, a credential report's user
		"\uFFFDevil\uFFFD \uFFFDname\uFFFD[31m", // a failed account's name, ESC included
		"us-east-1\uFFFD",                       // a credential report field
	} {
		if !shown[want] {
			t.Errorf("no cell shows %q", want)
		}
	}
	if lineBreaks == 0 {
		t.Errorf("no cell keeps a line break: the workbook's own multi-line texts were flattened")
	}
}
