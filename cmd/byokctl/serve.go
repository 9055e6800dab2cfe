package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper/byoktest"
)

// shutdownGrace bounds how long serve waits for requests in flight when it
// is stopped.
const shutdownGrace = 5 * time.Second

// serveFlags are the flags of byokctl serve (with the global --api-key,
// --api-secret and --token, which set the credentials the fake accepts).
type serveFlags struct {
	addr      string
	data      string
	seed      int
	faultRate float64
}

func newServeCmd(g *globals) *cobra.Command {
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a fake BYOK API on this machine, for trying byokctl and for tests",
		Long: `Run the fake BYOK API of package wrapper/byoktest until interrupted (Ctrl-C,
SIGINT or SIGTERM), then shut down cleanly.

The fake accepts the API key and secret given with --api-key and --api-secret
and the token given with --token; without them it makes up test credentials
and prints them on stderr with the URL. Keys live in memory, or in the JSON
file given with --data (loaded at start, saved after every change).

A new key's validation completes on its second read: VALID, or INVALID when
its ARN or key id contains "invalid" or "denied". --fault-rate makes that
fraction of requests fail (server errors, dropped connections, 429 bursts...),
to try a client's retries.`,
		Example: `  byokctl serve --seed 25
  byokctl serve --addr 127.0.0.1:9090 --data keys.json --fault-rate 0.1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.serve(cmd.Context(), sf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sf.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&sf.data, "data", "", "keep the keys in this JSON file")
	f.IntVar(&sf.seed, "seed", 0, "add this many sample keys at start")
	f.Float64Var(&sf.faultRate, "fault-rate", 0, "fraction of requests, 0 to 1, that fail on purpose")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		switch {
		case sf.seed < 0:
			return usagef("--seed is %d; expected a number of keys, 0 or more", sf.seed)
		case sf.faultRate < 0 || sf.faultRate > 1:
			return usagef("--fault-rate is %v; expected a fraction from 0 to 1", sf.faultRate)
		case (g.apiKey == "") != (g.apiSecret == ""):
			return usagef("give --api-key and --api-secret together")
		}
		return nil
	}
	return cmd
}

// baseFakeOptions are the options of the fake server of serve and demo: a
// key validates on its second read, and fails when its ARN or key id says
// "invalid" or "denied".
func (g *globals) baseFakeOptions() []byoktest.Option {
	return []byoktest.Option{
		byoktest.WithValidation(byoktest.Validation{Reads: 2}),
		byoktest.WithInvalidKeys(func(material string) bool {
			m := strings.ToLower(material)
			return strings.Contains(m, "invalid") || strings.Contains(m, "denied")
		}, "Access to key denied."),
	}
}

// serveFakeOptions returns the options of the fake server from the serve
// flags.
func (g *globals) serveFakeOptions(sf serveFlags) []byoktest.Option {
	opts := g.baseFakeOptions()
	if g.apiKey != "" {
		opts = append(opts, byoktest.WithCredentials(g.apiKey, g.apiSecret))
	}
	if g.token != "" {
		opts = append(opts, byoktest.WithToken(g.token))
	}
	if sf.data != "" {
		opts = append(opts, byoktest.WithDataFile(sf.data))
	}
	if sf.faultRate > 0 {
		opts = append(opts, byoktest.WithFaults(byoktest.Faults{Seed: time.Now().UnixNano(), Rate: sf.faultRate}))
	}
	return append(opts, g.sys.fakeOptions...)
}

func (g *globals) serve(ctx context.Context, sf serveFlags) error {
	var logMu sync.Mutex // handlers log from many goroutines
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		g.infof(format, args...)
	}
	opts := append(g.serveFakeOptions(sf), byoktest.WithMiddleware(accessLog(logf)))
	fake, err := byoktest.NewHandler(opts...)
	if err != nil {
		return &usageError{fmt.Errorf("starting the fake server: %w", err)}
	}
	ln, err := g.sys.listen(ctx, sf.addr)
	if err != nil {
		_ = fake.Close()
		return fmt.Errorf("listening on %s: %w", sf.addr, err)
	}
	url := "http://" + displayAddr(ln.Addr())
	if sf.seed > 0 {
		fake.Seed(sf.seed)
	}

	logf("fake BYOK API listening on %s (Ctrl-C to stop)", url)
	if !isLoopbackAddr(ln.Addr()) {
		logf("warning: %s is not a loopback address; anyone who can reach it can use the fake", ln.Addr())
	}
	if sf.data != "" {
		logf("keys are kept in %s", sf.data)
	}
	logf("%d keys; point byokctl at it with:", fake.Len())
	logf("  export %s=%s", envEndpoint, url)
	if g.apiKey != "" {
		logf("  export %s=%s", envAPIKey, fake.APIKey())
		logf("  export %s=<the secret given with --api-secret>", envAPISecret)
	} else {
		// The fake's own made-up credentials: printing them is the point.
		logf("  export %s=%s", envAPIKey, fake.APIKey())
		logf("  export %s=%s", envAPISecret, fake.APISecret())
	}
	if tok := fake.Token(); tok != "" && g.token == "" {
		logf("or a bearer token: export %s=%s", envAccessToken, tok)
	}

	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err = <-served:
		// Serve stopped by itself: the listener failed.
		_ = fake.Close()
		return fmt.Errorf("serving on %s: %w", url, err)
	case <-ctx.Done():
	}
	logf("stopping")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if cerr := fake.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("saving the keys: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	logf("stopped")
	return nil
}

// accessLog logs one line per request: method, path and query, status and
// request id. Headers (and so credentials) are not logged.
func accessLog(logf func(string, ...any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			start := time.Now()
			next.ServeHTTP(rec, r)
			fault := ""
			if mode := w.Header().Get(byoktest.FaultHeader); mode != "" {
				fault = " [fault injected: " + mode + "]"
			}
			logf("%s %s %d %s (request id %s)%s", r.Method, r.URL.RequestURI(), rec.status,
				time.Since(start).Round(time.Millisecond), w.Header().Get("X-Request-Id"), fault)
		})
	}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection (the fake hijacks
// it to inject some faults).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// displayAddr returns addr as a host:port to connect to: an unspecified
// address (0.0.0.0, ::) becomes 127.0.0.1.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return tcp.String()
}

func isLoopbackAddr(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP != nil && tcp.IP.IsLoopback()
}
