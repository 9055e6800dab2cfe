package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/internal/testkit"
)

// The TestPrism* tests run byokctl's flows against the API that `make
// prism` names in the environment (see contract.ExternalEndpoint): Prism's
// proxy in front of a byoktest server shared by every test of the run, so
// each test makes its own keys (key ids unique to the test and the moment),
// looks only at those and deletes them. Prism and the contract validator on
// byoktest's side check every exchange; a violation fails the run. Against
// Prism's mock, which answers every request with the spec's example
// whatever was created, the flows cannot hold: they skip there (the
// wrapper's TestPrism* tests cover the mock). Under plain `go test` they
// skip too.

// prismCLI is byokctl pointed at the API behind Prism's proxy.
type prismCLI struct {
	*fixture
	ep contract.Endpoint
}

// prismProxy returns the API behind Prism's proxy named by the
// environment, or skips the test.
func prismProxy(t *testing.T) contract.Endpoint {
	t.Helper()
	ep, ok := contract.ExternalEndpoint()
	if !ok {
		t.Skipf("%s is not set: the TestPrism* tests run under `make prism`", contract.EndpointEnv)
	}
	if ep.Server != contract.ServerPrismProxy {
		t.Skipf("%s is %q: byokctl's flows need the state of byoktest behind %q", contract.ServerEnv, ep.Server, contract.ServerPrismProxy)
	}
	return ep
}

func newPrismCLI(t *testing.T) *prismCLI {
	t.Helper()
	ep := prismProxy(t)
	return &prismCLI{
		fixture: &fixture{
			t: t,
			env: map[string]string{
				envEndpoint:  ep.URL,
				envAPIKey:    ep.APIKey,
				envAPISecret: ep.APISecret,
			},
			clock: testkit.NewClockAt(testEpoch()),
		},
		ep: ep,
	}
}

// run runs byokctl and checks that the API secret was not printed.
func (c *prismCLI) run(args ...string) result {
	c.t.Helper()
	r := c.fixture.run(args...)
	if strings.Contains(r.stdout, c.ep.APISecret) || strings.Contains(r.stderr, c.ep.APISecret) {
		c.t.Errorf("byokctl %s printed the API secret:\n%s", strings.Join(args, " "), r.transcript())
	}
	return r
}

// create runs a create command (with -o json) that must succeed, and
// deletes the key when the test ends unless the test deleted it.
func (c *prismCLI) create(args ...string) map[string]any {
	c.t.Helper()
	r := c.run(append(append([]string{"create"}, args...), "-o", "json")...)
	expect(c.t, r, exitOK)
	k := jsonObject(c.t, r.stdout)
	id := field(c.t, k, "id")
	c.deleteAtEnd(id)
	if !strings.HasPrefix(r.stderr, "created "+id+" (request id ") {
		c.t.Errorf("create printed on stderr:\n%s\nwant it to begin with \"created %s (request id \"", r.stderr, id)
	}
	return k
}

// deleteAtEnd deletes key id when the test ends; a key already gone is
// fine. The test's context is cancelled by then, so the run has its own.
func (c *prismCLI) deleteAtEnd(id string) {
	c.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		defer cancel()
		var stdout, stderr bytes.Buffer
		code := run(ctx, []string{"delete", id, "--force", "--ignore-not-found"}, c.system(c.env, &stdout, &stderr))
		if code != exitOK {
			c.t.Errorf("cleaning up key %s: exit status %d: %s", id, code, stderr.String())
		}
	})
}

// prismProvider is how to create a key of one provider.
type prismProvider struct {
	name string
	// args are the create arguments for a key whose identifier holds marker.
	args func(marker string) []string
	// identifier is the key's identifier in its cloud.
	identifier func(marker string) string
	// grant begins a line of what create says to grant.
	grant string
	// region is the validation region the identifier implies; "" when the
	// server decides.
	region string
}

func prismProviders() []prismProvider {
	awsARN := func(m string) string { return "arn:aws:kms:ap-southeast-2:111122223333:key/" + m }
	azureKey := func(m string) string { return "https://kv-prism-cli.vault.azure.net/keys/" + m }
	gcpKey := func(m string) string {
		return "projects/byok-prism/locations/northamerica-northeast1/keyRings/r/cryptoKeys/" + m
	}
	return []prismProvider{
		{"aws", func(m string) []string { return []string{"aws", "--key-arn", awsARN(m)} }, awsARN,
			`  "Sid": "Allow Confluent Cloud BYOK key `, "ap-southeast-2"},
		{"azure", func(m string) []string {
			// The vault of the key: grants prints no commands for a key
			// registered with another vault.
			vault := strings.Replace(exampleAzureVault, "vault-name", "kv-prism-cli", 1)
			return []string{"azure", "--key-id", azureKey(m), "--key-vault-id", vault, "--tenant-id", exampleTenant}
		}, azureKey, "az role assignment create --assignee ", ""},
		{"gcp", func(m string) []string { return []string{"gcp", "--key-id", gcpKey(m)} }, gcpKey,
			"gcloud kms keys add-iam-policy-binding ", "northamerica-northeast1"},
	}
}

// TestPrismCLIKeyLifecycle creates a key of each provider, waits for its
// validation, shows, renames, lists and deletes it, in every output format.
func TestPrismCLIKeyLifecycle(t *testing.T) {
	prismProxy(t)
	for _, p := range prismProviders() {
		t.Run(p.name, func(t *testing.T) {
			c := newPrismCLI(t)
			marker := testkit.Marker(t)
			name := "prism cli " + marker

			r := c.run(append(append([]string{"create"}, p.args(marker)...), "--display-name", name, "-o", "json")...)
			expect(t, r, exitOK)
			created := jsonObject(t, r.stdout)
			id := field(t, created, "id")
			c.deleteAtEnd(id)
			assertKey(t, created, id, name, p.identifier(marker), "INITIALIZING")
			for _, want := range []string{"created " + id + " (request id ", "\n" + p.grant, "follow it with: byokctl wait " + id + "\n"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("create printed on stderr:\n%s\nwant it to hold %q", r.stderr, want)
				}
			}

			r = c.run("wait", id, "-o", "json")
			expect(t, r, exitOK)
			valid := jsonObject(t, r.stdout)
			assertKey(t, valid, id, name, p.identifier(marker), "VALID")
			if region := field(t, valid, "validation", "region"); p.region != "" && region != p.region {
				t.Errorf("validated in %q; the key names %q", region, p.region)
			}

			r = c.run("get", id, "-o", "yaml")
			expect(t, r, exitOK)
			var got map[string]any
			if err := yaml.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("get -o yaml printed what is not YAML: %v\n%s", err, r.stdout)
			}
			if !reflect.DeepEqual(got, valid) {
				t.Errorf("get -o yaml:\n%s\nwant the key wait printed:\n%v", r.stdout, valid)
			}

			renamed := name + " renamed"
			r = c.run("update", id, "--display-name", renamed, "-o", "json")
			expect(t, r, exitOK)
			assertKey(t, jsonObject(t, r.stdout), id, renamed, p.identifier(marker), "VALID")

			r = c.run("list", "--key", marker, "-o", "json")
			expect(t, r, exitOK)
			listed := jsonArray(t, r.stdout)
			if len(listed) != 1 {
				t.Fatalf("list --key %s -o json printed %d keys; want 1:\n%s", marker, len(listed), r.stdout)
			}
			assertKey(t, listed[0], id, renamed, p.identifier(marker), "VALID")

			r = c.run("list", "--key", marker, "-o", "table")
			expect(t, r, exitOK)
			rows := tableRows(t, r.stdout)
			if len(rows) != 1 || rows[0][0] != id || rows[0][1] != renamed || rows[0][3] != p.identifier(marker) || rows[0][5] != "VALID" {
				t.Errorf("list -o table:\n%s\nwant one row for %s %q %s VALID", r.stdout, id, renamed, p.identifier(marker))
			}

			r = c.run("delete", id, "--force")
			expect(t, r, exitOK)
			if r.stdout != "deleted "+id+"\n" || r.stderr != "" {
				t.Errorf("delete: stdout %q, stderr %q", r.stdout, r.stderr)
			}
			r = c.run("get", id)
			expect(t, r, exitFailure)
			if want := "byokctl: GET /byok/v1/keys/" + id + ": 404 Not Found: "; !strings.HasPrefix(r.stderr, want) {
				t.Errorf("get after delete: stderr %q; want it to begin with %q", r.stderr, want)
			}
		})
	}
}

// TestPrismCLICreateWait creates a key and waits for its validation in one
// command.
func TestPrismCLICreateWait(t *testing.T) {
	c := newPrismCLI(t)
	marker := testkit.Marker(t)
	gcp := prismProviders()[2]
	k := c.create(append(gcp.args(marker), "--wait")...)
	assertKey(t, k, field(t, k, "id"), "", gcp.identifier(marker), "VALID")
	if region := field(t, k, "validation", "region"); region != gcp.region {
		t.Errorf("validated in %q; want %q", region, gcp.region)
	}
}

// TestPrismCLIList lists with filters, over pages, and deletes several keys
// at once.
func TestPrismCLIList(t *testing.T) {
	c := newPrismCLI(t)
	marker := testkit.Marker(t)
	aws, azure := prismProviders()[0], prismProviders()[1]
	var ids []string
	for i, p := range []prismProvider{aws, aws, azure} {
		k := c.create(append(p.args(fmt.Sprintf("%s-%d", marker, i)), "--display-name", fmt.Sprintf("key %d of %s", i, marker))...)
		ids = append(ids, field(t, k, "id"))
	}
	// The first read of a key completes its validation: only the first key
	// becomes VALID.
	expect(t, c.run("wait", ids[0]), exitOK)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--provider", "aws", "--validation-phase", "valid"}, ids[:1]},
		{[]string{"--provider", "AWS", "--validation-phase", "initializing"}, ids[1:2]},
		{[]string{"--display-name", "key 2 of", "--state", "available"}, ids[2:]},
		{[]string{"--validation-region", aws.region}, ids[:1]},
		{[]string{"--page-size", "1"}, ids},
	} {
		args := append([]string{"list", "--key", marker, "-o", "json"}, tc.args...)
		r := c.run(args...)
		expect(t, r, exitOK)
		var got []string
		for _, k := range jsonArray(t, r.stdout) {
			got = append(got, field(t, k, "id"))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("byokctl %s listed %v; want %v", strings.Join(args, " "), got, tc.want)
		}
	}

	r := c.run("list", "--key", marker, "--page-size", "2")
	expect(t, r, exitOK)
	rows := tableRows(t, r.stdout)
	var got []string
	for _, row := range rows {
		got = append(got, row[0])
	}
	if !reflect.DeepEqual(got, ids) {
		t.Errorf("list as a table:\n%s\nwant rows for %v", r.stdout, ids)
	}

	r = c.run(append([]string{"delete", "--force"}, ids...)...)
	expect(t, r, exitOK)
	if want := "deleted " + strings.Join(ids, "\ndeleted ") + "\n"; r.stdout != want || r.stderr != "" {
		t.Errorf("delete: stdout %q, stderr %q; want stdout %q", r.stdout, r.stderr, want)
	}
	r = c.run("delete", ids[0], "--force")
	expect(t, r, exitFailure)
	if want := "byokctl: not found: " + ids[0] + "; nothing was deleted (--ignore-not-found deletes the others)\n"; r.stderr != want {
		t.Errorf("second delete: stderr %q; want %q", r.stderr, want)
	}
}

// TestPrismCLIErrors meets the errors a request the spec accepts can meet:
// a key that exists already, a key that does not exist, a secret the server
// refuses.
func TestPrismCLIErrors(t *testing.T) {
	c := newPrismCLI(t)
	marker := testkit.Marker(t)
	aws := prismProviders()[0]
	c.create(aws.args(marker)...)

	r := c.run(append([]string{"create"}, aws.args(marker)...)...)
	expect(t, r, exitFailure)
	if want := "byokctl: POST /byok/v1/keys: 409 Conflict: "; !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, aws.identifier(marker)) {
		t.Errorf("a second create: stderr %q; want it to begin with %q and name the ARN", r.stderr, want)
	}

	missing := "cck-" + marker
	for _, args := range [][]string{{"get", missing}, {"wait", missing}, {"update", missing, "--display-name", "x"}} {
		r := c.run(args...)
		expect(t, r, exitFailure)
		if !strings.Contains(r.stderr, "/byok/v1/keys/"+missing+": 404 Not Found: ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("byokctl %s: stderr %q; want one line with the 404", strings.Join(args, " "), r.stderr)
		}
	}

	// Prism checks that credentials are there, not that they are right:
	// wrong ones reach byoktest, which refuses them.
	env := map[string]string{envEndpoint: c.ep.URL, envAPIKey: c.ep.APIKey, envAPISecret: wrongSecret}
	r = c.runEnv(env, "list")
	expect(t, r, exitFailure)
	if want := "byokctl: GET /byok/v1/keys: 401 Unauthorized: "; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("a wrong secret: stderr %q; want it to begin with %q", r.stderr, want)
	}
}

// assertKey checks the fields of a key printed as JSON or YAML.
func assertKey(t *testing.T, k map[string]any, id, name, identifier, phase string) {
	t.Helper()
	if got := field(t, k, "id"); got != id {
		t.Errorf("key %s; want %s", got, id)
	}
	if got, _ := k["display_name"].(string); got != name {
		t.Errorf("key %s is named %q; want %q", id, got, name)
	}
	key, _ := k["key"].(map[string]any)
	arn, _ := key["key_arn"].(string)
	keyID, _ := key["key_id"].(string)
	if arn != identifier && keyID != identifier {
		t.Errorf("key %s names key_arn %q, key_id %q; want %q", id, arn, keyID, identifier)
	}
	if got := field(t, k, "validation", "phase"); got != phase {
		t.Errorf("key %s is %s; want %s", id, got, phase)
	}
}

// field returns the string at path in m, failing the test when it is
// missing or empty.
func field(t *testing.T, m map[string]any, path ...string) string {
	t.Helper()
	var v any = m
	for _, name := range path {
		obj, _ := v.(map[string]any)
		v = obj[name]
	}
	s, _ := v.(string)
	if s == "" {
		t.Fatalf("no %s in %v", strings.Join(path, "."), m)
	}
	return s
}

func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

func jsonArray(t *testing.T, s string) []map[string]any {
	t.Helper()
	var a []map[string]any
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		t.Fatalf("not a JSON array of objects: %v\n%s", err, s)
	}
	return a
}

// tableRows returns the rows of a -o table output, after checking its
// header; the cells are split at runs of three spaces or more (the table's
// padding; a cell holds no such run).
func tableRows(t *testing.T, s string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "ID DISPLAY NAME PROVIDER KEY STATE PHASE REGION CREATED" {
		t.Fatalf("table header %q", lines[0])
	}
	var rows [][]string
	for _, line := range lines[1:] {
		var cells []string
		for cell := range strings.SplitSeq(line, "   ") {
			if cell = strings.TrimSpace(cell); cell != "" {
				cells = append(cells, cell)
			}
		}
		if len(cells) != 8 {
			t.Fatalf("table row %q has %d cells; want 8", line, len(cells))
		}
		rows = append(rows, cells)
	}
	return rows
}
