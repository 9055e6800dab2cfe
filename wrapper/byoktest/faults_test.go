package byoktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// raw is an answer to a faulted request, or the error the client got.
type raw struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// fresh sends one authorised request on a new connection (so that the
// transport never retries it on its own) and returns what came back.
func fresh(ctx context.Context, srv *byoktest.Server, method, path, body string, timeout time.Duration) raw {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.URL()+path, rd)
	if err != nil {
		return raw{err: err}
	}
	srv.Authorize(req)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: timeout}).Do(req)
	if err != nil {
		return raw{err: err}
	}
	defer resp.Body.Close() //nolint:errcheck // read-only body
	b, err := io.ReadAll(resp.Body)
	return raw{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

func keyArn(i int) string {
	return fmt.Sprintf(`{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/k%d"}}`, i)
}

func TestFaultModes(t *testing.T) {
	for _, c := range []struct {
		mode    byoktest.FaultMode
		status  int
		ctype   string
		applied bool
		check   func(t *testing.T, r raw)
	}{
		{byoktest.FaultServerError, 500, "application/json", false, func(t *testing.T, r raw) {
			assert.Equal(t, "500", *decode[api.Failure](t, r.body).Errors[0].Status)
		}},
		{byoktest.FaultBadGateway, 502, "text/plain; charset=utf-8", false, nil},
		{byoktest.FaultUnavailable, 503, "text/plain; charset=utf-8", false, nil},
		{byoktest.FaultHTML, 502, "text/html; charset=utf-8", false, func(t *testing.T, r raw) {
			assert.Contains(t, string(r.body), "<html>")
		}},
		{byoktest.FaultRateLimitBurst, 429, "application/json", false, func(t *testing.T, r raw) {
			assert.Equal(t, "0", r.header.Get("Retry-After"))
			assert.Equal(t, "0.05", r.header.Get("X-RateLimit-Reset"))
			assert.Equal(t, "0", r.header.Get("X-RateLimit-Remaining"))
		}},
		{byoktest.FaultTruncated, 201, "application/json", true, func(t *testing.T, r raw) {
			assert.Equal(t, strconv.Itoa(len(r.body)), r.header.Get("Content-Length"))
			assert.False(t, json.Valid(r.body), "body %s", r.body)
		}},
		{byoktest.FaultSlow, 201, "application/json", true, nil},
		{byoktest.FaultReset, 0, "", false, func(t *testing.T, r raw) {
			assert.True(t, errors.Is(r.err, syscall.ECONNRESET), "want a connection reset, got %v", r.err)
		}},
		{byoktest.FaultDropResponse, 0, "", true, func(t *testing.T, r raw) {
			assert.ErrorIs(t, r.err, io.EOF, "want the connection closed without an answer")
		}},
	} {
		t.Run(string(c.mode), func(t *testing.T) {
			srv, _ := validated(t, byoktest.WithFaults(byoktest.Faults{Delay: time.Millisecond}))
			require.NoError(t, srv.FailNext(1, c.mode, byoktest.OpCreate))
			r := fresh(t.Context(), srv, http.MethodPost, "/byok/v1/keys", awsBody, 10*time.Second)
			if c.status == 0 {
				require.Error(t, r.err)
			} else {
				require.NoError(t, r.err)
				assert.Equal(t, c.status, r.status, "%s", r.body)
				assert.Equal(t, string(c.mode), r.header.Get(byoktest.FaultHeader))
				assert.Equal(t, c.ctype, r.header.Get("Content-Type"))
				assert.NotEmpty(t, r.header.Get("X-Request-Id"))
			}
			if c.check != nil {
				c.check(t, r)
			}
			assert.Equal(t, c.applied, srv.Len() == 1, "applied")
			log := srv.Requests()
			require.Len(t, log, 1)
			assert.Equal(t, c.mode, log[0].Fault)
			assert.Equal(t, c.status, log[0].Status)

			// The next request is served normally.
			r = fresh(t.Context(), srv, http.MethodPost, "/byok/v1/keys", gcpBody, 10*time.Second)
			require.NoError(t, r.err)
			assert.Equal(t, http.StatusCreated, r.status)
			assert.Empty(t, r.header.Get(byoktest.FaultHeader))
		})
	}
}

func TestSlowFaultHonoursTheClient(t *testing.T) {
	srv := byoktest.NewServer(t, byoktest.WithFaults(byoktest.Faults{Seed: 1, Rate: 1, Modes: []byoktest.FaultMode{byoktest.FaultSlow}, Delay: 10 * time.Second}))
	start := time.Now()
	r := fresh(t.Context(), srv, http.MethodPost, "/byok/v1/keys", awsBody, 100*time.Millisecond)
	require.Error(t, r.err)
	assert.Less(t, time.Since(start), 5*time.Second)
	// The handler gave up with the client: nothing was created, and the
	// request is logged without a status once the handler has returned.
	require.Eventually(t, func() bool { return len(srv.Requests()) == 1 }, 5*time.Second, 5*time.Millisecond)
	log := srv.Requests()
	require.Len(t, log, 1)
	assert.Equal(t, 0, log[0].Status)
	assert.Zero(t, srv.Len())
}

// faultSequence sends n requests (creates, gets and lists in turn) on fresh
// connections and returns the faults the server logged.
func faultSequence(t *testing.T, f byoktest.Faults, n int) []string {
	t.Helper()
	srv := byoktest.NewServer(t, byoktest.WithFaults(f), byoktest.WithSeed(7))
	for i := range n {
		switch i % 3 {
		case 0:
			fresh(t.Context(), srv, http.MethodPost, "/byok/v1/keys", keyArn(i), 10*time.Second)
		case 1:
			fresh(t.Context(), srv, http.MethodGet, "/byok/v1/keys/cck-none", "", 10*time.Second)
		default:
			fresh(t.Context(), srv, http.MethodGet, "/byok/v1/keys", "", 10*time.Second)
		}
	}
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, fmt.Sprintf("%s %d %s", r.Operation, r.Status, r.Fault))
	}
	require.Len(t, out, n)
	return out
}

func TestFaultsAreReproducibleFromTheSeed(t *testing.T) {
	f := byoktest.Faults{Seed: 42, Rate: 0.4, Delay: time.Millisecond}
	first := faultSequence(t, f, 60)
	assert.Equal(t, first, faultSequence(t, f, 60), "same seed, same requests")
	f.Seed = 43
	assert.NotEqual(t, first, faultSequence(t, f, 60), "another seed")

	faulted := 0
	modes := map[string]bool{}
	for _, s := range first {
		if mode := strings.Fields(s); len(mode) == 3 {
			faulted++
			modes[mode[2]] = true
		}
	}
	assert.InDelta(t, 24, faulted, 12, "about 40%% of 60 requests fail: %v", first)
	assert.GreaterOrEqual(t, len(modes), 4, "several modes: %v", modes)
}

func TestEachFaultModeIsReproducible(t *testing.T) {
	for _, mode := range byoktest.FaultModes() {
		t.Run(string(mode), func(t *testing.T) {
			f := byoktest.Faults{Seed: 9, Rate: 0.5, Modes: []byoktest.FaultMode{mode}, Delay: time.Millisecond}
			a := faultSequence(t, f, 12)
			assert.Equal(t, a, faultSequence(t, f, 12))
			assert.Contains(t, strings.Join(a, "\n"), string(mode))
		})
	}
}

func TestFaultsOnlyForChosenOperations(t *testing.T) {
	srv, _ := validated(t, byoktest.WithFaults(byoktest.Faults{Seed: 3, Rate: 1, Operations: []byoktest.Operation{byoktest.OpCreate},
		Modes: []byoktest.FaultMode{byoktest.FaultServerError}}))
	for range 5 {
		resp, _ := call(t, srv, http.MethodGet, "/byok/v1/keys", "")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		resp, _ = call(t, srv, http.MethodPost, "/byok/v1/keys", awsBody)
		assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	}
	require.NoError(t, srv.SetFaults(byoktest.Faults{}))
	resp, _ := call(t, srv, http.MethodPost, "/byok/v1/keys", awsBody)
	assert.Equal(t, http.StatusCreated, resp.StatusCode, "faults off")
}

func TestRateLimitBurstsLastBurstAnswers(t *testing.T) {
	srv := byoktest.NewServer(t, byoktest.WithFaults(byoktest.Faults{Seed: 5, Rate: 0.1, Burst: 4,
		Modes: []byoktest.FaultMode{byoktest.FaultRateLimitBurst}}))
	var codes []int
	for range 120 {
		code, err := status(srv, http.MethodGet, "/byok/v1/keys", "")
		require.NoError(t, err)
		codes = append(codes, code)
	}
	runs, run := 0, 0
	for i, c := range append(codes, 200) {
		if c == http.StatusTooManyRequests {
			run++
			continue
		}
		if run > 0 {
			runs++
			assert.GreaterOrEqualf(t, run, 4, "a burst is at least 4 answers (ending at %d): %v", i, codes)
		}
		run = 0
	}
	assert.Positive(t, runs, "some bursts: %v", codes)
}

func TestFailNext(t *testing.T) {
	srv, _ := validated(t)
	require.NoError(t, srv.FailNext(2, byoktest.FaultUnavailable, byoktest.OpGet))
	require.Error(t, srv.FailNext(0, byoktest.FaultUnavailable))
	require.Error(t, srv.FailNext(1, "melt"))
	resp, _ := call(t, srv, http.MethodGet, "/byok/v1/keys", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "listing is not a get")
	for range 2 {
		resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys/cck-none", "")
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	}
	resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys/cck-none", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestFaultsConfigErrors(t *testing.T) {
	for name, f := range map[string]byoktest.Faults{
		"rate above 1":   {Rate: 1.5},
		"negative rate":  {Rate: -0.1},
		"unknown mode":   {Modes: []byoktest.FaultMode{"melt"}},
		"unknown op":     {Operations: []byoktest.Operation{"purge"}},
		"delay too long": {Delay: time.Minute},
		"negative burst": {Burst: -1},
	} {
		_, err := byoktest.New(byoktest.WithFaults(f))
		assert.Errorf(t, err, "%s", name)
	}
}
