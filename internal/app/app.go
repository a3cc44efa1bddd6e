// Package app runs one audit end to end: it collects every account from a
// Source, evaluates the checks, writes the run folder (evidence first,
// manifest last), then hands the finished run to archivers and notifiers.
//
// It never touches signals, flags or the process exit status, so it can be
// embedded in tests and in the scheduler.
package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"text/template"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/credreport"
	"github.com/reporter-dev/reporter/collect/passwordpolicy"
	"github.com/reporter-dev/reporter/compare"
	"github.com/reporter-dev/reporter/exceptions"
	"github.com/reporter-dev/reporter/internal/findingstore"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/internal/perm"
	"github.com/reporter-dev/reporter/internal/runfolder"
	"github.com/reporter-dev/reporter/report/jsonfile"
	"github.com/reporter-dev/reporter/report/markdown"
	"github.com/reporter-dev/reporter/report/xlsx"
	"github.com/reporter-dev/reporter/result"
)

// Options configure one run.
type Options struct {
	Source collect.Source
	// OutDir is the root of the local run folders: OutDir/YYYY/MM/RUN-ID.
	OutDir string
	// AsOf is the run's "now" for every check; zero means the start of the run.
	AsOf       time.Time
	Thresholds audit.Thresholds
	// SLA is the days an open finding of each severity may stay open
	// before it is overdue; nil means audit.DefaultSLA.
	SLA     audit.SLA
	Version string
	// TemplateDir overrides the built-in report templates when set.
	TemplateDir string
	Logger      *slog.Logger
	// Clock returns the wall-clock time for started/finished stamps;
	// nil means time.Now. Checks never read it.
	Clock func() time.Time
	// Workbook tunes audit.xlsx.
	Workbook xlsx.Options
	// Exceptions are the accepted risks to apply.
	Exceptions []audit.Exception
	// History finds earlier runs for run-over-run changes and the trend;
	// nil means the run folders under OutDir.
	History history.Store
	// Progress, when set, is told after each account how many are done
	// and, when the source knows it, how many there are (else 0).
	Progress func(done, total int)
	// Teams, when set, names the teams that get their own audit.xlsx and
	// audit.md in teams/<folder>/ (see Team).
	Teams TeamsFunc
	// Owners say where the owners of findings come from.
	Owners OwnerOptions
}

// TrendRuns is how many runs, this one included, the trend chart shows.
const TrendRuns = 12

// Result is the outcome of a run.
type Result struct {
	// Dir is the run folder.
	Dir string
	Run *result.Run
	// Location is where the run was delivered; set by Deliver.
	Location result.Location
	// DeliveryErr holds archive and notification failures; set by Deliver.
	DeliveryErr error
	// ArchiveFailed and FailedNotifiers say which deliveries failed.
	ArchiveFailed   bool
	FailedNotifiers []string
	// Timings says how long each phase of RunOnce took.
	Timings []Timing
	// store holds the run's findings on disk until Close.
	store *findingstore.Store
}

// Close releases the run's findings (kept on disk while the run is
// rendered and delivered). Run's findings cannot be read afterwards; the
// run folder is untouched.
func (r *Result) Close() error {
	if r == nil || r.store == nil {
		return nil
	}
	return r.store.Close()
}

// Timing is the duration of one phase of a run.
type Timing struct {
	Phase    string
	Duration time.Duration
}

// Partial reports whether some accounts could not be audited, the run
// stopped early, or some teams' own files could not be written.
func (r *Result) Partial() bool {
	return r.Run.Summary.AccountsFailed > 0 || r.Run.Run.Error != "" || len(r.Run.Run.TeamFailures) > 0
}

// Failed reports whether the run is no audit result: it is incomplete
// (interrupted, or the source failed before or while listing accounts),
// or it audited no account.
func (r *Result) Failed() bool { return r.Run.Failed() }

// RunOnce performs one audit and writes its run folder. It returns an
// error only when the run folder could not be written completely; failed
// accounts and a source that stopped early are recorded in the result.
func RunOnce(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	tmpl, err := markdown.Templates(opts.TemplateDir)
	if err != nil {
		return nil, err
	}
	started := clock().UTC()
	asOf := opts.AsOf.UTC()
	if asOf.IsZero() {
		asOf = started.Truncate(time.Second)
	}
	sla := opts.SLA
	if sla == nil {
		sla = audit.DefaultSLA()
	}
	if err := sla.Validate(); err != nil {
		return nil, err
	}
	dir, runID, err := runfolder.Create(opts.OutDir, asOf)
	if err != nil {
		return nil, err
	}
	if err := perm.Mkdir(filepath.Join(dir, "evidence")); err != nil {
		return nil, err
	}
	log = log.With("run_id", runID)
	log.Info("audit started", "source", opts.Source.Name(), "as_of", asOf.Format(time.RFC3339), "dir", dir)

	// Findings go to disk one account at a time, so memory does not grow
	// with the organization.
	store, err := findingstore.Create(opts.OutDir)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", runID, err)
	}
	run := &result.Run{Run: result.RunInfo{
		ID: runID, AsOf: asOf, StartedAt: started, Version: opts.Version,
		Source: opts.Source.Name(), Thresholds: opts.Thresholds, SLADays: sla, Checks: audit.Applied(opts.Thresholds),
	}, Findings: store}
	a := auditor{
		dir: dir, log: log, run: run, store: store,
		eval:       audit.Evaluator{Thresholds: opts.Thresholds, AsOf: asOf},
		exceptions: exceptions.NewApplier(opts.Exceptions, asOf),
		ownerOpts:  &opts.Owners,
	}
	if sel, ok := opts.Source.(collect.UserSelector); ok && len(opts.Owners.TagKeys) > 0 {
		sel.SelectUsers(usersWithFindings(a.eval))
	}
	sink := a.account
	if opts.Progress != nil {
		done := 0
		sink = func(res collect.AccountResult) error {
			err := a.account(res)
			done++
			total := 0
			if c, ok := opts.Source.(collect.Counter); ok {
				total = c.Expected()
			}
			opts.Progress(done, total)
			return err
		}
	}
	phase := time.Now()
	var timings []Timing
	lap := func(name string) {
		now := time.Now()
		timings = append(timings, Timing{name, now.Sub(phase)})
		phase = now
	}
	if err := opts.Source.Collect(collect.WithAsOf(ctx, asOf), sink); err != nil {
		run.Run.Error = fmt.Sprintf("collection stopped: %v", err)
		log.Error("collection stopped", "err", err)
	} else if ctx.Err() != nil {
		// A source that ends quietly when cancelled still did not finish.
		run.Run.Error = fmt.Sprintf("collection interrupted: %v", context.Cause(ctx))
		log.Error("collection interrupted", "err", context.Cause(ctx))
	}
	run.Run.UnusedFiles = unusedFiles(log, opts.Source)
	if a.storeErr != nil {
		store.Close()
		return nil, fmt.Errorf("run %s: %w (the run folder %s has no manifest and is incomplete)", runID, a.storeErr, dir)
	}
	lap("collect, parse and evaluate")
	sort.SliceStable(run.Accounts, func(i, j int) bool { return run.Accounts[i].ID < run.Accounts[j].ID })
	run.Exceptions = a.exceptions.Uses()
	// An interrupted run still reports what it audited against its
	// history, within a short time of its own.
	hctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), historyAfterCancel)
		defer cancel()
	}
	run.SetStatus()
	compareWithHistory(hctx, log, opts, run, sla)
	run.Run.FinishedAt = clock().UTC()
	lap("exceptions and history")

	res := &Result{Dir: dir, Run: run, Timings: timings, store: store}
	wb := opts.Workbook
	if wb.TmpDir == "" {
		wb.TmpDir = opts.OutDir
	}
	var teams []Team
	if opts.Teams != nil {
		teams = opts.Teams(run)
	}
	if err := writeReports(log, dir, run, a.evidence, teams, tmpl, wb, lap); err != nil {
		res.Timings = timings
		return res, fmt.Errorf("run %s: %w (the run folder %s has no manifest and is incomplete)", runID, err, dir)
	}
	res.Timings = timings
	audited, expected := run.Summary.Coverage()
	if failure := run.Failure(); failure != "" {
		log.Error("audit failed", "status", run.Run.Status, "failure", failure)
	}
	log.Info("audit finished", "status", run.Run.Status, "audited", audited, "expected", expected,
		"failed", run.Summary.AccountsFailed, "skipped", run.Summary.AccountsSkipped,
		"findings", run.Summary.Findings, "dir", dir)
	return res, nil
}

// unusedFiles logs and returns the files the source found but did not read.
func unusedFiles(log *slog.Logger, src collect.Source) []result.UnusedFile {
	lister, ok := src.(collect.UnusedLister)
	if !ok {
		return nil
	}
	var out []result.UnusedFile
	for _, f := range lister.UnusedFiles() {
		log.Warn("file not used", "file", f.Name, "reason", f.Reason)
		out = append(out, result.UnusedFile{Name: f.Name, Reason: f.Reason})
	}
	return out
}

// historyAfterCancel bounds the history reads of a run whose context
// was cancelled (SIGTERM): it still compares what it audited.
const historyAfterCancel = 30 * time.Second

// compareWithHistory marks findings new, persisting or resolved, each
// account against the newest earlier run that audited it, and adds the
// trend of earlier runs. When the earlier runs cannot be read (the
// history cannot be listed, or an earlier run cannot be read because its
// store is unavailable: see history.Baselines), or are not comparable,
// every finding is marked new, with its due date from now, and the run
// is marked incomplete (result.NotCompared), so that it is never the
// baseline of a later run and exits with the audit's failure.
//
// Each finding's due date and lateness (audit.SLA.SetDue) are set in the
// comparison's own pass, once its FirstSeen is known; a resolved
// finding is given its ID and cleared of its fix and due date
// (audit.SLA.SetActionable). Current findings got their ID, remediation
// and owner before they were stored (auditor.account).
func compareWithHistory(ctx context.Context, log *slog.Logger, opts Options, run *result.Run, sla audit.SLA) {
	store := opts.History
	if store == nil {
		store = history.Local{Root: opts.OutDir}
	}
	need := history.Need{Accounts: map[string]bool{}}
	notRun := map[string][]audit.NotRun{}
	for _, a := range run.Accounts {
		if a.Status == result.StatusCollected {
			need.Accounts[a.ID] = true
			notRun[a.ID] = a.ChecksNotRun
		}
	}
	applied := map[string]bool{}
	for _, c := range run.Run.Checks {
		applied[c.ID] = true
	}
	need.Judges = func(account, check string) bool {
		return applied[check] && audit.JudgedAnything(notRun[account], check)
	}
	// Temporary files go beside the run folders, which are known to be
	// writable (a container's root file system may not be) and large.
	earlier, historyErr := history.Baselines(ctx, store, log, run.Run.AsOf, run.Run.ID, need, opts.OutDir)
	if historyErr != nil {
		log.Error("previous runs unavailable; every finding is reported as new", "err", historyErr)
	}
	var docs []io.Reader
	for _, f := range earlier {
		defer f.Close()
		rd, err := f.Reader()
		if err != nil {
			log.Error("earlier run unreadable; every finding is reported as new", "run", f.RunID, "err", err)
			historyErr = fmt.Errorf("earlier run %s: %w", f.RunID, err)
			docs = nil
			break
		}
		docs = append(docs, rd)
	}
	asOf := run.Run.AsOf
	actionable := func(f *audit.Finding) {
		if f.Status == audit.StatusResolved {
			sla.SetActionable(f, asOf)
			return
		}
		sla.SetDue(f, asOf)
	}
	if err := compare.RunsThen(run, actionable, docs...); err != nil {
		if len(docs) > 0 {
			log.Error("earlier runs not comparable; every finding is reported as new", "run", earlier[0].RunID, "err", err)
			historyErr = fmt.Errorf("earlier run %s not comparable: %w", earlier[0].RunID, err)
		} else {
			log.Warn("findings not marked new", "err", err)
		}
	}
	if historyErr != nil {
		// Findings reported new for want of their history must not
		// become the history of the next run: the run is incomplete, so
		// it is never a baseline, and exits with the audit's failure.
		log.Error("findings not compared with earlier runs; the run is marked incomplete and will not be the baseline of a later run", "err", historyErr)
		run.Run.Error = joinRunErrors(run.Run.Error, result.NotCompared+": every finding is reported as new and first seen now, and this run will not be the baseline of a later one: "+historyErr.Error())
		run.SetStatus()
	}
	runs, err := store.Runs(ctx)
	if err != nil {
		runs = nil
	}
	run.Trend = history.Trend(runs, run, TrendRuns)
}

// joinRunErrors appends why to a run's error, if it has one.
func joinRunErrors(runErr, why string) string {
	if runErr == "" {
		return why
	}
	return runErr + "; " + why
}

// auditor receives accounts from the source one at a time.
type auditor struct {
	dir        string
	log        *slog.Logger
	run        *result.Run
	eval       audit.Evaluator
	evidence   []xlsx.Evidence
	exceptions *exceptions.Applier
	store      *findingstore.Store
	// findings is the current account's findings, reused.
	findings []audit.Finding
	// storeErr is the first failure to store findings; it ends the run.
	storeErr error
	// ownerOpts says what names the owners of findings.
	ownerOpts *OwnerOptions
}

// account stores one account's evidence and evaluates it.
func (a *auditor) account(res collect.AccountResult) error {
	acct := result.Account{
		ID: res.Account.ID, Name: res.Account.Name, Status: string(res.Status),
		PasswordPolicy: res.Policy.State.String(),
		OUs:            res.Account.OUs, Tags: res.Account.Tags,
	}
	if !res.ReportGeneratedAt.IsZero() {
		t := res.ReportGeneratedAt.UTC()
		acct.ReportGeneratedAt = &t
	}
	if res.Report != nil {
		path := filepath.Join(a.dir, "evidence", res.Account.ID+".csv")
		if err := perm.WriteFile(path, res.Report); err != nil {
			return fmt.Errorf("save evidence of account %s: %w", res.Account.ID, err)
		}
		if res.Status == collect.Collected {
			a.evidence = append(a.evidence, xlsx.Evidence{AccountID: res.Account.ID, AccountName: res.Account.Name, Path: path})
		}
	}
	if doc := passwordpolicy.MarshalCLIOutput(res.Policy); doc != nil {
		path := filepath.Join(a.dir, "evidence", res.Account.ID+".password-policy.json")
		if err := perm.WriteFile(path, doc); err != nil {
			return fmt.Errorf("save password policy of account %s: %w", res.Account.ID, err)
		}
	}

	for _, f := range res.Posture.Evidence {
		path := filepath.Join(a.dir, "evidence", filepath.Base(f.Name))
		if err := perm.WriteFile(path, f.Data); err != nil {
			return fmt.Errorf("save evidence of account %s: %w", res.Account.ID, err)
		}
	}

	findings := a.findings[:0]
	var ev evaluation
	if res.Status == collect.Collected {
		var err error
		findings, ev, err = a.evaluate(findings, &res)
		acct.Users, acct.ChecksNotRun = ev.users, ev.notRun
		if n := len(a.evidence); err == nil && n > 0 && a.evidence[n-1].AccountID == acct.ID {
			a.evidence[n-1].Rows = ev.rows
		} else if err != nil {
			res.Status, res.Err = collect.Failed, err
			acct.Status = string(collect.Failed)
			findings, ev.unused = findings[:0], nil
			a.evidence = a.evidence[:len(a.evidence)-1]
		}
	}
	a.exceptions.Apply(findings)
	// What depends on the finding and its account alone is set before
	// it is stored, so that no later pass rewrites the store for it.
	owners := ownersOf(findings, &res, &acct, a.ownerOpts)
	for i := range findings {
		assignOwner(&findings[i], owners)
		audit.Identify(&findings[i])
	}
	if n, ok := ownerLookupNotRun(&res.UserTags); ok && res.Status == collect.Collected {
		acct.ChecksNotRun = append(acct.ChecksNotRun, n)
	}
	if err := a.saveUnusedAccess(acct.ID, findings, ev.unused); err != nil {
		return err
	}
	if err := a.store.Add(findings); err != nil {
		a.storeErr = fmt.Errorf("store findings of account %s: %w", acct.ID, err)
		return a.storeErr
	}
	a.findings = findings[:0]
	if res.Err != nil {
		acct.Error = res.Err.Error()
	}
	a.run.Accounts = append(a.run.Accounts, acct)

	log := a.log.With("account", acct.ID, "name", acct.Name, "status", acct.Status, "duration_ms", res.Duration.Milliseconds())
	switch res.Status {
	case collect.Collected:
		log.Info("account audited", "users", acct.Users, "findings", len(findings))
		for _, n := range acct.ChecksNotRun {
			if n.Failed {
				log.Warn("checks not run", "checks", n.Checks, "reason", n.Reason)
			} else {
				log.Info("checks not run", "checks", n.Checks, "reason", n.Reason)
			}
		}
	case collect.Skipped:
		log.Info("account skipped", "reason", acct.Error)
	default:
		log.Warn("account failed", "err", acct.Error)
	}
	return nil
}

// evaluate parses the account's report, applies every check and appends
// the findings to findings. It also returns the report's users (root
// excluded) and rows, and the checks that could not run. On error the
// returned slice is to be ignored. The posture inputs are evaluated here
// and released with res: none is kept for the run.
func (a *auditor) evaluate(findings []audit.Finding, res *collect.AccountResult) ([]audit.Finding, evaluation, error) {
	acct := audit.Account{ID: res.Account.ID, Name: res.Account.Name}
	rd, err := credreport.NewReader(bytes.NewReader(res.Report), res.Account.ID)
	if err != nil {
		return findings, evaluation{}, err
	}
	var ev evaluation
	var root audit.Root
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return findings, evaluation{}, err
		}
		ev.rows++
		if row.IsRoot() {
			root = audit.RootOf(&row)
		} else {
			ev.users++
		}
		findings = a.eval.AppendRow(findings, acct, &row)
	}
	findings = a.eval.AppendPolicy(findings, acct, res.Policy)
	findings, ev.notRun = a.eval.AppendPosture(findings, acct, root, &res.Posture)
	var notRun []audit.NotRun
	findings, notRun, ev.unused = a.eval.AppendUnusedServices(findings, acct, &res.Posture)
	ev.notRun = append(ev.notRun, notRun...)
	return findings, ev, nil
}

// evaluation is what evaluating one account's inputs gives besides its
// findings.
type evaluation struct {
	users, rows int // report rows, and the users among them (root excluded)
	notRun      []audit.NotRun
	unused      []audit.UnusedAccess // the unused-services findings' services
}

// writeReports writes each team's files, findings.json, audit.md and
// audit.xlsx, then the manifest last. A team whose files fail is recorded
// in run.Run.TeamFailures (and logged); the rest is written.
func writeReports(log *slog.Logger, dir string, run *result.Run, evidence []xlsx.Evidence, teams []Team, tmpl *template.Template, wb xlsx.Options, lap func(string)) error {
	// The files written here are hashed as they are written, for the
	// manifest, instead of read again (findings.json is most of the run
	// folder).
	hashed := map[string]runfolder.ManifestFile{}
	write := func(name string, render func(io.Writer) error) error {
		f, err := perm.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		hw := runfolder.NewHashWriter(f)
		w := bufio.NewWriterSize(hw, 1<<20)
		if err := render(w); err != nil {
			f.Close()
			return fmt.Errorf("render %s: %w", name, err)
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		path := filepath.ToSlash(name)
		hashed[path] = hw.Entry(path)
		return nil
	}
	// The teams' files come first, so that the run's own reports can name
	// the teams whose files could not be written.
	if len(teams) > 0 {
		failures, err := writeTeamReports(dir, run, teams, evidence, tmpl, wb, write)
		for _, f := range failures {
			log.Error("team files not written; the run goes on without them", "team", f.Team, "folder", f.Folder, "err", f.Error)
		}
		run.Run.TeamFailures = failures
		if err != nil {
			return err
		}
		lap("team files")
	}
	if err := write("findings.json", func(w io.Writer) error { return jsonfile.Write(w, run) }); err != nil {
		return err
	}
	lap("findings.json")
	if err := write("audit.md", func(w io.Writer) error {
		return markdown.Write(w, tmpl, run, markdown.DefaultLimits)
	}); err != nil {
		return err
	}
	lap("audit.md")
	if err := xlsx.Write(filepath.Join(dir, "audit.xlsx"), run, evidence, wb); err != nil {
		return fmt.Errorf("render audit.xlsx: %w", err)
	}
	lap("audit.xlsx")
	files, err := runfolder.BuildManifestWith(dir, hashed)
	if err != nil {
		return fmt.Errorf("build manifest: %w", err)
	}
	summary := run.Summary
	err = runfolder.WriteManifest(dir, &runfolder.Manifest{
		RunID: run.Run.ID, AsOf: run.Run.AsOf, Version: run.Run.Version, Status: run.Run.Status, Summary: &summary, Files: files,
	})
	lap("manifest.json")
	return err
}
