// Command reporter audits the IAM credentials of every account of an AWS
// Organization and writes an Excel workbook, a Markdown report, a JSON
// contract and the raw evidence for each run.
//
// Usage:
//
//	reporter run --source sample --out ./reports
//	reporter run --source dir:./my-reports --as-of 2026-11-01T06:00:00Z --out ./reports
//	reporter checks
//	reporter version
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
