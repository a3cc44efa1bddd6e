package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/internal/awsfake"
)

// calls builds the calls about account from "Action", "Action STATE" or
// "Action !Code" (an error answer).
func calls(account string, specs ...string) []awsfake.Call {
	var out []awsfake.Call
	for _, s := range specs {
		action, rest, _ := strings.Cut(s, " ")
		c := awsfake.Call{Service: "iam", Action: action, Caller: account}
		if action == "AssumeRole" {
			c.Service, c.Caller, c.Target = "sts", "100000000000", account
		}
		if code, ok := strings.CutPrefix(rest, "!"); ok {
			c.Error = code
		} else {
			c.ReportState = rest
		}
		out = append(out, c)
	}
	return out
}

func TestCriticalCalls(t *testing.T) {
	tests := []struct {
		name          string
		calls         []awsfake.Call
		wantN         int
		wantSeq       []string
		wantThrottles int
	}{
		{
			name: "policy read while the report is generated",
			calls: calls("1", "AssumeRole", "GenerateCredentialReport STARTED", "GetAccountPasswordPolicy",
				"GenerateCredentialReport INPROGRESS", "GenerateCredentialReport COMPLETE", "GetCredentialReport"),
			wantN: 4,
			wantSeq: []string{"AssumeRole", "GenerateCredentialReport STARTED", "[GetAccountPasswordPolicy]",
				"[GenerateCredentialReport INPROGRESS]", "GenerateCredentialReport COMPLETE", "GetCredentialReport"},
		},
		{
			name: "policy read after the report",
			calls: calls("1", "AssumeRole", "GenerateCredentialReport STARTED", "GenerateCredentialReport COMPLETE",
				"GetCredentialReport", "GetAccountPasswordPolicy !NoSuchEntity"),
			wantN: 5,
			wantSeq: []string{"AssumeRole", "GenerateCredentialReport STARTED", "GenerateCredentialReport COMPLETE",
				"GetCredentialReport", "GetAccountPasswordPolicy"},
		},
		{
			name:  "report ready at once",
			calls: calls("1", "AssumeRole", "GenerateCredentialReport COMPLETE", "GetCredentialReport", "GetAccountPasswordPolicy"),
			wantN: 4, wantSeq: []string{"AssumeRole", "GenerateCredentialReport COMPLETE", "GetCredentialReport", "GetAccountPasswordPolicy"},
		},
		{
			name: "throttled answers are not on the path",
			calls: calls("1", "AssumeRole !Throttling", "AssumeRole", "GenerateCredentialReport !Throttling",
				"GenerateCredentialReport STARTED", "GetAccountPasswordPolicy", "GenerateCredentialReport COMPLETE", "GetCredentialReport"),
			wantN: 4, wantThrottles: 2,
			wantSeq: []string{"AssumeRole", "GenerateCredentialReport STARTED", "[GetAccountPasswordPolicy]", "GenerateCredentialReport COMPLETE", "GetCredentialReport"},
		},
		{
			name: "LimitExceeded is a throttle",
			calls: calls("1", "AssumeRole", "GenerateCredentialReport !LimitExceeded", "GenerateCredentialReport STARTED",
				"GenerateCredentialReport COMPLETE", "GetCredentialReport"),
			wantN: 4, wantThrottles: 1,
			wantSeq: []string{"AssumeRole", "GenerateCredentialReport STARTED", "GenerateCredentialReport COMPLETE", "GetCredentialReport"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, seq, throttles := criticalCalls(tt.calls)
			if n != tt.wantN || !slices.Equal(seq, tt.wantSeq) || throttles != tt.wantThrottles {
				t.Errorf("criticalCalls() = %d, %q, %d; want %d, %q, %d", n, seq, throttles, tt.wantN, tt.wantSeq, tt.wantThrottles)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	const mgmt = "100000000000"
	var all []awsfake.Call
	all = append(all, awsfake.Call{Service: "sts", Action: "GetCallerIdentity", Caller: mgmt},
		awsfake.Call{Service: "organizations", Action: "ListAccounts", Caller: mgmt})
	all = append(all, calls(mgmt, "GenerateCredentialReport STARTED", "GenerateCredentialReport COMPLETE", "GetCredentialReport", "GetAccountPasswordPolicy")...)
	for _, id := range []string{"100000000001", "100000000002"} {
		all = append(all, calls(id, "AssumeRole", "GenerateCredentialReport STARTED", "GetAccountPasswordPolicy",
			"GenerateCredentialReport COMPLETE", "GetCredentialReport")...)
	}
	all = append(all, calls("100000000003", "AssumeRole !Throttling", "AssumeRole", "GenerateCredentialReport STARTED",
		"GenerateCredentialReport COMPLETE", "GetCredentialReport", "GetAccountPasswordPolicy !AccessDenied")...)

	got := summarize(all, mgmt)
	want := Summary{
		Calls: map[string]map[string]int{
			"GetCallerIdentity":        {"ok": 1},
			"ListAccounts":             {"ok": 1},
			"AssumeRole":               {"ok": 3, "Throttling": 1},
			"GenerateCredentialReport": {"STARTED": 4, "COMPLETE": 4},
			"GetCredentialReport":      {"ok": 4},
			"GetAccountPasswordPolicy": {"ok": 3, "AccessDenied": 1},
		},
		Throttles: 1, ThrottledAccounts: 1,
		CriticalCalls: map[int]int{4: 2, 5: 1}, // the management account is not a member
		Example:       []string{"AssumeRole", "GenerateCredentialReport STARTED", "[GetAccountPasswordPolicy]", "GenerateCredentialReport COMPLETE", "GetCredentialReport"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summarize() = %+v\nwant %+v", got, want)
	}
	if n, ok := got.MostCommon(); n != 4 || !ok {
		t.Errorf("MostCommon() = %d, %v; want 4, true", n, ok)
	}
	if got := formatCalls(want.Calls["GenerateCredentialReport"]); got != "8 (COMPLETE 4, STARTED 4)" {
		t.Errorf("formatCalls() = %q, want %q", got, "8 (COMPLETE 4, STARTED 4)")
	}
}

func TestFakeOrg(t *testing.T) {
	p := params{accounts: 25, latency: 50 * time.Millisecond, reportDelay: 2 * time.Second, throttleEvery: 10}
	org := fakeOrg(p)
	if len(org.Accounts) != 25 {
		t.Fatalf("fakeOrg() has %d accounts, want 25", len(org.Accounts))
	}
	for i, a := range org.Accounts {
		wantThrottled := i == 10 || i == 20
		if a.Fault.Latency != p.latency || a.Fault.InProgressFor != p.reportDelay || (len(a.Fault.Throttle) > 0) != wantThrottled {
			t.Errorf("account %d: fault %+v, want latency %s, in progress for %s, throttled %v", i, a.Fault, p.latency, p.reportDelay, wantThrottled)
		}
	}
}

func TestIdeal(t *testing.T) {
	tests := []struct {
		accounts, concurrency, calls int
		want                         time.Duration
	}{
		{5000, 64, 4, 79 * 2200 * time.Millisecond},
		{5000, 16, 4, 313 * 2200 * time.Millisecond},
		{64, 64, 4, 2200 * time.Millisecond},
		{65, 64, 5, 2 * 2250 * time.Millisecond},
	}
	for _, tt := range tests {
		p := params{accounts: tt.accounts, concurrency: tt.concurrency, latency: 50 * time.Millisecond, reportDelay: 2 * time.Second}
		if got := ideal(p, tt.calls); got != tt.want {
			t.Errorf("ideal(%d accounts, %d at a time, %d calls) = %v, want %v", tt.accounts, tt.concurrency, tt.calls, got, tt.want)
		}
	}
}
