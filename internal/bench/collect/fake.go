package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/reporter-dev/reporter/internal/awsfake"
)

// throttledActions are the calls a throttled account answers with
// Throttling once each before it succeeds: the first call into the
// account and its first IAM call.
var throttledActions = []string{"AssumeRole", "GenerateCredentialReport"}

// fakeOrg is the benchmark's organization: n synthetic accounts whose
// calls all take latency, whose reports take reportDelay to complete, and
// whose every throttleEvery-th member (none when 0) is throttled at first.
func fakeOrg(p params) awsfake.Org {
	org := awsfake.Synthetic(p.accounts, asOf)
	for i := range org.Accounts {
		f := awsfake.Fault{Latency: p.latency, InProgressFor: p.reportDelay}
		if p.throttleEvery > 0 && i > 0 && i%p.throttleEvery == 0 {
			f.Throttle = map[string]int{}
			for _, a := range throttledActions {
				f.Throttle[a] = 1
			}
		}
		org.Accounts[i].Fault = f
		// Issue 18's realistic size: 300 roles and 100 customer-managed
		// policies (URL-encoded documents), read in two pages.
		a := &org.Accounts[i]
		a.Details, a.Summary, a.VirtualMFA = awsfake.SyntheticPosture(a.ID, asOf, postureRoles, posturePolicies)
		p.unused.fault(a)
	}
	return org
}

// The posture of every benchmark account: roles and customer-managed
// policies, and the IAM page size that serves its authorization details
// in two pages (3 users, 1 group, the roles and the policies).
const (
	postureRoles    = 300
	posturePolicies = 100
	iamPageSize     = (3 + 1 + postureRoles + posturePolicies + 1) / 2
)

// serve is the child process: it serves the fake organization on a
// loopback port, writes "listening URL" on stdout, and when stdin closes
// (or after p.timeout) stops and writes the summary of the calls as JSON.
func serve(p params) error {
	srv, err := awsfake.New(fakeOrg(p), awsfake.Options{IAMPageSize: iamPageSize})
	if err != nil {
		return err
	}
	limitMemory()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "listening http://%s\n", ln.Addr())
	if err := out.Flush(); err != nil {
		return err
	}

	stdinClosed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-time.After(p.timeout):
		fmt.Fprintln(os.Stderr, "collect: awsfake: timed out")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(ctx)
	if err := json.NewEncoder(out).Encode(summarize(srv.Calls(), srv.Org().ManagementAccount)); err != nil {
		return err
	}
	return out.Flush()
}

// limitMemory bounds the fake's heap to half again its organization's
// size (about 2.2 MB an account with the unused-services jobs: 11 GB at
// 5,000 accounts), unless GOMEMLIMIT says otherwise. Go's default lets a
// heap grow to twice its live size before collecting, which at that size
// is more than a 24 GB machine holds beside the collector.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(int64(ms.HeapAlloc)*3/2 + 512<<20)
}

// Summary is what the fake saw of the collection.
type Summary struct {
	// Calls counts the calls by action and outcome: the report state
	// GenerateCredentialReport answered, the error code, or "ok".
	Calls map[string]map[string]int
	// Throttles counts the throttling answers (Throttling, LimitExceeded)
	// and ThrottledAccounts the accounts that got any.
	Throttles, ThrottledAccounts int
	// CriticalCalls counts the member accounts by the number of their
	// calls on the critical path: those not made while their report was
	// being generated, throttled answers left out.
	CriticalCalls map[int]int
	// Example is the call sequence of an unthrottled member account with
	// the most common number of critical calls, from the middle of the
	// run; calls made while the report was being generated are in brackets.
	Example []string
}

// isThrottle reports whether an error code is a throttling answer.
func isThrottle(code string) bool { return code == "Throttling" || code == "LimitExceeded" }

// summarize sums up calls, made to an organization whose management
// account is mgmt.
func summarize(calls []awsfake.Call, mgmt string) Summary {
	s := Summary{Calls: map[string]map[string]int{}, CriticalCalls: map[int]int{}}
	perAccount := map[string][]awsfake.Call{}
	var order []string
	for _, c := range calls {
		outcome := "ok"
		switch {
		case c.Error != "":
			outcome = c.Error
		case c.ReportState != "":
			outcome = c.ReportState
		}
		if s.Calls[c.Action] == nil {
			s.Calls[c.Action] = map[string]int{}
		}
		s.Calls[c.Action][outcome]++

		account := c.Caller
		if c.Action == "AssumeRole" {
			account = c.Target
		}
		if c.Service == "organizations" || c.Action == "GetCallerIdentity" || account == mgmt || account == "" || isJobCall(c.Action) {
			if isJobCall(c.Action) && isThrottle(c.Error) {
				s.Throttles++
			}
			continue
		}
		if _, ok := perAccount[account]; !ok {
			order = append(order, account)
		}
		perAccount[account] = append(perAccount[account], c)
	}

	sequences := map[int][][]string{}
	for _, account := range order {
		n, seq, throttles := criticalCalls(perAccount[account])
		s.CriticalCalls[n]++
		s.Throttles += throttles
		if throttles > 0 {
			s.ThrottledAccounts++
		} else {
			sequences[n] = append(sequences[n], seq)
		}
	}
	// The example comes from the middle of the run: the first accounts
	// poll before the collector has learned how long reports take.
	if n, ok := s.MostCommon(); ok && len(sequences[n]) > 0 {
		s.Example = sequences[n][len(sequences[n])/2]
	}
	return s
}

// criticalCalls looks at the calls about one account, in order. It returns
// how many are on the account's critical path (all but those made between
// the GenerateCredentialReport that started the report and the one that
// found it COMPLETE, and but throttled answers), the sequence with the
// calls made during generation in brackets, and the throttled answers.
func criticalCalls(calls []awsfake.Call) (n int, seq []string, throttles int) {
	generating := false
	for _, c := range calls {
		if isThrottle(c.Error) {
			throttles++
			continue
		}
		name := c.Action
		if c.ReportState != "" {
			name += " " + c.ReportState
		}
		switch {
		case c.Action == "GenerateCredentialReport" && c.ReportState == "COMPLETE":
			generating = false
		case generating:
			seq = append(seq, "["+name+"]")
			continue
		case c.Action == "GenerateCredentialReport" && c.ReportState != "":
			n++
			seq = append(seq, name)
			generating = true
			continue
		}
		n++
		seq = append(seq, name)
	}
	return n, seq, throttles
}

// MostCommon returns the most common number of critical calls (the
// smallest on a tie), and false when no member account was called.
func (s Summary) MostCommon() (int, bool) {
	best, count := 0, 0
	for n, c := range s.CriticalCalls {
		if c > count || (c == count && n < best) {
			best, count = n, c
		}
	}
	return best, count > 0
}

// formatCalls renders the calls of an action: "15012 (COMPLETE 5000, INPROGRESS 5012, STARTED 5000)".
func formatCalls(outcomes map[string]int) string {
	total := 0
	var parts []string
	for o, n := range outcomes {
		total += n
		parts = append(parts, fmt.Sprintf("%s %d", o, n))
	}
	slices.Sort(parts)
	if len(parts) == 1 && strings.HasPrefix(parts[0], "ok ") {
		return fmt.Sprint(total)
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}
