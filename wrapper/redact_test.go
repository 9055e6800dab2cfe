package wrapper_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// Recognisable credentials for the echo tests. The secret is chosen so that
// the base64 of "key:secret" holds both "/" and "+", which JSON encoders and
// URL queries may escape; the token holds them itself.
const (
	echoKey    = "ECHOKEY0123456789"
	echoSecret = "s3cr3t-ECHO-MUST-NOT-LEAK-?ab~"
	echoToken  = "t0ken/ECHO+MUST-NOT-LEAK-51c7"
)

// echoed are the forms of the credential a hostile server echoes, computed
// from the Authorization value it received.
type echoed struct {
	value  string // the whole Authorization value
	cred   string // the token, or the base64 of "key:secret"
	pair   string // Basic: "key:secret"
	secret string // Basic: the secret
}

func echoedOf(authorization string) echoed {
	e := echoed{value: authorization}
	_, e.cred, _ = strings.Cut(authorization, " ")
	if strings.HasPrefix(authorization, "Basic ") {
		b, _ := base64.StdEncoding.DecodeString(e.cred)
		e.pair = string(b)
		_, e.secret, _ = strings.Cut(e.pair, ":")
	}
	return e
}

// leakForms lists every form of the credential that must not be found,
// escaped forms included.
func (e echoed) leakForms() []string {
	var forms []string
	for _, s := range []string{e.value, e.cred, e.pair, e.secret} {
		if s == "" {
			continue
		}
		j, _ := json.Marshal(s)
		forms = append(forms, s, string(j[1:len(j)-1]), strings.ReplaceAll(s, "/", `\/`), url.QueryEscape(s))
	}
	return forms
}

// echoServer answers with the Authorization value it received, in the way
// the key id of the request (the last path segment) asks for. It records
// every value received.
type echoServer struct {
	mu   sync.Mutex
	seen []echoed
}

func (s *echoServer) received() []echoed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]echoed(nil), s.seen...)
}

func (s *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := echoedOf(r.Header.Get("Authorization"))
	s.mu.Lock()
	s.seen = append(s.seen, e)
	n := len(s.seen)
	s.mu.Unlock()
	fault(w, "a server that echoes the credential")
	h := w.Header()
	h.Set("X-Echo-Authorization", e.value)
	h.Set("X-Echo-Credential", "credential="+e.cred)
	h.Set("X-Request-Id", "req-"+e.cred)
	h.Set("X-Echo-Location", "https://echo.invalid/?auth="+url.QueryEscape(e.value))
	h.Set("X-Other", "kept as sent")
	mode := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	switch mode {
	case "keys": // a list: 200 with the echo in the headers
		writeJSON(w, http.StatusOK, []byte(`{"api_version":"byok/v1","kind":"KeyList","metadata":{},"data":[]}`))
	case "cck-json", "cck-json-retry":
		status := http.StatusUnauthorized
		if mode == "cck-json-retry" && n == 1 {
			status = http.StatusServiceUnavailable
		}
		failure := map[string]any{"errors": []map[string]any{
			{"id": e.value, "status": fmt.Sprint(status), "code": e.cred, "title": "Echo",
				"detail": "you sent " + e.value + " (end)", "source": map[string]string{"pointer": "/" + e.cred}},
			{"detail": "pair " + e.pair + " secret " + e.secret + " ok", "message": e.cred},
		}}
		b, err := json.Marshal(failure)
		if err != nil {
			panic(err)
		}
		writeJSON(w, status, b)
	case "cck-html":
		h.Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, "<html><pre>Authorization: %s\ncredential: %s\npair: %s\nsecret: %s</pre></html>", e.value, e.cred, e.pair, e.secret)
	case "cck-php":
		// JSON that is not a Failure, written by an encoder that escapes
		// "/" as "\/".
		b, _ := json.Marshal(map[string]string{"authorization": e.value, "token": e.cred, "secret": e.secret})
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(strings.ReplaceAll(string(b), "/", `\/`)))
	case "cck-straddle":
		// The credential begins just before the excerpt's end.
		h.Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(strings.Repeat("x", 500) + e.value + " and more"))
	case "cck-malformed":
		// A status line Go refuses; its error quotes the status code.
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		_, _ = fmt.Fprintf(buf, "HTTP/1.1 %s Echo\r\nContent-Length: 0\r\n\r\n", e.cred)
		_ = buf.Flush()
	default:
		http.NotFound(w, r)
	}
}

// credentialOptions are the three ways to authenticate; the token source
// gives a new token for every attempt.
func credentialOptions() map[string]func() wrapper.Option {
	return map[string]func() wrapper.Option{
		"basic":  func() wrapper.Option { return wrapper.WithAPIKey(echoKey, echoSecret) },
		"bearer": func() wrapper.Option { return wrapper.WithBearerToken(echoToken) },
		"token source": func() wrapper.Option {
			var n atomic.Int32
			return wrapper.WithTokenSource(func(context.Context) (string, error) {
				return fmt.Sprintf("%s-attempt-%d", echoToken, n.Add(1)), nil
			})
		},
	}
}

// assertRedacted fails when s holds any form of the credentials received.
func assertRedacted(t *testing.T, where, s string, received []echoed) {
	t.Helper()
	for _, e := range received {
		for _, form := range e.leakForms() {
			if strings.Contains(s, form) {
				t.Errorf("%s shows the credential (%q):\n%s", where, form, s)
				return
			}
		}
	}
}

// TestEchoedCredentialRedacted: a server that echoes the request's
// Authorization header (or the credential in it) in its body or headers
// gets the credential redacted from the *APIError, the Response, error
// messages and the debug log, for a key and secret, a bearer token and a
// token source (whose token differs on every attempt), while everything else
// it said is kept.
func TestEchoedCredentialRedacted(t *testing.T) {
	for name, credential := range credentialOptions() {
		t.Run(name, func(t *testing.T) {
			srv := &echoServer{}
			var log testkit.SyncBuffer
			logger := slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, err := wrapper.New(credential(), wrapper.WithEndpoint(serve(t, srv).URL), wrapper.WithLogger(logger),
				wrapper.WithClock(testkit.NewClock()), wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2}))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, id := range []string{"cck-json", "cck-json-retry", "cck-html", "cck-php", "cck-straddle", "cck-malformed"} {
				before := len(srv.received())
				_, _, err := c.GetKey(ctx, id)
				received := srv.received()[before:]
				if err == nil || len(received) == 0 {
					t.Fatalf("%s: error %v after %d requests; want an error", id, err, len(received))
				}
				last := received[len(received)-1]
				for _, form := range []string{"%v", "%+v", "%#v", "%q"} {
					assertRedacted(t, id+": error as "+form, fmt.Sprintf(form, err), received)
				}
				var apiErr *wrapper.APIError
				if id == "cck-malformed" {
					if errors.As(err, &apiErr) || !strings.Contains(err.Error(), "malformed HTTP status code") || !strings.Contains(err.Error(), "[redacted]") {
						t.Errorf("%s: %v; want the transport error with the status code redacted", id, err)
					}
					continue
				}
				if !errors.As(err, &apiErr) {
					t.Fatalf("%s: %v; want an *APIError", id, err)
				}
				assertRedacted(t, id+": APIError", fmt.Sprintf("%#v", *apiErr), received)
				// Everything else is kept as the server said it.
				if got := apiErr.Header.Get("X-Echo-Authorization"); got != "[redacted]" {
					t.Errorf("%s: X-Echo-Authorization %q, want [redacted]", id, got)
				}
				if got := apiErr.Header.Get("X-Echo-Credential"); got != "credential=[redacted]" {
					t.Errorf("%s: X-Echo-Credential %q, want credential=[redacted]", id, got)
				}
				if got := apiErr.Header.Get("X-Echo-Location"); got != "https://echo.invalid/?auth=[redacted]" {
					t.Errorf("%s: X-Echo-Location %q; want the query-escaped credential redacted", id, got)
				}
				if apiErr.Header.Get("X-Other") != "kept as sent" || apiErr.RequestID != "req-[redacted]" {
					t.Errorf("%s: header %v, request id %q; want the rest kept", id, apiErr.Header, apiErr.RequestID)
				}
				checkKept(t, id, apiErr, last)
			}

			// A successful answer's headers are redacted too.
			before := len(srv.received())
			_, resp, err := c.ListKeys(ctx, wrapper.ListKeysOptions{})
			if err != nil {
				t.Fatal(err)
			}
			received := srv.received()[before:]
			assertRedacted(t, "ListKeys' Response", fmt.Sprintf("%#v", *resp), received)
			if resp.Header.Get("X-Echo-Authorization") != "[redacted]" || resp.RequestID != "req-[redacted]" ||
				resp.Header.Get("X-Other") != "kept as sent" {
				t.Errorf("ListKeys' Response %+v; want the credential redacted and the rest kept", resp)
			}

			all := srv.received()
			if name == "token source" && (len(all) < 2 || all[0].value == all[1].value) {
				t.Errorf("the token source gave the same token twice: %v", all)
			}
			out := log.String()
			assertRedacted(t, "debug log", out, all)
			for _, want := range []string{`"X-Echo-Authorization":"[redacted]"`, `"X-Other":"kept as sent"`, `"request_id":"req-[redacted]"`, "malformed HTTP status code"} {
				if !strings.Contains(out, want) {
					t.Errorf("the debug log lacks %s:\n%s", want, out)
				}
			}
		})
	}
}

// checkKept checks what the APIError of mode id kept of what the server
// said, the credential e replaced by "[redacted]".
func checkKept(t *testing.T, id string, apiErr *wrapper.APIError, e echoed) {
	t.Helper()
	switch id {
	case "cck-json", "cck-json-retry":
		if len(apiErr.Errors) != 2 {
			t.Fatalf("%s: %d details, want 2", id, len(apiErr.Errors))
		}
		d0, d1 := apiErr.Errors[0], apiErr.Errors[1]
		wantPair := "pair  secret  ok"
		if e.pair != "" {
			wantPair = "pair [redacted] secret [redacted] ok"
		}
		if d0.ID != "[redacted]" || d0.Code != "[redacted]" || d0.Title != "Echo" || d0.Detail != "you sent [redacted] (end)" ||
			d0.Source.Pointer != "/[redacted]" || d0.Status != "401" || d1.Detail != wantPair || d1.Message != "[redacted]" {
			t.Errorf("%s: details %#v; want the credential redacted and the rest kept", id, apiErr.Errors)
		}
		if apiErr.StatusCode != http.StatusUnauthorized || !errors.Is(apiErr, wrapper.ErrUnauthorized) {
			t.Errorf("%s: status %d", id, apiErr.StatusCode)
		}
	case "cck-html":
		want := "<html><pre>Authorization: [redacted]\ncredential: [redacted]\npair: [redacted]\nsecret: [redacted]</pre></html>"
		if e.pair == "" {
			want = "<html><pre>Authorization: [redacted]\ncredential: [redacted]\npair: \nsecret: </pre></html>"
		}
		if apiErr.Body != want {
			t.Errorf("%s: body %q,\nwant %q", id, apiErr.Body, want)
		}
	case "cck-php":
		if !strings.Contains(apiErr.Body, `"authorization":"[redacted]"`) || !strings.Contains(apiErr.Body, `"token":"[redacted]"`) {
			t.Errorf("%s: body %q; want the escaped credential redacted", id, apiErr.Body)
		}
	case "cck-straddle":
		if !strings.HasPrefix(apiErr.Body, strings.Repeat("x", 500)+"[redact") || strings.Contains(apiErr.Body, e.cred[:6]) {
			t.Errorf("%s: body %q; want the credential redacted before the excerpt is cut", id, apiErr.Body)
		}
	}
}

// TestShortSecretNotRedactedAlone: a Basic secret shorter than 8 characters
// is not redacted on its own, so that ordinary words of the server's text
// survive; the Authorization value, its base64 and "key:secret" still are.
func TestShortSecretNotRedactedAlone(t *testing.T) {
	const key, secret = "SHORTKEY01", "Not" // "Not" as in "Not Found"
	authorization := "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault(w, "a server that echoes the credential")
		body := fmt.Sprintf(`{"errors":[{"title":"Not Found","detail":"you sent %s, that is %s"}]}`, r.Header.Get("Authorization"), key+":"+secret)
		writeJSON(w, http.StatusNotFound, []byte(body))
	}))
	c, err := wrapper.New(wrapper.WithAPIKey(key, secret), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetKey(context.Background(), "cck-1")
	var apiErr *wrapper.APIError
	if !errors.As(err, &apiErr) || len(apiErr.Errors) != 1 {
		t.Fatalf("got %v", err)
	}
	d := apiErr.Errors[0]
	if d.Title != "Not Found" || d.Detail != "you sent [redacted], that is [redacted]" || strings.Contains(err.Error(), authorization) {
		t.Errorf("detail %#v; want the title kept and the credential redacted", d)
	}
}

// TestDebugLogOfMalformedAnswerRedacted: the log line of a request whose
// answer Go could not read (its error quotes the server's bytes) shows no
// credential.
func TestDebugLogOfMalformedAnswerRedacted(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		_, auth, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		_, _ = fmt.Fprintf(buf, "HTTP/1.1 %s Echo\r\n\r\n", auth)
		_ = buf.Flush()
	}))
	var log testkit.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := wrapper.New(wrapper.WithBearerToken(echoToken), wrapper.WithEndpoint(srv.URL), wrapper.WithLogger(logger), wrapper.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.GetKey(context.Background(), "cck-1")
	received := []echoed{echoedOf("Bearer " + echoToken)}
	assertRedacted(t, "error", fmt.Sprint(err), received)
	assertRedacted(t, "debug log", log.String(), received)
	if !strings.Contains(log.String(), "byok: request failed") || !strings.Contains(log.String(), "[redacted]") {
		t.Errorf("the log lacks the failed request:\n%s", log.String())
	}
}

// TestCredentialRedactedInAnyForm: a credential echoed in a display name, a
// response header and an error detail is redacted in every form a reader
// could take for it once the text is cleaned for a terminal (issue 18 item
// 6): with a control, bidirectional or invisible character in its middle,
// spelled with JSON escapes, percent-encoded in either case, and in base64
// (of the secret alone, of "key:secret", of the token; both alphabets,
// padded or not). The text around it is kept as sent; a body without the
// credential is kept byte for byte.
func TestCredentialRedactedInAnyForm(t *testing.T) {
	const key, secret, token = echoKey, echoSecret, echoToken
	b64 := func(s string) []string {
		return []string{base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s)),
			base64.URLEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
	}
	percent := func(s string, upper bool) string {
		var b strings.Builder
		for i := range len(s) {
			format := "%%%02x"
			if upper {
				format = "%%%02X"
			}
			fmt.Fprintf(&b, format, s[i])
		}
		return b.String()
	}
	forms := func(v string) []string {
		mid := len(v) / 2
		// As literal JSON text: a string's content.
		lit := func(s string) string { j, _ := json.Marshal(s); return string(j[1 : len(j)-1]) }
		out := []string{lit(v), strings.ReplaceAll(lit(v), "/", `\/`)}
		for _, m := range []string{"\x01", "\x1b", "\x7f", "\u009b", "\u202e", "\u2066", "\u200f", "\u200b", "\u00ad", "\ufeff", "\n"} {
			out = append(out, lit(v[:mid]+m+v[mid:]), lit(v[:mid])+m+lit(v[mid:])) // escaped by JSON, or sent raw
		}
		var every strings.Builder
		for _, r := range v {
			fmt.Fprintf(&every, `\u%04x`, r)
		}
		out = append(out, every.String(), lit(v[:mid])+`\u001b[0m`+lit(v[mid:]), lit(v[:mid])+`\u001b]0;title\u0007`+lit(v[mid:]),
			lit(v[:mid])+"\u009b1m"+lit(v[mid:]))
		for _, b := range b64(v) {
			out = append(out, lit(b))
		}
		lower := func(s string) string {
			return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(s, strings.ToLower)
		}
		return append(out, url.QueryEscape(v), lower(url.QueryEscape(v)), url.PathEscape(v),
			lower(url.PathEscape(v)), percent(v, true), percent(v, false))
	}
	cases := []struct {
		name   string
		option wrapper.Option
		values []string
	}{
		{"basic", wrapper.WithAPIKey(key, secret), []string{secret, key + ":" + secret}},
		{"bearer", wrapper.WithBearerToken(token), []string{token}},
	}
	for _, c := range cases {
		var all []string
		for _, v := range c.values {
			all = append(all, forms(v)...)
		}
		for _, form := range all {
			// A JSON string may not hold a raw control character below
			// U+0020: such a form is tried as text only.
			jsonOK := !strings.ContainsFunc(form, func(r rune) bool { return r < 0x20 })
			headerOK := !strings.ContainsFunc(form, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) && !strings.Contains(form, `\`)
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fault(w, "a server that echoes the credential")
				if headerOK {
					w.Header().Set("X-Echo", "was "+form+" end")
				}
				if r.URL.Path == "/byok/v1/keys/cck-text" || !jsonOK {
					w.Header().Set("Content-Type", "text/plain")
					w.WriteHeader(http.StatusBadRequest)
					_, _ = io.WriteString(w, "was "+form+" end")
					return
				}
				writeJSON(w, http.StatusOK, []byte(`{"id":"cck-1","display_name":"was `+form+` end","key":{"kind":"AwsKey","key_arn":"a"},"provider":"AWS","state":"AVAILABLE"}`))
			}))
			client, err := wrapper.New(c.option, wrapper.WithEndpoint(srv.URL), wrapper.WithoutRetries())
			if err != nil {
				t.Fatal(err)
			}
			if jsonOK {
				k, resp, err := client.GetKey(t.Context(), "cck-1")
				if err != nil {
					t.Fatalf("%s %q: %v", c.name, form, err)
				}
				if k.DisplayName != "was [redacted] end" || !json.Valid(k.Raw) || (headerOK && resp.Header.Get("X-Echo") != "was [redacted] end") {
					t.Errorf("%s %q: display name %q, header %q; want the credential redacted, the rest kept", c.name, form, k.DisplayName, resp.Header.Get("X-Echo"))
				}
			}
			_, _, err = client.GetKey(t.Context(), "cck-text")
			var apiErr *wrapper.APIError
			if !errors.As(err, &apiErr) || apiErr.Body != "was [redacted] end" || (headerOK && apiErr.Header.Get("X-Echo") != "was [redacted] end") {
				t.Errorf("%s %q: %v, body %q; want the credential redacted, the rest kept", c.name, form, err, apiErr.Body)
			}
		}
	}

	// Text without the credential is kept byte for byte, escapes, controls
	// and pieces of the credential included.
	body := `{"id":"cck-1","display_name":"\u0041\u202e\u001b[2J %41%2f ` + secret[:len(secret)-1] + ` \/ ` + base64.StdEncoding.EncodeToString([]byte(secret[1:])) + `","key":{"kind":"AwsKey","key_arn":"a"}}`
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fault(w, "no credential, but escapes")
		writeJSON(w, http.StatusOK, []byte(body))
	}))
	client, err := wrapper.New(wrapper.WithAPIKey(key, secret), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := client.GetKey(t.Context(), "cck-1")
	if err != nil || string(k.Raw) != body {
		t.Errorf("a key without the credential: %v, Raw %s; want it as sent", err, k.Raw)
	}
}
