package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFromEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "reporter.yaml")
	os.WriteFile(file, []byte("out: /from/file\nthresholds:\n  key_rotation_days: 60\ndaemon:\n  schedule: '@monthly'\n"), 0o644)
	tests := []struct {
		name  string
		path  string
		env   map[string]string
		check func(c Config) bool
		err   string
	}{
		{"defaults", "", nil, func(c Config) bool {
			return c.Out == "reports" && c.Daemon.Schedule == "0 6 1 * *" && c.Listen == "127.0.0.1:9090" && c.Log.Format == "auto"
		}, ""},
		{"file", file, nil, func(c Config) bool {
			return c.Out == "/from/file" && c.Thresholds.KeyRotationDays == 60 && c.Daemon.Schedule == "@monthly"
		}, ""},
		{"environment overrides the file", file, map[string]string{
			"REPORTER_OUT": "/from/env", "REPORTER_THRESHOLDS_KEY_ROTATION_DAYS": "30",
			"REPORTER_DAEMON_RUN_TIMEOUT": "90m", "REPORTER_DAEMON_CATCH_UP": "false",
		}, func(c Config) bool {
			return c.Out == "/from/env" && c.Thresholds.KeyRotationDays == 30 && c.Daemon.RunTimeout == 90*time.Minute && !c.Daemon.CatchUp
		}, ""},
		{"environment preset", "", map[string]string{"REPORTER_PRESET": "cis"}, func(c Config) bool {
			return c.Thresholds.UnusedCredentialDays == 45
		}, ""},
		{"bad number names the variable", "", map[string]string{"REPORTER_THRESHOLDS_ROOT_USE_DAYS": "ninety"}, nil,
			`REPORTER_THRESHOLDS_ROOT_USE_DAYS="ninety"`},
		{"negative threshold", "", map[string]string{"REPORTER_THRESHOLDS_ROOT_USE_DAYS": "-1"}, nil, "must not be negative"},
		{"bad preset", "", map[string]string{"REPORTER_PRESET": "strict"}, nil, "unknown threshold preset"},
		{"default workbook limits", "", nil, func(c Config) bool {
			return c.Workbook.MaxCredentialRows == DefaultMaxCredentialRows && c.Workbook.MaxFamilyRows == DefaultMaxFamilyRows
		}, ""},
		{"workbook family limit from the environment", "", map[string]string{"REPORTER_WORKBOOK_MAX_FAMILY_ROWS": "0"}, func(c Config) bool {
			return c.Workbook.MaxFamilyRows == 0 && c.Workbook.MaxCredentialRows == DefaultMaxCredentialRows
		}, ""},
		{"negative workbook family limit", "", map[string]string{"REPORTER_WORKBOOK_MAX_FAMILY_ROWS": "-1"}, nil, "workbook.max_family_rows -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			c, err := FromEnvironment(tt.path, lookup)
			if err == nil {
				err = c.Validate()
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("FromEnvironment() error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("FromEnvironment() = %+v", c)
			}
		})
	}
}

func TestLoadRejectsUnknownKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "reporter.yaml")
	os.WriteFile(file, []byte("out: x\ndaemon:\n  shedule: '@daily'\n"), 0o644)
	_, err := Load(file)
	if err == nil || !strings.Contains(err.Error(), "shedule") || !strings.Contains(err.Error(), "reporter.yaml:3: ") {
		t.Errorf("Load() error = %v, want the unknown key and its line", err)
	}
}

func TestEnvNamesCoverNestedKeys(t *testing.T) {
	c := Default()
	names := strings.Join(c.EnvNames(), " ")
	for _, want := range []string{"REPORTER_OUT", "REPORTER_LOG_LEVEL", "REPORTER_DAEMON_SCHEDULE", "REPORTER_THRESHOLDS_INACTIVE_USER_DAYS", "REPORTER_S3_BUCKET"} {
		if !strings.Contains(names, want) {
			t.Errorf("EnvNames() lacks %s", want)
		}
	}
}

func TestRedact(t *testing.T) {
	type inner struct {
		Key   string `yaml:"key" secret:"true"`
		Plain string `yaml:"plain"`
	}
	v := struct {
		In    inner
		Empty string `secret:"true"`
	}{In: inner{Key: "hunter2", Plain: "visible"}}
	redact(reflect.ValueOf(&v).Elem())
	if v.In.Key != "<secret>" || v.In.Plain != "visible" || v.Empty != "" {
		t.Errorf("redact() = %+v", v)
	}
}

// TestLoadIsStrict: what the file says twice, or in a second document, or
// under a key nobody reads, is an error located as FILE:LINE.
func TestLoadIsStrict(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // every one in the error
	}{
		{"top-level key twice", "source: sample\nout: a\nsource: org\n", []string{`c.yaml:3: key "source" is defined twice (first at line 1)`}},
		{"nested key twice", "s3:\n  bucket: a\n  prefix: p\n  bucket: b\n", []string{`c.yaml:4: key "bucket" is defined twice (first at line 2)`}},
		{"key twice in a route", "slack:\n  routes:\n    - channel: \"#a\"\n      accounts: [\"111111111111\"]\n      channel: \"#b\"\n", []string{`c.yaml:5: key "channel"`}},
		{"every repeated key", "out: a\nout: b\ndaemon:\n  timezone: UTC\n  timezone: CET\n", []string{"c.yaml:2: ", "c.yaml:5: "}},
		{"second document", "source: sample\n---\nsource: org\n", []string{"c.yaml:2: a second YAML document"}},
		{"unknown keys, each located", "out: x\nsorce: y\nlog:\n  levle: info\n", []string{"c.yaml:2: field sorce not found", "c.yaml:4: field levle not found"}},
		{"wrong type", "aws:\n  concurrency: many\n", []string{"c.yaml:2: cannot unmarshal"}},
		{"syntax", "out: [x\n", []string{"c.yaml:"}},
		{"a list, not a mapping", "- source: sample\n", []string{"c.yaml:1: cannot unmarshal !!seq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			for _, want := range tt.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Load() error = %v, want %q", err, want)
				}
			}
		})
	}
}

// TestLoadEmptyFile: a file with nothing but comments is the defaults.
func TestLoadEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("# nothing set yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load() = %+v, %v; want the defaults", c, err)
	}
}

// TestValidateAfterOverrides: the environment can repair what the file
// got wrong (validation comes after both), and can break what the file
// got right.
func TestValidateAfterOverrides(t *testing.T) {
	file := filepath.Join(t.TempDir(), "reporter.yaml")
	if err := os.WriteFile(file, []byte("s3:\n  bucket: audits/2026\nexceptions_max_days: 30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string // "" when valid
	}{
		{"file alone", nil, `s3.bucket "audits/2026"`},
		{"environment repairs the file", map[string]string{"REPORTER_S3_BUCKET": "audits"}, ""},
		{"environment breaks the file", map[string]string{"REPORTER_S3_BUCKET": "audits", "REPORTER_EXCEPTIONS_MAX_DAYS": "0"}, "exceptions_max_days 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnvironment(file, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err != nil {
				t.Fatalf("FromEnvironment() error = %v", err)
			}
			err = c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestValidate lists the settings that cannot work, one problem each.
func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(c *Config)
		want string // "" when valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"sources", func(c *Config) { c.Source = "dir:./reports" }, ""},
		{"unknown source", func(c *Config) { c.Source = "bogus" }, `unknown source "bogus" (--source)`},
		{"dir: without a path", func(c *Config) { c.Source = "dir:" }, "dir: needs a folder"},
		{"unknown preset", func(c *Config) { c.Preset = "strict" }, `preset: unknown threshold preset "strict"`},
		{"negative threshold", func(c *Config) { c.Thresholds.KeyRotationDays = -1 }, "key_rotation_days must not be negative"},
		{"exceptions_max_days 1", func(c *Config) { c.ExceptionsMaxDays = 1 }, ""},
		{"exceptions_max_days 0", func(c *Config) { c.ExceptionsMaxDays = 0 }, "exceptions_max_days 0 (--exceptions-max-days): want 1 or more"},
		{"exceptions_max_days negative", func(c *Config) { c.ExceptionsMaxDays = -30 }, "exceptions_max_days -30"},
		{"workbook.max_credential_rows 0", func(c *Config) { c.Workbook.MaxCredentialRows = 0 }, ""},
		{"workbook.max_credential_rows negative", func(c *Config) { c.Workbook.MaxCredentialRows = -1 }, "workbook.max_credential_rows -1 (--workbook-max-credential-rows): want 0 or more"},
		{"workbook.max_family_rows 0", func(c *Config) { c.Workbook.MaxFamilyRows = 0 }, ""},
		{"workbook.max_family_rows negative", func(c *Config) { c.Workbook.MaxFamilyRows = -3 }, "workbook.max_family_rows -3 (--workbook-max-family-rows): want 0 or more"},
		{"log level", func(c *Config) { c.Log.Level = "verbose" }, `log.level "verbose"`},
		{"log format", func(c *Config) { c.Log.Format = "yaml" }, `log.format "yaml"`},
		{"no listener", func(c *Config) { c.Listen = "" }, ""},
		{"listen without port", func(c *Config) { c.Listen = "localhost" }, `listen "localhost"`},
		{"schedule", func(c *Config) { c.Daemon.Schedule = "monthly" }, `daemon: schedule`},
		{"time zone", func(c *Config) { c.Daemon.Timezone = "Mars/Olympus" }, `timezone "Mars/Olympus"`},
		{"daemon run timeout", func(c *Config) { c.Daemon.RunTimeout = 0 }, "daemon.run_timeout 0s"},
		{"shutdown grace", func(c *Config) { c.Daemon.ShutdownGrace = -time.Second }, "daemon.shutdown_grace -1s"},
		{"ready max failures", func(c *Config) { c.Daemon.ReadyMaxFailures = -1 }, "daemon.ready_max_failures -1"},
		{"ready max failures 0", func(c *Config) { c.Daemon.ReadyMaxFailures = 0 }, ""},
		{"concurrency", func(c *Config) { c.AWS.Concurrency = -3 }, "aws.concurrency -3 (--concurrency): want 1 or more"},
		{"concurrency 0", func(c *Config) { c.AWS.Concurrency = 0 }, "aws.concurrency 0"},
		{"account timeout", func(c *Config) { c.AWS.AccountTimeout = 0 }, "aws.account_timeout 0s"},
		{"aws run timeout", func(c *Config) { c.AWS.RunTimeout = -time.Minute }, "aws.run_timeout -1m0s"},
		{"s3", func(c *Config) { c.S3.Bucket = "b/p" }, `s3.bucket "b/p"`},
		{"slack", func(c *Config) { c.Slack.MaxFindings = -1 }, "slack.max_findings -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mod(&c)
			problems := c.Problems()
			if tt.want == "" {
				if len(problems) != 0 {
					t.Errorf("Problems() = %v, want none", problems)
				}
				return
			}
			if len(problems) != 1 || !strings.Contains(problems[0].Error(), tt.want) {
				t.Errorf("Problems() = %v, want exactly one containing %q", problems, tt.want)
			}
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// fromFileAndEnv is FromEnvironment with a configuration file holding
// file (none when it is empty) and the environment env.
func fromFileAndEnv(t *testing.T, file string, env map[string]string) (Config, error) {
	t.Helper()
	path := ""
	if file != "" {
		path = filepath.Join(t.TempDir(), "reporter.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return FromEnvironment(path, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}
