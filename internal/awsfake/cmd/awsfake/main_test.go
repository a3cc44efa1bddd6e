package main

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

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
