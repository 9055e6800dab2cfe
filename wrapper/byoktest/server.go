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
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("byoktest.NewServer: %v", err)
	}
	srv := httptest.NewUnstartedServer(s)
	if s.base.Load() == nil {
		base := "http://" + srv.Listener.Addr().String()
		s.base.Store(&base)
	}
	srv.Start()
	s.srv = srv
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("byoktest: closing the server: %v", err)
		}
	})
	return s
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
	s := &Server{
		rules:   specRules(),
		cfg:     cfg,
		store:   newStore(),
		ids:     newIDGen(cfg.seed, cfg.seeded),
		limiter: &limiter{limit: cfg.rateLimit, window: cfg.rateWindow},
		faults:  newFaultState(cfg.faults),
		log:     newRequestLog(cfg.logSize),
	}
	s.org = s.ids.uuid()
	s.awsAccount = s.ids.digits(12)
	s.instance = s.ids.digits(6)
	if cfg.baseURL != "" {
		s.base.Store(&cfg.baseURL)
	}
	if cfg.dataFile != "" {
		if err := s.openData(); err != nil {
			return nil, err
		}
	}
	var outer http.Handler = http.HandlerFunc(s.serve)
	for i := len(cfg.middleware) - 1; i >= 0; i-- {
		outer = cfg.middleware[i](outer)
	}
	s.outer = outer
	return s, nil
}

// URL returns the base URL of a server NewServer started, such as
// http://127.0.0.1:41234 (the API paths start with /byok/v1/keys), even
// when WithBaseURL makes the links name another. A server made by New
// listens nowhere by itself: its URL is "".
func (s *Server) URL() string {
	if s.srv == nil {
		return ""
	}
	return s.srv.URL
}

// Client returns an HTTP client set up for the server: for one NewServer
// started, a client whose idle connections Close closes (as
// httptest.Server.Client); for one made by New, http.DefaultClient. It
// sends no credentials by itself: use Authorize, or set them on each
// request.
func (s *Server) Client() *http.Client {
	if s.srv == nil {
		return http.DefaultClient
	}
	return s.srv.Client()
}

// Close stops the listener of a server NewServer started, waiting for the
// requests in flight, and releases the data file's lock, if there is one
// (the keys are saved after every change); a change after Close is then
// refused, as one whose save failed, since another server may hold the
// file. It is safe to call more than once.
func (s *Server) Close() error {
	if s.srv != nil {
		s.srv.Close()
	}
	if s.data == nil {
		return nil
	}
	return s.data.release()
}
