package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/reporter-dev/reporter/archive"
	"github.com/reporter-dev/reporter/internal/config"
)

func archiveCommand(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive",
		Short: "List, verify, get, link or flush the runs archived in S3",
		Long: `Read and maintain the S3 archive of the runs (s3://BUCKET/PREFIX/YYYY/MM/RUN-ID/).
Every command takes --config and the S3 flags of 'reporter run'. "latest" is
the newest run with a readable manifest in the archive, whatever its status
(partial and failed runs included; 'archive list' shows each run's status).

Exit status: 0 ok; 5 verify found a missing, extra, altered or tampered
object; 4 flush left runs in the spool; 1 S3 or the run could not be read;
2 usage error.`,
		Example: `  reporter archive list --bucket my-audits --since 2026-01
  reporter archive verify latest --bucket my-audits
  reporter archive get 20261101T060000Z --to ./evidence --bucket my-audits
  reporter archive url latest --file audit.xlsx --expires 2d --bucket my-audits`,
		Args: subcommandArgs,
		RunE: needSubcommand,
	}
	var since string
	var asJSON bool
	list := s.archiveSub("list", "Archived runs, newest first, with coverage and open findings", 0, "", func(fs *pflag.FlagSet) {
		fs.StringVar(&since, "since", "", "only runs with an as-of on or after this month (2026-01) or day (2026-01-15)")
		fs.BoolVar(&asJSON, "json", false, "print the runs and their manifests as JSON")
	}, func(c *archiveRun) error { return archiveList(c, since, asJSON) })

	verify := s.archiveSub("verify RUN-ID|latest", "Check every object of a run against its manifest and S3's checksums", 1, `Download every object of a run and check its size and SHA-256 against the
manifest and S3's stored checksum; report missing and extra objects and the
Object Lock retention. On a versioned bucket the run is judged by the versions
written when it was archived, and newer versions and deletions are reported.`, func(fs *pflag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the verification of every object as JSON")
	}, func(c *archiveRun) error { return archiveVerify(c, asJSON) })

	var to string
	get := s.archiveSub("get RUN-ID|latest --to DIR", "Download a run into DIR/RUN-ID, checked against its manifest", 1, "", func(fs *pflag.FlagSet) {
		fs.StringVar(&to, "to", "", "folder to download the run into, as DIR/RUN-ID (required)")
	}, func(c *archiveRun) error {
		if to == "" {
			return usageErr("--to DIR is required")
		}
		dir, err := c.a.Download(c.ctx(), c.args[0], to)
		if err != nil {
			c.log.Error("cannot download the run", "run", c.args[0], "err", err)
			return exit(exitFatal, nil)
		}
		fmt.Fprintf(c.out(), "Downloaded to %s; every file matches manifest.json.\n", dir)
		return nil
	})

	expires := s.cfg.S3.PresignExpiry
	if expires == 0 {
		expires = config.Expiry(config.MaxPresignExpiry)
	}
	var file string
	url := s.archiveSub("url RUN-ID|latest", "Print presigned GET links to the files of a run (at most 7 days)", 1, "", func(fs *pflag.FlagSet) {
		fs.Var(&expires, "expires", "lifetime of the links, at most 7d (default s3.presign_expiry, else 7d)")
		fs.StringVar(&file, "file", "", "print only the link to this file of the run, e.g. audit.xlsx")
	}, func(c *archiveRun) error { return archiveURL(c, expires, file) })

	flush := s.archiveSub("flush", "Upload the runs waiting in the spool", 0, "", func(fs *pflag.FlagSet) {
		fs.StringVar(&s.cfg.Out, "out", s.cfg.Out, "root of the run folders; the spool defaults to OUT/.spool")
	}, func(c *archiveRun) error {
		res, err := c.a.Flush(c.ctx())
		for _, loc := range res.Archived {
			fmt.Fprintf(c.out(), "archived %s\n", loc.ArchiveURI)
		}
		for _, p := range res.Failed {
			fmt.Fprintf(c.out(), "STILL IN THE SPOOL %s (%s)\n", p.ID, p.Dir)
		}
		if err != nil {
			c.log.Error("spool not flushed", "spool", c.a.SpoolDir(), "err", err)
			return exit(exitDelivery, nil)
		}
		if len(res.Archived) == 0 {
			fmt.Fprintf(c.out(), "Nothing to upload: the spool %s is empty.\n", c.a.SpoolDir())
		}
		return nil
	})
	cmd.AddCommand(list, verify, get, url, flush)
	return cmd
}

// archiveRun is one archive command, parsed, with its archive open.
type archiveRun struct {
	cmd  *cobra.Command
	cfg  *config.Config
	args []string
	a    *archive.Archiver
	log  *slog.Logger
}

func (c *archiveRun) out() io.Writer { return c.cmd.OutOrStdout() }

func (c *archiveRun) ctx() context.Context { return c.cmd.Context() }

// archiveSub builds `reporter archive USE`: nargs positional arguments,
// the flags define adds to the common ones (--config, --log-level, S3),
// then do with the archive open.
func (s *settings) archiveSub(use, short string, nargs int, long string, define func(*pflag.FlagSet), do func(*archiveRun) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: exactArgs(nargs, "RUN-ID or latest")}
	if nargs == 0 {
		cmd.Args = noArgs
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := s.ready(cmd); err != nil {
			return err
		}
		if problems := s.cfg.Problems(); len(problems) > 0 {
			return invalid(cmd, problems)
		}
		if !s.cfg.S3.Enabled() {
			return usageErr("no bucket: set --bucket, %sS3_BUCKET or s3.bucket in --config", config.EnvPrefix)
		}
		log, err := newLogger(cmd.ErrOrStderr(), s.cfg.Log.Level, "text")
		if err != nil {
			return exit(exitUsage, err)
		}
		a, err := archive.Open(cmd.Context(), s.cfg.S3, archive.Options{Out: s.cfg.Out, Logger: log, Retry: archiveRetry})
		if err != nil {
			return exit(exitUsage, err)
		}
		return do(&archiveRun{cmd: cmd, cfg: &s.cfg, args: args, a: a, log: log})
	}
	define(cmd.Flags())
	flagSection(cmd, "General", func(fs *pflag.FlagSet) {
		configFlag(fs)
		fs.StringVar(&s.cfg.Log.Level, "log-level", s.cfg.Log.Level, "debug, info, warn or error")
	})
	flagSection(cmd, "S3 archive", s.cfg.S3.RegisterFlags)
	return cmd
}

func archiveList(c *archiveRun, since string, asJSON bool) error {
	from, err := archive.ParseSince(since)
	if err != nil {
		return exit(exitUsage, err)
	}
	runs, err := c.a.Runs(c.ctx(), from)
	if err != nil {
		c.log.Error("cannot list the archive", "err", err)
		return exit(exitFatal, nil)
	}
	if asJSON {
		return printJSON(c.out(), runs)
	}
	if len(runs) == 0 {
		fmt.Fprintf(c.out(), "No runs in s3://%s/%s since %s.\n", c.a.Bucket(), strings.Trim(c.cfg.S3.Prefix, "/"), or(since, "the beginning"))
		return nil
	}
	return archive.WriteRuns(c.out(), runs)
}

func archiveVerify(c *archiveRun, asJSON bool) error {
	v, err := c.a.Verify(c.ctx(), c.args[0])
	if err != nil {
		c.log.Error("cannot verify the run", "run", c.args[0], "err", err)
		return exit(exitFatal, nil)
	}
	if asJSON {
		if err := printJSON(c.out(), v); err != nil {
			return err
		}
	} else {
		v.WriteText(c.out())
	}
	if !v.OK() {
		return exit(exitVerifyFailed, nil)
	}
	return nil
}

func archiveURL(c *archiveRun, expires config.Expiry, file string) error {
	if d := expires.Duration(); d <= 0 || d > config.MaxPresignExpiry {
		return usageErr("--expires %s: want more than 0 and at most 7d (SigV4 limit)", expires)
	}
	links, err := c.a.Links(c.ctx(), c.args[0], expires.Duration())
	if err != nil {
		c.log.Error("cannot make links to the run", "run", c.args[0], "err", err)
		return exit(exitFatal, nil)
	}
	if file != "" {
		for _, l := range links {
			if l.Path == file {
				fmt.Fprintln(c.out(), l.URL)
				return nil
			}
		}
		return exit(exitFatal, fmt.Errorf("run %s has no file %q", c.args[0], file))
	}
	tw := tabwriter.NewWriter(c.out(), 0, 4, 2, ' ', 0)
	for _, l := range links {
		fmt.Fprintf(tw, "%s\t%s\n", l.Path, l.URL)
	}
	tw.Flush()
	if len(links) > 0 {
		fmt.Fprintf(c.cmd.ErrOrStderr(), "The links expire at %s (sooner if the credentials that signed them expire first).\n", links[0].Expires.Format(time.RFC3339))
	}
	return nil
}

func verifyCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a run folder on disk against its manifest (offline)",
		Long: `Check a run folder on disk (a local run under --out, or one fetched with
'reporter archive get') against its own manifest.json: every listed file must
be there with its size and SHA-256, and no other file may be. Symbolic links
are reported, never followed; a manifest entry that is not a plain path inside
the folder is refused, never opened. No network access.

Exit status: 0 the folder matches its manifest; 5 a file is missing, extra or
altered, or the manifest is missing or unreadable; 1 DIR cannot be read;
2 usage error.`,
		Example: `  reporter verify reports/2026/11/20261101T060000Z
  reporter verify ./evidence/20261101T060000Z --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("want one run folder, got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := archive.VerifyFolder(args[0])
			if err != nil {
				return exit(exitFatal, err)
			}
			if asJSON {
				if err := printJSON(cmd.OutOrStdout(), c); err != nil {
					return err
				}
			} else {
				c.WriteText(cmd.OutOrStdout())
			}
			if !c.OK() {
				return exit(exitVerifyFailed, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the check as JSON")
	return cmd
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return exit(exitFatal, errors.New("cannot write JSON: "+err.Error()))
	}
	return nil
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
