package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// newTestRuntime returns the runtime of a command run in sys without cobra:
// the client from sys's environment, as with no global flag, and the -o
// format output.
func newTestRuntime(sys *system, output *enumFlag) *runtime {
	flags := &globalFlags{sys: sys}
	rt := &runtime{sys: sys, clock: sys.clock, newClient: flags.newClient, output: output}
	if rt.clock == nil {
		rt.clock = wrapper.RealClock{}
	}
	return rt
}

// parseFlags builds a command with build, giving it a fake runF that keeps
// the options it is called with, and runs it with args: it checks what
// flag parsing puts into the options, and nothing else runs.
func parseFlags[O any](t *testing.T, build func(*runtime, func(context.Context, *runtime, O) error) *cobra.Command, args ...string) (O, error) {
	t.Helper()
	var (
		got    O
		called bool
	)
	rt := newTestRuntime(&system{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }, isTerminal: func(any) bool { return false }},
		newEnumFlag(formatHuman, formatHuman, formatJSON, formatYAML))
	cmd := build(rt, func(_ context.Context, _ *runtime, o O) error {
		got, called = o, true
		return nil
	})
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	if err == nil && !called {
		t.Fatalf("%s %q: runF was not called", cmd.Name(), args)
	}
	return got, err
}

// TestUpdateFlags: update's flags and argument reach updateOptions; an empty
// name never reaches the run function.
func TestUpdateFlags(t *testing.T) {
	o, err := parseFlags(t, newUpdateCmd, "cck-1", "--display-name", "billing")
	if err != nil || o != (updateOptions{id: "cck-1", name: "billing"}) {
		t.Errorf("got %+v, %v", o, err)
	}
	if _, err := parseFlags(t, newUpdateCmd, "cck-1", "--display-name", " "); !isUsage(err) {
		t.Errorf("an empty name: %v, want a usage error", err)
	}
}

// TestGetAndWaitFlags: the id argument reaches the options.
func TestGetAndWaitFlags(t *testing.T) {
	if o, err := parseFlags(t, newGetCmd, "cck-1"); err != nil || o.id != "cck-1" {
		t.Errorf("get: %+v, %v", o, err)
	}
	if o, err := parseFlags(t, newWaitCmd, "cck-2"); err != nil || o.id != "cck-2" {
		t.Errorf("wait: %+v, %v", o, err)
	}
}

// TestListFlags: every filter flag reaches listOptions, the documented
// enumeration values in the API's case.
func TestListFlags(t *testing.T) {
	o, err := parseFlags(t, newListCmd, "--provider", "aws", "--state", "in_use", "--validation-phase", "invalid",
		"--display-name", "billing", "--validation-region", "us-west-2", "--key", "1234", "--page-size", "5")
	want := wrapper.ListKeysOptions{Provider: wrapper.ProviderAWS, State: wrapper.StateInUse, ValidationPhase: wrapper.PhaseInvalid,
		DisplayName: "billing", ValidationRegion: "us-west-2", Key: "1234", PageSize: 5}
	if err != nil || o.filter != want {
		t.Errorf("got %+v, %v;\nwant %+v", o.filter, err, want)
	}
}

// TestRunFunctionsWithoutCobra calls run functions directly, with a runtime
// of the test's own and the fake server.
func TestRunFunctionsWithoutCobra(t *testing.T) {
	f := newFixture(t)
	ids := f.srv.Seed(2)
	var stdout, stderr bytes.Buffer
	rt := newTestRuntime(f.system(f.env, &stdout, &stderr), newEnumFlag(formatJSON, formatJSON))
	if err := runUpdate(t.Context(), rt, updateOptions{id: ids[0], name: "renamed"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), `"display_name": "renamed"`) {
		t.Errorf("update printed %s", stdout.String())
	}
	stdout.Reset()
	if err := runList(t.Context(), rt, listOptions{filter: wrapper.ListKeysOptions{DisplayName: "renamed"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), ids[0]) || strings.Contains(stdout.String(), ids[1]) {
		t.Errorf("list printed %s", stdout.String())
	}
	stdout.Reset()
	if err := runGet(t.Context(), rt, getOptions{id: ids[1]}); err != nil || !strings.Contains(stdout.String(), ids[1]) {
		t.Errorf("get: %v, %s", err, stdout.String())
	}
	err := runGet(t.Context(), rt, getOptions{id: "cck-missing"})
	if !errors.Is(err, wrapper.ErrNotFound) {
		t.Errorf("get of a missing key: %v", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestCallExplainsTheDeadline: rt.call gives the function a context bounded
// by --timeout and names the limit when it passes.
func TestCallExplainsTheDeadline(t *testing.T) {
	f := newFixture(t)
	rt := newTestRuntime(f.system(f.env, io.Discard, io.Discard), newEnumFlag(formatHuman, formatHuman))
	rt.timeout = time.Millisecond
	err := rt.call(t.Context(), time.Hour, func(ctx context.Context, _ *wrapper.Client) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) || describe(err) != "gave up after 1ms (set a longer --timeout): "+context.DeadlineExceeded.Error() {
		t.Errorf("got %v", err)
	}
}

// TestCommandFlags: each command's flags and arguments reach its options,
// with a fake runF: nothing is sent, no client is made.
func TestCommandFlags(t *testing.T) {
	t.Run("delete", func(t *testing.T) {
		o, err := parseFlags(t, newDeleteCmd, "cck-1", "cck-2", "--force", "--ignore-not-found", "--wait")
		if err != nil || !slices.Equal(o.ids, []string{"cck-1", "cck-2"}) || !o.force || !o.ignoreNotFound || !o.wait {
			t.Errorf("got %+v, %v", o, err)
		}
	})
	t.Run("create", func(t *testing.T) {
		o, err := parseFlags(t, newCreateCmd, "aws", "--key-arn", exampleARN, "--display-name", "billing", "--wait")
		if err != nil || !reflect.DeepEqual(o.material, wrapper.AWSKey{KeyARN: exampleARN}) || o.displayName != "billing" || !o.wait || o.grants != nil {
			t.Errorf("aws: got %+v, %v", o, err)
		}
		o, err = parseFlags(t, newCreateCmd, "azure", "--key-id", "https://v.vault.azure.net/keys/k", "--key-vault-id", "/subscriptions/s/vaults/v", "--tenant-id", "t")
		if err != nil || o.material != (wrapper.AzureKey{KeyID: "https://v.vault.azure.net/keys/k", KeyVaultID: "/subscriptions/s/vaults/v", TenantID: "t"}) {
			t.Errorf("azure: got %+v, %v", o, err)
		}
		o, err = parseFlags(t, newCreateCmd, "gcp", "--key-id", "projects/p/locations/l/keyRings/r/cryptoKeys/k")
		if err != nil || o.material != (wrapper.GCPKey{KeyID: "projects/p/locations/l/keyRings/r/cryptoKeys/k"}) {
			t.Errorf("gcp: got %+v, %v", o, err)
		}
	})
	t.Run("diff", func(t *testing.T) {
		if o, err := parseFlags(t, newDiffCmd, "-f", "keys.yaml"); err != nil || o.file != "keys.yaml" {
			t.Errorf("got %+v, %v", o, err)
		}
	})
	t.Run("apply", func(t *testing.T) {
		o, err := parseFlags(t, newApplyCmd, "-f", "keys.yaml", "--prune", "--force", "--wait")
		if err != nil || o != (applyFlags{file: "keys.yaml", prune: true, force: true, wait: true}) {
			t.Errorf("got %+v, %v", o, err)
		}
	})
	t.Run("check", func(t *testing.T) {
		o, err := parseFlags(t, newCheckCmd, "-f", "keys.yaml", "--initializing-for", "30m")
		if err != nil || o.file != "keys.yaml" || o.initializingFor != 30*time.Minute || o.cloud {
			t.Errorf("got %+v, %v", o, err)
		}
		o, err = parseFlags(t, newCheckCmd, "--cloud", "--profile", "audit", "--region", "us-west-2", "--kms-endpoint", "http://127.0.0.1:4566")
		if err != nil || !o.cloud || o.kms != (kmsOptions{profile: "audit", region: "us-west-2", endpoint: "http://127.0.0.1:4566"}) {
			t.Errorf("--cloud: got %+v, %v", o, err)
		}
	})
	t.Run("exporter", func(t *testing.T) {
		o, err := parseFlags(t, newExporterCmd, "--listen", "127.0.0.1:0", "--interval", "5m")
		if err != nil || o != (exporterOptions{listen: "127.0.0.1:0", interval: 5 * time.Minute}) {
			t.Errorf("got %+v, %v", o, err)
		}
	})
	t.Run("grants", func(t *testing.T) {
		o, err := parseFlags(t, newGrantsCmd, "cck-1", "--policy", "policy.json")
		if err != nil || o.id != "cck-1" || o.policy != "policy.json" || o.live {
			t.Errorf("got %+v, %v", o, err)
		}
		if o, err = parseFlags(t, newGrantsCmd, "cck-1", "--check"); err != nil || !o.live {
			t.Errorf("--check: got %+v, %v", o, err)
		}
	})
	t.Run("serve", func(t *testing.T) {
		o, err := parseFlags(t, newServeCmd, "--addr", "127.0.0.1:0", "--seed", "3", "--fault-rate", "0.5", "--api-key", "K", "--api-secret", "S")
		if err != nil || o.addr != "127.0.0.1:0" || o.seed != 3 || o.faultRate != 0.5 || o.apiKey != "K" || o.apiSecret != "S" {
			t.Errorf("got %+v, %v", o, err)
		}
	})
}
