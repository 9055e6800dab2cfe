// Package exporter is the Prometheus exporter of byokctl exporter: it polls
// the BYOK API for the keys on its own interval, keeps the last answer, and
// serves it on every scrape, so that scrapes never multiply API calls. When
// a poll fails it keeps serving the last keys it knows, and
// byok_last_successful_poll_timestamp_seconds says how old they are.
//
// Metrics (all gauges unless said):
//
//	byok_key_info{id, provider, display_name, region, state}  1 per key
//	byok_key_validation_phase{id, phase}    1 for the key's phase, 0 for each other documented phase
//	byok_key_phase_since_timestamp_seconds{id}  when the key entered its phase (when the server says)
//	byok_last_successful_poll_timestamp_seconds  0 until the first successful poll
//	byok_poll_errors_total                   counter of failed polls
//	byok_api_requests_total{code}            counter of API requests by HTTP status
//
// Labels hold ids and the server's short fields, never a message or a
// credential.
package exporter

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/byokctl/byok/wrapper"
)

// namespace starts every metric name of the exporter.
const namespace = "byok"

// phases are the documented validation phases: each key has a series for
// each of them (the state-set pattern), and one more for a phase a newer
// server sends.
var phases = []wrapper.Phase{wrapper.PhaseInitializing, wrapper.PhaseValid, wrapper.PhaseInvalid}

// Lister lists every key on the server: one poll.
type Lister func(ctx context.Context) ([]wrapper.Key, error)

// Options configure an Exporter.
type Options struct {
	// List lists the keys; required.
	List Lister
	// Interval is the time between the starts of two polls; required.
	Interval time.Duration
	// Timeout bounds one poll; zero means Interval.
	Timeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// OnError is called with the error of each failed poll; nil ignores
	// them (byok_poll_errors_total counts them anyway).
	OnError func(error)
}

// Exporter polls the API and serves the metrics of its last poll.
type Exporter struct {
	opts     Options
	registry *prometheus.Registry
	// requests counts the API requests by status (see Transport).
	requests *prometheus.CounterVec
	errors   prometheus.Counter

	mu          sync.Mutex
	keys        []wrapper.Key // of the last successful poll
	lastSuccess time.Time     // zero until the first successful poll
}

// New returns an Exporter that has not polled yet.
func New(opts Options) *Exporter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = opts.Interval
	}
	e := &Exporter{
		opts:     opts,
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "api_requests_total",
			Help: "Requests sent to the BYOK API, by HTTP status of the answer (retries included).",
		}, []string{"code"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "poll_errors_total",
			Help: "Polls of the BYOK API that failed; the last known keys are served meanwhile.",
		}),
	}
	e.registry.MustRegister(e.requests, e.errors, keysCollector{e},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// Poll lists the keys once and keeps them for the scrapes. On failure it
// counts the error and keeps the keys of the last successful poll.
func (e *Exporter) Poll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	defer cancel()
	keys, err := e.opts.List(ctx)
	if err != nil {
		e.errors.Inc()
		if e.opts.OnError != nil {
			e.opts.OnError(err)
		}
		return err
	}
	now := e.opts.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys, e.lastSuccess = keys, now
	return nil
}

// Run polls at once, then every Interval, until ctx is done. A poll that
// lasts longer than the interval delays the next one; polls never overlap.
func (e *Exporter) Run(ctx context.Context) {
	ticker := time.NewTicker(e.opts.Interval)
	defer ticker.Stop()
	for {
		_ = e.Poll(ctx) // counted and reported by Poll
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Handler serves /metrics (the exposition of the last poll, in the format
// the scraper asks for) and /healthz (200 while the exporter runs, whatever
// the API answers: staleness is a metric, not a failed probe).
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// Transport returns next counting every request it carries in
// byok_api_requests_total by the status of its answer. A request that got
// no answer is not counted there (the poll fails, and is counted in
// byok_poll_errors_total).
func (e *Exporter) Transport(next http.RoundTripper) http.RoundTripper {
	return promhttp.InstrumentRoundTripperCounter(e.requests, next)
}

// keysCollector turns the exporter's last poll into metrics at each scrape.
type keysCollector struct{ e *Exporter }

var (
	infoDesc = prometheus.NewDesc(namespace+"_key_info",
		"A BYOK key, with its descriptive labels; always 1.",
		[]string{"id", "provider", "display_name", "region", "state"}, nil)
	phaseDesc = prometheus.NewDesc(namespace+"_key_validation_phase",
		"1 for the key's validation phase, 0 for each other documented phase (INITIALIZING, VALID, INVALID).",
		[]string{"id", "phase"}, nil)
	sinceDesc = prometheus.NewDesc(namespace+"_key_phase_since_timestamp_seconds",
		"When the key entered its validation phase, in seconds since the epoch.",
		[]string{"id"}, nil)
	lastSuccessDesc = prometheus.NewDesc(namespace+"_last_successful_poll_timestamp_seconds",
		"When the last successful poll of the BYOK API ended, in seconds since the epoch; 0 before the first.",
		nil, nil)
)

func (keysCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- infoDesc
	ch <- phaseDesc
	ch <- sinceDesc
	ch <- lastSuccessDesc
}

func (c keysCollector) Collect(ch chan<- prometheus.Metric) {
	c.e.mu.Lock()
	keys, last := c.e.keys, c.e.lastSuccess
	c.e.mu.Unlock()
	ch <- gauge(lastSuccessDesc, seconds(last))
	seen := map[string]bool{} // a server listing one id twice must not break the scrape
	for _, k := range keys {
		id := label(k.ID)
		if seen[id] {
			continue
		}
		seen[id] = true
		ch <- gauge(infoDesc, 1, id, label(string(k.Provider)), label(k.DisplayName), label(k.Validation.Region), label(string(k.State)))
		all := phases
		if !slices.Contains(phases, k.Validation.Phase) {
			all = append(slices.Clip(phases), k.Validation.Phase)
		}
		for _, p := range all {
			v := 0.0
			if p == k.Validation.Phase {
				v = 1
			}
			ch <- gauge(phaseDesc, v, id, label(string(p)))
		}
		if !k.Validation.Since.IsZero() {
			ch <- gauge(sinceDesc, seconds(k.Validation.Since), id)
		}
	}
}

// gauge returns a gauge of desc; labels are valid UTF-8 (see label), so
// the metric is always well formed.
func gauge(desc *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(desc, err)
	}
	return m
}

// label makes a server's text a label value: valid UTF-8, one line.
func label(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.Fields(s), " ")
}

// seconds returns t in seconds since the epoch, 0 for the zero time.
func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}
