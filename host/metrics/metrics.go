// Package metrics is the host's Prometheus instrumentation: one registry the
// app owns, with the collectors every part reports to through the small
// observer interfaces those parts declare (mfa, plugins, oauth, the HTTP
// middleware). The admin listener serves it at /metrics.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of the host.
const namespace = "factorgate"

// Metrics holds the host's collectors and the registry they are registered
// in. Its methods are safe for concurrent use and cost a map lookup and an
// atomic add each, so the verification path pays next to nothing.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	verifications  *prometheus.CounterVec
	pluginCalls    *prometheus.CounterVec
	pluginDuration *prometheus.HistogramVec
	pluginRestarts *prometheus.CounterVec
	lockouts       *prometheus.CounterVec
	textsSent      *prometheus.CounterVec
	tokensIssued   *prometheus.CounterVec
}

// New returns the collectors registered in a registry of their own, with the
// Go runtime and process collectors beside them.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "verifications_total",
			Help: "Second-factor verifications, by factor instance, front door and result.",
		}, []string{"factor", "door", "result"}),
		pluginCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "plugin", Name: "calls_total",
			Help: "Calls to factor plugins, by plugin, method and outcome.",
		}, []string{"plugin", "method", "outcome"}),
		pluginDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "plugin", Name: "call_duration_seconds",
			Help:    "Latency of calls to factor plugins, by plugin and method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
		}, []string{"plugin", "method"}),
		pluginRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "plugin", Name: "restarts_total",
			Help: "Plugin processes started to replace one that died, by plugin.",
		}, []string{"plugin"}),
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "lockouts_total",
			Help: "Failure counters that locked, by kind (second_factor, password).",
		}, []string{"kind"}),
		textsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "texts_sent_total",
			Help: "Codes sent to users (SMS, email) by factors that send, by factor instance.",
		}, []string{"factor"}),
		tokensIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "oauth", Name: "tokens_issued_total",
			Help: "Token responses issued, by grant type.",
		}, []string{"grant"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: namespace}),
		m.httpRequests, m.httpDuration, m.verifications, m.pluginCalls, m.pluginDuration,
		m.pluginRestarts, m.lockouts, m.textsSent, m.tokensIssued,
	)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry the collectors are in, for tests and for
// registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// HTTPRequest counts one served request under its route template.
func (m *Metrics) HTTPRequest(method, route string, status int, d time.Duration) {
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Verification counts one verification of factor at door with its result.
func (m *Metrics) Verification(factor, door, result string) {
	m.verifications.WithLabelValues(factor, door, result).Inc()
}

// TextSent counts one code a factor sent.
func (m *Metrics) TextSent(factor string) { m.textsSent.WithLabelValues(factor).Inc() }

// PluginCall counts one plugin call with its outcome and latency.
func (m *Metrics) PluginCall(plugin, method, outcome string, d time.Duration) {
	m.pluginCalls.WithLabelValues(plugin, method, outcome).Inc()
	m.pluginDuration.WithLabelValues(plugin, method).Observe(d.Seconds())
}

// PluginRestart counts one replacement process of plugin.
func (m *Metrics) PluginRestart(plugin string) { m.pluginRestarts.WithLabelValues(plugin).Inc() }

// Lockout counts one counter that locked.
func (m *Metrics) Lockout(kind string) { m.lockouts.WithLabelValues(kind).Inc() }

// TokenIssued counts one token response of grant.
func (m *Metrics) TokenIssued(grant string) { m.tokensIssued.WithLabelValues(grant).Inc() }
