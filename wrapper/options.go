package wrapper

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultEndpoint is the Confluent Cloud API endpoint used unless
// WithEndpoint says otherwise.
const DefaultEndpoint = "https://api.confluent.cloud"

// Option configures a Client. Options are applied in order by New; an option
// given a bad value makes New fail with an error that names the option.
type Option func(*options) error

// OptionError is a value that an Option, or New for the endpoint, refused.
// A program that sets the options from its own configuration (flags, a
// file) switches on Option and Instead to name its own setting instead of
// the Go option.
type OptionError struct {
	// Option is the option whose value was refused: "WithAPIKey",
	// "WithBearerToken", "WithEndpoint", ...
	Option string
	// Reason says what is wrong with the value, naming no option.
	Reason string
	// Instead is the option that would make New accept the value, when
	// there is one: "WithInsecureHTTP" for plain http to a host that is not
	// loopback, "WithAPIKey" for credentials written into the endpoint.
	Instead string
}

func (e *OptionError) Error() string {
	msg := e.Option + ": " + e.Reason
	switch e.Instead {
	case "WithInsecureHTTP":
		msg += ", or WithInsecureHTTP to send credentials unencrypted"
	case "WithAPIKey":
		msg += "; pass them with WithAPIKey or WithBearerToken"
	}
	return msg
}

// refuse returns the OptionError of option with a formatted reason.
func refuse(option, format string, args ...any) *OptionError {
	return &OptionError{Option: option, Reason: fmt.Sprintf(format, args...)}
}

// options holds what the Option functions set.
type options struct {
	endpoint    string
	endpointSet bool
	// endpointFromEnv: the endpoint came from CONFLUENT_CLOUD_ENDPOINT.
	endpointFromEnv bool
	insecureHTTP    bool
	auth            *auth
	authCount       int
	authSource      string // the kind of credential, for the debug log
	httpClient      *http.Client
	retry           RetryPolicy
	retrySet        bool
	userAgent       string
	logger          *slog.Logger
	clock           Clock
}

// WithAPIKey authenticates with a Confluent Cloud API key and secret (HTTP
// Basic: the key is the user name, the secret the password). Use exactly one
// of WithAPIKey, WithBearerToken and WithTokenSource.
func WithAPIKey(key, secret string) Option {
	return func(o *options) error {
		switch {
		case strings.TrimSpace(key) == "":
			return refuse("WithAPIKey", "the API key is empty")
		case secret == "":
			return refuse("WithAPIKey", "the API secret is empty")
		case strings.ContainsAny(key, ":\r\n"):
			return refuse("WithAPIKey", "the API key contains ':' or a line break; expected a key such as ABCDEFGH12345678")
		}
		o.auth = fixedAuth("Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret)))
		o.authCount++
		o.authSource = "API key (WithAPIKey)"
		return nil
	}
}

// WithBearerToken authenticates with a fixed OAuth 2.0 access token (for
// instance one issued by the Confluent Security Token Service). For tokens
// that expire, use WithTokenSource.
func WithBearerToken(token string) Option {
	return func(o *options) error {
		if strings.TrimSpace(token) == "" {
			return refuse("WithBearerToken", "the token is empty")
		}
		if hasControl(token) {
			return refuse("WithBearerToken", "the token contains a line break or another control character")
		}
		o.auth = fixedAuth("Bearer " + token)
		o.authCount++
		o.authSource = "bearer token (WithBearerToken)"
		return nil
	}
}

// WithTokenSource authenticates with bearer tokens obtained from source, which
// is called before every request attempt (so it may refresh an expiring
// token). An error from source fails the request without a retry.
func WithTokenSource(source func(context.Context) (string, error)) Option {
	return func(o *options) error {
		if source == nil {
			return refuse("WithTokenSource", "the token source is nil")
		}
		o.auth = &auth{source: source}
		o.authCount++
		o.authSource = "bearer tokens (WithTokenSource)"
		return nil
	}
}

// WithEndpoint sets the API endpoint, such as "https://api.confluent.cloud"
// (the default). The URL may carry a path prefix. Plain http:// is refused
// unless the host is certainly the local machine ("localhost" or a loopback
// IP address: 127.0.0.0/8, ::1) or WithInsecureHTTP is given too. Names under
// .localhost, such as "api.localhost", are not taken as loopback: Go resolves
// them through DNS and sends them to an HTTP proxy from the environment.
// Credentials, a query or a fragment in the URL are refused.
func WithEndpoint(endpoint string) Option {
	return func(o *options) error {
		o.endpoint = endpoint
		o.endpointSet = true
		return nil
	}
}

// WithInsecureHTTP allows a plain http:// endpoint on a host that is not a
// loopback address. Credentials are then sent unencrypted: use it only on a
// network you trust.
func WithInsecureHTTP() Option {
	return func(o *options) error {
		o.insecureHTTP = true
		return nil
	}
}

// WithHTTPClient sets the HTTP client used for every request. The Client uses
// a shallow copy of it whose CheckRedirect first drops the Authorization
// header on a redirect to another scheme, host or port and refuses a redirect
// from https to http, then calls the given client's CheckRedirect, if any.
//
// Without this option the Client uses its own http.Client: TLS 1.2 or later,
// proxies from the environment and a 60-second limit per attempt.
func WithHTTPClient(client *http.Client) Option {
	return func(o *options) error {
		if client == nil {
			return refuse("WithHTTPClient", "the client is nil")
		}
		o.httpClient = client
		return nil
	}
}

// WithRetryPolicy sets how failed requests are retried; zero fields of policy
// take the values of DefaultRetryPolicy. See RetryPolicy for which requests
// are retried.
func WithRetryPolicy(policy RetryPolicy) Option {
	return func(o *options) error {
		if policy.MaxAttempts < 0 || policy.BaseDelay < 0 || policy.MaxDelay < 0 || policy.MaxServerDelay < 0 {
			return refuse("WithRetryPolicy", "negative value in %+v; expected zero (the default) or more", policy)
		}
		o.retry = policy
		o.retrySet = true
		return nil
	}
}

// WithoutRetries sends every request once: a failure is returned as it came.
func WithoutRetries() Option {
	return func(o *options) error {
		o.retry = RetryPolicy{MaxAttempts: 1}
		o.retrySet = true
		return nil
	}
}

// WithUserAgent puts product (such as "byokctl/1.2.0") in front of the
// library's own User-Agent.
func WithUserAgent(product string) Option {
	return func(o *options) error {
		if strings.TrimSpace(product) == "" || hasControl(product) {
			return refuse("WithUserAgent", "%q is not a usable User-Agent; expected a product such as \"byokctl/1.2.0\"", product)
		}
		o.userAgent = product
		return nil
	}
}

// WithLogger logs every request attempt and response at debug level to
// logger: method, URL, headers (the Authorization header redacted, and the
// credential redacted wherever a server echoes it in a response header or
// an error), status, request id, rate limit and duration. Bodies are not
// logged.
func WithLogger(logger *slog.Logger) Option {
	return func(o *options) error {
		if logger == nil {
			return refuse("WithLogger", "the logger is nil")
		}
		o.logger = logger
		return nil
	}
}

// WithClock replaces real time in retry back-off and WaitForValidation
// polling. Tests use it to run without real sleeps.
func WithClock(clock Clock) Option {
	return func(o *options) error {
		if clock == nil {
			return refuse("WithClock", "the clock is nil")
		}
		o.clock = clock
		return nil
	}
}

// parseEndpoint checks raw as an API endpoint. Its errors never show the
// URL's user info, query or fragment, where a token pasted by mistake would
// sit, nor an opaque part or a part the URL parser quotes (a port): they say
// what is wrong and show at most the scheme, host and path.
func parseEndpoint(raw string, insecureHTTP bool) (string, *OptionError) {
	const expected = "expected a URL such as https://api.confluent.cloud"
	u, err := url.Parse(raw)
	if err != nil {
		// The parse error quotes the URL, which may hold credentials: keep
		// only the reason, without the part of the URL it quotes.
		reason := err.Error()
		var uerr *url.Error
		if errors.As(err, &uerr) {
			reason = uerr.Err.Error()
		}
		return "", endpointRefused("not a URL (%s); %s", withoutQuoted(reason), expected)
	}
	switch {
	case u.User != nil:
		return "", &OptionError{Option: "WithEndpoint", Reason: "credentials in the URL are refused", Instead: "WithAPIKey"}
	case u.RawQuery != "" || u.ForceQuery:
		return "", endpointRefused("the URL has a query (\"?...\"), which is not shown here; %s, without a query", expected)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", endpointRefused("the URL has a fragment (\"#...\"), which is not shown here; %s, without a fragment", expected)
	case u.Scheme == "":
		// Without a scheme, the whole text is taken as a path: it may be a
		// secret given in the wrong place, so it is not shown.
		return "", endpointRefused("the URL has no scheme; %s", expected)
	case u.Scheme != "https" && u.Scheme != "http":
		return "", endpointRefused("scheme %q is not supported; %s", u.Scheme, expected)
	case u.Host == "":
		return "", endpointRefused("the URL has no host after %s://; %s", u.Scheme, expected)
	case u.Scheme == "http" && !insecureHTTP && !isLoopback(u.Hostname()):
		return "", &OptionError{Option: "WithEndpoint", Reason: fmt.Sprintf("%q uses plain http on a host that is not loopback; use https", u.Scheme+"://"+u.Host+u.EscapedPath()), Instead: "WithInsecureHTTP"}
	}
	if strings.EqualFold(u.Hostname(), "localhost") {
		// The transport keeps only "localhost" in lower case away from a
		// proxy (http.ProxyFromEnvironment compares it as written).
		u.Host = "localhost" + strings.TrimPrefix(u.Host, u.Hostname())
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// endpointRefused is the OptionError of WithEndpoint with a formatted reason.
func endpointRefused(format string, args ...any) *OptionError {
	return &OptionError{Option: "WithEndpoint", Reason: fmt.Sprintf(format, args...)}
}

// withoutQuoted replaces every quoted part of s (as strconv.Quote writes it)
// by "…": a URL parser's reason quotes the piece of the URL at fault.
func withoutQuoted(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(`"…"`)
		q, err := strconv.QuotedPrefix(s[i:])
		if err != nil {
			return b.String()
		}
		s = s[i+len(q):]
	}
}

// hasControl reports whether s holds a control character other than a tab:
// a line break or any other, which net/http refuses in a header value.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && (r < 0x20 || r == 0x7f) })
}
