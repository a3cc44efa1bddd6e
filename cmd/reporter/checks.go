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
Foundations Benchmark v3.0.0 and AWS Security Hub controls they follow, then how
to fix the findings of each: when it fires (the exact rule), what to do, the AWS
CLI commands (placeholders such as <user> and <access-key-id> to fill in), where
in the AWS console, and the AWS documentation page. With an ID, describe that
check and the threshold that governs it. --json prints the catalog entries (id,
title, severity, cis, security_hub, family, note, rule, action, commands,
console, doc_url).`,
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
					return printJSON(w, audit.Catalog())
				}
				return listChecks(w)
			}
			c, ok := audit.LookupCheck(args[0])
			if !ok {
				return usageErr("unknown check %q%s; 'reporter checks' lists them", args[0], nearChecks(args[0]))
			}
			if asJSON {
				r, _ := audit.RemediationOf(c.ID)
				return printJSON(w, audit.CatalogEntry{Check: c, Remediation: r})
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
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nHow to fix the findings of each check ('reporter checks ID' for one, --json for machines):")
	for _, c := range audit.Checks {
		fmt.Fprintf(w, "\n%s: %s\n", c.ID, c.Title)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		howToFix(tw, "  ", c.ID)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// howToFix writes the remediation of check id, each line led by indent:
// the rule, what to do, the commands (one a line), the console location
// and the documentation page.
func howToFix(tw *tabwriter.Writer, indent, id string) {
	r, ok := audit.RemediationOf(id)
	if !ok {
		fmt.Fprintf(tw, "%sHow to fix:\tnot in the catalog\n", indent)
		return
	}
	fmt.Fprintf(tw, "%sRule:\t%s\n", indent, r.Rule)
	fmt.Fprintf(tw, "%sWhat to do:\t%s\n", indent, r.Action)
	if len(r.Commands) == 0 {
		fmt.Fprintf(tw, "%sCommands:\tnone: console only\n", indent)
	}
	for i, c := range r.Commands {
		label := "Commands:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(tw, "%s%s\t%s\n", indent, label, c)
	}
	fmt.Fprintf(tw, "%sConsole:\t%s\n", indent, r.Console)
	fmt.Fprintf(tw, "%sDocs:\t%s\n", indent, r.DocURL)
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
	howToFix(tw, "", c.ID)
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
