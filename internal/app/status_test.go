package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/xuri/excelize/v2"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/internal/s3test"
	"github.com/reporter-dev/reporter/result"
)

// cancellingSource cancels the run's context after n accounts, as a
// SIGTERM does: the dir source then stops between accounts.
type cancellingSource struct {
	collect.Source
	n      int
	cancel context.CancelFunc
}

func (s cancellingSource) Collect(ctx context.Context, sink func(collect.AccountResult) error) error {
	done := 0
	return s.Source.Collect(ctx, func(r collect.AccountResult) error {
		if err := sink(r); err != nil {
			return err
		}
		if done++; done == s.n {
			s.cancel()
		}
		return nil
	})
}

// rejectedSource fails before listing any account, as a source whose
// credentials are rejected does.
type rejectedSource struct{ collect.Source }

func (rejectedSource) Collect(context.Context, func(collect.AccountResult) error) error {
	return errors.New("sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid")
}

// historyCase is one bad second run between two good ones.
type historyCase struct {
	name string
	// second runs the second audit over the sample folder dir and
	// restores dir afterwards.
	second func(t *testing.T, dir string, opts Options) *Result
	// wantPrevious is the run the third run's Changes name: 1 or 2.
	wantPrevious int
	// failed: the second run is no audit result.
	failed      bool
	wantFailure string
}

var historyCases = []historyCase{
	{
		name: "one account's report unreadable",
		second: func(t *testing.T, dir string, opts Options) *Result {
			path := filepath.Join(dir, "444444444444.csv")
			data, _ := os.ReadFile(path)
			os.WriteFile(path, []byte("<html>503 Service Unavailable</html>"), 0o644)
			defer os.WriteFile(path, data, 0o644)
			return mustRun(t, context.Background(), opts)
		},
		wantPrevious: 2,
	},
	{
		name: "run interrupted after two accounts",
		second: func(t *testing.T, dir string, opts Options) *Result {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts.Source = cancellingSource{opts.Source, 2, cancel}
			return mustRun(t, ctx, opts)
		},
		wantPrevious: 1, failed: true, wantFailure: "Audit INCOMPLETE: collection stopped: context canceled",
	},
	{
		name: "credentials rejected",
		second: func(t *testing.T, dir string, opts Options) *Result {
			opts.Source = rejectedSource{opts.Source}
			return mustRun(t, context.Background(), opts)
		},
		wantPrevious: 1, failed: true, wantFailure: "Audit FAILED: no account could be audited: collection stopped: sts:GetCallerIdentity: InvalidClientTokenId",
	},
}

func mustRun(t *testing.T, ctx context.Context, opts Options) *Result {
	t.Helper()
	res, err := RunOnce(ctx, opts)
	if err != nil {
		t.Fatalf("RunOnce() = %v", err)
	}
	t.Cleanup(func() { res.Close() })
	return res
}

// TestHistorySurvivesABadRun: run 1 audits everything, run 2 goes wrong,
// run 3 audits everything again. Run 3 compares each account with the
// newest run that audited it, so acme-sandbox's findings keep the
// first_seen of run 1 and are persisting, not new; a run that is no
// audit result is never the previous run.
func TestHistorySurvivesABadRun(t *testing.T) {
	for _, tt := range historyCases {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			testHistory(t, tt, func() placement { return placement{OutDir: out} })
		})
	}
}

// placement says where a run of testHistory goes.
type placement struct {
	OutDir  string
	History history.Store // nil: the run folders under OutDir
	// deliver, when set, is called with the finished run (e.g. to archive it).
	deliver func(*testing.T, *Result)
}

// testHistory runs the three audits, each where place says.
func testHistory(t *testing.T, tt historyCase, place func() placement) {
	dir := copySample(t)
	run := func(n int, second bool) *Result {
		t.Helper()
		src, err := collect.NewDirSource(dir)
		if err != nil {
			t.Fatal(err)
		}
		opts := sampleOptions(t, src)
		where := place()
		opts.OutDir, opts.History = where.OutDir, where.History
		opts.AsOf = time.Date(2026, time.Month(8+n), 1, 6, 0, 0, 0, time.UTC)
		var res *Result
		if second {
			res = tt.second(t, dir, opts)
		} else {
			res = mustRun(t, context.Background(), opts)
		}
		if where.deliver != nil {
			where.deliver(t, res)
		}
		return res
	}
	first, second, third := run(1, false), run(2, true), run(3, false)

	if got := second.Failed(); got != tt.failed {
		t.Fatalf("second run Failed() = %t, want %t (status %q, error %q)", got, tt.failed, second.Run.Run.Status, second.Run.Run.Error)
	}
	if tt.failed {
		checkFailureLeads(t, second, tt.wantFailure)
	} else if second.Run.Run.Status != result.RunPartial {
		t.Errorf("second run status = %q, want partial", second.Run.Run.Status)
	}
	for _, r := range []*Result{first, third} {
		if r.Run.Run.Status != result.RunComplete || r.Failed() {
			t.Errorf("run %s status = %q, want complete", r.Run.Run.ID, r.Run.Run.Status)
		}
	}

	r := third.Run
	wantPrev := []*Result{first, second}[tt.wantPrevious-1].Run.Run.ID
	if r.Changes == nil || r.Changes.PreviousRunID != wantPrev {
		t.Fatalf("third run Changes = %+v, want the previous run %s", r.Changes, wantPrev)
	}
	var sandbox, fresh int
	firstIDs := map[audit.Key]string{}
	first.Run.EachFinding(func(f *audit.Finding) error {
		firstIDs[f.Key()] = f.ID
		return nil
	})
	// Every finding was first seen on 2026-09-01: as of 2026-11-01, the
	// open critical ones (due 09-08) are 54 days late, the high ones (due
	// 10-01) 31, the medium and low ones not yet due.
	wantLate := map[audit.Severity]int{audit.Critical: 54, audit.High: 31, audit.Medium: 0, audit.Low: 0}
	err := r.EachFinding(func(f *audit.Finding) error {
		if id, ok := firstIDs[f.Key()]; !ok || f.ID != id || f.ID != f.Key().ID() {
			t.Errorf("finding %s/%s/%s has the ID %q, want %q in run 1 and in run 3", f.AccountID, f.Principal, f.Check, f.ID, id)
		}
		wantDue := first.Run.Run.AsOf.Truncate(24*time.Hour).AddDate(0, 0, audit.DefaultSLA()[f.Severity])
		switch {
		case f.Open() && (!f.Due.Equal(wantDue) || f.OverdueDays != audit.DaysOf(wantLate[f.Severity])):
			t.Errorf("finding %s/%s/%s (%s) due %v, %+v days late; want %v, %d", f.AccountID, f.Principal, f.Check, f.Severity,
				f.Due, f.OverdueDays, wantDue, wantLate[f.Severity])
		case !f.Open() && (!f.Due.IsZero() || f.OverdueDays.Valid):
			t.Errorf("excepted finding %s/%s/%s has a due date", f.AccountID, f.Principal, f.Check)
		}
		if f.Remediation == "" {
			t.Errorf("finding %s/%s/%s has no remediation", f.AccountID, f.Principal, f.Check)
		}
		if f.Status == audit.StatusNew {
			fresh++
			t.Errorf("finding %s/%s/%s is new; nothing changed between run 1 and run 3", f.AccountID, f.Principal, f.Check)
		}
		if !f.FirstSeen.Equal(first.Run.Run.AsOf) {
			t.Errorf("finding %s/%s/%s first seen %s, want run 1's %s", f.AccountID, f.Principal, f.Check, f.FirstSeen, first.Run.Run.AsOf)
		}
		if f.AccountID == "444444444444" {
			sandbox++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sandbox == 0 {
		t.Fatal("acme-sandbox has no findings in run 3")
	}
	if len(r.Resolved) != 0 || r.Summary.New != 0 {
		t.Errorf("third run: %d resolved, %d new; want none", len(r.Resolved), r.Summary.New)
	}
	for _, a := range r.Accounts {
		want := wantPrev
		if a.ID == "444444444444" || (tt.failed && a.Status == result.StatusCollected) {
			want = first.Run.Run.ID
		}
		if a.PreviousRunID != want {
			t.Errorf("account %s compared with %q, want %q", a.ID, a.PreviousRunID, want)
		}
	}
	if tt.wantPrevious == 2 {
		// acme-sandbox failed in run 2 and is back: recovered.
		if len(r.Changes.RecoveredAccounts) != 1 || r.Changes.RecoveredAccounts[0].ID != "444444444444" {
			t.Errorf("RecoveredAccounts = %+v, want acme-sandbox", r.Changes.RecoveredAccounts)
		}
	}
	// The trend keeps the bad run, marked when it is no audit result.
	if len(r.Trend) != 3 || r.Trend[1].RunID != second.Run.Run.ID || r.Trend[1].Failed != tt.failed {
		t.Errorf("Trend = %+v, want run 2 marked failed=%t", r.Trend, tt.failed)
	}
	doc, _ := os.ReadFile(filepath.Join(third.Dir, "findings.json"))
	if !strings.Contains(string(doc), `"first_seen": "2026-09-01T06:00:00Z"`) || strings.Contains(string(doc), `"status": "new"`) {
		t.Errorf("run 3's findings.json does not carry run 1's first_seen")
	}
}

// checkFailureLeads checks that every report of a failed run leads with
// its failure and never reads as all clear.
func checkFailureLeads(t *testing.T, res *Result, want string) {
	t.Helper()
	failure := res.Run.Failure()
	if !strings.HasPrefix(failure, want) {
		t.Errorf("Failure() = %q, want it to start with %q", failure, want)
	}
	md, _ := os.ReadFile(filepath.Join(res.Dir, "audit.md"))
	lines := strings.Split(string(md), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[2], "> **"+want) {
		t.Errorf("audit.md does not lead with %q:\n%s", want, strings.Join(lines[:min(6, len(lines))], "\n"))
	}
	if strings.Contains(string(md), "No open findings.") {
		t.Errorf("audit.md of a failed run says \"No open findings.\"")
	}
	f, err := excelize.OpenFile(filepath.Join(res.Dir, "audit.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := f.GetCellValue("Summary", "A2"); got != failure {
		t.Errorf("Summary!A2 = %q, want %q", got, failure)
	}
	last := fmt.Sprintf("A%d", len(res.Run.Trend)+1) // this run, after the header and earlier runs
	if got, _ := f.GetCellValue("Trend", last); got != res.Run.Run.ID+" (FAILED)" {
		t.Errorf("Trend!%s = %q, want this run marked (FAILED)", last, got)
	}
	doc, _ := os.ReadFile(filepath.Join(res.Dir, "findings.json"))
	man, err := runfolder.ReadManifest(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"status": "incomplete"`) && res.Run.Run.Status == result.RunIncomplete {
		t.Errorf("findings.json lacks run.status incomplete")
	}
	if man.Status != res.Run.Run.Status || !man.Failed() {
		t.Errorf("manifest status = %q (failed %t), want %q and failed", man.Status, man.Failed(), res.Run.Run.Status)
	}
}

// TestRunOnceNoAccountAudited: a run whose every account failed on its
// own is partial, and still no audit result.
func TestRunOnceNoAccountAudited(t *testing.T) {
	dir := t.TempDir()
	for _, id := range []string{"111111111111", "222222222222"} {
		os.WriteFile(filepath.Join(dir, id+".csv"), []byte("not,a,credential,report\n"), 0o644)
	}
	src, err := collect.NewDirSource(dir)
	if err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, context.Background(), sampleOptions(t, src))
	if res.Run.Run.Status != result.RunPartial || !res.Failed() {
		t.Fatalf("status %q failed %t, want partial and failed", res.Run.Run.Status, res.Failed())
	}
	checkFailureLeads(t, res, "Audit FAILED: no account could be audited: all 2 accounts failed.")
}

// brokenSet is a FindingSet that cannot be read.
type brokenSet struct{ result.FindingSet }

func (brokenSet) Update(func([]audit.Finding) error) error { return errors.New("disk gone") }

// TestCompareWithHistoryNoPreviousRunStoreFails: with no previous run and
// a findings store that fails, the comparison logs the error instead of
// dereferencing the missing previous run (it used to panic).
func TestCompareWithHistoryNoPreviousRunStoreFails(t *testing.T) {
	out := t.TempDir()
	store, err := findingstore.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	run := &result.Run{Run: result.RunInfo{ID: "r", AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		Findings: brokenSet{store}}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	compareWithHistory(context.Background(), log, Options{OutDir: out, History: history.Local{Root: out}}, run, audit.DefaultSLA())
	if !strings.Contains(logs.String(), "disk gone") {
		t.Errorf("the store's failure is not logged:\n%s", logs.String())
	}
}

// TestHistorySurvivesABadRunS3 is TestHistorySurvivesABadRun with the
// history read from the S3 archive (versitygw) only: every run writes to
// a new local folder and is archived, so only the archive remembers.
func TestHistorySurvivesABadRunS3(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit", false)
	for i, tt := range historyCases {
		t.Run(tt.name, func(t *testing.T) {
			c := config.DefaultS3()
			c.Bucket, c.Prefix = "audit", fmt.Sprintf("history-%d", i)
			c.Endpoint, c.PathStyle, c.Region = srv.URL, true, s3test.Region
			a, err := archive.Open(context.Background(), c, archive.Options{
				Out: t.TempDir(),
				AWS: []func(*awsconfig.LoadOptions) error{
					awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")),
					awsconfig.WithSharedConfigFiles([]string{filepath.Join(t.TempDir(), "none")}),
					awsconfig.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			testHistory(t, tt, func() placement {
				return placement{
					OutDir: t.TempDir(), History: archive.History{Archiver: a},
					deliver: func(t *testing.T, res *Result) {
						if _, err := a.Archive(context.Background(), res.Dir, res.Run); err != nil {
							t.Fatalf("Archive(%s) = %v", res.Run.Run.ID, err)
						}
					},
				}
			})
		})
	}
}

// TestHistoryOutageS3: the second run's history is listed, but S3
// refuses (503, after every retry) every download of findings.json, and
// the run's local folders do not have the earlier runs. The second run
// is not compared with nothing as if it were the first: it is marked
// incomplete (never a baseline, exit status 6), its reports lead with
// the outage, and the third run compares with the first, every finding
// keeping run 1's first_seen.
func TestHistoryOutageS3(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "audit", true)
	c := config.DefaultS3()
	c.Bucket, c.Prefix = "audit", "outage"
	c.Endpoint, c.PathStyle, c.Region = srv.URL, true, s3test.Region
	a, err := archive.Open(context.Background(), c, archive.Options{
		Out: t.TempDir(), Retry: archive.Retry{Attempts: 2},
		AWS: []func(*awsconfig.LoadOptions) error{
			awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")),
			awsconfig.WithSharedConfigFiles([]string{filepath.Join(t.TempDir(), "none")}),
			awsconfig.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tt := historyCase{
		name: "S3 refuses the earlier runs' findings.json",
		second: func(t *testing.T, dir string, opts Options) *Result {
			srv.Refuse(func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/findings.json")
			})
			defer srv.Refuse(nil)
			res := mustRun(t, context.Background(), opts)
			res.Run.EachFinding(func(f *audit.Finding) error {
				if f.Status != audit.StatusNew || !f.FirstSeen.Equal(opts.AsOf) {
					t.Errorf("second run: finding %s/%s/%s %s first seen %s; want new, first seen now (nothing compared)",
						f.AccountID, f.Principal, f.Check, f.Status, f.FirstSeen)
				}
				return nil
			})
			for _, want := range []string{"earlier run ", "could not be read", "the store is unavailable", "503", "will not be the baseline"} {
				if !strings.Contains(res.Run.Run.Error, want) {
					t.Errorf("second run's error lacks %q: %s", want, res.Run.Run.Error)
				}
			}
			return res
		},
		wantPrevious: 1, failed: true,
		wantFailure: "Audit INCOMPLETE: " + result.NotCompared + ": every finding is reported as new",
	}
	// The second run also has an account fail: its status must not hide
	// the outage (incomplete beats partial).
	second := tt.second
	tt.second = func(t *testing.T, dir string, opts Options) *Result {
		path := filepath.Join(dir, "444444444444.csv")
		data, _ := os.ReadFile(path)
		os.WriteFile(path, []byte("<html>503 Service Unavailable</html>"), 0o644)
		defer os.WriteFile(path, data, 0o644)
		return second(t, dir, opts)
	}
	testHistory(t, tt, func() placement {
		return placement{
			OutDir: t.TempDir(), History: &history.Union{Stores: []history.Store{archive.History{Archiver: a}, history.Local{Root: t.TempDir()}}},
			deliver: func(t *testing.T, res *Result) {
				if _, err := a.Archive(context.Background(), res.Dir, res.Run); err != nil {
					t.Fatalf("Archive(%s) = %v", res.Run.Run.ID, err)
				}
			},
		}
	})
}
