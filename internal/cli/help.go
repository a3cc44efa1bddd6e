package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagGroupKey annotates a flag with the title of its group in the help.
const flagGroupKey = "cli_flag_group"

func init() {
	cobra.AddTemplateFunc("flagGroups", flagGroups)
}

// FlagSection adds the flags register defines to cmd under title in the
// help (see Configure), in the order they are defined.
func FlagSection(cmd *cobra.Command, title string, register func(*pflag.FlagSet)) {
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
