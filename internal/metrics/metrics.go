// Package metrics exposes the daemon's state in Prometheus format and
// serves /healthz, /readyz and /metrics.
package metrics

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// Metrics holds the reporter's gauges and counters in its own registry.
type Metrics struct {
	registry *prometheus.Registry

	lastStart, lastFinish, lastSuccess, duration, nextRun prometheus.Gauge
	accounts                                              *prometheus.GaugeVec
	openBySeverity, openByCheck                           *prometheus.GaugeVec
	runs                                                  *prometheus.CounterVec
	archiveFailures, panics                               prometheus.Counter
	notifyFailures                                        *prometheus.CounterVec

	mu                  sync.Mutex
	consecutiveFailures int
}

// New registers the metrics.
func New() *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "reporter", Name: name, Help: help})
		m.registry.MustRegister(g)
		return g
	}
	m.lastStart = gauge("last_run_start_timestamp_seconds", "When the last audit started.")
	m.lastFinish = gauge("last_run_finish_timestamp_seconds", "When the last audit finished.")
	m.lastSuccess = gauge("last_success_timestamp_seconds", "When the last audit that audited every account and delivered every artifact finished.")
	m.duration = gauge("last_run_duration_seconds", "How long the last audit took.")
	m.nextRun = gauge("next_run_timestamp_seconds", "When the next scheduled audit starts.")
	m.accounts = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "reporter", Name: "accounts",
		Help: "Accounts of the last audit by outcome (audited, failed, skipped)."}, []string{"outcome"})
	m.openBySeverity = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "reporter", Name: "open_findings",
		Help: "Open findings of the last audit by severity."}, []string{"severity"})
	m.openByCheck = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "reporter", Name: "open_findings_by_check",
		Help: "Open findings of the last audit by check."}, []string{"check"})
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "reporter", Name: "runs_total",
		Help: "Audits by result: success, partial (some accounts failed), delivery_failed, failed."}, []string{"result"})
	m.archiveFailures = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "reporter", Name: "archive_failures_total",
		Help: "Runs whose upload to the archive failed (kept in the spool)."})
	m.notifyFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "reporter", Name: "notify_failures_total",
		Help: "Failed notifications by notifier."}, []string{"notifier"})
	m.panics = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "reporter", Name: "run_panics_total",
		Help: "Audits that panicked (recovered)."})
	m.registry.MustRegister(m.accounts, m.openBySeverity, m.openByCheck, m.runs, m.archiveFailures, m.notifyFailures, m.panics,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, s := range audit.Severities {
		m.openBySeverity.WithLabelValues(s.String())
	}
	for _, r := range []string{ResultSuccess, ResultPartial, ResultDeliveryFailed, ResultFailed} {
		m.runs.WithLabelValues(r)
	}
	return m
}

// Results of a run, for runs_total.
const (
	ResultSuccess        = "success"
	ResultPartial        = "partial"
	ResultDeliveryFailed = "delivery_failed"
	ResultFailed         = "failed"
)

// RunStarted records the start of an audit.
func (m *Metrics) RunStarted(t time.Time) { m.lastStart.Set(unix(t)) }

// RunFinished records an audit's outcome. run may be nil when the audit
// failed before producing a report. archiveFailed and failedNotifiers
// describe delivery.
func (m *Metrics) RunFinished(start, end time.Time, run *result.Run, result string, archiveFailed bool, failedNotifiers []string) {
	m.lastFinish.Set(unix(end))
	m.duration.Set(end.Sub(start).Seconds())
	m.runs.WithLabelValues(result).Inc()
	if archiveFailed {
		m.archiveFailures.Inc()
	}
	for _, n := range failedNotifiers {
		m.notifyFailures.WithLabelValues(n).Inc()
	}
	m.mu.Lock()
	if result == ResultSuccess {
		m.consecutiveFailures = 0
		m.lastSuccess.Set(unix(end))
	} else {
		m.consecutiveFailures++
	}
	m.mu.Unlock()
	if run == nil {
		return
	}
	s := run.Summary
	m.accounts.WithLabelValues("audited").Set(float64(s.AccountsAudited))
	m.accounts.WithLabelValues("failed").Set(float64(s.AccountsFailed))
	m.accounts.WithLabelValues("skipped").Set(float64(s.AccountsSkipped))
	for _, sev := range audit.Severities {
		m.openBySeverity.WithLabelValues(sev.String()).Set(float64(s.BySeverity[sev.String()]))
	}
	m.openByCheck.Reset()
	for _, c := range audit.Checks {
		m.openByCheck.WithLabelValues(c.ID).Set(float64(s.ByCheck[c.ID]))
	}
}

// NextRun records the next scheduled activation.
func (m *Metrics) NextRun(t time.Time) { m.nextRun.Set(unix(t)) }

// Panicked counts a recovered panic.
func (m *Metrics) Panicked() { m.panics.Inc() }

// ConsecutiveFailures is the number of audits since the last success.
func (m *Metrics) ConsecutiveFailures() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.consecutiveFailures
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Handler serves /healthz (the process is up), /readyz (ready while fewer
// than maxFailures audits in a row have not succeeded) and /metrics.
func (m *Metrics) Handler(maxFailures int) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if n := m.ConsecutiveFailures(); maxFailures > 0 && n >= maxFailures {
			http.Error(w, fmt.Sprintf("not ready: the last %d audits did not succeed", n), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry}))
	return mux
}
