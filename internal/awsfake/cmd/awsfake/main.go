// Command awsfake serves a local AWS endpoint (IAM, STS, Organizations)
// over an organization loaded from a directory in the reporter's dir:
// layout, for demos, benchmarks and trials without an AWS account.
//
// Usage:
//
//	awsfake --listen 127.0.0.1:4566 --org dir:PATH [--management-account ID]
//	        [--access-key K --secret-key S] [--role-name NAME] [--external-id ID]
//	        [--reports-ready] [--faults FILE]
//
// --org sample serves the reporter's built-in sample organization and
// --org synthetic:N a generated one of N accounts (for benchmarks). The
// management key pair defaults to AWS's documentation example
// (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY).
// --faults FILE injects the faults of a fault file (see
// awsfake.ParseFaultFile) into the calls about the accounts it names, to
// replay a bad day. Point the reporter at it with:
//
//	AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 \
//	AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \
//	reporter run --source org
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/reporter-dev/reporter/collect/sample"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx ends and returns the exit status.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("awsfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:4566", "address to listen on")
	orgSpec := fs.String("org", "sample", "organization to serve: dir:PATH (the reporter's dir: layout), sample, or synthetic:N (N generated accounts)")
	mgmt := fs.String("management-account", "", "management account ID (default: the first account of accounts.json)")
	var opts awsfake.Options
	fs.StringVar(&opts.AccessKeyID, "access-key", awsfake.DefaultAccessKeyID, "management account access key ID")
	fs.StringVar(&opts.SecretAccessKey, "secret-key", awsfake.DefaultSecretAccessKey, "management account secret access key")
	fs.StringVar(&opts.RoleName, "role-name", awsfake.DefaultRoleName, "the role AssumeRole accepts in member accounts")
	fs.StringVar(&opts.ExternalID, "external-id", "", "ExternalId AssumeRole requires (none when empty)")
	fs.BoolVar(&opts.ReportsReady, "reports-ready", false, "serve every credential report as already generated (GenerateCredentialReport answers COMPLETE at once)")
	faults := fs.String("faults", "", "fault file (YAML or JSON): per account and action, the AWS errors, HTML pages, latency and stuck reports to answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	org, err := loadOrg(*orgSpec)
	if err != nil {
		fmt.Fprintln(stderr, "awsfake:", err)
		return 2
	}
	if *mgmt != "" {
		org.ManagementAccount = *mgmt
	}
	var faulty []string // accounts with faults, where the file sets them
	if *faults != "" {
		ff, err := awsfake.ReadFaultFile(*faults)
		if err == nil {
			err = ff.Apply(&org)
		}
		if err != nil {
			fmt.Fprintln(stderr, "awsfake: --faults:", err)
			return 2
		}
		for _, e := range ff.Entries {
			faulty = append(faulty, fmt.Sprintf("%s (%s:%d)", e.Account, ff.Name, e.Line))
		}
	}
	srv, err := awsfake.New(org, opts)
	if err != nil {
		fmt.Fprintln(stderr, "awsfake:", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "awsfake:", err)
		return 1
	}
	org = srv.Org()
	fmt.Fprintf(stderr, "awsfake: serving %d accounts of %s (management account %s) on http://%s\n",
		len(org.Accounts), org.ID, org.ManagementAccount, ln.Addr())
	fmt.Fprintf(stderr, "awsfake: AWS_ENDPOINT_URL=http://%s AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=<--secret-key> reporter run --source org\n",
		ln.Addr(), opts.AccessKeyID)
	if len(faulty) > 0 {
		fmt.Fprintf(stderr, "awsfake: injecting faults into accounts %s\n", strings.Join(faulty, ", "))
	}

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, "awsfake:", err)
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintln(stderr, "awsfake: shutdown:", err)
		return 1
	}
	return 0
}

// loadOrg reads the organization named by --org.
func loadOrg(spec string) (awsfake.Org, error) {
	switch {
	case spec == "sample":
		return awsfake.LoadFS(sample.FS(), "sample")
	case strings.HasPrefix(spec, "dir:"):
		return awsfake.LoadDir(strings.TrimPrefix(spec, "dir:"))
	case strings.HasPrefix(spec, "synthetic:"):
		n, err := strconv.Atoi(strings.TrimPrefix(spec, "synthetic:"))
		if err != nil || n < 1 {
			return awsfake.Org{}, fmt.Errorf("--org %q: want synthetic:N with N >= 1", spec)
		}
		return awsfake.Synthetic(n, time.Now().UTC().Truncate(24*time.Hour)), nil
	}
	return awsfake.Org{}, fmt.Errorf("--org %q: want dir:PATH, sample or synthetic:N", spec)
}
