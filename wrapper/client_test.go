package wrapper_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

func TestNewNeedsCredentials(t *testing.T) {
	_, err := wrapper.New()
	if err == nil || !strings.Contains(err.Error(), "no credentials") || !strings.Contains(err.Error(), "WithAPIKey") {
		t.Errorf("New() = %v, want an error that says how to pass credentials", err)
	}
	_, err = wrapper.New(wrapper.WithAPIKey("k", "s"), wrapper.WithBearerToken("t"))
	if err == nil || !strings.Contains(err.Error(), "more than one credential") {
		t.Errorf("two credentials: %v", err)
	}
	for name, opt := range map[string]wrapper.Option{
		"empty key":       wrapper.WithAPIKey("", "s"),
		"empty secret":    wrapper.WithAPIKey("k", ""),
		"colon in key":    wrapper.WithAPIKey("a:b", "s"),
		"empty token":     wrapper.WithBearerToken(" "),
		"nil source":      wrapper.WithTokenSource(nil),
		"nil HTTP client": wrapper.WithHTTPClient(nil),
		"nil logger":      wrapper.WithLogger(nil),
		"nil clock":       wrapper.WithClock(nil),
		"bad user agent":  wrapper.WithUserAgent("a\nb"),
		"negative retry":  wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: -1}),
	} {
		if _, err := wrapper.New(wrapper.WithBearerToken("t"), opt); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestEndpointChecks(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		extra    []wrapper.Option
		wantErr  string
	}{
		{"https://api.confluent.cloud", nil, ""},
		{"https://proxy.example.com/confluent/", nil, ""},
		{"http://127.0.0.1:8080", nil, ""},
		{"http://localhost:8080", nil, ""},
		{"http://[::1]:8080", nil, ""},
		{"http://byok.internal:8080", nil, "not loopback"},
		{"http://byok.internal:8080", []wrapper.Option{wrapper.WithInsecureHTTP()}, ""},
		{"ftp://api.confluent.cloud", nil, `scheme "ftp"`},
		{"api.confluent.cloud", nil, "scheme"},
		{"https://", nil, "no host"},
		{"https://api.confluent.cloud?x=1", nil, "query"},
		{"https://key:" + testSecret + "@api.confluent.cloud", nil, "credentials in the URL"},
		{"https://key:" + testSecret + "@api.confluent.cloud/%zz", nil, "not a URL"},
		{"https://key:" + testSecret + "@api conf", nil, "not a URL"},
	} {
		opts := append([]wrapper.Option{wrapper.WithBearerToken("t"), wrapper.WithEndpoint(tc.endpoint)}, tc.extra...)
		c, err := wrapper.New(opts...)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.endpoint, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: got %v, want an error containing %q", tc.endpoint, err, tc.wantErr)
		case err != nil && strings.Contains(err.Error(), testSecret):
			t.Errorf("%s: the error shows the secret: %v", tc.endpoint, err)
		case err == nil && wrapper.EndpointOf(c) != strings.TrimSuffix(tc.endpoint, "/"):
			t.Errorf("Endpoint() = %q", wrapper.EndpointOf(c))
		}
	}
	c, err := wrapper.New(wrapper.WithBearerToken("t"))
	if err != nil || wrapper.EndpointOf(c) != wrapper.DefaultEndpoint {
		t.Errorf("default endpoint: %v %v", c, err)
	}
}

func TestEndpointWithPathPrefix(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prefix/byok/v1/keys/cck-1" {
			t.Errorf("path %s", r.URL.Path)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	c, err := wrapper.New(wrapper.WithBearerToken("t"), wrapper.WithEndpoint(srv.URL+"/prefix"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteKey(context.Background(), "cck-1"); err != nil {
		t.Fatal(err)
	}
}

func TestNewFromEnv(t *testing.T) {
	var auth atomic.Value
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusNoContent)
	}))
	basic := func(k, s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(k+":"+s)) }
	for _, tc := range []struct {
		name                   string
		key, secret, token, ep string
		opts                   []wrapper.Option
		wantAuth, wantErr      string
	}{
		// Issue 12: the token of the environment alone is enough.
		{name: "env token", token: "envtoken", ep: srv.URL, wantAuth: "Bearer envtoken"},
		{name: "env key pair beats env token", key: "ENVKEY", secret: "envsecret", token: "envtoken", ep: srv.URL, wantAuth: basic("ENVKEY", "envsecret")},
		{name: "half a key pair with a token", key: "ENVKEY", token: "envtoken", wantErr: "an API key (CONFLUENT_CLOUD_API_KEY) needs its secret"},
		{name: "env", key: "ENVKEY", secret: "envsecret", ep: srv.URL, wantAuth: basic("ENVKEY", "envsecret")},
		{name: "explicit key wins", key: "ENVKEY", secret: "envsecret", ep: srv.URL, opts: []wrapper.Option{wrapper.WithAPIKey("OPTKEY", "optsecret")}, wantAuth: basic("OPTKEY", "optsecret")},
		{name: "explicit token wins", key: "ENVKEY", secret: "envsecret", ep: srv.URL, opts: []wrapper.Option{wrapper.WithBearerToken("tok")}, wantAuth: "Bearer tok"},
		{name: "explicit endpoint wins", key: "ENVKEY", secret: "envsecret", ep: "https://unused.example.com", opts: []wrapper.Option{wrapper.WithEndpoint(srv.URL)}, wantAuth: basic("ENVKEY", "envsecret")},
		{name: "token without env", opts: []wrapper.Option{wrapper.WithBearerToken("tok"), wrapper.WithEndpoint(srv.URL)}, wantAuth: "Bearer tok"},
		{name: "nothing", wantErr: "no credentials: set an API key and secret (CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET) or a bearer token (CONFLUENT_CLOUD_ACCESS_TOKEN)"},
		{name: "key only", key: "ENVKEY", wantErr: "an API key (CONFLUENT_CLOUD_API_KEY) needs its secret (CONFLUENT_CLOUD_API_SECRET)"},
		{name: "secret only", secret: testSecret, wantErr: "an API secret (CONFLUENT_CLOUD_API_SECRET) needs its key (CONFLUENT_CLOUD_API_KEY)"},
		{name: "bad endpoint", key: "K", secret: "s", ep: "http://example.com", wantErr: "not loopback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CONFLUENT_CLOUD_API_KEY", tc.key)
			t.Setenv("CONFLUENT_CLOUD_API_SECRET", tc.secret)
			t.Setenv("CONFLUENT_CLOUD_ACCESS_TOKEN", tc.token)
			t.Setenv("CONFLUENT_CLOUD_ENDPOINT", tc.ep)
			c, err := wrapper.NewFromEnv(tc.opts...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), testSecret) {
					t.Errorf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteKey(context.Background(), "cck-1"); err != nil {
				t.Fatal(err)
			}
			if got := auth.Load(); got != tc.wantAuth {
				t.Errorf("Authorization %q, want %q", got, tc.wantAuth)
			}
		})
	}
}

func TestUserAgent(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "byokctl/1.2.0 byok-go") {
			t.Errorf("User-Agent %q", ua)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	if _, err := newClient(t, srv, testkit.NewClock(), wrapper.WithUserAgent("byokctl/1.2.0")).DeleteKey(context.Background(), "cck-1"); err != nil {
		t.Fatal(err)
	}
}

func TestRedirectToAnotherHostDropsAuthorization(t *testing.T) {
	var otherAuth atomic.Value
	other := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherAuth.Store(r.Header.Get("Authorization"))
		writeJSON(w, http.StatusOK, testdataAs(t, "aws.json", "cck-1"))
	}))
	// Same host name, another port: net/http alone would forward the
	// credentials.
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			t.Error("the first request has no credentials")
		}
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	if _, _, err := newRawClient(t, srv, testkit.NewClock()).GetKey(context.Background(), "cck-1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := otherAuth.Load().(string); got != "" {
		t.Errorf("the other host got Authorization %q", got)
	}
}

func TestRedirectFromHTTPSToHTTPRefused(t *testing.T) {
	var plainHits atomic.Int32
	plain := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { plainHits.Add(1) }))
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(tlsSrv.Close)
	c, err := wrapper.New(wrapper.WithAPIKey(testKey, testSecret), wrapper.WithEndpoint(tlsSrv.URL),
		wrapper.WithHTTPClient(tlsSrv.Client()), wrapper.WithClock(testkit.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetKey(context.Background(), "cck-1")
	if err == nil || !strings.Contains(err.Error(), "refusing a redirect from https to http") {
		t.Errorf("got %v", err)
	}
	if plainHits.Load() != 0 {
		t.Errorf("the plain-http server got %d requests", plainHits.Load())
	}
}

func TestDebugLogRedactsAuthorization(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := &script{t: t, steps: []func(http.ResponseWriter){status(503), ok(t, "aws.json")}}
	c := newClient(t, serve(t, s), testkit.NewClock(), wrapper.WithLogger(logger))
	if _, _, err := c.GetKey(context.Background(), "cck-1"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"byok: request", "byok: response", "status=503", "status=200", "byok: retrying", "Authorization=[redacted]", "request_id=req-test-1", "/byok/v1/keys/cck-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	assertNoSecret(t, "debug log", out)
}

// assertNoSecret fails when s holds the test secret in any form.
func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, form := range []string{testSecret, base64.StdEncoding.EncodeToString([]byte(testKey + ":" + testSecret)), "Bearer " + testSecret} {
		if strings.Contains(s, form) {
			t.Errorf("%s shows the secret (%q):\n%s", where, form, s)
		}
	}
}

// TestSecretsNeverLeak drives every failure path with a recognisable secret
// and looks for it in errors, their formatted forms, logs and the client.
func TestSecretsNeverLeak(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	steps := []func(http.ResponseWriter){status(401), status(500), nil, status(429, "Retry-After", "1"), ok(t, "aws.json")}
	for _, auth := range []wrapper.Option{
		wrapper.WithAPIKey(testKey, testSecret),
		wrapper.WithBearerToken(testSecret),
		wrapper.WithTokenSource(func(context.Context) (string, error) { return testSecret, nil }),
	} {
		s := &script{t: t, steps: steps}
		srv := serve(t, s)
		c, err := wrapper.New(auth, wrapper.WithEndpoint(srv.URL), wrapper.WithClock(testkit.NewClock()), wrapper.WithLogger(logger),
			wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var errs []error
		for range 3 {
			_, _, err := c.GetKey(ctx, "cck-1")
			errs = append(errs, err)
		}
		errs = append(errs, createAWS(ctx, c))
		_, err = c.WaitForValidation(ctx, "")
		errs = append(errs, err)
		srv.Close()
		_, _, err = c.GetKey(ctx, "cck-1") // connection refused
		errs = append(errs, err)
		for i, err := range errs {
			for _, form := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
				assertNoSecret(t, fmt.Sprintf("error %d as %s", i, form), fmt.Sprintf(form, err))
			}
			var apiErr *wrapper.APIError
			if errors.As(err, &apiErr) {
				assertNoSecret(t, "APIError", fmt.Sprintf("%#v", *apiErr))
			}
		}
		for _, form := range []string{"%v", "%+v", "%#v"} {
			assertNoSecret(t, "client as "+form, fmt.Sprintf(form, c))
			assertNoSecret(t, "client value as "+form, fmt.Sprintf(form, *c))
		}
	}
	if !strings.Contains(buf.String(), "[redacted]") {
		t.Error("the log has no redacted Authorization")
	}
	assertNoSecret(t, "log", buf.String())
}

// TestNewFromEnvDebugLog: the debug log says which kind of credential
// NewFromEnv used, never its value.
func TestNewFromEnvDebugLog(t *testing.T) {
	t.Setenv("CONFLUENT_CLOUD_API_KEY", "")
	t.Setenv("CONFLUENT_CLOUD_API_SECRET", "")
	t.Setenv("CONFLUENT_CLOUD_ACCESS_TOKEN", "tok-"+testSecret)
	t.Setenv("CONFLUENT_CLOUD_ENDPOINT", "http://127.0.0.1:1")
	var log strings.Builder
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := wrapper.NewFromEnv(wrapper.WithLogger(logger)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "bearer token from CONFLUENT_CLOUD_ACCESS_TOKEN") || strings.Contains(log.String(), testSecret) {
		t.Errorf("debug log %q: want the kind of credential and no secret", log.String())
	}
}

// TestDebugLogShowsRepeatedHeaders: a header sent twice is logged with both
// values, the credential redacted from each, as the client reads them (the
// lowest X-RateLimit-Remaining). Before, only the first value was logged:
// 79 where the client waited for 0.
func TestDebugLogShowsRepeatedHeaders(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	echo := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"+testSecret))
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Add("X-RateLimit-Remaining", "79")
		w.Header().Add("X-RateLimit-Remaining", "0")
		w.Header().Add("X-Echo", "first")
		w.Header().Add("X-Echo", echo)
		writeJSON(w, http.StatusOK, testdataAs(t, "aws.json", "cck-1"))
	}))
	c := newRawClient(t, srv, testkit.NewClock(), wrapper.WithLogger(logger))
	if _, _, err := c.GetKey(context.Background(), "cck-1"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`X-Ratelimit-Remaining="79, 0"`, `X-Echo="first, [redacted]"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	assertNoSecret(t, "debug log", out)
}

// TestControlCharactersInHeadersRefused: a token or a User-Agent holding a
// control character (which net/http refuses to send) fails New, or for a
// token source the call, at once and without a request. Before, only line
// breaks were caught: the request failed in the transport, a GET was retried
// four times and a create reported a possibly created key.
func TestControlCharactersInHeadersRefused(t *testing.T) {
	if _, err := wrapper.New(wrapper.WithBearerToken("tok\x00en-0123456789")); err == nil || !strings.Contains(err.Error(), "control character") {
		t.Errorf("a token with a NUL: %v", err)
	}
	if _, err := wrapper.New(wrapper.WithBearerToken("t"), wrapper.WithUserAgent("tool\x7f/1.0")); err == nil {
		t.Error("a User-Agent with a DEL: New succeeded")
	}
	s := &script{t: t, steps: []func(http.ResponseWriter){created(t)}}
	var calls atomic.Int32
	c, err := wrapper.New(wrapper.WithEndpoint(serve(t, s).URL), wrapper.WithClock(testkit.NewClock()),
		wrapper.WithTokenSource(func(context.Context) (string, error) {
			calls.Add(1)
			return "tok\x00en-0123456789", nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	err = createAWS(context.Background(), c)
	if err == nil || errors.Is(err, wrapper.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "malformed token") {
		t.Errorf("got %v, want an error about the token, not ErrOutcomeUnknown", err)
	}
	if calls.Load() != 1 || s.requests() != 0 {
		t.Errorf("%d token calls, %d requests; want 1 and 0", calls.Load(), s.requests())
	}
}
