package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	cmdcli "github.com/reporter-dev/reporter/internal/cli"
)

// Exit statuses of the reporter (README "Exit status").
const (
	exitOK      = 0 // every account was audited
	exitFatal   = 1 // the run could not be completed; see the log
	exitUsage   = 2 // bad command line or configuration (cli.StatusUsage)
	exitPartial = 3 // the run completed, but some accounts failed
	// exitDelivery: reports were written locally but archiving or a
	// notification failed; the run folder (and spool) keep everything.
	exitDelivery = 4
	// exitVerifyFailed: `archive verify` found a missing, extra, altered or
	// tampered object, or `verify` a folder that does not match its manifest.
	exitVerifyFailed = 5
	// exitAuditFailed: the run is no audit result: it was interrupted,
	// the source failed before or while listing the accounts, its
	// findings could not be compared with the earlier runs, or no
	// account could be audited. Its reports say so first.
	exitAuditFailed = 6
)

// The helpers every command uses, from internal/cli (imported under
// another name: the tests' helper is called cli).
var (
	exit, usageErr                 = cmdcli.Exit, cmdcli.Usagef
	noArgs, subcommandArgs         = cmdcli.NoArgs, cmdcli.SubcommandArgs
	exactArgs, needSubcommand      = cmdcli.ExactArgs, cmdcli.NeedSubcommand
	flagSection, optionalValueHint = cmdcli.FlagSection, cmdcli.OptionalValueHint
	newLogger, isTerminal          = cmdcli.NewLogger, cmdcli.IsTerminal
)

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cmdcli.Execute(ctx, newRoot(loadSettings(args), stdout, stderr), args)
}

// newRoot builds the command tree over s, the configuration loaded before
// the flags are parsed.
func newRoot(s *settings, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "reporter",
		Short: "Audit the IAM credentials of an AWS Organization",
		Long: `reporter audits the IAM credentials of every account of an AWS Organization
(credential reports, password policy), writes an Excel workbook, audit.md,
findings.json and the raw evidence for each run, archives them in S3 and
posts a Slack digest.

Exit status: 0 all accounts audited; 1 fatal error; 2 usage or configuration
error; 3 some accounts failed (reports still written); 4 archive or
notification failed (reports kept locally); 5 verify found a problem;
6 the audit failed or is incomplete (no account audited, source failed,
interrupted).`,
		Example: `  reporter run --source sample --out ./reports
  reporter run --source org --bucket my-audits --slack-channel '#security'
  reporter daemon --config /etc/reporter/reporter.yaml
  reporter checks access-key-not-rotated`,
		Version: describeBuild(identifyBuild()),
		Args:    subcommandArgs,
		RunE:    needSubcommand,
	}
	cmdcli.Configure(root)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("reporter {{.Version}}\n")
	root.AddGroup(
		&cobra.Group{ID: "audit", Title: "Audit:"},
		&cobra.Group{ID: "runs", Title: "Stored runs and the S3 archive:"},
		&cobra.Group{ID: "other", Title: "Other commands:"},
	)
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	root.AddCommand(
		cmdcli.Group("audit", runCommand(s)), cmdcli.Group("audit", daemonCommand(s)),
		cmdcli.Group("audit", configCommand(s)), cmdcli.Group("audit", checksCommand()),
		cmdcli.Group("runs", archiveCommand(s)), cmdcli.Group("runs", verifyCommand()), cmdcli.Group("runs", notifyCommand(s)),
		cmdcli.Group("other", versionCommand()), healthcheckCommand(),
	)
	return root
}
