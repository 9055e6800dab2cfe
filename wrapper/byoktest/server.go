package byoktest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Server is a fake BYOK API listening on 127.0.0.1, like httptest.Server.
// It embeds the Handler it serves, so the Handler's methods (credentials,
// seeding, state changes, request log, faults) are Server methods.
type Server struct {
	*Handler
	srv *httptest.Server
}

// NewServer starts a fake BYOK API on 127.0.0.1 and closes it with
// t.Cleanup. An invalid option or a data file that cannot be read fails the
// test (t.Fatal). metadata.self, Location and the paging links name this
// server unless WithBaseURL says otherwise.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	h, err := NewHandler(opts...)
	if err != nil {
		t.Fatalf("byoktest.NewServer: %v", err)
	}
	srv := httptest.NewUnstartedServer(h)
	if h.base.Load() == nil {
		base := "http://" + srv.Listener.Addr().String()
		h.base.Store(&base)
	}
	srv.Start()
	s := &Server{Handler: h, srv: srv}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("byoktest: closing the server: %v", err)
		}
	})
	return s
}

// URL returns the server's base URL, such as http://127.0.0.1:41234 (the API
// paths start with /byok/v1/keys).
func (s *Server) URL() string { return s.srv.URL }

// Client returns an HTTP client set up for the server. It sends no
// credentials by itself: use Authorize, or set them on each request.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server, waits for the requests in flight and closes the
// Handler. It is safe to call more than once.
func (s *Server) Close() error {
	s.srv.Close()
	return s.Handler.Close()
}
