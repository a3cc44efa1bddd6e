package config

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/reporter-dev/reporter/audit"
)

// CheckThreshold is a threshold flag that governs a check, with its
// value in each preset.
type CheckThreshold struct {
	Flag    string // the flag's name, without dashes
	Usage   string // the flag's help, which names the checks it governs
	Default string // the value in preset default
	CIS     string // the value in preset cis
}

// ThresholdsOf lists the threshold flags whose help names checkID, by
// flag name.
func ThresholdsOf(checkID string) []CheckThreshold {
	presets := map[string]*pflag.FlagSet{}
	for _, name := range []string{"default", "cis"} {
		cfg := Default()
		cfg.Thresholds, _ = audit.Preset(name)
		presets[name] = pflag.NewFlagSet(name, pflag.ContinueOnError)
		cfg.RegisterThresholdFlags(presets[name])
	}
	var ths []CheckThreshold
	presets["default"].VisitAll(func(f *pflag.Flag) {
		if strings.Contains(f.Usage, checkID) {
			ths = append(ths, CheckThreshold{Flag: f.Name, Usage: f.Usage, Default: f.DefValue, CIS: presets["cis"].Lookup(f.Name).DefValue})
		}
	})
	return ths
}
