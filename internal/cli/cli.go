// Package cli holds what the reporter's command line needs from cobra
// beyond cobra itself, none of it specific to the reporter: commands that
// end with an exit status and print their error as one line (Exit,
// Execute), flags in titled groups in the help (FlagSection, Configure),
// suggestions for a mistyped command, flag or ID (SubcommandArgs,
// FlagError, Suggest), the hint for a long flag written with one dash or
// an optional value written without "=", the logger the flags ask for
// (NewLogger) and the version the Go toolchain recorded (Build).
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// StatusUsage is the exit status of a bad command line: a parse error,
// an unknown command or flag, a missing argument.
const StatusUsage = 2

// ExitError ends a command with an exit status; Err, when set, is printed
// as one line (usage errors with a pointer to the command's help).
type ExitError struct {
	Code int
	Err  error
}

// Error returns Err's text, or names the exit status when Err is nil.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Exit returns the error that ends a command with code, printing err if
// it is not nil; Exit(0, nil) is nil.
func Exit(code int, err error) error {
	if code == 0 && err == nil {
		return nil
	}
	return &ExitError{code, err}
}

// Usagef is a bad command line: exit status StatusUsage, the message
// formatted as fmt.Errorf does.
func Usagef(format string, a ...any) error { return Exit(StatusUsage, fmt.Errorf(format, a...)) }

// Execute runs root with args and returns the exit status: 0, the code
// of an ExitError, or StatusUsage for cobra's own errors (command, flag
// and argument parsing). An error is printed to root's stderr as
// "COMMAND PATH: error", a usage error followed by a pointer to the
// command's help; nothing else (no wall of usage).
func Execute(ctx context.Context, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	code, usage := StatusUsage, true
	var ee *ExitError
	if errors.As(err, &ee) {
		code, usage, err = ee.Code, ee.Code == StatusUsage, ee.Err
	}
	if err != nil {
		stderr := root.ErrOrStderr()
		fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
		if usage {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

// Configure sets root (and so every command under it) to the
// conventions of this package: errors are returned to Execute, never
// printed by cobra with the usage; commands within 2 edits are
// suggested; flags show in the groups FlagSection gave them; a flag error
// is a usage error with a hint (FlagError).
func Configure(root *cobra.Command) {
	root.SilenceUsage = true
	root.SilenceErrors = true
	// cobra sets it only for its own unknown-command error.
	root.SuggestionsMinimumDistance = 2
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(),
		"{{if .HasAvailableLocalFlags}}\n\nFlags:\n{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}",
		"{{if .HasAvailableLocalFlags}}{{flagGroups .LocalFlags}}{{end}}", 1))
	root.SetFlagErrorFunc(FlagError)
}

// Group puts c in the help's group id.
func Group(id string, c *cobra.Command) *cobra.Command {
	c.GroupID = id
	return c
}

// NeedSubcommand is the RunE of a command that only groups others:
// without one, its help goes to stderr and the status is StatusUsage.
func NeedSubcommand(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(cmd.ErrOrStderr())
	cmd.Usage()
	return Exit(StatusUsage, nil)
}

// SubcommandArgs refuses an unknown subcommand with suggestions.
func SubcommandArgs(cmd *cobra.Command, args []string) error {
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

// ExactArgs wants n positional arguments, named what.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("want %d argument(s), %s, got %q%s", n, what, args, OptionalValueHint(cmd, args))
		}
		return nil
	}
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q%s", args[0], OptionalValueHint(cmd, args))
	}
	return nil
}

// OptionalValueHint explains an argument that was meant as the value of
// a flag whose value is optional: in --slack-dry-run json, "json" is an
// argument; the value needs the = form. It returns "; write
// --FLAG=VALUE", or "" when no argument fits such a flag.
func OptionalValueHint(cmd *cobra.Command, args []string) string {
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

// FlagError turns a flag parsing error into a usage error that names the
// flag meant: a long flag written with one dash, or a near miss (a
// prefix, or within 2 edits).
func FlagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if _, arg, ok := strings.Cut(msg, " in -"); ok && strings.HasPrefix(msg, "unknown shorthand flag") {
		if cmd.Flags().Lookup(arg) != nil {
			return Usagef("%v: long flags take two dashes: --%s", err, arg)
		}
	}
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		var near []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && (strings.HasPrefix(f.Name, name) || Distance(f.Name, name) <= 2) {
				near = append(near, "--"+f.Name)
			}
		})
		if len(near) > 0 {
			return Usagef("%v (did you mean %s?)", err, strings.Join(near, " or "))
		}
	}
	return Exit(StatusUsage, err)
}

// FlagValue finds the value of the long flag name in args before they are
// parsed (--name VALUE or --name=VALUE, up to "--"), so that a file it
// names can supply the flags' defaults. It returns "" when name is not
// given.
func FlagValue(args []string, name string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}
