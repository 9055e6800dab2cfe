package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper/byoktest"
)

// shutdownGrace bounds how long serve waits for requests in flight when it
// is stopped; connections still open then are closed.
const shutdownGrace = 5 * time.Second

// serveLimits are the limits of serve's HTTP server: a client that sends
// its request slowly, or never finishes it, is cut off instead of holding a
// connection (and a goroutine) for ever.
type serveLimits struct {
	readHeader, read, idle time.Duration
	maxHeaderBytes         int
}

// defaultServeLimits are serve's limits: generous for any client on this
// machine, short enough that abandoned connections do not pile up.
var defaultServeLimits = serveLimits{readHeader: 10 * time.Second, read: 30 * time.Second, idle: 2 * time.Minute, maxHeaderBytes: 64 << 10}

// httpServer returns the HTTP server of serve for h, with limits l.
func (l serveLimits) httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: l.readHeader, ReadTimeout: l.read, IdleTimeout: l.idle, MaxHeaderBytes: l.maxHeaderBytes}
}

// serveFlags are the flags of byokctl serve.
type serveFlags struct {
	// apiKey and apiSecret, or token, are the credentials the fake
	// accepts (--api-key, --api-secret, --token).
	apiKey, apiSecret, token string

	addr      string
	data      string
	baseURL   string
	seed      int
	faultRate float64
	// revokeEndpoint offers the route that makes a key lose access.
	revokeEndpoint bool
}

// newServeCmd builds byokctl serve: it parses the flags into serveFlags (its
// options) and calls runF with them (runServe, or a test's fake). Its
// --api-key, --api-secret and --token are its own: the credentials the
// fake accepts, never read from the environment. newRootCmd refuses the
// other global flags for it (refuseGlobalFlags).
func newServeCmd(rt *runtime, runF func(context.Context, *runtime, serveFlags) error) *cobra.Command {
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a fake BYOK API on this machine, to try byokctl and for tests",
		Long: `Run the fake BYOK API of package wrapper/byoktest until interrupted (Ctrl-C,
SIGINT or SIGTERM), then shut down cleanly.

Given --api-key and --api-secret, or --token, the fake accepts only those;
serve reads no environment variable (CONFLUENT_CLOUD_API_KEY and the others
are for the commands that call the API). Given none of them, it accepts its
built-in test credentials, which are fixed and public: the API key ` + byoktest.DefaultAPIKey + ` with the secret ` + byoktest.DefaultAPISecret + `,
or the bearer token ` + byoktest.DefaultToken + `; it prints them on stderr with the URL.

Keys live in memory, or in the JSON file given with --data: loaded at start,
saved after every change (a change that cannot be saved is not made). One
serve at a time may use a data file. --seed adds sample keys to an empty
store only, so a restart with the same --data keeps the same keys. Links in
the answers name the listening address, or --base-url.

A new key's validation completes on its second read: VALID, or INVALID when
its ARN or key id contains "invalid" or "denied". --fault-rate makes that
fraction of requests fail (server errors, dropped connections, 429 bursts...),
to try a client's retries. --revoke-endpoint adds a route, not part of the
API, to make a key lose access on demand, as when its key policy is edited:
  curl -X POST http://127.0.0.1:8080/_byoktest/keys/cck-12345/revoke
turns key cck-12345 INVALID with "Access to key denied.".`,
		Example: `  byokctl serve --seed 25
  byokctl serve --addr 127.0.0.1:9090 --data keys.json --fault-rate 0.1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), rt, sf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sf.apiKey, "api-key", "", "accept this Cloud API key, with --api-secret (default: the built-in test credentials)")
	f.StringVar(&sf.apiSecret, "api-secret", "", "the secret of --api-key")
	f.StringVar(&sf.token, "token", "", "accept this bearer access token (default: the built-in test credentials)")
	f.StringVar(&sf.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&sf.data, "data", "", "keep the keys in this JSON file")
	f.StringVar(&sf.baseURL, "base-url", "", "URL that links in answers start with (default: the listening address)")
	f.IntVar(&sf.seed, "seed", 0, "add this many sample keys at start when the store is empty")
	f.Float64Var(&sf.faultRate, "fault-rate", 0, "fraction of requests, 0 to 1, that fail on purpose")
	f.BoolVar(&sf.revokeEndpoint, "revoke-endpoint", false, "also answer POST /_byoktest/keys/ID/revoke, which makes key ID lose access (INVALID, \""+accessDenied+"\"), to try alerts; loopback only")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		switch {
		case sf.seed < 0:
			return usagef("--seed is %d; expected a number of keys, 0 or more", sf.seed)
		case sf.faultRate < 0 || sf.faultRate > 1:
			return usagef("--fault-rate is %v; expected a fraction from 0 to 1", sf.faultRate)
		case (sf.apiKey == "") != (sf.apiSecret == ""):
			return usagef("give --api-key and --api-secret together")
		case sf.baseURL != "" && !isBaseURL(sf.baseURL):
			return usagef("--base-url is %q; expected a scheme and a host, such as http://127.0.0.1:8080", sf.baseURL)
		}
		return nil
	}
	return cmd
}

// isBaseURL reports whether s is an http or https URL with a host and no
// path, query or fragment.
func isBaseURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == ""
}

// baseFakeOptions are the options of the fake server of serve and demo: a
// key validates on its second read, and fails when its ARN or key id says
// "invalid" or "denied".
func baseFakeOptions() []byoktest.Option {
	return []byoktest.Option{
		byoktest.WithValidation(byoktest.Validation{Reads: 2}),
		byoktest.WithInvalidKeys(func(material string) bool {
			m := strings.ToLower(material)
			return strings.Contains(m, "invalid") || strings.Contains(m, "denied")
		}, accessDenied),
	}
}

// serveFakeOptions returns the options of the fake server from the serve
// flags; base is the URL links start with.
func serveFakeOptions(rt *runtime, sf serveFlags, base string) []byoktest.Option {
	opts := append(baseFakeOptions(), byoktest.WithBaseURL(base))
	if sf.apiKey != "" {
		opts = append(opts, byoktest.WithCredentials(sf.apiKey, sf.apiSecret))
	}
	if sf.token != "" {
		opts = append(opts, byoktest.WithToken(sf.token))
	}
	if sf.data != "" {
		opts = append(opts, byoktest.WithDataFile(sf.data))
	}
	if sf.faultRate > 0 {
		opts = append(opts, byoktest.WithFaults(byoktest.Faults{Seed: time.Now().UnixNano(), Rate: sf.faultRate}))
	}
	return append(opts, rt.sys.fakeOptions...)
}

// serve listens first, so that an address in use stops it before the data
// file is touched; then the fake takes the data file (its lock, a trial
// save, the keys).
func runServe(ctx context.Context, rt *runtime, sf serveFlags) error {
	var logMu sync.Mutex // handlers log from many goroutines
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		rt.infof(format, args...)
	}
	ln, err := rt.sys.listen(ctx, sf.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", sf.addr, err)
	}
	defer func() { _ = ln.Close() }()
	listenURL := "http://" + displayAddr(ln.Addr())
	base := cmp.Or(strings.TrimSuffix(sf.baseURL, "/"), listenURL)
	var inflight sync.WaitGroup // requests being answered and logged
	opts := append(serveFakeOptions(rt, sf, base), byoktest.WithMiddleware(accessLog(logf, &inflight)))
	fake, err := byoktest.New(opts...)
	if err != nil {
		return fmt.Errorf("starting the fake server: %w", err)
	}
	defer func() { _ = fake.Close() }()
	seeded := 0
	if sf.seed > 0 && fake.Len() == 0 {
		if len(fake.Seed(sf.seed)) != sf.seed {
			return fmt.Errorf("adding %d sample keys: the data file %s could not be saved", sf.seed, sf.data)
		}
		seeded = sf.seed
	}
	handler := http.Handler(fake)
	if sf.revokeEndpoint {
		if handler, err = withRevokeEndpoint(fake, ln.Addr(), logf); err != nil {
			return err
		}
	}
	serveBanner(rt, logf, sf, fake, ln.Addr(), listenURL, base, seeded)

	err = runServer(ctx, defaultServeLimits.httpServer(handler), ln, shutdownGrace, logf)
	// Shutdown does not wait for the handlers of connections the fake took
	// over to break them (a reset, a dropped answer): wait for their log
	// lines, for as long again as the grace at most.
	if !waitGroupWithin(&inflight, shutdownGrace) {
		logf("requests still running after %s are not logged", shutdownGrace)
	}
	if cerr := fake.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("releasing the data file: %w", cerr)
	}
	if err != nil {
		return err
	}
	logf("stopped")
	return nil
}

// serveBanner says where the fake listens, what it keeps, which faults it
// injects and which credentials it accepts.
func serveBanner(rt *runtime, logf func(string, ...any), sf serveFlags, fake *byoktest.Server, addr net.Addr, listenURL, base string, seeded int) {
	logf("fake BYOK API listening on %s (Ctrl-C to stop)", listenURL)
	if !isLoopbackAddr(addr) {
		logf("warning: %s is not a loopback address; anyone who can reach it can use the fake", addr)
	}
	if base != listenURL {
		logf("links in answers start with %s", base)
	}
	if sf.data != "" {
		logf("keys are kept in %s", sf.data)
		if sf.seed > 0 && seeded == 0 {
			logf("--seed %d added no keys: the data file already holds keys", sf.seed)
		}
	}
	if sf.faultRate > 0 {
		logf("faults are on: each request fails on purpose with probability %s (such answers carry %s)",
			strconv.FormatFloat(sf.faultRate, 'g', -1, 64), byoktest.FaultHeader)
	}
	logf("%d keys; point byokctl at it with:", fake.Len())
	logf("  export %s=%s", envEndpoint, listenURL)
	switch {
	case sf.apiKey == "" && sf.token == "":
		// The fixed, public built-in credentials: printing them is the
		// point.
		logf("  export %s=%s", envAPIKey, fake.APIKey())
		logf("  export %s=%s", envAPISecret, fake.APISecret())
		logf("or a bearer token: export %s=%s", envAccessToken, fake.Token())
		logf("(the built-in test credentials; start serve with --api-key and --api-secret or --token to accept only yours)")
	case sf.apiKey != "":
		logf("  export %s=%s", envAPIKey, fake.APIKey())
		logf("  export %s=<the secret given with --api-secret>", envAPISecret)
		if sf.token != "" {
			logf("or a bearer token: export %s=<the token given with --token>", envAccessToken)
		}
	default:
		logf("  export %s=<the token given with --token>", envAccessToken)
	}
}

// runServer serves on ln until ctx ends, then shuts srv down: requests in
// flight get grace to finish, and the connections still open after it (a
// client that never finished its request) are closed.
func runServer(ctx context.Context, srv *http.Server, ln net.Listener, grace time.Duration, logf func(string, ...any)) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		// Serve stopped by itself: the listener failed.
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	logf("stopping")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		logf("closing the connections still open after %s", grace)
		err = srv.Close()
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// waitGroupWithin waits for wg for limit at most, and reports whether wg
// was done.
func waitGroupWithin(wg *sync.WaitGroup, limit time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// accessLog logs one line per request: method, path and query, status (or
// "no answer" when the fake closed the connection without one) and request
// id. Headers (and so credentials) are not logged. inflight counts the
// requests not logged yet.
func accessLog(logf func(string, ...any), inflight *sync.WaitGroup) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inflight.Add(1)
			defer inflight.Done()
			rec := &statusRecorder{ResponseWriter: w}
			start := time.Now()
			next.ServeHTTP(rec, r)
			fault := ""
			if mode := w.Header().Get(byoktest.FaultHeader); mode != "" {
				fault = " [fault injected: " + mode + "]"
			}
			status := "no answer"
			if rec.status != 0 {
				status = strconv.Itoa(rec.status)
			}
			logf("%s %s %s %s (request id %s)%s", r.Method, r.URL.RequestURI(), status,
				time.Since(start).Round(time.Millisecond), w.Header().Get("X-Request-Id"), fault)
		})
	}
}

// statusRecorder remembers the status a handler wrote: 0 when it wrote
// nothing (the fake hijacked the connection to break it).
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
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
