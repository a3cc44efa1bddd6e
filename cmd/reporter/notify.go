package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/reporter-dev/reporter/internal/runner"
)

func notifyCommand(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify RUN-ID|latest|PATH",
		Short: "Post the Slack digest of a stored run again",
		Long: `Post the Slack digest of a stored run again, read from OUT/YYYY/MM/RUN-ID
(findings.json, checked against manifest.json first). "latest" is the most
recent run with a manifest, whatever its status (a FAILED run's digest says
that it failed); name an earlier RUN-ID to post that one. A PATH (with a
"/") is a run folder anywhere, such as one 'reporter archive get' wrote.

Exit status: 0 posted; 4 Slack failed; 1 the run cannot be read; 2 usage error.`,
		Example: `  reporter notify latest --out ./reports --slack-channel '#security'
  reporter notify 20261101T060000Z --slack-dry-run=json
  reporter archive get 20261101T060000Z --to ./evidence && reporter notify ./evidence/20261101T060000Z`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("want exactly one RUN-ID (or latest), got %q%s", args, optionalValueHint(cmd, args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := s.ready(cmd); err != nil {
				return err
			}
			cfg := &s.cfg
			if problems := cfg.Problems(); len(problems) > 0 {
				return invalid(cmd, problems)
			}
			log, err := newLogger(cmd.ErrOrStderr(), cfg.Log.Level, cfg.Log.Format)
			if err != nil {
				return exit(exitUsage, err)
			}
			err = runner.Renotify(cmd.Context(), cfg, log, cmd.OutOrStdout(), args[0])
			var ce *runner.ConfigError
			var de *runner.DeliveryError
			switch {
			case errors.As(err, &de):
				fmt.Fprintln(cmd.OutOrStdout(), "DELIVERY FAILED:", de.Err)
				return exit(exitDelivery, nil)
			case errors.As(err, &ce):
				return exit(exitUsage, err)
			case err != nil:
				return exit(exitFatal, err)
			}
			return nil
		},
	}
	flagSection(cmd, "General", func(fs *pflag.FlagSet) {
		configFlag(fs)
		fs.StringVar(&s.cfg.Out, "out", s.cfg.Out, "root folder of the run folders (OUT/YYYY/MM/RUN-ID)")
		fs.StringVar(&s.cfg.Templates, "templates", s.cfg.Templates, "folder of templates overriding the built-in ones")
		fs.StringVar(&s.cfg.Log.Level, "log-level", s.cfg.Log.Level, "debug, info, warn or error")
		fs.StringVar(&s.cfg.Log.Format, "log-format", s.cfg.Log.Format, "text or json")
	})
	flagSection(cmd, "Slack", s.cfg.Slack.RegisterFlags)
	return cmd
}
