package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMetricsAfterSuccessAndFailure(t *testing.T) {
	m := New()
	srv := httptest.NewServer(m.Handler(2))
	defer srv.Close()

	start := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	run := &result.Run{
		Accounts: []result.Account{{ID: "1", Status: result.StatusCollected}, {ID: "2", Status: result.StatusFailed}},
		Findings: result.Findings{{Check: audit.RootMFADisabled, Severity: audit.Critical}, {Check: audit.UserInactive, Severity: audit.Low}},
	}
	run.Summarize()
	m.RunStarted(start)
	m.NextRun(start.AddDate(0, 1, 0))
	m.RunFinished(start, start.Add(90*time.Second), run, ResultSuccess, false, nil)

	code, body := get(t, srv, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`reporter_last_run_duration_seconds 90`,
		`reporter_last_success_timestamp_seconds 1.79351289e+09`,
		`reporter_next_run_timestamp_seconds 1.7961048e+09`,
		`reporter_accounts{outcome="audited"} 1`,
		`reporter_accounts{outcome="failed"} 1`,
		`reporter_open_findings{severity="critical"} 1`,
		`reporter_open_findings{severity="high"} 0`,
		`reporter_open_findings_by_check{check="user-inactive"} 1`,
		`reporter_runs_total{result="success"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := get(t, srv, "/readyz"); code != 200 {
		t.Errorf("/readyz after success = %d, want 200", code)
	}

	// Two failures in a row cross the readiness threshold.
	for i := 0; i < 2; i++ {
		m.RunFinished(start, start.Add(time.Second), nil, ResultDeliveryFailed, true, []string{"slack"})
		code, _ := get(t, srv, "/readyz")
		if want := []int{200, 503}[i]; code != want {
			t.Errorf("/readyz after %d failures = %d, want %d", i+1, code, want)
		}
	}
	_, body = get(t, srv, "/metrics")
	for _, want := range []string{
		`reporter_archive_failures_total 2`,
		`reporter_notify_failures_total{notifier="slack"} 2`,
		`reporter_runs_total{result="delivery_failed"} 2`,
		`reporter_last_success_timestamp_seconds 1.79351289e+09`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics after failures lacks %q", want)
		}
	}
	if code, body := get(t, srv, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
}
