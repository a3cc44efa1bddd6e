package config

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestAWSSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "reporter.yaml")
	yaml := "aws:\n  role_name: IAMCredentialAuditRole\n  account_timeout: 2m\n  include_ous: [ou-abcd-11111111]\n  exclude_accounts: ['111122223333']\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		env  map[string]string
		args []string
		want func(a *AWS)
	}{
		{"defaults", "", nil, nil, func(*AWS) {}},
		{"file", file, nil, nil, func(a *AWS) {
			a.RoleName, a.AccountTimeout = "IAMCredentialAuditRole", 2*time.Minute
			a.IncludeOUs, a.ExcludeAccounts = []string{"ou-abcd-11111111"}, []string{"111122223333"}
		}},
		{"environment", "", map[string]string{"REPORTER_AWS_CONCURRENCY": "4", "REPORTER_AWS_EXCLUDE_OUS": "ou-a-11111111,ou-b-22222222"}, nil, func(a *AWS) {
			a.Concurrency, a.ExcludeOUs = 4, []string{"ou-a-11111111", "ou-b-22222222"}
		}},
		{"flags override the file", file, nil, []string{
			"--profile", "audit", "--region", "eu-west-1", "--role-name", "R", "--external-id", "x-1", "--session-name", "s",
			"--concurrency", "32", "--account-timeout", "90s", "--run-timeout", "2h",
			"--include-accounts", "222233334444, 333344445555", "--include-accounts", "444455556666",
			"--exclude-accounts", "", "--include-ous", "r-abcd", "--exclude-ous", "ou-abcd-22222222",
		}, func(a *AWS) {
			a.Profile, a.Region, a.RoleName, a.ExternalID, a.SessionName = "audit", "eu-west-1", "R", "x-1", "s"
			a.Concurrency, a.AccountTimeout, a.RunTimeout = 32, 90*time.Second, 2*time.Hour
			a.IncludeAccounts = []string{"222233334444", "333344445555", "444455556666"}
			a.ExcludeAccounts, a.IncludeOUs, a.ExcludeOUs = nil, []string{"r-abcd"}, []string{"ou-abcd-22222222"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := FromEnvironment(tt.path, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg.AWS.RegisterFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			want := DefaultAWS()
			tt.want(&want)
			if !reflect.DeepEqual(cfg.AWS, want) {
				t.Errorf("AWS = %+v, want %+v", cfg.AWS, want)
			}
		})
	}
}
