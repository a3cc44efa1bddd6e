// Command collect measures the org collector (collect/awsorg) against a
// large fake organization (issue 8, benchmark 1): wall time against the
// ideal for the concurrency, calls made, throttles, and the collector's
// own CPU time.
//
//	go run ./internal/bench/collect -accounts 5000 -concurrency 64 -latency 50ms -report-delay 2s -throttle-every 10
//	go run ./internal/bench/collect -short   # 200 accounts, 5ms, 100ms: a few seconds, for CI
//	go run ./internal/bench/collect -accounts 1000 -memprofile heap.prof   # the heap at its peak
//
// The fake (internal/awsfake) runs in a child process, the benchmark's own
// binary started with -serve, on a 127.0.0.1 port, so that getrusage
// tells the collector's CPU time (RUSAGE_SELF) from the fake's
// (RUSAGE_CHILDREN). Every call to it takes -latency; every report takes
// -report-delay to become COMPLETE (STARTED, then INPROGRESS); every
// -throttle-every-th member account answers Throttling to its first
// AssumeRole and its first GenerateCredentialReport. The collector is the
// real one with its default options (but the concurrency and the run
// timeout), over real SDK clients whose BaseEndpoint is the fake, with
// the fake's management key.
//
// The ideal is ceil(accounts / concurrency) × the per-account critical
// path: the calls an account makes outside its report's generation (read
// from the calls the fake answered) × latency + the report delay. The
// Organizations listing is part of the wall time, not of the ideal; the
// collector overlaps it with the first accounts. The command exits 1 when
// the collection fails, an account is not collected, or the ratio exceeds
// -max-ratio.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/collect/awsorg"
	"github.com/reporter-dev/reporter/internal/awsfake"
)

// asOf is the date the synthetic credential reports are written for.
var asOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

// params are the benchmark's settings, shared with the child.
type params struct {
	accounts, concurrency, throttleEvery int
	latency, reportDelay                 time.Duration
	timeout                              time.Duration
	unused                               unusedParams
}

func main() {
	var p params
	flag.IntVar(&p.accounts, "accounts", 5000, "accounts in the organization")
	flag.IntVar(&p.concurrency, "concurrency", 64, "accounts collected at a time")
	flag.DurationVar(&p.latency, "latency", 50*time.Millisecond, "latency of every call")
	flag.DurationVar(&p.reportDelay, "report-delay", 2*time.Second, "time a credential report takes to become COMPLETE")
	flag.IntVar(&p.throttleEvery, "throttle-every", 10, "every N-th member account is throttled at first (0: none)")
	flag.DurationVar(&p.timeout, "timeout", 0, "bound on the whole run (default: 3 × the ideal + 1m)")
	short := flag.Bool("short", false, "a run of a few seconds that checks the benchmark works: -accounts 200 -latency 5ms -report-delay 100ms unless given\n"+
		"(its ratio says little: one SDK retry backoff, up to 2s, outweighs the 120ms path)")
	maxRatio := flag.Float64("max-ratio", 0, "exit 1 when wall / ideal exceeds this (0: never)")
	asJSON := flag.Bool("json", false, "print the figures as JSON")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the collector to this file")
	memProfile := flag.String("memprofile", "", "write a heap profile of the collector to this file, taken when its live heap was highest")
	child := flag.Bool("serve", false, "serve the fake organization (the benchmark starts itself so)")
	p.unused.register(flag.CommandLine)
	flag.Parse()
	if *short {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"accounts": "200", "latency": "5ms", "report-delay": "100ms"} {
			if !set[name] {
				flag.Set(name, v)
			}
		}
	}
	if p.accounts < 2 || p.concurrency < 1 || p.latency < 0 || p.reportDelay < 0 || p.throttleEvery < 0 {
		fmt.Fprintln(os.Stderr, "collect: want -accounts >= 2, -concurrency >= 1 and no negative durations")
		os.Exit(2)
	}
	if p.timeout <= 0 {
		jobs, _ := p.unused.ideal(p)
		p.timeout = 3*(ideal(p, 4)+jobs) + time.Minute
	}
	if *child {
		if err := serve(p); err != nil {
			fmt.Fprintln(os.Stderr, "collect: awsfake:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "collect:", err)
			os.Exit(1)
		}
	}
	var heap *heapPeak
	if *memProfile != "" {
		heap = watchHeap(*memProfile)
	}
	fig, err := run(p)
	pprof.StopCPUProfile()
	if heap != nil {
		if herr := heap.stop(); err == nil {
			err = herr
		}
	}
	if err == nil {
		err = report(os.Stdout, fig, *asJSON)
	}
	if err == nil && *maxRatio > 0 && fig.Ratio > *maxRatio {
		err = fmt.Errorf("wall / ideal = %.2f, above -max-ratio %.2f", fig.Ratio, *maxRatio)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "collect:", err)
		os.Exit(1)
	}
}

// criticalPath is one account's critical path: calls × latency + the report delay.
func criticalPath(p params, calls int) time.Duration {
	return time.Duration(calls)*p.latency + p.reportDelay
}

// rounds is ceil(accounts / concurrency).
func rounds(p params) int { return (p.accounts + p.concurrency - 1) / p.concurrency }

// ideal is rounds × the critical path of calls sequential calls.
func ideal(p params, calls int) time.Duration {
	return time.Duration(rounds(p)) * criticalPath(p, calls)
}

// Figures are the measured results.
type Figures struct {
	Accounts, Concurrency, ThrottleEvery int
	Latency, ReportDelay                 time.Duration
	// CriticalCalls is the most common number of calls on a member
	// account's critical path; Formula and Ideal follow from it.
	CriticalCalls int
	Formula       string
	Ideal, Wall   time.Duration
	Ratio         float64
	// Listing is the time from the start until the organization was listed.
	Listing time.Duration
	// Collected, Failed and Skipped count the accounts by status.
	Collected, Failed, Skipped int
	// AccountP50, AccountP99 and AccountMax are percentiles of the time
	// the collector spent on one account, against its critical path.
	AccountP50, AccountP99, AccountMax time.Duration
	// Busy is the sum of the accounts' times over the concurrency: the
	// wall if no worker were ever idle.
	Busy time.Duration
	Fake Summary
	// CPU is the collector's process's CPU time (user + system) during
	// the collection; FakeCPU the fake's, in its own process.
	CPU, FakeCPU time.Duration
	PeakRSSMiB   float64
	// Unused describes the unused-services jobs; empty when off.
	Unused    string `json:",omitempty"`
	GoVersion string
	CPUs      int
}

// run starts the fake, collects the organization and measures.
func run(p params) (Figures, error) {
	fig := Figures{Accounts: p.accounts, Concurrency: p.concurrency, ThrottleEvery: p.throttleEvery,
		Latency: p.latency, ReportDelay: p.reportDelay, GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Unused: p.unused.describe()}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout+30*time.Second)
	defer cancel()

	fake, endpoint, err := startFake(ctx, p)
	if err != nil {
		return fig, err
	}
	defer fake.stop()

	listed := &listingClock{}
	src, err := awsorg.New(aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(awsfake.DefaultAccessKeyID, awsfake.DefaultSecretAccessKey, ""),
	}, awsorg.Options{
		Mode: awsorg.ModeOrg, Concurrency: p.concurrency, RunTimeout: p.timeout,
		LastAccessed: p.unused.options(), AccountTimeout: accountTimeout(p),
		Logger: slog.New(listed.handler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))),
	})
	if err != nil {
		return fig, err
	}

	var failures []string
	var durations []time.Duration
	cpu0, start := cpuTime(syscall.RUSAGE_SELF), time.Now()
	listed.start = start
	err = src.Collect(ctx, func(res collect.AccountResult) error {
		durations = append(durations, res.Duration)
		switch res.Status {
		case collect.Collected:
			fig.Collected++
		case collect.Skipped:
			fig.Skipped++
		default:
			fig.Failed++
			if len(failures) < 5 {
				failures = append(failures, fmt.Sprint(res.Err))
			}
		}
		return nil
	})
	fig.Wall, fig.CPU = time.Since(start), cpuTime(syscall.RUSAGE_SELF)-cpu0
	fig.PeakRSSMiB = peakRSSMiB()
	fig.Listing = listed.elapsed()
	if len(durations) > 0 {
		slices.Sort(durations)
		at := func(q float64) time.Duration { return durations[int(q*float64(len(durations)-1))] }
		fig.AccountP50, fig.AccountP99, fig.AccountMax = at(0.5), at(0.99), at(1)
		var sum time.Duration
		for _, d := range durations {
			sum += d
		}
		fig.Busy = sum / time.Duration(p.concurrency)
	}
	if err != nil {
		return fig, err
	}

	if fig.Fake, err = fake.stop(); err != nil {
		return fig, err
	}
	fig.FakeCPU = cpuTime(syscall.RUSAGE_CHILDREN)
	n, ok := fig.Fake.MostCommon()
	if !ok {
		return fig, errors.New("the fake saw no member account")
	}
	fig.CriticalCalls = n
	fig.Ideal = ideal(p, n)
	fig.Formula = fmt.Sprintf("ceil(%d accounts / %d) × (%d sequential calls × %s + %s report delay) = %d × %s = %s",
		p.accounts, p.concurrency, n, p.latency, p.reportDelay, rounds(p), criticalPath(p, n), fig.Ideal)
	if jobs, formula := p.unused.ideal(p); jobs > 0 {
		fig.Ideal += jobs
		fig.Formula += "; + " + formula + "; in all " + fig.Ideal.String()
	}
	fig.Ratio = fig.Wall.Seconds() / fig.Ideal.Seconds()
	if fig.Collected != p.accounts {
		return fig, fmt.Errorf("%d of %d accounts collected, %d failed, %d skipped; first failures:\n  %s",
			fig.Collected, p.accounts, fig.Failed, fig.Skipped, strings.Join(failures, "\n  "))
	}
	return fig, nil
}

// fakeProcess is the child process serving the organization.
type fakeProcess struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  *bufio.Reader
	stopped bool
}

// startFake starts the benchmark's own binary with -serve and returns it
// with the loopback URL it listens on.
func startFake(ctx context.Context, p params) (*fakeProcess, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	args := []string{"-serve",
		"-accounts", fmt.Sprint(p.accounts), "-concurrency", fmt.Sprint(p.concurrency),
		"-latency", p.latency.String(), "-report-delay", p.reportDelay.String(),
		"-throttle-every", fmt.Sprint(p.throttleEvery), "-timeout", (p.timeout + time.Minute).String()}
	cmd := exec.CommandContext(ctx, exe, append(args, p.unused.childArgs()...)...)
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 10 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	f := &fakeProcess{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout)}
	line, err := f.stdout.ReadString('\n')
	endpoint, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	u, uerr := url.Parse(endpoint)
	if err != nil || !ok || uerr != nil || u.Hostname() != "127.0.0.1" {
		f.stop()
		return nil, "", fmt.Errorf("awsfake did not start on 127.0.0.1: %q: %v", line, err)
	}
	return f, endpoint, nil
}

// stop closes the child's stdin, reads its summary and waits for it. Only
// the first call does anything.
func (f *fakeProcess) stop() (Summary, error) {
	var s Summary
	if f.stopped {
		return s, nil
	}
	f.stopped = true
	f.stdin.Close()
	decErr := json.NewDecoder(f.stdout).Decode(&s)
	if err := f.cmd.Wait(); err != nil {
		return s, fmt.Errorf("awsfake: %w", err)
	}
	if decErr != nil {
		return s, fmt.Errorf("awsfake: read its summary: %w", decErr)
	}
	return s, nil
}

// listingClock notes when the source logs that it has listed the
// organization, and passes Warn and above on to the wrapped handler.
type listingClock struct {
	start  time.Time
	listed chan time.Time
}

func (c *listingClock) handler(next slog.Handler) slog.Handler {
	c.listed = make(chan time.Time, 1)
	return &listingHandler{Handler: next, clock: c}
}

// elapsed is the time from start to the listing; 0 if it was not seen.
func (c *listingClock) elapsed() time.Duration {
	select {
	case t := <-c.listed:
		return t.Sub(c.start)
	default:
		return 0
	}
}

type listingHandler struct {
	slog.Handler
	clock *listingClock
}

func (h *listingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *listingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "organization listed" {
		select {
		case h.clock.listed <- r.Time:
		default:
		}
	}
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *listingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &listingHandler{Handler: h.Handler.WithAttrs(as), clock: h.clock}
}

func (h *listingHandler) WithGroup(name string) slog.Handler {
	return &listingHandler{Handler: h.Handler.WithGroup(name), clock: h.clock}
}

// report prints the figures.
func report(w io.Writer, fig Figures, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(fig)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	throttled := "none"
	if fig.ThrottleEvery > 0 {
		throttled = fmt.Sprintf("every %d-th member at its first %s", fig.ThrottleEvery, strings.Join(throttledActions, " and "))
	}
	fmt.Fprintf(tw, "organization\t%d accounts, latency %s per call, reports COMPLETE after %s, throttled: %s\n",
		fig.Accounts, fig.Latency, fig.ReportDelay, throttled)
	fmt.Fprintf(tw, "concurrency\t%d\n", fig.Concurrency)
	if fig.Unused != "" {
		fmt.Fprintf(tw, "unused permissions\t%s\n", fig.Unused)
	}
	fmt.Fprintf(tw, "collected\t%d (failed %d, skipped %d)\n", fig.Collected, fig.Failed, fig.Skipped)
	fmt.Fprintf(tw, "critical path\t%s\n", strings.Join(fig.Fake.Example, " → "))
	fmt.Fprintf(tw, "\t(calls in brackets overlap the report delay; members by critical calls: %s)\n", histogram(fig.Fake.CriticalCalls))
	fmt.Fprintf(tw, "ideal\t%s\n", fig.Formula)
	fmt.Fprintf(tw, "wall\t%s (organization listed after %s)\n", fig.Wall.Round(time.Millisecond), fig.Listing.Round(time.Millisecond))
	fmt.Fprintf(tw, "ratio\t%.3f (wall / ideal)\n", fig.Ratio)
	fmt.Fprintf(tw, "busy\t%s (sum of the accounts' times / concurrency: the wall if no worker were ever idle)\n", fig.Busy.Round(time.Millisecond))
	fmt.Fprintf(tw, "per account	p50 %s, p99 %s, max %s (critical path %s)\n", fig.AccountP50.Round(time.Millisecond),
		fig.AccountP99.Round(time.Millisecond), fig.AccountMax.Round(time.Millisecond), criticalPath(params{latency: fig.Latency, reportDelay: fig.ReportDelay}, fig.CriticalCalls))
	var actions []string
	for a := range fig.Fake.Calls {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	for _, a := range actions {
		fmt.Fprintf(tw, "calls %s\t%s\n", a, formatCalls(fig.Fake.Calls[a]))
	}
	fmt.Fprintf(tw, "throttles\t%d answered to %d accounts, retried by the SDK\n", fig.Fake.Throttles, fig.Fake.ThrottledAccounts)
	fmt.Fprintf(tw, "CPU, collector\t%s user+system (%.1f%% of one core over the wall), peak RSS %.0f MiB\n",
		fig.CPU.Round(time.Millisecond), 100*fig.CPU.Seconds()/fig.Wall.Seconds(), fig.PeakRSSMiB)
	fmt.Fprintf(tw, "CPU, awsfake\t%s user+system (child process)\n", fig.FakeCPU.Round(time.Millisecond))
	fmt.Fprintf(tw, "machine\t%s, %d CPUs\n", fig.GoVersion, fig.CPUs)
	return tw.Flush()
}

// histogram renders {4: 4500, 5: 499} as "4: 4500, 5: 499".
func histogram(h map[int]int) string {
	var keys []int
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d: %d", k, h[k]))
	}
	return strings.Join(parts, ", ")
}

// cpuTime is the user + system time of who (RUSAGE_SELF or RUSAGE_CHILDREN).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMiB is the process's peak resident set size (Linux reports KiB).
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}
