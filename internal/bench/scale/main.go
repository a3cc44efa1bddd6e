// Command scale measures the reporter end to end on a large synthetic
// organization (issue 8, benchmark 2): parse, evaluate and render
// findings.json, audit.md and audit.xlsx for ACCOUNTS × USERS credential
// rows, reporting wall time, the process's own CPU time, peak RSS, and the
// workbook's time against writing the same rows with encoding/csv.
//
//	go run ./internal/bench/scale -accounts 5000 -users 200
//
// The reports are generated first (not measured) into a temporary folder.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/collect"
	"github.com/reporter-dev/reporter/internal/app"
	"github.com/reporter-dev/reporter/internal/synth"
	"github.com/reporter-dev/reporter/report/xlsx"
)

var asOf = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

// reuse skips generating the organization (set by -reuse).
var reuse bool

func main() {
	accounts := flag.Int("accounts", 5000, "accounts in the organization")
	users := flag.Int("users", 200, "IAM users per account")
	work := flag.String("dir", "", "working folder (default: a temporary folder, removed afterwards)")
	flag.BoolVar(&reuse, "reuse", false, "reuse the organization already generated in -dir")
	previous := flag.Bool("previous", false, "audit once first, then measure a second run that compares with it (the steady state)")
	asJSON := flag.Bool("json", false, "print the figures as JSON")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	memProfile := flag.String("memprofile", "", "write a heap profile taken at the highest live heap to this file")
	flag.Parse()
	if *memProfile != "" {
		stop := watchPeakHeap(*memProfile)
		defer stop()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*accounts, *users, *work, *asJSON, *previous); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// Figures are the measured results.
type Figures struct {
	Accounts, Users, Rows   int
	SteadyState             bool // compared with a previous run
	Findings                int
	Wall, CPU               time.Duration
	SystemCPU               time.Duration // of CPU, in the kernel
	PeakRSSMiB              float64
	Workbook, CSV           time.Duration
	WorkbookOverCSV         float64
	Phases                  []app.Timing
	GoVersion, CPUs, Kernel string
}

func run(accounts, users int, work string, asJSON, previous bool) error {
	if work == "" {
		dir, err := os.MkdirTemp("", "reporter-scale-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	in, out := filepath.Join(work, "in"), filepath.Join(work, "out")
	if !reuse {
		if err := generate(in, accounts, users); err != nil {
			return err
		}
	}
	if previous {
		src, err := collect.NewDirSource(in)
		if err != nil {
			return err
		}
		if _, err := app.RunOnce(context.Background(), app.Options{
			Source: src, OutDir: out, AsOf: asOf.AddDate(0, -1, 0), Thresholds: audit.DefaultThresholds(),
			Version: "bench", Logger: slog.New(slog.DiscardHandler),
		}); err != nil {
			return err
		}
		// Peak RSS is the process's high-water mark: measure the steady
		// state in a fresh process.
		fmt.Fprintln(os.Stderr, "scale: previous run written; measuring the second run in a new process")
		return reexec(work, accounts, users, asJSON)
	}
	runtime.GC()

	cpu0, sys0, wall0 := cpuTime(), systemTime(), time.Now()
	src, err := collect.NewDirSource(in)
	if err != nil {
		return err
	}
	res, err := app.RunOnce(context.Background(), app.Options{
		Source: src, OutDir: out, AsOf: asOf, Thresholds: audit.DefaultThresholds(),
		Version: "bench", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	defer res.Close()
	fig := Figures{
		SteadyState: steadyState,
		Accounts:    accounts, Users: users, Rows: accounts * (users + 1), Findings: res.Run.Summary.Findings,
		Wall: time.Since(wall0), CPU: cpuTime() - cpu0, SystemCPU: systemTime() - sys0, PeakRSSMiB: peakRSSMiB(), Phases: res.Timings,
		GoVersion: runtime.Version(), CPUs: strconv.Itoa(runtime.NumCPU()),
	}
	for _, t := range res.Timings {
		if t.Phase == "audit.xlsx" {
			fig.Workbook = t.Duration
		}
	}

	// The same tables written with encoding/csv, for the ratio.
	var evidence []xlsx.Evidence
	for _, a := range res.Run.Accounts {
		if a.Status == string(collect.Collected) {
			evidence = append(evidence, xlsx.Evidence{AccountID: a.ID, AccountName: a.Name, Path: filepath.Join(res.Dir, "evidence", a.ID+".csv"), Rows: a.Users + 1})
		}
	}
	start := time.Now()
	if err := xlsx.WriteTablesCSV(filepath.Join(work, "tables.csv"), res.Run, evidence, xlsx.Options{}); err != nil {
		return err
	}
	fig.CSV = time.Since(start)
	fig.WorkbookOverCSV = fig.Workbook.Seconds() / fig.CSV.Seconds()

	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(fig)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "organization\t%d accounts × %d users = %d credential rows, %d findings\n", accounts, users, fig.Rows, fig.Findings)
	if fig.SteadyState {
		fmt.Fprintf(tw, "steady state\tcompared with a previous run of the same size\n")
	}
	fmt.Fprintf(tw, "wall time\t%s\n", fig.Wall.Round(time.Millisecond))
	fmt.Fprintf(tw, "CPU time (user+system)\t%s\n", fig.CPU.Round(time.Millisecond))
	fmt.Fprintf(tw, "  of which system\t%s\n", fig.SystemCPU.Round(time.Millisecond))
	fmt.Fprintf(tw, "peak RSS\t%.0f MiB\n", fig.PeakRSSMiB)
	for _, p := range fig.Phases {
		fmt.Fprintf(tw, "  %s\t%s\n", p.Phase, p.Duration.Round(time.Millisecond))
	}
	fmt.Fprintf(tw, "workbook vs encoding/csv of the same rows\t%s vs %s = %.1f×\n", fig.Workbook.Round(time.Millisecond), fig.CSV.Round(time.Millisecond), fig.WorkbookOverCSV)
	fmt.Fprintf(tw, "machine\t%s, %s CPUs\n", fig.GoVersion, fig.CPUs)
	return tw.Flush()
}

// generate writes the organization in the dir-source layout.
func generate(dir string, accounts, users int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type acct struct{ Id, Name string }
	var list []acct
	for i := range accounts {
		id := strconv.Itoa(200000000000 + i)
		list = append(list, acct{id, fmt.Sprintf("bench-%04d", i)})
		f, err := os.Create(filepath.Join(dir, id+".csv"))
		if err != nil {
			return err
		}
		if err := synth.Write(f, id, users, asOf, uint64(i)); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if i%3 == 0 {
			if err := os.WriteFile(filepath.Join(dir, id+".password-policy.json"), []byte(`{"PasswordPolicy": {"MinimumPasswordLength": 8}}`), 0o644); err != nil {
				return err
			}
		}
	}
	doc, _ := json.Marshal(map[string]any{"Accounts": list})
	return os.WriteFile(filepath.Join(dir, "accounts.json"), doc, 0o644)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// systemTime is the CPU time the process spent in the kernel.
func systemTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Stime.Nano())
}

// peakRSSMiB is the process's peak resident set size (Linux reports KiB).
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

// watchPeakHeap writes a heap profile to path each time the live heap
// (as of the last GC) reaches a new high, until stop is called.
func watchPeakHeap(path string) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var peak uint64
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > peak {
				peak = live
				if f, err := os.Create(path); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// steadyState is set in the re-executed process that measures a run
// comparing with a previous one.
var steadyState = os.Getenv("REPORTER_SCALE_STEADY") == "1"

// reexec runs this program again on the same folder, with the previous
// run in place, so that its peak RSS is the second run's alone.
func reexec(work string, accounts, users int, asJSON bool) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := []string{"-dir", work, "-reuse", "-accounts", strconv.Itoa(accounts), "-users", strconv.Itoa(users)}
	if asJSON {
		args = append(args, "-json")
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "REPORTER_SCALE_STEADY=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}
