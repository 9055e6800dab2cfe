package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/cmd/byokctl/internal/exporter"
	"github.com/byokctl/byok/wrapper"
)

// minExporterInterval is the shortest --interval of exporter: each poll
// lists every key (a request per 100 keys).
const minExporterInterval = time.Second

// exporterOptions are the flags of byokctl exporter.
type exporterOptions struct {
	listen   string
	interval time.Duration
}

// newExporterCmd builds byokctl exporter: it parses the flags into
// exporterOptions and calls runF with them (runExporter, or a test's fake).
func newExporterCmd(rt *runtime, runF func(context.Context, *runtime, exporterOptions) error) *cobra.Command {
	var o exporterOptions
	cmd := &cobra.Command{
		Use:   "exporter",
		Short: "Serve the health of every key as Prometheus metrics",
		Long: `Serve the keys' health as Prometheus metrics on /metrics (and 200 on /healthz
while it runs), until interrupted (Ctrl-C, SIGINT or SIGTERM).

It lists the keys every --interval, not on every scrape, and serves the last
answer. When a poll fails it keeps serving the last keys it knows;
byok_last_successful_poll_timestamp_seconds says how old they are. Each poll
is bounded by --timeout (default 1m); polls never overlap. Credentials are
read as for every command, and never appear in a metric or a log line.

Metrics:
  byok_key_info{id, provider, display_name, region, state}   1 per key
  byok_key_validation_phase{id, phase}   1 for the key's phase, 0 for each
                                         other of INITIALIZING, VALID, INVALID
  byok_key_phase_since_timestamp_seconds{id}
  byok_last_successful_poll_timestamp_seconds   0 before the first
  byok_poll_errors_total
  byok_api_requests_total{code}          by HTTP status, retries included

Alerting rules for them ship in deploy/prometheus/byok-alerts.yaml.`,
		Example: `  byokctl exporter
  byokctl exporter --listen 0.0.0.0:9464 --interval 5m`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), rt, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:9464", "address to serve the metrics on")
	f.DurationVar(&o.interval, "interval", time.Minute, "time between two polls of the API")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if o.interval < minExporterInterval {
			return usagef("--interval is %s; expected %s or more (each poll lists every key)", o.interval, minExporterInterval)
		}
		return nil
	}
	return cmd
}

// runExporter listens, polls the API on its interval and serves the
// metrics until ctx ends.
func runExporter(ctx context.Context, rt *runtime, o exporterOptions) error {
	var logMu sync.Mutex // the poller and the server log from two goroutines
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		rt.infof(format, args...)
	}
	var client *wrapper.Client // set below: the exporter counts its requests
	failing := false           // the last poll failed (only the poller uses it)
	undecodable := 0           // keys of the last poll that could not be decoded
	opts := exporter.Options{
		Interval: o.interval,
		Timeout:  defaultTimeout,
		List: func(ctx context.Context) ([]wrapper.Key, error) {
			s, err := remote{client}.list(ctx, wrapper.ListKeysOptions{})
			if err != nil {
				return nil, err
			}
			if failing {
				logf("polling works again: %s", countKeys(len(s.keys)))
				failing = false
			}
			if n := len(s.unreadable); n != undecodable {
				logf("%s of the listing could not be decoded, so not exported (byokctl check names them)", countKeys(n))
				undecodable = n
			}
			return s.keys, nil
		},
		OnError: func(err error) {
			failing = true
			logf("byokctl: a poll failed; the keys of the last successful poll are served: %s", describe(err))
		},
	}
	if rt.timeout > 0 {
		opts.Timeout = rt.timeout
	}
	e := exporter.New(opts)
	var err error
	client, err = rt.newClient(wrapper.WithHTTPClient(&http.Client{Transport: e.Transport(exporterTransport()), Timeout: defaultTimeout}))
	if err != nil {
		return err
	}
	ln, err := rt.sys.listen(ctx, o.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	defer func() { _ = ln.Close() }()
	logf("exporter listening on http://%s/metrics, polling the API every %s (Ctrl-C to stop)", displayAddr(ln.Addr()), o.interval)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		e.Run(ctx)
	}()
	err = runServer(ctx, defaultServeLimits.httpServer(e.Handler()), ln, shutdownGrace, logf)
	stop() // a server that failed stops the poller too
	<-polled
	if err != nil {
		return err
	}
	logf("stopped")
	return nil
}

// exporterTransport is the transport of the exporter's API client: the
// default one, of its own (keep-alive connections are not shared).
func exporterTransport() http.RoundTripper {
	return http.DefaultTransport.(*http.Transport).Clone()
}
