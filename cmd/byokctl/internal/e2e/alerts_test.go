package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// deadline bounds the whole test: every wait below stops at it.
const deadline = 3 * time.Minute

// TestAlertsWithPrometheus: three VALID keys, seen VALID by Prometheus;
// one loses access; Prometheus' API reports ByokKeyInvalid firing for that
// key, and no alert for the others.
func TestAlertsWithPrometheus(t *testing.T) {
	byokctl, prometheus := os.Getenv("BYOK_BYOKCTL_BIN"), os.Getenv("BYOK_PROMETHEUS_BIN")
	if byokctl == "" || prometheus == "" {
		t.Skip("BYOK_BYOKCTL_BIN and BYOK_PROMETHEUS_BIN are not set: run make e2e")
	}
	rules, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "deploy", "prometheus", "byok-alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()

	// The fake API, with its built-in credentials and the revoke route.
	serve := startProcess(t, "serve", byokctl, nil, "serve", "--addr", "127.0.0.1:0", "--seed", "3", "--revoke-endpoint")
	api := serve.await(ctx, t, regexp.MustCompile(`fake BYOK API listening on (http://127\.0\.0\.1:\d+) `))
	client, err := wrapper.New(wrapper.WithEndpoint(api), wrapper.WithAPIKey(byoktest.DefaultAPIKey, byoktest.DefaultAPISecret))
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := client.ListKeys(ctx, wrapper.ListKeysOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range page.Keys {
		if k.Validation.Phase != wrapper.PhaseValid {
			t.Fatalf("key %s is %s at start; want VALID", k.ID, k.Validation.Phase)
		}
		ids = append(ids, k.ID)
	}
	if len(ids) != 3 {
		t.Fatalf("%d keys at start; want 3", len(ids))
	}
	revoked, healthy := ids[1], []string{ids[0], ids[2]}

	env := []string{"CONFLUENT_CLOUD_ENDPOINT=" + api, "CONFLUENT_CLOUD_API_KEY=" + byoktest.DefaultAPIKey,
		"CONFLUENT_CLOUD_API_SECRET=" + byoktest.DefaultAPISecret}
	exporter := startProcess(t, "exporter", byokctl, env, "exporter", "--listen", "127.0.0.1:0", "--interval", "1s")
	target := exporter.await(ctx, t, regexp.MustCompile(`exporter listening on http://(127\.0\.0\.1:\d+)/metrics`))

	dir := t.TempDir()
	promAddr := freeLoopbackAddr(t)
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: byok
    static_configs:
      - targets: [%q]
`, rules, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, "prometheus", prometheus, nil, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promAddr, "--log.level=warn")
	prom := "http://" + promAddr

	// Prometheus sees every key VALID before anything changes.
	until(ctx, t, "Prometheus sees the 3 keys VALID", func() (bool, string) {
		got, err := query(ctx, prom, `byok_key_validation_phase{phase="VALID"} == 1`)
		return err == nil && len(got) == 3, fmt.Sprint(got, err)
	})
	// No key alert before the revocation. (An exporter alert may be
	// pending: a scrape before the exporter's first poll looks stale.)
	for _, a := range alerts(ctx, t, prom) {
		if a.Labels["id"] != "" {
			t.Fatalf("an alert before the revocation: %v", a)
		}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/_byoktest/keys/"+revoked+"/revoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoking %s: %s", revoked, resp.Status)
	}
	revokedAt := time.Now()

	var last []alert
	until(ctx, t, "ByokKeyInvalid fires for "+revoked, func() (bool, string) {
		last = alerts(ctx, t, prom)
		for _, a := range last {
			if a.Labels["alertname"] == "ByokKeyInvalid" && a.Labels["id"] == revoked && a.State == "firing" {
				return true, ""
			}
		}
		return false, fmt.Sprint(last)
	})
	for _, a := range last {
		switch {
		case a.Labels["alertname"] == "ByokKeyInvalid" && a.Labels["id"] != revoked:
			t.Errorf("ByokKeyInvalid for %s, which did not lose access: %v", a.Labels["id"], a)
		case slices.Contains(healthy, a.Labels["id"]):
			t.Errorf("an alert for the healthy key %s: %v", a.Labels["id"], a)
		case a.Labels["alertname"] == "ByokKeyInvalid" && a.Labels["display_name"] != "seed key 2":
			t.Errorf("ByokKeyInvalid without the key's display name: %v", a)
		}
	}
	t.Logf("ByokKeyInvalid fired %s after the revocation; the whole test took %s",
		time.Since(revokedAt).Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
}

// process is a program the test started, its stderr and stdout kept.
type process struct {
	name string
	out  *testkit.SyncBuffer
}

// startProcess starts path with args (and env added to the test's
// environment) until the test ends: then it gets SIGTERM, and is killed
// 10s later. A process that does not exit cleanly (status 0: SIGTERM is
// how serve, the exporter and Prometheus stop) fails the test.
func startProcess(t *testing.T, name, path string, env []string, args ...string) *process {
	t.Helper()
	p := &process{name: name, out: &testkit.SyncBuffer{}}
	cmd := exec.Command(path, args...) // not CommandContext: the test's end, not the deadline, stops it
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited with %v after SIGTERM:\n%s", name, err, p.out.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop within 10s of SIGTERM (then: %v):\n%s", name, <-done, p.out.String())
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.out.String())
		}
	})
	return p
}

// await waits for a line of the output matching re and returns its first
// group.
func (p *process) await(ctx context.Context, t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	var found string
	until(ctx, t, p.name+" prints "+re.String(), func() (bool, string) {
		m := re.FindStringSubmatch(p.out.String())
		if m == nil {
			return false, p.out.String()
		}
		found = m[1]
		return true, ""
	})
	return found
}

// until calls cond every 100ms until it holds, failing the test when ctx
// ends first with what cond last said.
func until(ctx context.Context, t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting until %s (%v); last: %s", what, ctx.Err(), state)
		case <-tick.C:
		}
	}
}

// freeLoopbackAddr returns a loopback address with a port free a moment
// ago, for a program that cannot say which port it took.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// alert is an alert of Prometheus' /api/v1/alerts.
type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// alerts returns the pending and firing alerts of Prometheus at base.
func alerts(ctx context.Context, t *testing.T, base string) []alert {
	t.Helper()
	var out struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []alert `json:"alerts"`
		} `json:"data"`
	}
	if err := getJSON(ctx, base+"/api/v1/alerts", &out); err != nil || out.Status != "success" {
		t.Logf("alerts: %v (status %q)", err, out.Status)
		return nil
	}
	return out.Data.Alerts
}

// query returns the labels of the series of an instant query.
func query(ctx context.Context, base, q string) ([]map[string]string, error) {
	var out struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(ctx, base+"/api/v1/query?query="+url.QueryEscape(q), &out); err != nil {
		return nil, err
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("query %s: status %q", q, out.Status)
	}
	series := make([]map[string]string, len(out.Data.Result))
	for i, r := range out.Data.Result {
		series[i] = r.Metric
	}
	return series, nil
}

// getJSON decodes the JSON answer of a GET of u into v, within 5s.
func getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
