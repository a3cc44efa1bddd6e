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

// exitVerifyFailed: `archive verify` found a missing, extra, altered or
// tampered object, or `verify` a folder that does not match its manifest.
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
                                              the Object Lock retention; on a versioned bucket,
                                              judge the versions written when the run was
                                              archived and report newer versions and deletions
  get    RUN-ID|latest --to DIR               download a run into DIR/RUN-ID, checked; on a
                                              versioned bucket, the versions archived with it
  url    RUN-ID|latest [--expires 7d] [--file PATH]
                                              presigned GET links (at most 7 days)
  flush  [--out DIR | --spool-dir DIR]        upload the runs waiting in the spool

'reporter verify DIR' checks a downloaded or local run folder offline.

Every command takes --config FILE and the S3 flags of 'reporter run' (--bucket,
--prefix, --s3-endpoint, --s3-path-style, ...); 'reporter archive COMMAND -h' lists them.
"latest" is the newest run with a manifest in the archive.

Exit status: 0 ok; 5 verify found a missing, extra, altered or tampered object; 4 flush left
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
	versioned := v.Versioning != archive.VersioningOff
	if versioned {
		fmt.Fprintf(w, "Bucket versioning: %s; the run is judged by the versions written when it was archived.\n", v.Versioning)
	} else {
		fmt.Fprintln(w, "Bucket versioning: off; only the current objects can be checked.")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "STATUS\tPATH\tSIZE\tSHA-256\tRETENTION")
	if versioned {
		fmt.Fprint(tw, "\tWRITTEN\tVERSIONS")
	}
	fmt.Fprintln(tw)
	for _, o := range v.Objects {
		status := "ok"
		if len(o.Problems) > 0 {
			status = "FAILED"
		}
		ret := "none"
		if o.LockMode != "" {
			ret = o.LockMode + " until " + o.RetainUntil.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s", status, o.Path, o.Size, or(o.SHA256, "-"), ret)
		if versioned {
			written := "-"
			if !o.Written.IsZero() {
				written = o.Written.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "\t%s\t%d", written, len(o.Versions))
		}
		fmt.Fprintln(tw)
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
	for _, o := range v.Objects {
		for _, n := range o.Notes {
			fmt.Fprintf(w, "Note: %s: %s\n", o.Path, n)
		}
	}
	for _, n := range v.Notes {
		fmt.Fprintln(w, "WARNING: "+n)
	}
	if problems := v.Problems(); len(problems) > 0 {
		if tampered := v.Tampered(); len(tampered) > 0 {
			fmt.Fprintf(w, "TAMPERED: changed or deleted after the run was archived: %s\n", strings.Join(tampered, ", "))
		}
		fmt.Fprintf(w, "VERIFICATION FAILED: %d problems\n", len(problems))
		for _, p := range problems {
			fmt.Fprintln(w, "  "+p)
		}
		return
	}
	if versioned {
		fmt.Fprintf(w, "Verified: %d objects are the versions archived with the run: they match the first manifest.json and their stored SHA-256; "+
			"none missing, none extra, none replaced or deleted since.\n", len(v.Objects))
		return
	}
	fmt.Fprintf(w, "Verified: %d objects match the manifest and their stored SHA-256; none missing, none extra.\n", len(v.Objects))
}

// verifyUsage is the help of `reporter verify`.
const verifyUsage = `Usage: reporter verify DIR [--json]

Checks a run folder on disk (a local run under --out, or one fetched with
'reporter archive get') against its own manifest.json: every listed file must
be there with its size and SHA-256, and no other file may be. Symbolic links
are reported, never followed; a manifest entry that is not a plain path inside
the folder is refused, never opened. No network access.

Exit status: 0 the folder matches its manifest; 5 a file is missing, extra or
altered, or the manifest is missing or unreadable; 1 DIR cannot be read;
2 usage error.
`

// verifyFolder runs `reporter verify DIR`.
func verifyFolder(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage) }
	asJSON := fs.Bool("json", false, "print the check as JSON")
	var dirs []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return exitOK
		} else if err != nil {
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(dirs) != 1 {
		fmt.Fprintf(stderr, "reporter verify: want one run folder, got %q\n\n%s", dirs, verifyUsage)
		return exitUsage
	}
	c, err := archive.VerifyFolder(dirs[0])
	if err != nil {
		fmt.Fprintln(stderr, "reporter verify:", err)
		return exitFatal
	}
	if *asJSON {
		if code := printJSON(stdout, stderr, c); code != exitOK {
			return code
		}
	} else {
		printFolderCheck(stdout, c)
	}
	if !c.OK() {
		return exitVerifyFailed
	}
	return exitOK
}

func printFolderCheck(w io.Writer, c *archive.FolderCheck) {
	if c.Manifest != nil {
		fmt.Fprintf(w, "Run %s (as of %s) in %s\n", c.Manifest.RunID, c.Manifest.AsOf.UTC().Format(time.RFC3339), c.Dir)
	} else {
		fmt.Fprintf(w, "Folder %s\n", c.Dir)
	}
	if c.ManifestSHA256 != "" {
		fmt.Fprintf(w, "manifest.json sha256 %s\n", c.ManifestSHA256)
	}
	if !c.OK() {
		fmt.Fprintf(w, "VERIFICATION FAILED: %d problems (%d files match)\n", len(c.Problems), c.Matched)
		for _, p := range c.Problems {
			fmt.Fprintln(w, "  "+p)
		}
		return
	}
	fmt.Fprintf(w, "Verified: %d files match manifest.json; none missing, none extra.\n", c.Matched)
	fmt.Fprintln(w, "This shows the folder matches its own manifest. To show the manifest is the archived one, "+
		"compare its sha256 above with manifest.json in 'reporter archive verify RUN-ID'.")
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
