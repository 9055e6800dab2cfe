package reliability_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// The credentials of the secret tests: recognisable, with characters that
// change under URL and base64 encoding, so that an encoded copy is caught
// as well as a plain one.
const (
	leakKey    = "LEAKKEY0123456789"
	leakSecret = "sEcReT+rel/DO-NOT-PRINT=4c1d"
	leakToken  = "tOkEn.rel_DO-NOT-PRINT~7b2e"
)

// secretForms are the forms in which a leaked credential would show.
func secretForms() []string {
	return []string{
		leakSecret, leakToken,
		"DO-NOT-PRINT", // any piece of either
		base64.StdEncoding.EncodeToString([]byte(leakKey + ":" + leakSecret)),
		base64.StdEncoding.EncodeToString([]byte(leakSecret)),
		base64.StdEncoding.EncodeToString([]byte(leakToken)),
		base64.RawURLEncoding.EncodeToString([]byte(leakSecret)),
		base64.RawURLEncoding.EncodeToString([]byte(leakToken)),
		url.QueryEscape(leakSecret), url.PathEscape(leakSecret),
		strings.NewReplacer("%2B", "%2b", "%2F", "%2f", "%3D", "%3d").Replace(url.QueryEscape(leakSecret)), // lower-case percent-encoding
		url.QueryEscape(leakToken),
	}
}

// assertNoSecret fails t when s shows a credential in any form.
func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	if found := containsAny(s, secretForms()...); len(found) > 0 {
		t.Errorf("%s shows a credential (%q):\n%s", where, found, s)
	}
}

// assertErrorClean fails t when err, formatted in any way, or anything it
// wraps, shows a credential.
func assertErrorClean(t *testing.T, where string, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%q", "%s"} {
			assertNoSecret(t, where+" as "+verb, fmt.Sprintf(verb, e))
		}
		var apiErr *wrapper.APIError
		if errors.As(e, &apiErr) {
			assertNoSecret(t, where+" (the APIError's fields)", fmt.Sprintf("%#v", *apiErr))
		}
	}
}

// credentialOptions are the three ways to authenticate, all with the leak
// credentials.
func credentialOptions() map[string]wrapper.Option {
	return map[string]wrapper.Option{
		"api key": wrapper.WithAPIKey(leakKey, leakSecret),
		"token":   wrapper.WithBearerToken(leakToken),
		"token source": wrapper.WithTokenSource(func(context.Context) (string, error) {
			return leakToken, nil
		}),
	}
}

// TestSecretsInNoErrorOrLog drives every failure path of every operation
// with the leak credentials and a debug logger, and looks for the
// credentials in the errors, in the logs and in the client itself.
func TestSecretsInNoErrorOrLog(t *testing.T) {
	var logs testkit.SyncBuffer
	text := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	jsonLog := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// calls runs every operation once and returns the errors.
	calls := func(ctx context.Context, c *wrapper.Client, id string) []error {
		_, _, errList := c.ListKeys(ctx, wrapper.ListKeysOptions{PageSize: 5})
		_, _, errGet := c.GetKey(ctx, id)
		_, _, errCreate := c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.AWSKey{
			KeyARN: "arn:aws:kms:us-west-2:111122223333:key/leak-" + fmt.Sprint(time.Now().UnixNano()),
		}})
		_, _, errUpdate := c.UpdateKey(ctx, id, wrapper.UpdateKeyRequest{DisplayName: "renamed"})
		_, errDelete := c.DeleteKey(ctx, id)
		return []error{errList, errGet, errCreate, errUpdate, errDelete}
	}

	type path struct {
		name  string
		opts  []byoktest.Option
		setup func(t *testing.T, srv *byoktest.Server)
		ctx   func(context.Context) (context.Context, context.CancelFunc)
		fails int // how many of the five calls must fail, at least
	}
	failEvery := func(mode byoktest.FaultMode) func(*testing.T, *byoktest.Server) {
		return func(t *testing.T, srv *byoktest.Server) {
			if err := srv.FailNext(100, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	paths := []path{
		{name: "401", opts: []byoktest.Option{byoktest.WithCredentials("OTHERKEY", "other-secret"), byoktest.WithToken("other-token")}, fails: 5},
		{name: "403", opts: []byoktest.Option{byoktest.WithForbiddenOperations(byoktest.Operations()...)}, fails: 5},
		{name: "404", setup: func(t *testing.T, srv *byoktest.Server) {}, fails: 3},
		{name: "429", setup: func(t *testing.T, srv *byoktest.Server) {
			for _, op := range byoktest.Operations() {
				for range wrapper.DefaultRetryPolicy().MaxAttempts {
					if err := srv.RespondNext(op, http.StatusTooManyRequests); err != nil {
						t.Fatal(err)
					}
				}
			}
		}, fails: 5},
		{name: "500", setup: failEvery(byoktest.FaultServerError), fails: 5},
		{name: "502 HTML", setup: failEvery(byoktest.FaultHTML), fails: 5},
		{name: "503", setup: failEvery(byoktest.FaultUnavailable), fails: 5},
		{name: "connection reset", setup: failEvery(byoktest.FaultReset), fails: 5},
		{name: "answer dropped", setup: failEvery(byoktest.FaultDropResponse), fails: 4},
		{name: "answer truncated", setup: failEvery(byoktest.FaultTruncated), fails: 4},
		{name: "timeout", setup: failEvery(byoktest.FaultSlow), opts: []byoktest.Option{byoktest.WithFaults(byoktest.Faults{Delay: 10 * time.Second})},
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 30*time.Millisecond)
			}, fails: 5},
	}
	for _, p := range paths {
		for credName, cred := range credentialOptions() {
			t.Run(p.name+" with "+credName, func(t *testing.T) {
				srv := fake(t, p.opts...)
				ids := srv.Seed(1)
				id := "cck-missing"
				if p.name != "404" {
					id = ids[0]
				}
				if p.setup != nil {
					p.setup(t, srv)
				}
				for _, logger := range []*slog.Logger{text, jsonLog} {
					c, err := wrapper.New(cred, wrapper.WithEndpoint(srv.URL()), wrapper.WithLogger(logger), wrapper.WithClock(testkit.NewClock()),
						wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
					if err != nil {
						t.Fatal(err)
					}
					ctx, cancel := t.Context(), context.CancelFunc(func() {})
					if p.ctx != nil {
						ctx, cancel = p.ctx(ctx)
					}
					errs := calls(ctx, c, id)
					cancel()
					failed := 0
					for i, err := range errs {
						if err != nil {
							failed++
						}
						assertErrorClean(t, fmt.Sprintf("error of call %d", i), err)
					}
					if failed < p.fails {
						t.Errorf("%d of the calls failed, want at least %d: %v", failed, p.fails, errs)
					}
					for _, verb := range []string{"%v", "%+v", "%#v"} {
						assertNoSecret(t, "the client as "+verb, fmt.Sprintf(verb, c))
					}
				}
			})
		}
	}

	t.Run("connection refused", func(t *testing.T) {
		endpoint := testkit.RefusedURL(t)
		for credName, cred := range credentialOptions() {
			c, err := wrapper.New(cred, wrapper.WithEndpoint(endpoint), wrapper.WithLogger(text), wrapper.WithClock(testkit.NewClock()))
			if err != nil {
				t.Fatal(err)
			}
			for i, err := range calls(t.Context(), c, "cck-1") {
				if err == nil {
					t.Errorf("%s: call %d to a closed port succeeded", credName, i)
				}
				assertErrorClean(t, fmt.Sprintf("%s: error of call %d", credName, i), err)
			}
		}
	})

	t.Run("HTTP client timeout", func(t *testing.T) {
		// The fake accepts the leak credentials: it authenticates before
		// it injects a fault.
		srv := fake(t, byoktest.WithFaults(byoktest.Faults{Delay: 10 * time.Second}),
			byoktest.WithCredentials(leakKey, leakSecret), byoktest.WithToken(leakToken))
		if err := srv.FailNext(100, byoktest.FaultSlow); err != nil {
			t.Fatal(err)
		}
		for credName, cred := range credentialOptions() {
			c, err := wrapper.New(cred, wrapper.WithEndpoint(srv.URL()), wrapper.WithLogger(jsonLog), wrapper.WithClock(testkit.NewClock()),
				wrapper.WithHTTPClient(&http.Client{Timeout: 20 * time.Millisecond}), wrapper.WithoutRetries())
			if err != nil {
				t.Fatal(err)
			}
			for i, err := range calls(t.Context(), c, "cck-1") {
				if err == nil || !strings.Contains(err.Error(), "Timeout") {
					t.Errorf("%s: call %d: %v; want the client's timeout", credName, i, err)
				}
				assertErrorClean(t, fmt.Sprintf("%s: error of call %d", credName, i), err)
			}
		}
	})

	t.Run("validation failed", func(t *testing.T) {
		srv := fake(t, byoktest.WithInvalidKeys(func(string) bool { return true }, ""))
		c, err := wrapper.New(wrapper.WithAPIKey(srv.APIKey(), srv.APISecret()), wrapper.WithEndpoint(srv.URL()), wrapper.WithLogger(text), wrapper.WithClock(testkit.NewClock()))
		if err != nil {
			t.Fatal(err)
		}
		k, _, err := c.CreateKey(t.Context(), wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/invalid"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.WaitForValidation(t.Context(), k.ID, wrapper.WithPollInterval(time.Millisecond, time.Millisecond))
		if !errors.Is(err, wrapper.ErrKeyInvalid) {
			t.Errorf("got %v, want ErrKeyInvalid", err)
		}
		assertErrorClean(t, "validation error", err)
	})

	t.Run("credentials in the endpoint", func(t *testing.T) {
		for _, endpoint := range []string{
			"https://" + leakKey + ":" + url.QueryEscape(leakSecret) + "@api.confluent.cloud",
			"http://" + leakKey + ":" + url.QueryEscape(leakSecret) + "@api.example.com",
			"https://" + leakKey + ":" + leakSecret + "@api.confluent.cloud", // not a valid URL: '/' ends the host
			"ftp://" + leakKey + ":" + url.QueryEscape(leakSecret) + "@api.example.com",
			"https://" + leakKey + ":" + url.QueryEscape(leakSecret) + "@api.confluent.cloud\x7f",
		} {
			_, err := wrapper.New(wrapper.WithAPIKey(leakKey, leakSecret), wrapper.WithEndpoint(endpoint))
			if err == nil {
				t.Errorf("endpoint %q accepted", endpoint)
			}
			assertErrorClean(t, "the error of a bad endpoint", err)
		}
	})

	if out := logs.String(); !strings.Contains(out, "[redacted]") || !strings.Contains(out, "byok: request") {
		t.Errorf("the debug log lacks the requests or the redacted credentials:\n%.2000s", out)
	}
	assertNoSecret(t, "the debug log", logs.String())
}
