package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/reporter-dev/reporter/audit"
	cmdcli "github.com/reporter-dev/reporter/internal/cli"
	"github.com/reporter-dev/reporter/internal/config"
)

func checksCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "checks [ID]",
		Short: "List the check catalog, or describe one check",
		Long: `List the checks every run evaluates, with their severity and the CIS AWS
Foundations Benchmark v3.0.0 and AWS Security Hub controls they follow. With an
ID, describe that check and the threshold that governs it. --json prints the
catalog entries (id, title, severity, cis, security_hub, family).`,
		Example: `  reporter checks
  reporter checks access-key-not-rotated
  reporter checks --json`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var ids []cobra.Completion
			for _, c := range audit.Checks {
				ids = append(ids, cobra.CompletionWithDesc(c.ID, c.Title))
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			if len(args) == 0 {
				if asJSON {
					return printJSON(w, audit.Checks)
				}
				return listChecks(w)
			}
			c, ok := audit.LookupCheck(args[0])
			if !ok {
				return usageErr("unknown check %q%s; 'reporter checks' lists them", args[0], nearChecks(args[0]))
			}
			if asJSON {
				return printJSON(w, c)
			}
			describeCheck(w, c)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalog (or the check) as JSON")
	return cmd
}

func listChecks(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSEVERITY\tCIS v3.0.0\tSECURITY HUB\tTITLE")
	for _, c := range audit.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Severity, or(c.CIS, "-"), or(c.SecurityHub, "-"), c.Title)
	}
	return tw.Flush()
}

// describeCheck prints one check and the thresholds that govern it: the
// threshold flags whose help names the check, with their value in each
// preset.
func describeCheck(w io.Writer, c audit.Check) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Check:\t%s\n", c.ID)
	fmt.Fprintf(tw, "Title:\t%s\n", c.Title)
	fmt.Fprintf(tw, "Severity:\t%s\n", c.Severity)
	fmt.Fprintf(tw, "Family:\t%s\n", c.Family)
	fmt.Fprintf(tw, "CIS v3.0.0:\t%s\n", or(c.CIS, "-"))
	fmt.Fprintf(tw, "Security Hub:\t%s\n", or(c.SecurityHub, "-"))
	if c.Note != "" {
		fmt.Fprintf(tw, "Scope:\t%s\n", c.Note)
	}
	for _, th := range config.ThresholdsOf(c.ID) {
		fmt.Fprintf(tw, "Threshold:\t--%s: %s (%s; preset cis: %s)\n", th.Flag, th.Usage, th.Default, th.CIS)
	}
	tw.Flush()
	if c.ID == audit.UserInactive {
		fmt.Fprintln(w, "Severity low instead when the inactive user has no credential enabled.")
	}
}

// nearChecks suggests catalog IDs close to id.
func nearChecks(id string) string {
	ids := make([]string, len(audit.Checks))
	for i, c := range audit.Checks {
		ids[i] = c.ID
	}
	if near := cmdcli.Suggest(id, ids); len(near) > 0 {
		return " (did you mean " + strings.Join(near, " or ") + "?)"
	}
	return ""
}
