package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper/byoktest"
)

// demoPollInterval is how often the demo's wait steps poll: the fake
// validates a key on its second read, so the waits last a moment.
const demoPollInterval = 200 * time.Millisecond

// demoOptions are what byokctl demo takes from the command line.
type demoOptions struct {
	debug bool // --debug: the steps run with it too
}

// newDemoCmd builds byokctl demo: it reads its one flag, --debug, into
// demoOptions and calls runF with them (runDemo, or a test's fake). The
// global flags, which the demo would ignore (it talks to its own fake with
// its credentials), are refused (refuseGlobalFlags, in newRootCmd).
func newDemoCmd(rt *runtime, runF func(context.Context, *runtime, demoOptions) error) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Walk through the whole flow offline, against an embedded fake API",
		Long: `Start the fake BYOK API on a free loopback port and walk through the whole
flow with it: create an AWS, an Azure and a GCP key (and one whose validation
fails), print what to grant, wait for their validation, list them, rename
one, show it as YAML, delete one and list again. Each step is printed as the byokctl command it
runs, followed by that command's output. Nothing leaves this machine.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), rt, o)
		},
	}
	cmd.Flags().BoolVar(&o.debug, "debug", false, "run every step with --debug: log every request and response to stderr (credentials redacted)")
	return cmd
}

// demoKey is a key the demo creates: the create arguments after "create".
type demoKey struct {
	args []string
}

func demoKeys() []demoKey {
	return []demoKey{
		{[]string{"aws", "--display-name", "Billing cluster",
			"--key-arn", "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},
		{[]string{"azure", "--display-name", "Analytics cluster",
			"--key-id", "https://vault-name.vault.azure.net/keys/key-name",
			"--key-vault-id", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/resourcegroup-name/providers/Microsoft.KeyVault/vaults/vault-name",
			"--tenant-id", "00000000-0000-0000-0000-000000000000"}},
		{[]string{"gcp", "--display-name", "Payments cluster",
			"--key-id", "projects/exampleproject/locations/us-central1/keyRings/testkeyring/cryptoKeys/testbyokkey"}},
		// The fake fails the validation of a key whose ARN says "denied".
		{[]string{"aws", "--display-name", "Key with a wrong policy",
			"--key-arn", "arn:aws:kms:eu-west-1:111122223333:key/denied-0000-0000-0000-000000000000"}},
	}
}

// demoRun runs the steps of a demo against one fake server.
type demoRun struct {
	rt    *runtime
	child *system // the system the steps run in: the fake's environment
	fake  *byoktest.Server
	debug bool // --debug: the steps run with it too
}

func runDemo(ctx context.Context, rt *runtime, o demoOptions) error {
	// The fake uses its built-in test credentials: the user's (flags or
	// environment) are neither used nor printed.
	fake, err := byoktest.New(append(baseFakeOptions(), rt.sys.fakeOptions...)...)
	if err != nil {
		return fmt.Errorf("starting the fake server: %w", err)
	}
	ln, err := rt.sys.listen(ctx, "127.0.0.1:0")
	if err != nil {
		_ = fake.Close()
		return fmt.Errorf("listening on loopback: %w", err)
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			rt.errorf("the demo's fake server stopped: %v", err)
		}
		_ = fake.Close()
	}()

	url := "http://" + displayAddr(ln.Addr())
	env := map[string]string{envEndpoint: url, envAPIKey: fake.APIKey(), envAPISecret: fake.APISecret()}
	child := *rt.sys
	child.getenv = func(name string) string { return env[name] }
	if child.pollInterval == 0 {
		child.pollInterval = demoPollInterval
	}
	d := &demoRun{rt: rt, child: &child, fake: fake, debug: o.debug}

	d.say("A fake BYOK API is running on %s for the length of this demo;", url)
	d.say("nothing leaves this machine. Every step is a byokctl command run with:")
	d.say("")
	for _, name := range []string{envEndpoint, envAPIKey, envAPISecret} {
		// The fake's built-in test credentials, fixed and public: not a
		// secret of the user's.
		d.say("  export %s=%s", name, env[name])
	}

	d.section("1. Register one key per cloud, and one more whose KMS key policy does not let",
		"Confluent Cloud in. A new key starts in validation phase INITIALIZING; create says",
		"on stderr what to grant Confluent Cloud in the cloud so that it can use the key.")
	var ids []string
	for _, k := range demoKeys() {
		if err := d.step(ctx, exitOK, append([]string{"create"}, k.args...)...); err != nil {
			return err
		}
		keys := fake.Keys()
		if len(keys) == 0 || keys[len(keys)-1].ID == "" {
			return errors.New("demo: the fake server has no key after a create")
		}
		ids = append(ids, keys[len(keys)-1].ID)
	}
	good, denied := ids[:3], ids[3]

	d.section("2. Print what to grant again, as JSON for scripts and terraform (the default",
		"is the commands and policy statements create printed).")
	if err := d.step(ctx, exitOK, "grants", good[2], "-o", "json"); err != nil {
		return err
	}

	d.section("3. Wait for each validation. The last key's fails: wait prints the server's",
		"message and exits with status 1.")
	for _, id := range good {
		if err := d.step(ctx, exitOK, "wait", id); err != nil {
			return err
		}
	}
	if err := d.step(ctx, exitFailure, "wait", denied); err != nil {
		return err
	}

	d.section("4. List every key (all pages; filters such as --provider aws are available).")
	if err := d.step(ctx, exitOK, "list"); err != nil {
		return err
	}

	d.section("5. Rename a key: the display name is the only field that can change.")
	if err := d.step(ctx, exitOK, "update", good[0], "--display-name", "Billing cluster (production)"); err != nil {
		return err
	}

	d.section("6. Show it in full, in the API's field names (-o json works too).")
	if err := d.step(ctx, exitOK, "get", good[0], "-o", "yaml"); err != nil {
		return err
	}

	d.section("7. Delete the key that failed validation, and list again.")
	if err := d.step(ctx, exitOK, "delete", denied, "--force"); err != nil {
		return err
	}
	if err := d.step(ctx, exitOK, "list"); err != nil {
		return err
	}

	d.section("Done. Run `byokctl serve` to keep a fake running and try byokctl yourself.")
	return nil
}

// say prints one line of narration on stdout.
func (d *demoRun) say(format string, args ...any) {
	_, _ = fmt.Fprintf(d.rt.sys.stdout, format+"\n", args...)
}

// section prints a heading, one comment line per element of lines.
func (d *demoRun) section(lines ...string) {
	d.say("")
	for _, line := range lines {
		d.say("# %s", line)
	}
}

// step prints args as a command line and runs it in-process against the
// fake. An exit status other than want ends the demo.
func (d *demoRun) step(ctx context.Context, want int, args ...string) error {
	if d.debug {
		args = append(args, "--debug")
	}
	d.say("")
	d.say("$ byokctl %s", shellJoin(args))
	if got := run(ctx, args, d.child); got != want {
		if ctx.Err() != nil {
			return &silentFailure{"interrupted"} // the command said so
		}
		return fmt.Errorf("demo: `byokctl %s` exited with status %d, expected %d", shellJoin(args), got, want)
	}
	if want != exitOK {
		d.say("(exit status %d)", want)
	}
	return nil
}
