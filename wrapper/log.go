package wrapper

import (
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/byokctl/byok/api"
)

// loggingDoer logs every request attempt and its answer at debug level.
type loggingDoer struct {
	next   api.HttpRequestDoer
	logger *slog.Logger
	auth   *auth // to redact the credential sent from what the server echoes
}

func (d *loggingDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !d.logger.Enabled(ctx, slog.LevelDebug) {
		return d.next.Do(req)
	}
	// A server or proxy may echo the credential of this request in its
	// headers or in an error (which may quote a malformed answer).
	sent := req.Header.Get("Authorization")
	red := d.auth.redactor(sent, "")
	d.logger.DebugContext(ctx, "byok: request", "method", req.Method, "url", req.URL.Redacted(), "header", redactedHeader(req.Header, red))
	start := time.Now()
	resp, err := d.next.Do(req)
	elapsed := time.Since(start)
	if err != nil {
		d.logger.DebugContext(ctx, "byok: request failed", "method", req.Method, "url", req.URL.Redacted(), "error", red.redact(err.Error()), "duration", elapsed)
		return resp, err
	}
	if final := requestAuthorization(resp); final != "" && final != sent {
		red = d.auth.redactor(sent, final)
	}
	d.logger.DebugContext(ctx, "byok: response", "method", req.Method, "url", req.URL.Redacted(),
		"status", resp.StatusCode, "request_id", red.redact(resp.Header.Get("X-Request-Id")),
		"header", redactedHeader(resp.Header, red), "duration", elapsed)
	return resp, nil
}

// redactedHeader returns the header as a log value, with credential headers
// replaced by "[redacted]" and the credential of the request (which a
// server may echo in any header) redacted from the others by red.
func redactedHeader(h http.Header, red redactor) slog.Value {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	attrs := make([]slog.Attr, 0, len(h))
	for _, name := range names {
		// A header sent more than once is shown with all its values, as
		// the client reads them (see parseRateLimit).
		values := make([]string, len(h[name]))
		for i, v := range h[name] {
			values[i] = red.redact(v)
		}
		value := strings.Join(values, ", ")
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie":
			value = redactedMark
		}
		attrs = append(attrs, slog.String(name, value))
	}
	return slog.GroupValue(attrs...)
}
