package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit statuses of the reporter (README "Exit status").
const (
	exitOK      = 0 // every account was audited
	exitFatal   = 1 // the run could not be completed; see the log
	exitUsage   = 2 // bad command line or configuration
	exitPartial = 3 // the run completed, but some accounts failed
	// exitDelivery: reports were written locally but archiving or a
	// notification failed; the run folder (and spool) keep everything.
	exitDelivery = 4
	// exitVerifyFailed: `archive verify` found a missing, extra, altered or
	// tampered object, or `verify` a folder that does not match its manifest.
	exitVerifyFailed = 5
	// exitAuditFailed: the run is no audit result: it was interrupted,
	// the source failed before or while listing the accounts, or no
	// account could be audited. Its reports say so first.
	exitAuditFailed = 6
)

// exitError ends a command with an exit status; err, when set, is printed
// as one line (usage errors with a pointer to the command's help).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// exit returns the error that ends a command with code, printing err if
// it is not nil; exit(0, nil) is nil.
func exit(code int, err error) error {
	if code == exitOK && err == nil {
		return nil
	}
	return &exitError{code, err}
}

// usageErr is a bad command line: exit status 2.
func usageErr(format string, a ...any) error { return exit(exitUsage, fmt.Errorf(format, a...)) }

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(loadSettings(args), stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	code, usage := exitUsage, true // cobra's own errors: command, flag and argument parsing
	var ee *exitError
	if errors.As(err, &ee) {
		code, usage, err = ee.code, ee.code == exitUsage, ee.err
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
		if usage {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
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
		Version:      describeBuild(identifyBuild()),
		SilenceUsage: true,
		// Suggest commands within 2 edits (cobra sets it only for its own
		// unknown-command error).
		SuggestionsMinimumDistance: 2,
		SilenceErrors:              true,
		Args:                       subcommandArgs,
		RunE:                       needSubcommand,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("reporter {{.Version}}\n")
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(),
		"{{if .HasAvailableLocalFlags}}\n\nFlags:\n{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}",
		"{{if .HasAvailableLocalFlags}}{{flagGroups .LocalFlags}}{{end}}", 1))
	root.SetFlagErrorFunc(flagError)
	root.AddGroup(
		&cobra.Group{ID: "audit", Title: "Audit:"},
		&cobra.Group{ID: "runs", Title: "Stored runs and the S3 archive:"},
		&cobra.Group{ID: "other", Title: "Other commands:"},
	)
	root.SetHelpCommandGroupID("other")
	root.SetCompletionCommandGroupID("other")
	root.AddCommand(
		group("audit", runCommand(s)), group("audit", daemonCommand(s)),
		group("audit", configCommand(s)), group("audit", checksCommand()),
		group("runs", archiveCommand(s)), group("runs", verifyCommand()), group("runs", notifyCommand(s)),
		group("other", versionCommand()), healthcheckCommand(),
	)
	return root
}

// group puts c in the help's group id.
func group(id string, c *cobra.Command) *cobra.Command {
	c.GroupID = id
	return c
}

// needSubcommand is the RunE of a command that only groups others:
// without one, its help goes to stderr and the status is 2.
func needSubcommand(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(cmd.ErrOrStderr())
	cmd.Usage()
	return exit(exitUsage, nil)
}

// subcommandArgs refuses an unknown subcommand with suggestions.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	cmd.SuggestionsMinimumDistance = 2
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += " (did you mean " + strings.Join(s, " or ") + "?)"
	}
	return errors.New(msg)
}

// exactArgs wants n positional arguments, named what.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("want %d argument(s), %s, got %q%s", n, what, args, optionalValueHint(cmd, args))
		}
		return nil
	}
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q%s", args[0], optionalValueHint(cmd, args))
	}
	return nil
}

// optionalValueHint explains an argument that was meant as the value of a
// flag whose value is optional: in --slack-dry-run json, "json" is an
// argument; the value needs the = form.
func optionalValueHint(cmd *cobra.Command, args []string) string {
	var hint string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if hint != "" || f.NoOptDefVal == "" || f.Value.String() != f.NoOptDefVal {
			return
		}
		for _, a := range args {
			if f.Value.Set(a) == nil {
				f.Value.Set(f.NoOptDefVal)
				hint = fmt.Sprintf("; write --%s=%s", f.Name, a)
				return
			}
		}
	})
	return hint
}

// flagError turns a flag parsing error into a usage error that names the
// flag meant: a long flag written with one dash, or a near miss.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if _, arg, ok := strings.Cut(msg, " in -"); ok && strings.HasPrefix(msg, "unknown shorthand flag") {
		if cmd.Flags().Lookup(arg) != nil {
			return usageErr("%v: long flags take two dashes: --%s", err, arg)
		}
	}
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		var near []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && (strings.HasPrefix(f.Name, name) || distance(f.Name, name) <= 2) {
				near = append(near, "--"+f.Name)
			}
		})
		if len(near) > 0 {
			return usageErr("%v (did you mean %s?)", err, strings.Join(near, " or "))
		}
	}
	return exit(exitUsage, err)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// flagGroupKey annotates a flag with the title of its group in the help.
const flagGroupKey = "reporter_group"

func init() {
	cobra.AddTemplateFunc("flagGroups", flagGroups)
}

// flagGroups renders a command's flags in their groups, in the order they
// were defined; the command's own flags (of no group) come first.
func flagGroups(fs *pflag.FlagSet) string {
	sets := map[string]*pflag.FlagSet{}
	var order []string
	fs.VisitAll(func(f *pflag.Flag) {
		title := "Flags"
		if g := f.Annotations[flagGroupKey]; len(g) > 0 {
			title = g[0]
		}
		if sets[title] == nil {
			sets[title] = pflag.NewFlagSet(title, pflag.ContinueOnError)
			sets[title].SortFlags = false
			order = append(order, title)
		}
		sets[title].AddFlag(f)
	})
	// The command's own flags first; --help alone last.
	if i := slices.Index(order, "Flags"); i > 0 && countFlags(sets["Flags"]) > 1 {
		order = append([]string{"Flags"}, slices.Delete(order, i, i+1)...)
	} else if i >= 0 {
		order = append(slices.Delete(order, i, i+1), "Flags")
	}
	var b strings.Builder
	for _, title := range order {
		fmt.Fprintf(&b, "\n\n%s:\n%s", title, strings.TrimRight(sets[title].FlagUsages(), " \n"))
	}
	return b.String()
}

// countFlags is the number of flags defined in fs.
func countFlags(fs *pflag.FlagSet) int {
	n := 0
	fs.VisitAll(func(*pflag.Flag) { n++ })
	return n
}

// flagSection adds the flags register defines to cmd under title.
func flagSection(cmd *cobra.Command, title string, register func(*pflag.FlagSet)) {
	fs := pflag.NewFlagSet(title, pflag.ContinueOnError)
	fs.SortFlags = false
	register(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[flagGroupKey] = []string{title}
	})
	cmd.Flags().SortFlags = false
	cmd.Flags().AddFlagSet(fs)
}
