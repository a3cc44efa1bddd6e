// Package config holds the reporter's settings: one YAML file, overridden
// by command-line flags. Each integration owns one section (aws, s3,
// slack), defined in its own file of this package.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/reporter-dev/reporter/audit"
)

// Config is the whole configuration.
type Config struct {
	// Source says where reports come from: sample, dir:PATH, org or account.
	Source string `yaml:"source"`
	// Out is the root of the local run folders.
	Out string `yaml:"out"`
	// Preset picks the default thresholds: default or cis.
	Preset string `yaml:"preset"`
	// Thresholds override single limits of the preset.
	Thresholds audit.Thresholds `yaml:"thresholds"`
	// Templates is a folder of templates overriding the built-in ones.
	Templates string `yaml:"templates"`
	// Exceptions is the path of the accepted-risks YAML file.
	Exceptions string `yaml:"exceptions"`
	// ExceptionsMaxDays bounds how far ahead an exception may expire.
	ExceptionsMaxDays int `yaml:"exceptions_max_days"`
	Log               Log `yaml:"log"`
	// Listen is the address of /healthz, /readyz and /metrics (daemon).
	Listen string `yaml:"listen"`
	Daemon Daemon `yaml:"daemon"`
	AWS    AWS    `yaml:"aws"`
	S3     S3     `yaml:"s3"`
	Slack  Slack  `yaml:"slack"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json or auto (text on a terminal)
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Out:               "reports",
		Preset:            "default",
		Thresholds:        audit.DefaultThresholds(),
		Log:               Log{Level: "info", Format: "auto"},
		ExceptionsMaxDays: 365,
		Listen:            "127.0.0.1:9090",
		Daemon:            DefaultDaemon(),
		AWS:               DefaultAWS(),
		S3:                DefaultS3(),
		Slack:             DefaultSlack(),
	}
}

// FromEnvironment returns the defaults, or the file at path when path is
// not empty, with REPORTER_* environment overrides applied on top.
func FromEnvironment(path string, lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	if path != "" {
		var err error
		if cfg, err = Load(path); err != nil {
			return cfg, err
		}
	}
	if preset, ok := lookup(EnvPrefix + "PRESET"); ok {
		th, err := audit.Preset(preset)
		if err != nil {
			return cfg, fmt.Errorf("environment: %s%s: %w", EnvPrefix, "PRESET", err)
		}
		cfg.Thresholds = th
	}
	if err := cfg.ApplyEnv(lookup); err != nil {
		return cfg, fmt.Errorf("environment: %w", err)
	}
	return cfg, cfg.Validate()
}

// Load reads the YAML file at path over the defaults. Unknown keys are
// errors. The preset is applied first, so thresholds in the file override
// single limits of it.
func Load(path string) (Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	var head struct {
		Preset string `yaml:"preset"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	if head.Preset != "" {
		th, err := audit.Preset(head.Preset)
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		cfg.Thresholds = th
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, cfg.Validate()
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if err := c.Thresholds.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.Slack.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.S3.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// RegisterFlags binds the general flags to c's fields; their defaults are
// c's current values, so flags override the file.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Source, "source", c.Source, "where reports come from: org (every account of the AWS Organization; the default when AWS credentials are configured), account (only the credentials' account), sample, or dir:PATH")
	fs.StringVar(&c.Out, "out", c.Out, "root folder of the run folders (OUT/YYYY/MM/RUN-ID)")
	fs.StringVar(&c.Preset, "preset", c.Preset, "threshold preset: default (Security Hub, 90 days) or cis (CIS v1.4+, 45 days)")
	fs.StringVar(&c.Templates, "templates", c.Templates, "folder of templates overriding the built-in ones")
	fs.StringVar(&c.Exceptions, "exceptions", c.Exceptions, "YAML file of accepted risks (exceptions)")
	fs.IntVar(&c.ExceptionsMaxDays, "exceptions-max-days", c.ExceptionsMaxDays, "an exception may expire at most this many days after the run's as-of")
	fs.StringVar(&c.Log.Level, "log-level", c.Log.Level, "debug, info, warn or error")
	fs.StringVar(&c.Log.Format, "log-format", c.Log.Format, "text, json, or auto (text on a terminal, JSON otherwise)")
	th := &c.Thresholds
	fs.IntVar(&th.InactiveUserDays, "inactive-days", th.InactiveUserDays, "user-inactive fires past this many days without use")
	fs.IntVar(&th.UnusedCredentialDays, "unused-days", th.UnusedCredentialDays, "console-password-unused and access-key-unused fire past this many days")
	fs.IntVar(&th.KeyRotationDays, "rotation-days", th.KeyRotationDays, "access-key-not-rotated fires past this many days")
	fs.IntVar(&th.RootUseDays, "root-use-days", th.RootUseDays, "root-used-recently fires when root was used within this many days")
	fs.IntVar(&th.MinPasswordLength, "min-password-length", th.MinPasswordLength, "password-policy-min-length fires below this length")
	fs.IntVar(&th.PasswordReuse, "password-reuse", th.PasswordReuse, "password-policy-reuse fires below this many remembered passwords")
	fs.IntVar(&th.MaxPasswordAgeDays, "max-password-age", th.MaxPasswordAgeDays, "password-policy-max-age fires above this many days")
	c.AWS.RegisterFlags(fs)
	c.S3.RegisterFlags(fs)
	c.Slack.RegisterFlags(fs)
}

// thresholdFlags are the flags that set single thresholds.
var thresholdFlags = map[string]bool{
	"inactive-days": true, "unused-days": true, "rotation-days": true, "root-use-days": true,
	"min-password-length": true, "password-reuse": true, "max-password-age": true,
}

// ApplyPresetFlag handles --preset given on the command line after
// parsing: the preset replaces the thresholds, then any threshold flag
// given explicitly is applied again on top.
func (c *Config) ApplyPresetFlag(fs *flag.FlagSet) error {
	presetSet := false
	fs.Visit(func(f *flag.Flag) { presetSet = presetSet || f.Name == "preset" })
	if !presetSet {
		return c.Validate()
	}
	th, err := audit.Preset(c.Preset)
	if err != nil {
		return err
	}
	explicit := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if thresholdFlags[f.Name] {
			explicit[f.Name] = f.Value.String()
		}
	})
	c.Thresholds = th
	for name, v := range explicit {
		if err := fs.Set(name, v); err != nil {
			return err
		}
	}
	return c.Validate()
}
