package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// exporting is a byokctl exporter running in-process.
type exporting struct {
	url    string
	stderr *testkit.SyncBuffer
	stop   func() error // cancels the context and returns runExporter's error
}

// startExporter calls exporter's run function (no cobra) on 127.0.0.1:0 in
// the environment env, until stop is called.
func startExporter(t *testing.T, f *fixture, env map[string]string, o exporterOptions) *exporting {
	t.Helper()
	stderr := &testkit.SyncBuffer{}
	var stdout testkit.SyncBuffer
	sys := f.system(env, &stdout, stderr)
	addrs := make(chan net.Addr, 1)
	sys.listen = func(ctx context.Context, addr string) (net.Listener, error) {
		ln, err := listenTCP(ctx, addr)
		if err != nil {
			return nil, err
		}
		return &readyListener{Listener: ln, ready: func() { addrs <- ln.Addr() }}, nil
	}
	rt := newTestRuntime(sys, newEnumFlag(formatHuman, formatHuman))
	o.listen = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- runExporter(ctx, rt, o) }()
	e := &exporting{stderr: stderr}
	e.stop = func() error {
		cancel()
		select {
		case err := <-done:
			if stdout.String() != "" {
				t.Errorf("exporter printed on stdout: %q", stdout.String())
			}
			return err
		case <-time.After(runTimeout):
			t.Fatalf("exporter did not stop within %s:\n%s", runTimeout, stderr.String())
			return nil
		}
	}
	select {
	case addr := <-addrs:
		e.url = "http://" + addr.String()
	case err := <-done:
		t.Fatalf("exporter returned %v before listening:\n%s", err, stderr.String())
	case <-time.After(runTimeout):
		t.Fatalf("exporter did not listen within %s", runTimeout)
	}
	return e
}

// scrapeUntil scrapes url until the body holds want, for runTimeout at
// most, and returns the last body.
func scrapeUntil(t *testing.T, url, want string) string {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for {
		status, _, body := serveRequest(t, http.MethodGet, url, "", "", nil)
		if status == http.StatusOK && strings.Contains(body, want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the scrapes of %s within %s; the last (status %d):\n%s", want, url, runTimeout, status, body)
		}
		time.Sleep(10 * time.Millisecond) // between two scrapes of a poll with a deadline
	}
}

// TestExporter: a scrape shows every key, the INVALID key's phase as 1,
// the requests by status, and no credential; /healthz answers; the
// exporter stops cleanly.
func TestExporter(t *testing.T) {
	f, a, b := twoKeys(t)
	if err := f.srv.SetValidation(b, wrapper.PhaseInvalid, accessDenied); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, f, f.env, exporterOptions{interval: time.Hour})
	body := scrapeUntil(t, e.url+"/metrics", `byok_key_validation_phase{id="`+b+`",phase="INVALID"} 1`)
	for _, want := range []string{
		`byok_key_validation_phase{id="` + a + `",phase="VALID"} 1`,
		`byok_key_validation_phase{id="` + a + `",phase="INVALID"} 0`,
		`byok_key_info{display_name="analytics",id="` + b + `",provider="GCP",region="",state="AVAILABLE"} 1`,
		`byok_api_requests_total{code="200"} 1`,
		"byok_poll_errors_total 0",
		"byok_last_successful_poll_timestamp_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the scrape lacks %q:\n%s", want, body)
		}
	}
	for _, secret := range []string{testAPIKey, testAPISecret, "Access to key denied"} {
		if strings.Contains(body, secret) {
			t.Errorf("the scrape holds %q", secret)
		}
	}
	if status, _, got := serveRequest(t, http.MethodGet, e.url+"/healthz", "", "", nil); status != http.StatusOK || got != "ok\n" {
		t.Errorf("/healthz: %d %q", status, got)
	}
	if err := e.stop(); err != nil {
		t.Errorf("exporter: %v", err)
	}
	if log := e.stderr.String(); !strings.Contains(log, "polling the API every 1h0m0s") || !strings.HasSuffix(log, "stopping\nstopped\n") {
		t.Errorf("exporter's stderr:\n%s", log)
	}
}

// TestExporterPollFailure: a poll the API refuses is counted and logged
// with the server's words, never the credentials, and the next successful
// poll is logged too.
func TestExporterPollFailure(t *testing.T) {
	f, a, _ := twoKeys(t)
	e := startExporter(t, f, f.env, exporterOptions{interval: 50 * time.Millisecond})
	scrapeUntil(t, e.url+"/metrics", `byok_key_info{display_name="billing",id="`+a+`"`)
	if err := f.srv.RespondNext(byoktest.OpList, http.StatusForbidden); err != nil {
		t.Fatal(err)
	}
	scrapeUntil(t, e.url+"/metrics", "byok_poll_errors_total 1\n")
	// The refused request is counted before the poll fails, but a scrape is
	// no snapshot: the registry gathers its collectors concurrently, so the
	// scrape that shows the failed poll may show the request count of a
	// moment before. A later one shows it.
	scrapeUntil(t, e.url+"/metrics", `byok_api_requests_total{code="403"} 1`+"\n")
	deadline := time.Now().Add(runTimeout)
	for !strings.Contains(e.stderr.String(), "polling works again: 2 keys") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // a poll of the log with a deadline
	}
	if err := e.stop(); err != nil {
		t.Error(err)
	}
	log := e.stderr.String()
	for _, want := range []string{
		"byokctl: a poll failed; the keys of the last successful poll are served: GET /byok/v1/keys: 403 Forbidden",
		"polling works again: 2 keys\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, testAPISecret) {
		t.Errorf("the log holds the secret:\n%s", log)
	}
}

// TestExporterScrapePassesPromtool: promtool check metrics finds nothing to
// say about a scrape. It needs promtool (BYOK_PROMTOOL_BIN; make rules sets
// it).
func TestExporterScrapePassesPromtool(t *testing.T) {
	promtool := os.Getenv("BYOK_PROMTOOL_BIN")
	if promtool == "" {
		t.Skip("BYOK_PROMTOOL_BIN is not set: run make rules")
	}
	f, _, b := twoKeys(t)
	if err := f.srv.SetValidation(b, wrapper.PhaseInvalid, accessDenied); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, f, f.env, exporterOptions{interval: time.Hour})
	body := scrapeUntil(t, e.url+"/metrics", `byok_key_validation_phase{id="`+b+`",phase="INVALID"} 1`)
	cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || out.Len() > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
	if err := e.stop(); err != nil {
		t.Error(err)
	}
}

// TestExporterUsage: an interval shorter than a second, or arguments, are
// usage errors.
func TestExporterUsage(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{
		{"exporter", "--interval", "500ms"},
		{"exporter", "--interval", "0s"},
		{"exporter", "extra"},
	} {
		if r := f.run(args...); r.code != exitUsage {
			t.Errorf("byokctl %s: exit status %d, want %d\n%s", strings.Join(args, " "), r.code, exitUsage, r.transcript())
		}
	}
}
