package prism

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Recorder is a reverse proxy to Prism that notes every exchange and the
// violations Prism reported on it. It is safe for concurrent use.
type Recorder struct {
	proxy *httputil.ReverseProxy

	mu        sync.Mutex
	exchanges int
	flagged   []Flagged
}

// Flagged is an exchange Prism found something wrong with.
type Flagged struct {
	Method, Path string
	Status       int
	Violations   []Violation
}

func (f Flagged) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s -> %d:", f.Method, f.Path, f.Status)
	for _, v := range f.Violations {
		b.WriteString("\n    " + v.String())
	}
	return b.String()
}

// NewRecorder returns a Recorder that forwards to target (Prism's URL).
func NewRecorder(target *url.URL) *Recorder {
	r := &Recorder{}
	r.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
		},
		ModifyResponse: r.note,
	}
	return r
}

// ServeHTTP forwards the request to Prism.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.proxy.ServeHTTP(w, req) }

func (r *Recorder) note(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("prism recorder: reading the answer: %w", err)
	}
	vs, err := Violations(resp.Header, body)
	if err != nil {
		vs = []Violation{{Location: []string{"exchange"}, Severity: "Error", Message: err.Error()}}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges++
	if len(vs) > 0 {
		r.flagged = append(r.flagged, Flagged{Method: resp.Request.Method, Path: resp.Request.URL.Path, Status: resp.StatusCode, Violations: vs})
	}
	return nil
}

// Exchanges returns how many exchanges went through.
func (r *Recorder) Exchanges() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exchanges
}

// Flagged returns the exchanges Prism found something wrong with, in order.
func (r *Recorder) Flagged() []Flagged {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Flagged(nil), r.flagged...)
}
