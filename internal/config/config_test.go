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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			c, err := FromEnvironment(tt.path, lookup)
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
	if err == nil || !strings.Contains(err.Error(), "shedule") || !strings.Contains(err.Error(), "line 3") {
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
