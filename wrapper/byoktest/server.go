package byoktest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Server is the fake BYOK API. NewServer starts one on 127.0.0.1 for a
// test, like httptest.Server; New makes one that is not listening, an
// http.Handler to serve yourself (as `byokctl serve` does). Either way its
// methods seed keys, change their states, queue errors and faults and read
// the request log. They are safe for concurrent use.
type Server struct {
	cfg        config
	store      *store
	ids        *idgen
	org        string
	awsAccount string
	limiter    *limiter
	faults     *faultState
	log        *requestLog
	instance   string
	outer      http.Handler
	base       atomic.Pointer[string] // set once, by WithBaseURL or NewServer
	srv        *httptest.Server       // nil unless made by NewServer

	data  *dataFiles // nil without WithDataFile
	rules *bodyRules // the spec's rules for request bodies

	reqSeq atomic.Uint64
}

// NewServer starts a fake BYOK API on 127.0.0.1 and closes it with
// t.Cleanup. An invalid option or a data file that cannot be read fails the
// test (t.Fatal). metadata.self, Location and the paging links name this
// server unless WithBaseURL says otherwise.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	h, err := New(opts...)
	if err != nil {
		t.Fatalf("byoktest.NewServer: %v", err)
	}
	srv := httptest.NewUnstartedServer(h)
	if h.base.Load() == nil {
		base := "http://" + srv.Listener.Addr().String()
		h.base.Store(&base)
	}
	srv.Start()
	h.srv = srv
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("byoktest: closing the server: %v", err)
		}
	})
	return h
}

// New returns the fake without starting it: serve it as an http.Handler.
// With WithDataFile it takes the file's lock (a second server on the same
// file fails, naming it), removes the temporary files a killed run left,
// checks that the file can be saved, and loads the keys from it if it
// exists; a file that is not a valid data file is an error that says what
// is wrong. Close releases the lock.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	cfg.credentials()
	h := &Server{
		rules:   specRules(),
		cfg:     cfg,
		store:   newStore(),
		ids:     newIDGen(cfg.seed, cfg.seeded),
		limiter: &limiter{limit: cfg.rateLimit, window: cfg.rateWindow},
		faults:  newFaultState(cfg.faults),
		log:     newRequestLog(cfg.logSize),
	}
	h.org = h.ids.uuid()
	h.awsAccount = h.ids.digits(12)
	h.instance = h.ids.digits(6)
	if cfg.baseURL != "" {
		h.base.Store(&cfg.baseURL)
	}
	if cfg.dataFile != "" {
		if err := h.openData(); err != nil {
			return nil, err
		}
	}
	var outer http.Handler = http.HandlerFunc(h.serve)
	for i := len(cfg.middleware) - 1; i >= 0; i-- {
		outer = cfg.middleware[i](outer)
	}
	h.outer = outer
	return h, nil
}

// URL returns the base URL of a server NewServer started, such as
// http://127.0.0.1:41234 (the API paths start with /byok/v1/keys), even
// when WithBaseURL makes the links name another. A server made by New
// listens nowhere by itself: its URL is "".
func (h *Server) URL() string {
	if h.srv == nil {
		return ""
	}
	return h.srv.URL
}

// Client returns an HTTP client set up for the server: for one NewServer
// started, a client whose idle connections Close closes (as
// httptest.Server.Client); for one made by New, http.DefaultClient. It
// sends no credentials by itself: use Authorize, or set them on each
// request.
func (h *Server) Client() *http.Client {
	if h.srv == nil {
		return http.DefaultClient
	}
	return h.srv.Client()
}

// Close stops the listener of a server NewServer started, waiting for the
// requests in flight, and releases the data file's lock, if there is one
// (the keys are saved after every change); a change after Close is then
// refused, as one whose save failed, since another server may hold the
// file. It is safe to call more than once.
func (h *Server) Close() error {
	if h.srv != nil {
		h.srv.Close()
	}
	if h.data == nil {
		return nil
	}
	return h.data.release()
}
