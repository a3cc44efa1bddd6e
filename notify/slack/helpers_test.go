package slack

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/notify"
	"github.com/reporter-dev/reporter/result"
)

var update = flag.Bool("update", false, "update golden files")

// sampleRun audits the built-in sample organization into a temporary run
// folder, with a fixed clock so the run is the same every time.
func sampleRun(t *testing.T) (*result.Run, string) {
	t.Helper()
	now := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	res, err := app.RunOnce(context.Background(), app.Options{
		Source: sample.NewSource(), OutDir: t.TempDir(), AsOf: sample.AsOf,
		Thresholds: audit.DefaultThresholds(), Version: "test",
		Clock: func() time.Time { now = now.Add(time.Second); return now },
	})
	if err != nil {
		t.Fatalf("RunOnce(sample) = %v", err)
	}
	return res.Run, res.Dir
}

func builtinTemplate(t *testing.T) *template.Template {
	t.Helper()
	tmpl, err := Template("")
	if err != nil {
		t.Fatalf("Template(\"\") = %v", err)
	}
	return tmpl
}

// sleeps records the waits of a retrier instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// testNotifier builds a notifier whose retries do not sleep and whose log
// goes to the returned buffer (debug level, so nothing is hidden).
func testNotifier(t *testing.T, cfg config.Slack, creds Credentials, opts ...Option) (*Notifier, *bytes.Buffer, *sleeps) {
	t.Helper()
	var logs bytes.Buffer
	sl := &sleeps{}
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]Option{WithRetrier(notify.Retrier{Attempts: 3, Sleep: sl.sleep}), WithOutput(&bytes.Buffer{})}, opts...)
	n, err := New(&cfg, creds, builtinTemplate(t), log, opts...)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return n, &logs, sl
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./notify/slack -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./notify/slack -update and review the diff\n--- got:\n%s", name, got)
	}
}

// synthRun builds a run of n accounts with perAccount findings each (a mix
// of severities) and the given number of failed accounts. Account i gets
// OU ou-<i%3> and tag team=t<i%2>.
func synthRun(n, perAccount, failed int, name func(i int) string, errText string) *result.Run {
	run := &result.Run{Run: result.RunInfo{ID: "20261101T060000Z", AsOf: time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), Version: "test"}}
	var findings result.Findings
	sevChecks := []string{audit.RootAccessKeyActive, audit.ConsoleMFAMissing, audit.AccessKeyNotRotated, audit.MultipleActiveAccessKeys}
	for i := range n + failed {
		id := fmt.Sprintf("%012d", 100000000000+i)
		a := result.Account{
			ID: id, Name: name(i), Status: result.StatusCollected, Users: perAccount,
			OUs: []string{fmt.Sprintf("ou-%d", i%3)}, Tags: map[string]string{"team": fmt.Sprintf("t%d", i%2)},
		}
		if i >= n {
			a.Status, a.Error, a.Users = result.StatusFailed, errText, 0
			run.Accounts = append(run.Accounts, a)
			continue
		}
		run.Accounts = append(run.Accounts, a)
		for j := range perAccount {
			check := sevChecks[j%len(sevChecks)]
			c, _ := audit.LookupCheck(check)
			findings = append(findings, audit.Finding{
				AccountID: id, AccountName: a.Name, Principal: fmt.Sprintf("user-%04d-%s", j, strings.Repeat("x", 50)),
				Check: check, Severity: c.Severity, Credential: "access_key_1", AgeDays: audit.DaysOf(j * 7),
				Detail: "synthetic finding",
			})
			if j%3 == 0 { // an owner, and overdue, on a third of them
				f := &findings[len(findings)-1]
				f.Owner, f.OverdueDays = fmt.Sprintf("owner-%04d.%s@example.com", j, strings.Repeat("o", 40)), audit.DaysOf(j)
			}
		}
	}
	run.Findings = findings
	run.Summarize()
	return run
}

// docs are documentation links for some checks, standing in for the
// catalog's (audit.RemediationOf) in the digest tests.
var docs = map[string]string{
	audit.RootAccessKeyActive: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html",
	audit.ConsoleMFAMissing:   "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html",
}

// actionable gives the sample run's findings what the rest of issue 14
// fills in: owners (an email, a team name, and a hostile owner tag),
// overdue days, and documentation links for two checks (until the test
// ends).
func actionable(t *testing.T, run *result.Run) {
	t.Helper()
	was := checkDoc
	checkDoc = func(check string) string { return docs[check] }
	t.Cleanup(func() { checkDoc = was })
	err := run.FindingSet().Update(func(fs []audit.Finding) error {
		for i := range fs {
			f := &fs[i]
			switch {
			// Owners from the configuration (an exception, a route) are
			// looked up in Slack; owners from tags are not (see
			// TestMentionsOwnerSources).
			case f.Principal == "alice.chen":
				f.Owner, f.OwnerSource, f.OverdueDays = "alice.chen@acme.example", audit.OwnerFromException, audit.DaysOf(12)
			case f.Principal == "billing.viewer":
				f.Owner, f.OwnerSource, f.OverdueDays = "<!channel> <@U999> billing@acme.example", audit.OwnerFromUserTag+"owner", audit.DaysOf(1)
			case f.AccountID == "222222222222" && f.Check == audit.RootAccessKeyActive:
				f.Owner, f.OwnerSource, f.OverdueDays = "team-payments", audit.OwnerFromAccountTag+"team", audit.DaysOf(40)
			case f.Principal == "new.hire":
				f.Owner, f.OwnerSource, f.OverdueDays = "new.hire@acme.example", audit.OwnerFromRoute, audit.DaysOf(0)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("setting owners and overdue days: %v", err)
	}
}
