package wrapper

import (
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/byokctl/byok/api"
)

// loggingDoer logs every request attempt and its answer at debug level.
type loggingDoer struct {
	next   api.HttpRequestDoer
	logger *slog.Logger
}

func (d *loggingDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	d.logger.DebugContext(ctx, "byok: request", "method", req.Method, "url", req.URL.Redacted(), "header", redactedHeader(req.Header))
	start := time.Now()
	resp, err := d.next.Do(req)
	elapsed := time.Since(start)
	if err != nil {
		d.logger.DebugContext(ctx, "byok: request failed", "method", req.Method, "url", req.URL.Redacted(), "error", err.Error(), "duration", elapsed)
		return resp, err
	}
	d.logger.DebugContext(ctx, "byok: response", "method", req.Method, "url", req.URL.Redacted(),
		"status", resp.StatusCode, "request_id", resp.Header.Get("X-Request-Id"),
		"header", redactedHeader(resp.Header), "duration", elapsed)
	return resp, nil
}

// redactedHeader returns the header as a log value, with credentials
// replaced by "[redacted]".
func redactedHeader(h http.Header) slog.Value {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	attrs := make([]slog.Attr, 0, len(h))
	for _, name := range names {
		values := h[name]
		value := ""
		if len(values) > 0 {
			value = values[0]
		}
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie":
			value = "[redacted]"
		}
		attrs = append(attrs, slog.String(name, value))
	}
	return slog.GroupValue(attrs...)
}
