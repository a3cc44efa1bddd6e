// Package config holds the reporter's settings: one YAML file, overridden
// by REPORTER_* environment variables, then by command-line flags, then
// validated once by Validate. Each integration owns one section (aws, s3,
// slack), defined in its own file of this package.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/internal/yamlfile"
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
	// SLADays are the days an open finding of each severity may stay
	// open before it is overdue.
	SLADays SLADays `yaml:"sla_days"`
	// Templates is a folder of templates overriding the built-in ones.
	Templates string `yaml:"templates"`
	// Exceptions is the path of the accepted-risks YAML file.
	Exceptions string `yaml:"exceptions"`
	// ExceptionsMaxDays bounds how far ahead an exception may expire.
	ExceptionsMaxDays int `yaml:"exceptions_max_days"`
	Log               Log `yaml:"log"`
	// Workbook tunes audit.xlsx.
	Workbook Workbook `yaml:"workbook"`
	// Listen is the address of /healthz, /readyz and /metrics (daemon).
	Listen string `yaml:"listen"`
	Daemon Daemon `yaml:"daemon"`
	AWS    AWS    `yaml:"aws"`
	// UnusedPermissions configures the opt-in unused-services check.
	UnusedPermissions UnusedPermissions `yaml:"unused_permissions"`
	S3                S3                `yaml:"s3"`
	Slack             Slack             `yaml:"slack"`

	// OwnerTagKeys are the tag keys naming a finding's owner, in order:
	// the first present on the IAM user wins, else the first on the
	// account. Empty reads no tags for owners.
	OwnerTagKeys []string `yaml:"owner_tag_keys"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json or auto (text on a terminal)
}

// Workbook tunes audit.xlsx.
type Workbook struct {
	// MaxCredentialRows caps the credential-report rows copied to the
	// Credentials sheet; above it the sheet points to evidence/. Zero
	// copies none.
	MaxCredentialRows int `yaml:"max_credential_rows"`
	// MaxFamilyRows caps the open findings of a run that the family
	// sheets (Inactive users, Unrotated keys, MFA gaps, Root account,
	// Permissions, Password policy) repeat; above it each says how many
	// it would hold and points to the Findings sheet. Zero repeats none.
	MaxFamilyRows int `yaml:"max_family_rows"`
}

// DefaultMaxCredentialRows is the default of workbook.max_credential_rows
// (xlsx.DefaultMaxCredentialRows; config does not import report/xlsx).
const DefaultMaxCredentialRows = 100_000

// DefaultMaxFamilyRows is the default of workbook.max_family_rows
// (xlsx.DefaultMaxFamilyRows).
const DefaultMaxFamilyRows = 200_000

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Out:               "reports",
		Preset:            "default",
		Thresholds:        audit.DefaultThresholds(),
		SLADays:           DefaultSLADays(),
		Log:               Log{Level: "info", Format: "auto"},
		ExceptionsMaxDays: 365,
		OwnerTagKeys:      DefaultOwnerTagKeys(),
		Workbook:          Workbook{MaxCredentialRows: DefaultMaxCredentialRows, MaxFamilyRows: DefaultMaxFamilyRows},
		Listen:            "127.0.0.1:9090",
		Daemon:            DefaultDaemon(),
		AWS:               DefaultAWS(),
		UnusedPermissions: DefaultUnusedPermissions(),
		S3:                DefaultS3(),
		Slack:             DefaultSlack(),
	}
}

// FromEnvironment returns the defaults, or the file at path when path is
// not empty, with REPORTER_* environment overrides applied on top. It
// does not validate: flags may still override settings, so call Validate
// once they are applied.
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
	return cfg, nil
}

// Load reads the YAML file at path over the defaults. A repeated key, a
// second document and an unknown key are errors with their line. The
// preset is applied first, so thresholds in the file override single
// limits of it. Load does not validate the values (see FromEnvironment).
func Load(path string) (Config, error) {
	cfg := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	root, err := yamlfile.Parse(data, path)
	if err != nil {
		return cfg, err // FILE:LINE: … each
	}
	if root == nil {
		return cfg, nil
	}
	var head struct {
		Preset string `yaml:"preset"`
	}
	if err := root.Decode(&head); err != nil {
		return cfg, located(path, err)
	}
	if head.Preset != "" {
		th, err := audit.Preset(head.Preset)
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
		cfg.Thresholds = th
	}
	// yaml.Node.Decode cannot refuse unknown fields: decode the text again.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, located(path, err)
	}
	return cfg, nil
}

// typeErrorLine splits one of yaml.v3's decoding errors ("line 3: field
// x not found in type …").
var typeErrorLine = regexp.MustCompile(`^line ([0-9]+): (.*)$`)

// located turns yaml.v3's decoding errors into one FILE:LINE error each.
func located(path string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	var errs []error
	for _, msg := range te.Errors {
		if m := typeErrorLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			errs = append(errs, &yamlfile.Error{File: path, Line: line, Err: errors.New(m[2])})
		} else {
			errs = append(errs, &yamlfile.Error{File: path, Err: errors.New(msg)})
		}
	}
	return errors.Join(errs...)
}

// Validate checks every setting, whichever subcommand it serves, and
// reports all the invalid ones, joined. Every subcommand calls it once,
// after the file, the environment and the flags are applied; it reads no
// file and calls no service (the reporter's pre-flight checks the source,
// the exceptions file and the templates).
func (c *Config) Validate() error {
	return errors.Join(c.Problems()...)
}

// Problems lists the invalid settings, one error each, in the order of
// the configuration file.
func (c *Config) Problems() []error {
	var errs []error
	add := func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			errs = append(errs, joined.Unwrap()...) // one problem per line
		} else if err != nil {
			errs = append(errs, err)
		}
	}
	add(validSource(c.Source))
	if _, err := audit.Preset(c.Preset); err != nil {
		add(fmt.Errorf("preset: %w", err))
	}
	add(c.Thresholds.Validate())
	add(c.SLADays.Validate())
	if c.ExceptionsMaxDays < 1 {
		add(fmt.Errorf("exceptions_max_days %d (--exceptions-max-days): want 1 or more; every exception must be reviewed within that many days", c.ExceptionsMaxDays))
	}
	add(validOwnerTagKeys(c.OwnerTagKeys))
	add(c.Log.Validate())
	if c.Workbook.MaxCredentialRows < 0 {
		add(fmt.Errorf("workbook.max_credential_rows %d (--workbook-max-credential-rows): want 0 or more; 0 never copies the credential reports into the workbook", c.Workbook.MaxCredentialRows))
	}
	if c.Workbook.MaxFamilyRows < 0 {
		add(fmt.Errorf("workbook.max_family_rows %d (--workbook-max-family-rows): want 0 or more; 0 never repeats the open findings on the family sheets", c.Workbook.MaxFamilyRows))
	}
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			add(fmt.Errorf("listen %q: want HOST:PORT, or empty for no listener: %w", c.Listen, err))
		}
	}
	add(c.Daemon.Validate())
	add(c.AWS.Validate())
	add(c.UnusedPermissions.Validate())
	add(c.S3.Validate())
	add(c.Slack.Validate())
	return errs
}

// validSource checks the form of a source: org, account, sample,
// dir:PATH, or empty (org when AWS credentials are configured). Whether
// the folder or the credentials exist is checked when the source opens.
func validSource(s string) error {
	switch {
	case s == "", s == "org", s == "account", s == "sample":
		return nil
	case strings.HasPrefix(s, "dir:"):
		if strings.TrimPrefix(s, "dir:") == "" {
			return fmt.Errorf("source %q (--source): dir: needs a folder, dir:PATH", s)
		}
		return nil
	}
	return fmt.Errorf("unknown source %q (--source): want org, account, sample, or dir:PATH", s)
}

// Validate checks the log level and format.
func (l *Log) Validate() error {
	var errs []error
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.Level)); err != nil {
		errs = append(errs, fmt.Errorf("log.level %q (--log-level): want debug, info, warn or error", l.Level))
	}
	switch l.Format {
	case "auto", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q (--log-format): want auto, text or json", l.Format))
	}
	return errors.Join(errs...)
}

// RegisterFlags binds the flags of an audit (general, thresholds, AWS, S3,
// Slack) to c's fields; their defaults are c's current values, so flags
// override the file.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	c.RegisterGeneralFlags(fs)
	c.RegisterThresholdFlags(fs)
	c.AWS.RegisterFlags(fs)
	c.UnusedPermissions.RegisterFlags(fs)
	c.S3.RegisterFlags(fs)
	c.Slack.RegisterFlags(fs)
}

// RegisterDaemonFlags binds the flags only the daemon uses (schedule,
// limits and the listen address) to c's fields.
func (c *Config) RegisterDaemonFlags(fs *pflag.FlagSet) {
	c.Daemon.RegisterFlags(fs)
	fs.StringVar(&c.Listen, "listen", c.Listen, "address of /healthz, /readyz and /metrics (empty: none)")
}

// RegisterGeneralFlags binds the source, output, preset, templates,
// exceptions and log flags to c's fields.
func (c *Config) RegisterGeneralFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Source, "source", c.Source, "where reports come from: org (every account of the AWS Organization; the default when AWS credentials are configured), account (only the credentials' account), sample, or dir:PATH")
	fs.StringVar(&c.Out, "out", c.Out, "root folder of the run folders (OUT/YYYY/MM/RUN-ID)")
	fs.StringVar(&c.Preset, "preset", c.Preset, "threshold preset: default (Security Hub, 90 days) or cis (CIS v1.4+, 45 days)")
	fs.StringVar(&c.Templates, "templates", c.Templates, "folder of templates overriding the built-in ones")
	fs.StringVar(&c.Exceptions, "exceptions", c.Exceptions, "YAML file of accepted risks (exceptions)")
	fs.IntVar(&c.ExceptionsMaxDays, "exceptions-max-days", c.ExceptionsMaxDays, "an exception may expire at most this many days after the run's as-of (1 or more)")
	fs.Var(&awsListFlag{list: &c.OwnerTagKeys, kind: "keys"}, "owner-tag-keys", "comma-separated tag keys naming a finding's owner, first present wins: on the IAM user, else on the account (empty: no owners from tags)")
	fs.IntVar(&c.Workbook.MaxCredentialRows, "workbook-max-credential-rows", c.Workbook.MaxCredentialRows, "above this many credential-report rows, the workbook's Credentials sheet points to evidence/ instead of copying them (0: always)")
	fs.IntVar(&c.Workbook.MaxFamilyRows, "workbook-max-family-rows", c.Workbook.MaxFamilyRows, "above this many open findings, the workbook's family sheets (Inactive users, Unrotated keys…) say how many they would hold instead of repeating the Findings sheet's rows (0: always)")
	fs.StringVar(&c.Log.Level, "log-level", c.Log.Level, "debug, info, warn or error")
	fs.StringVar(&c.Log.Format, "log-format", c.Log.Format, "text, json, or auto (text on a terminal, JSON otherwise)")
}

// RegisterThresholdFlags binds the flags of single thresholds to c's
// fields (see ApplyPresetFlag for their interplay with --preset).
func (c *Config) RegisterThresholdFlags(fs *pflag.FlagSet) {
	th := &c.Thresholds
	fs.IntVar(&th.InactiveUserDays, "inactive-days", th.InactiveUserDays, "user-inactive fires past this many days without use")
	fs.IntVar(&th.UnusedCredentialDays, "unused-days", th.UnusedCredentialDays, "console-password-unused and access-key-unused fire past this many days")
	fs.IntVar(&th.KeyRotationDays, "rotation-days", th.KeyRotationDays, "access-key-not-rotated fires past this many days")
	fs.IntVar(&th.RootUseDays, "root-use-days", th.RootUseDays, "root-used-recently fires when root was used within this many days")
	fs.IntVar(&th.MinPasswordLength, "min-password-length", th.MinPasswordLength, "password-policy-min-length fires below this length")
	fs.IntVar(&th.PasswordReuse, "password-reuse", th.PasswordReuse, "password-policy-reuse fires below this many remembered passwords")
	fs.IntVar(&th.MaxPasswordAgeDays, "max-password-age", th.MaxPasswordAgeDays, "password-policy-max-age fires above this many days")
	fs.IntVar(&th.RoleUnusedDays, "role-unused-days", th.RoleUnusedDays, "role-unused fires for roles created and unused past this many days")
}

// thresholdFlags are the flags that set single thresholds.
var thresholdFlags = map[string]bool{
	"inactive-days": true, "unused-days": true, "rotation-days": true, "root-use-days": true,
	"min-password-length": true, "password-reuse": true, "max-password-age": true, "role-unused-days": true,
}

// ApplyPresetFlag handles --preset given on the command line after
// parsing: the preset replaces the thresholds, then any threshold flag
// given explicitly is applied again on top. Call Validate afterwards.
func (c *Config) ApplyPresetFlag(fs *pflag.FlagSet) error {
	presetSet := false
	fs.Visit(func(f *pflag.Flag) { presetSet = presetSet || f.Name == "preset" })
	if !presetSet {
		return nil
	}
	th, err := audit.Preset(c.Preset)
	if err != nil {
		return err
	}
	explicit := map[string]string{}
	fs.Visit(func(f *pflag.Flag) {
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
	return nil
}

// DefaultOwnerTagKeys returns the default owner_tag_keys: owner, then team.
func DefaultOwnerTagKeys() []string { return []string{"owner", "team"} }

// maxOwnerTagKeys bounds owner_tag_keys: each key is looked for in every
// user's and account's tags.
const maxOwnerTagKeys = 10

// validOwnerTagKeys checks owner_tag_keys: at most maxOwnerTagKeys keys,
// each 1 to 128 characters (IAM's limit) and given once.
func validOwnerTagKeys(keys []string) error {
	var errs []error
	if len(keys) > maxOwnerTagKeys {
		errs = append(errs, fmt.Errorf("owner_tag_keys (--owner-tag-keys): %d keys: want at most %d", len(keys), maxOwnerTagKeys))
	}
	for i, k := range keys {
		switch {
		case strings.TrimSpace(k) == "":
			errs = append(errs, fmt.Errorf("owner_tag_keys[%d] (--owner-tag-keys): empty key", i))
		case len([]rune(k)) > 128:
			errs = append(errs, fmt.Errorf("owner_tag_keys[%d] (--owner-tag-keys): %d characters: IAM tag keys have at most 128", i, len([]rune(k))))
		case slices.Contains(keys[:i], k):
			errs = append(errs, fmt.Errorf("owner_tag_keys[%d] (--owner-tag-keys): %q is given twice", i, k))
		}
	}
	return errors.Join(errs...)
}
