package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/reporter-dev/reporter/internal/awsfake"
)

func TestServe(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		accounts int
	}{
		{"sample", []string{"--org", "sample"}, 5},
		{"sample as a directory", []string{"--org", "dir:../../../../collect/sample/org", "--management-account", "111111111111"}, 5},
		{"synthetic", []string{"--org", "synthetic:45"}, 45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			pr, pw := io.Pipe()
			done := make(chan int)
			go func() {
				done <- run(ctx, append([]string{"--listen", "127.0.0.1:0"}, tt.args...), pw)
				pw.Close()
			}()
			line, err := bufio.NewReader(pr).ReadString('\n')
			if err != nil {
				t.Fatalf("no start-up line: %v", err)
			}
			go io.Copy(io.Discard, pr)
			url := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
			cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
				Credentials: credentials.NewStaticCredentialsProvider(awsfake.DefaultAccessKeyID, awsfake.DefaultSecretAccessKey, "")}
			p := organizations.NewListAccountsPaginator(organizations.NewFromConfig(cfg), &organizations.ListAccountsInput{})
			n := 0
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListAccounts against %q (from %q): %v", url, line, err)
				}
				n += len(page.Accounts)
			}
			if n != tt.accounts {
				t.Errorf("ListAccounts() = %d accounts, want %d", n, tt.accounts)
			}
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("run() = %d after shutdown, want 0", code)
			}
		})
	}
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown org", []string{"--org", "s3:bucket"}, "want dir:PATH, sample or synthetic:N"},
		{"missing directory", []string{"--org", "dir:/no/such/dir"}, "report directory"},
		{"bad synthetic size", []string{"--org", "synthetic:0"}, "want synthetic:N with N >= 1"},
		{"unknown management account", []string{"--org", "sample", "--management-account", "999999999999"}, "management account 999999999999 is not in the organization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := run(context.Background(), tt.args, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("run(%v) = %d, %q; want 2 and %q", tt.args, code, stderr.String(), tt.want)
			}
		})
	}
}

func TestFaultsFlag(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name string
		file string
		want string
	}{
		{"unknown key", write("typo.yaml", "accounts:\n  \"222222222222\":\n    AssumeRole: {eror: AccessDenied}\n"),
			`typo.yaml:3:18: unknown key "eror" in account 222222222222 AssumeRole`},
		{"account not served", write("absent.yaml", "accounts:\n  \"999999999999\": {latency: 1s}\n"),
			"absent.yaml:2: account 999999999999 is not in the organization served"},
		{"missing file", filepath.Join(dir, "none.yaml"), "none.yaml: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), []string{"--org", "sample", "--faults", tt.file}, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), "awsfake: --faults: ") || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("run(--faults %s) = %d, %q; want 2 and %q", tt.file, code, stderr.String(), tt.want)
			}
		})
	}

	t.Run("served", func(t *testing.T) {
		path := write("ok.yaml", "accounts:\n  \"222222222222\":\n    AssumeRole: {error: AccessDenied}\n")
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--org", "sample", "--faults", path}, pw)
			pw.Close()
		}()
		r := bufio.NewReader(pr)
		var lines []string
		for range 3 {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("start-up lines %q: %v", lines, err)
			}
			lines = append(lines, line)
		}
		go io.Copy(io.Discard, pr)
		if want := "awsfake: injecting faults into accounts 222222222222 (" + path + ":2)\n"; lines[2] != want {
			t.Errorf("third start-up line = %q, want %q", lines[2], want)
		}
		url := regexp.MustCompile(`http://[0-9.:]+`).FindString(lines[0])
		cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(awsfake.DefaultAccessKeyID, awsfake.DefaultSecretAccessKey, "")}
		for _, tc := range []struct{ account, wantErr string }{
			{"222222222222", "AccessDenied: User: arn:aws:iam::111111111111:user/awsfake-admin is not authorized to perform: sts:AssumeRole"},
			{"333333333333", ""},
		} {
			_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn: aws.String("arn:aws:iam::" + tc.account + ":role/" + awsfake.DefaultRoleName), RoleSessionName: aws.String("replay")})
			if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("AssumeRole(%s) = %v, want %q", tc.account, err, tc.wantErr)
			}
		}
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("run() = %d after shutdown, want 0", code)
		}
	})
}

// TestReadmeFaultFile checks that the replay file shown in docs/operators.md fits the
// sample organization.
func TestReadmeFaultFile(t *testing.T) {
	ff, err := awsfake.ReadFaultFile(filepath.Join("testdata", "bad-day.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	org, err := loadOrg("sample")
	if err != nil {
		t.Fatal(err)
	}
	if err := ff.Apply(&org); err != nil || len(ff.Entries) != 4 {
		t.Errorf("Apply() = %v with %d entries, want nil with 4", err, len(ff.Entries))
	}
}
