package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/config"
	"github.com/reporter-dev/reporter/internal/history"
	"github.com/reporter-dev/reporter/report"
)

// exitVerifyFailed: `archive verify` found a missing, extra or altered
// object.
const exitVerifyFailed = 5

// archiveRetry governs the archive's S3 retries; tests shorten it.
var archiveRetry = archive.DefaultRetry()

const archiveUsage = `Usage: reporter archive COMMAND [flags]

Reads and maintains the S3 archive of the runs (s3://BUCKET/PREFIX/YYYY/MM/RUN-ID/).

Commands:
  list   [--since 2026-01] [--json]           archived runs, newest first, with as-of,
                                              coverage and open findings from their manifests
  verify RUN-ID|latest [--json]               download every object of a run; check size and
                                              SHA-256 against the manifest and S3's stored
                                              checksum, report missing and extra objects and
                                              the Object Lock retention
  get    RUN-ID|latest --to DIR               download a run into DIR/RUN-ID, checked
  url    RUN-ID|latest [--expires 7d] [--file PATH]
                                              presigned GET links (at most 7 days)
  flush  [--out DIR | --spool-dir DIR]        upload the runs waiting in the spool

Every command takes --config FILE and the S3 flags of 'reporter run' (--bucket,
--prefix, --s3-endpoint, --s3-path-style, ...); 'reporter archive COMMAND -h' lists them.
"latest" is the newest run with a manifest in the archive.

Exit status: 0 ok; 5 verify found a missing, extra or altered object; 4 flush left
runs in the spool; 1 S3 or the run could not be read; 2 usage error.
`

// runArchive runs `reporter archive COMMAND`.
func runArchive(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, archiveUsage)
		return exitUsage
	}
	switch args[0] {
	case "list":
		return archiveList(ctx, args[1:], stdout, stderr)
	case "verify":
		return archiveVerify(ctx, args[1:], stdout, stderr)
	case "get":
		return archiveGet(ctx, args[1:], stdout, stderr)
	case "url":
		return archiveURL(ctx, args[1:], stdout, stderr)
	case "flush":
		return archiveFlush(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, archiveUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "reporter archive: unknown command %q\n\n%s", args[0], archiveUsage)
	return exitUsage
}

// archiveCommand is one parsed `reporter archive` command line.
type archiveCommand struct {
	name string
	cfg  config.Config
	args []string // positional arguments
	log  *slog.Logger
}

// parseArchiveFlags parses the flags common to the archive commands, those
// that define adds, and positional arguments anywhere among them (as in
// `archive get RUN-ID --to DIR`). nargs is the number of positional
// arguments wanted.
func parseArchiveFlags(name, synopsis string, nargs int, args []string, stderr io.Writer, define func(*flag.FlagSet, *config.Config)) (*archiveCommand, error) {
	cfg, err := loadConfig(args)
	if err != nil {
		return nil, &invalidConfig{err}
	}
	c := &archiveCommand{name: name, cfg: cfg}
	fs := flag.NewFlagSet("archive "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: reporter archive %s [flags]\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	fs.String("config", "", "YAML configuration file; flags override it")
	fs.StringVar(&c.cfg.Log.Level, "log-level", c.cfg.Log.Level, "debug, info, warn or error")
	c.cfg.S3.RegisterFlags(fs)
	if define != nil {
		define(fs, &c.cfg)
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		c.args = append(c.args, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(c.args) != nargs {
		return nil, fmt.Errorf("want %d argument(s), got %q; usage: reporter archive %s", nargs, c.args, synopsis)
	}
	if err := c.cfg.Validate(); err != nil {
		return nil, &invalidConfig{err}
	}
	if !c.cfg.S3.Enabled() {
		return nil, errors.New("no bucket: set --bucket, " + config.EnvPrefix + "S3_BUCKET or s3.bucket in --config")
	}
	c.log, err = newLogger(stderr, c.cfg.Log.Level, "text")
	return c, err
}

// open opens the archive of the command's configuration.
func (c *archiveCommand) open(ctx context.Context) (*archive.Archiver, error) {
	return archive.Open(ctx, c.cfg.S3, archive.Options{Out: c.cfg.Out, Logger: c.log, Retry: archiveRetry})
}

// archiveSetup parses the command line and opens the archive; it returns
// an exit status when the command cannot go on.
func archiveSetup(ctx context.Context, name, synopsis string, nargs int, args []string, stderr io.Writer, define func(*flag.FlagSet, *config.Config)) (*archiveCommand, *archive.Archiver, int) {
	c, err := parseArchiveFlags(name, synopsis, nargs, args, stderr, define)
	if errors.Is(err, flag.ErrHelp) {
		return nil, nil, exitOK
	}
	if err != nil {
		printParseError(stderr, "archive "+name, err)
		return nil, nil, exitUsage
	}
	a, err := c.open(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "reporter archive %s: %v\n", name, err)
		return nil, nil, exitUsage
	}
	return c, a, -1
}

func archiveList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var since string
	var asJSON bool
	c, a, code := archiveSetup(ctx, "list", "list [--since YYYY-MM[-DD]] [--json]", 0, args, stderr, func(fs *flag.FlagSet, _ *config.Config) {
		fs.StringVar(&since, "since", "", "only runs with an as-of on or after this month (2026-01) or day (2026-01-15)")
		fs.BoolVar(&asJSON, "json", false, "print the runs and their manifests as JSON")
	})
	if code >= 0 {
		return code
	}
	var from time.Time
	if since != "" {
		var err error
		if from, err = parseSince(since); err != nil {
			fmt.Fprintln(stderr, "reporter archive list:", err)
			return exitUsage
		}
	}
	runs, err := a.Runs(ctx, from)
	if err != nil {
		c.log.Error("cannot list the archive", "err", err)
		return exitFatal
	}
	if asJSON {
		return printJSON(stdout, stderr, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintf(stdout, "No runs in s3://%s/%s since %s.\n", a.Bucket(), strings.Trim(c.cfg.S3.Prefix, "/"), or(since, "the beginning"))
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "RUN ID\tAS OF\tCOVERAGE\tOPEN")
	for _, sev := range audit.Severities {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(sev.String()))
	}
	fmt.Fprintln(tw, "\tSTATUS")
	for _, r := range runs {
		if !r.Complete() {
			fmt.Fprintf(tw, "%s\t%s\t-\t-%s\t%s\n", r.ID, r.AsOf().Format(time.RFC3339), strings.Repeat("\t-", len(audit.Severities)), r.Status())
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Manifest.AsOf.UTC().Format(time.RFC3339), summaryColumns(r.Manifest.Summary), r.Status())
	}
	tw.Flush()
	return exitOK
}

// summaryColumns formats coverage, open findings and open findings by
// severity of a manifest's summary, tab-separated.
func summaryColumns(s *report.Summary) string {
	if s == nil {
		return "-\t-" + strings.Repeat("\t-", len(audit.Severities))
	}
	audited, expected := s.Coverage()
	cov := fmt.Sprintf("%d/%d", audited, expected)
	if expected > 0 {
		cov += fmt.Sprintf(" (%d%%)", audited*100/expected)
	}
	open := s.Open
	if open == 0 && s.Excepted == 0 {
		open = s.Findings // manifests written before exceptions existed
	}
	cols := []string{cov, fmt.Sprint(open)}
	for _, sev := range audit.Severities {
		cols = append(cols, fmt.Sprint(s.BySeverity[sev.String()]))
	}
	return strings.Join(cols, "\t")
}

// parseSince reads YYYY-MM or YYYY-MM-DD as the start of that month or day, UTC.
func parseSince(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a month (2026-01) or a day (2026-01-15)", s)
}

func archiveVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var asJSON bool
	c, a, code := archiveSetup(ctx, "verify", "verify RUN-ID|latest [--json]", 1, args, stderr, func(fs *flag.FlagSet, _ *config.Config) {
		fs.BoolVar(&asJSON, "json", false, "print the verification of every object as JSON")
	})
	if code >= 0 {
		return code
	}
	v, err := a.Verify(ctx, c.args[0])
	if err != nil {
		c.log.Error("cannot verify the run", "run", c.args[0], "err", err)
		return exitFatal
	}
	if asJSON {
		if code := printJSON(stdout, stderr, v); code != exitOK {
			return code
		}
	} else {
		printVerification(stdout, v)
	}
	if !v.OK() {
		return exitVerifyFailed
	}
	return exitOK
}

func printVerification(w io.Writer, v *archive.Verification) {
	fmt.Fprintf(w, "Run %s at %s\n", v.Run.ID, v.Run.URI)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tPATH\tSIZE\tSHA-256\tRETENTION")
	for _, o := range v.Objects {
		status := "ok"
		if len(o.Problems) > 0 {
			status = "FAILED"
		}
		ret := "none"
		if o.LockMode != "" {
			ret = o.LockMode + " until " + o.RetainUntil.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", status, o.Path, o.Size, or(o.SHA256, "-"), ret)
	}
	tw.Flush()
	modes, earliest, unlocked := v.Retention()
	switch {
	case len(modes) == 0:
		fmt.Fprintln(w, "Retention: none (no Object Lock retention on the objects)")
	default:
		fmt.Fprintf(w, "Retention: %s, earliest end %s", strings.Join(modes, " and "), earliest.Format(time.RFC3339))
		if unlocked > 0 {
			fmt.Fprintf(w, "; %d objects without retention", unlocked)
		}
		fmt.Fprintln(w)
	}
	if problems := v.Problems(); len(problems) > 0 {
		fmt.Fprintf(w, "VERIFICATION FAILED: %d problems\n", len(problems))
		for _, p := range problems {
			fmt.Fprintln(w, "  "+p)
		}
		return
	}
	fmt.Fprintf(w, "Verified: %d objects match the manifest and their stored SHA-256; none missing, none extra.\n", len(v.Objects))
}

func archiveGet(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var to string
	c, a, code := archiveSetup(ctx, "get", "get RUN-ID|latest --to DIR", 1, args, stderr, func(fs *flag.FlagSet, _ *config.Config) {
		fs.StringVar(&to, "to", "", "folder to download the run into, as DIR/RUN-ID (required)")
	})
	if code >= 0 {
		return code
	}
	if to == "" {
		fmt.Fprintln(stderr, "reporter archive get: --to DIR is required")
		return exitUsage
	}
	dir, err := a.Download(ctx, c.args[0], to)
	if err != nil {
		c.log.Error("cannot download the run", "run", c.args[0], "err", err)
		return exitFatal
	}
	fmt.Fprintf(stdout, "Downloaded to %s; every file matches manifest.json.\n", dir)
	return exitOK
}

func archiveURL(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var expires config.Expiry
	var file string
	c, a, code := archiveSetup(ctx, "url", "url RUN-ID|latest [--expires 7d] [--file PATH]", 1, args, stderr, func(fs *flag.FlagSet, cfg *config.Config) {
		expires = cfg.S3.PresignExpiry
		if expires == 0 {
			expires = config.Expiry(config.MaxPresignExpiry)
		}
		fs.Var(&expires, "expires", "lifetime of the links, at most 7d (default s3.presign_expiry, else 7d)")
		fs.StringVar(&file, "file", "", "print only the link to this file of the run, e.g. audit.xlsx")
	})
	if code >= 0 {
		return code
	}
	if d := expires.Duration(); d <= 0 || d > config.MaxPresignExpiry {
		fmt.Fprintf(stderr, "reporter archive url: --expires %s: want more than 0 and at most 7d (SigV4 limit)\n", expires)
		return exitUsage
	}
	links, err := a.Links(ctx, c.args[0], expires.Duration())
	if err != nil {
		c.log.Error("cannot make links to the run", "run", c.args[0], "err", err)
		return exitFatal
	}
	if file != "" {
		for _, l := range links {
			if l.Path == file {
				fmt.Fprintln(stdout, l.URL)
				return exitOK
			}
		}
		fmt.Fprintf(stderr, "reporter archive url: run %s has no file %q\n", c.args[0], file)
		return exitFatal
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, l := range links {
		fmt.Fprintf(tw, "%s\t%s\n", l.Path, l.URL)
	}
	tw.Flush()
	if len(links) > 0 {
		fmt.Fprintf(stderr, "The links expire at %s (sooner if the credentials that signed them expire first).\n", links[0].Expires.Format(time.RFC3339))
	}
	return exitOK
}

func archiveFlush(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, a, code := archiveSetup(ctx, "flush", "flush [--out DIR | --spool-dir DIR]", 0, args, stderr, func(fs *flag.FlagSet, cfg *config.Config) {
		fs.StringVar(&cfg.Out, "out", cfg.Out, "root of the run folders; the spool defaults to OUT/.spool")
	})
	if code >= 0 {
		return code
	}
	res, err := a.Flush(ctx)
	for _, loc := range res.Archived {
		fmt.Fprintf(stdout, "archived %s\n", loc.ArchiveURI)
	}
	for _, p := range res.Failed {
		fmt.Fprintf(stdout, "STILL IN THE SPOOL %s (%s)\n", p.ID, p.Dir)
	}
	if err != nil {
		c.log.Error("spool not flushed", "spool", a.SpoolDir(), "err", err)
		return exitDelivery
	}
	if len(res.Archived) == 0 {
		fmt.Fprintf(stdout, "Nothing to upload: the spool %s is empty.\n", a.SpoolDir())
	}
	return exitOK
}

func printJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(stderr, "reporter archive:", err)
		return exitFatal
	}
	return exitOK
}

// openRunArchiver returns the archiver of `reporter run`, or nil when no
// bucket is configured.
func openRunArchiver(ctx context.Context, cfg *config.Config, log *slog.Logger) (*archive.Archiver, error) {
	if !cfg.S3.Enabled() {
		return nil, nil
	}
	return archive.Open(ctx, cfg.S3, archive.Options{Out: cfg.Out, Logger: log.With("component", "archive"), Retry: archiveRetry})
}

// flushSpool uploads the runs that earlier runs left in the spool. Its
// error is reported with the run's delivery (exit status 4); the spool
// keeps what it could not upload.
func flushSpool(ctx context.Context, a *archive.Archiver, log *slog.Logger) error {
	if a == nil {
		return nil
	}
	res, err := a.Flush(ctx)
	for _, loc := range res.Archived {
		log.Info("earlier run archived from the spool", "uri", loc.ArchiveURI)
	}
	if err != nil {
		log.Error("earlier runs still in the spool", "spool", a.SpoolDir(), "runs", len(res.Failed), "err", err)
		return fmt.Errorf("archive spool: %d earlier runs still in %s: %w", len(res.Failed), a.SpoolDir(), err)
	}
	return nil
}

// appArchiver returns a as an app.Archiver; nil (no archive) stays nil.
func appArchiver(a *archive.Archiver) app.Archiver {
	if a == nil {
		return nil
	}
	return archiverAdapter{a}
}

// archiverAdapter adapts *archive.Archiver to app.Archiver (archive does
// not import internal/app).
type archiverAdapter struct{ *archive.Archiver }

// Archive uploads the run folder.
func (a archiverAdapter) Archive(ctx context.Context, dir string, run *report.Run) (app.Location, error) {
	loc, err := a.Archiver.Archive(ctx, dir, run)
	return app.Location(loc), err
}

// runHistory is where a run finds its predecessors: the S3 archive when
// one is configured, then the local run folders (which also hold runs
// still waiting in the spool, and serve when S3 is unreachable).
func runHistory(cfg *config.Config, a *archive.Archiver) history.Store {
	local := history.Local{Root: cfg.Out}
	if a == nil {
		return local
	}
	return &history.Union{Stores: []history.Store{archive.History{Archiver: a}, local}}
}
