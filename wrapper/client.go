package wrapper

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/byokctl/byok/api"
)

// Environment variables read by NewFromEnv (its doc comment names them).
const (
	envAPIKey      = "CONFLUENT_CLOUD_API_KEY"
	envAPISecret   = "CONFLUENT_CLOUD_API_SECRET"
	envAccessToken = "CONFLUENT_CLOUD_ACCESS_TOKEN"
	envEndpoint    = "CONFLUENT_CLOUD_ENDPOINT"
)

// libraryUserAgent is the User-Agent the library sends, after the product
// given with WithUserAgent.
const libraryUserAgent = "byok-go (+https://github.com/byokctl/byok)"

// attemptTimeout bounds one request attempt of the default HTTP client.
const attemptTimeout = 60 * time.Second

// Client calls the BYOK Management API v1. It is safe for concurrent use.
// Create one with New or NewFromEnv.
type Client struct {
	api      *api.Client
	endpoint string
	auth     *auth // a pointer, so that printing a Client never shows a secret
	retry    RetryPolicy
	clock    Clock
	logger   *slog.Logger
	agent    string
}

// New returns a Client. Credentials are required: exactly one of WithAPIKey,
// WithBearerToken or WithTokenSource; without them New fails, not the first
// call.
func New(opts ...Option) (*Client, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.auth == nil {
		return nil, fmt.Errorf("byok: no credentials: pass WithAPIKey, WithBearerToken or WithTokenSource, or use NewFromEnv")
	}
	return newClient(o)
}

// NewFromEnv returns a Client configured from the environment (read with
// os.Getenv):
//
//   - CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET, an API key and
//     its secret; or CONFLUENT_CLOUD_ACCESS_TOKEN, a bearer token. When both
//     a key pair and a token are set, the key pair wins; a key without its
//     secret (or a secret without its key) is an error, token or not.
//   - CONFLUENT_CLOUD_ENDPOINT (optional), the endpoint.
//
// Options given explicitly override the environment: a credential option
// replaces the credentials of the environment, WithEndpoint its endpoint.
// With WithLogger, the kind of credential used (never its value) is logged
// at debug level.
func NewFromEnv(opts ...Option) (*Client, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	getenv := os.Getenv
	if o.auth == nil {
		key, secret, token := getenv(envAPIKey), getenv(envAPISecret), getenv(envAccessToken)
		var (
			opt    Option
			source string
		)
		switch {
		case key != "" && secret != "":
			opt, source = WithAPIKey(key, secret), "API key from "+envAPIKey+" and "+envAPISecret
		case key != "":
			return nil, fmt.Errorf("byok: an API key (%s) needs its secret (%s)", envAPIKey, envAPISecret)
		case secret != "":
			return nil, fmt.Errorf("byok: an API secret (%s) needs its key (%s)", envAPISecret, envAPIKey)
		case token != "":
			opt, source = WithBearerToken(token), "bearer token from "+envAccessToken
		default:
			return nil, fmt.Errorf("byok: no credentials: set an API key and secret (%s and %s) or a bearer token (%s)", envAPIKey, envAPISecret, envAccessToken)
		}
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("byok: from the environment: %w", err)
		}
		o.authSource = source
	}
	if !o.endpointSet {
		if ep := getenv(envEndpoint); ep != "" {
			o.endpoint, o.endpointSet, o.endpointFromEnv = ep, true, true
		}
	}
	return newClient(o)
}

// applyOptions applies opts in order; nil options are skipped.
func applyOptions(opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, fmt.Errorf("byok: %w", err)
		}
	}
	if o.authCount > 1 {
		return o, errors.New("byok: more than one credential option: pass exactly one of WithAPIKey, WithBearerToken and WithTokenSource")
	}
	return o, nil
}

func newClient(o options) (*Client, error) {
	raw := DefaultEndpoint
	if o.endpointSet {
		raw = o.endpoint
	}
	endpoint, refused := parseEndpoint(raw, o.insecureHTTP)
	switch {
	case refused != nil && o.endpointFromEnv:
		return nil, fmt.Errorf("byok: %s: %s", envEndpoint, strings.TrimPrefix(refused.Error(), refused.Option+": "))
	case refused != nil:
		return nil, fmt.Errorf("byok: %w", refused)
	}
	c := &Client{
		endpoint: endpoint,
		auth:     o.auth,
		retry:    DefaultRetryPolicy(),
		clock:    o.clock,
		logger:   o.logger,
		agent:    libraryUserAgent,
	}
	if o.retrySet {
		c.retry = o.retry.withDefaults()
	}
	if c.clock == nil {
		c.clock = RealClock{}
	}
	if o.userAgent != "" {
		c.agent = o.userAgent + " " + libraryUserAgent
	}
	var doer api.HttpRequestDoer = safeRedirects(o.httpClient)
	if c.logger != nil {
		doer = &loggingDoer{next: doer, logger: c.logger, auth: c.auth}
	}
	gen, err := api.NewClient(endpoint, api.WithHTTPClient(doer), api.WithRequestEditorFn(c.editRequest))
	if err != nil {
		return nil, fmt.Errorf("byok: building the API client: %w", err)
	}
	c.api = gen
	if c.logger != nil {
		c.logger.Debug("byok: credentials", "kind", o.authSource)
	}
	return c, nil
}

// editRequest sets the headers every request carries. The generated client
// calls it once per attempt, so a token source is asked again on a retry.
// It records the Authorization value sent in the attempt's trace, so that
// call can redact that very value from the answer.
func (c *Client) editRequest(ctx context.Context, req *http.Request) error {
	req.Header.Set("User-Agent", c.agent)
	req.Header.Set("Accept", "application/json")
	if err := c.auth.apply(ctx, req); err != nil {
		return &editError{err: err}
	}
	if trace, ok := ctx.Value(attemptKey{}).(*attemptTrace); ok {
		trace.authorization = req.Header.Get("Authorization")
	}
	return nil
}

// auth holds the credentials. Its fields are never formatted into errors or
// logs.
type auth struct {
	source func(context.Context) (string, error)

	// fixedValue is the Authorization value of a key and secret or of a
	// fixed token, and fixed its redactor, made once rather than for every
	// answer.
	fixedValue string
	fixed      redactor
}

// fixedAuth returns the auth of a key and secret or a fixed token, whose
// Authorization value is value.
func fixedAuth(value string) *auth {
	return &auth{fixedValue: value, fixed: newRedactor(value)}
}

// redactor returns the redactor of an attempt that sent the Authorization
// value sent and whose answer came for a request that carried final (the
// request of the answer: the same, or after a redirect, possibly none).
func (a *auth) redactor(sent, final string) redactor {
	if final == sent || final == "" {
		if sent == a.fixedValue && sent != "" {
			return a.fixed
		}
		return newRedactor(sent)
	}
	return newRedactor(sent, final)
}

func (a *auth) apply(ctx context.Context, req *http.Request) error {
	switch {
	case a.fixedValue != "":
		// A key and secret or a fixed token: the value made by prepare.
		req.Header["Authorization"] = []string{a.fixedValue}
	case a.source != nil:
		token, err := a.source(ctx)
		if err != nil {
			return fmt.Errorf("getting a bearer token: %w", err)
		}
		if strings.TrimSpace(token) == "" || hasControl(token) {
			return errors.New("getting a bearer token: the token source returned an empty or malformed token")
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return nil
}

// editError marks a failure while preparing a request (a token source that
// failed): it is returned at once, never retried.
type editError struct{ err error }

func (e *editError) Error() string { return e.err.Error() }
func (e *editError) Unwrap() error { return e.err }

// defaultHTTPClient is the HTTP client used without WithHTTPClient.
func defaultHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: attemptTimeout}
}

// safeRedirects returns a copy of client (or the default client) whose
// redirects never carry the Authorization header to another origin and never
// go from https to http.
func safeRedirects(client *http.Client) *http.Client {
	if client == nil {
		client = defaultHTTPClient()
	}
	cp := *client
	next := client.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return &redirectError{reason: "stopped after 10 redirects"}
		}
		first := via[0].URL
		if first.Scheme == "https" && req.URL.Scheme != "https" {
			return &redirectError{reason: "refusing a redirect from https to " + req.URL.Scheme}
		}
		if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
			req.Header.Del("Authorization")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cp
}

// isLoopback reports whether host certainly names the local machine: the
// name "localhost" or a loopback IP address (127.0.0.0/8, ::1).
//
// Names under .localhost (RFC 6761) are not accepted. Go gives them no rule
// of its own: its resolver looks them up in the hosts file and then asks DNS
// like any other name (net/conf.go's isLocalhost only decides whether the
// libc resolver's myhostname module is asked), so a DNS server may answer
// any address; and http.ProxyFromEnvironment exempts only "localhost" and
// loopback IP addresses from an HTTP proxy, so such a request would travel to
// the proxy. "localhost" itself is resolved from the hosts file, which maps
// it to loopback, and is never sent to a proxy.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redirectError is a redirect the client refused; it is not retried.
type redirectError struct{ reason string }

func (e *redirectError) Error() string { return e.reason }
