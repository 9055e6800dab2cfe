// Command prismrun runs a command, typically integration test suites,
// against a BYOK API behind Prism, and fails when Prism or the contract
// validator finds a request or response that breaks the spec.
//
//	prismrun -prism node_modules/.bin/prism -mode proxy -- go test -count=1 -run ^TestPrism ./wrapper/... ./cmd/...
//
// With -mode proxy it starts a byoktest server (its side checked by the
// contract validator), `prism proxy --errors` in front of it, and a
// recorder in front of Prism that notes every violation Prism reports; with
// -mode mock, `prism mock` behind the recorder. All listen on free ports of
// 127.0.0.1. The command finds the API in its environment:
// BYOK_TEST_ENDPOINT (the recorder's URL), BYOK_TEST_API_KEY,
// BYOK_TEST_API_SECRET and BYOK_TEST_SERVER (prism-proxy or prism-mock);
// see contract.ExternalEndpoint. The whole run is bounded by -timeout;
// Prism is stopped by its pid and the command's process group is killed if
// the run times out or is interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/internal/contract/prism"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// config is what the flags say.
type config struct {
	prismBin     string
	spec         string
	mode         prism.Mode
	timeout      time.Duration
	minExchanges int
	log          string
	command      []string
}

func main() {
	var cfg config
	fs := flag.NewFlagSet("prismrun", flag.ExitOnError)
	fs.StringVar(&cfg.prismBin, "prism", os.Getenv(prism.BinEnv), "the prism executable (default $"+prism.BinEnv+")")
	fs.StringVar(&cfg.spec, "spec", "openapi/byok-v1.yaml", "the spec file")
	mode := fs.String("mode", string(prism.Proxy), "proxy (Prism in front of byoktest) or mock (Prism alone)")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "bound on the whole run")
	fs.IntVar(&cfg.minExchanges, "min-exchanges", 1, "fail when fewer exchanges went through Prism (a suite that skipped everything)")
	fs.StringVar(&cfg.log, "log", "", "write Prism's output to this file")
	fs.Usage = func() {
		_, _ = fmt.Fprintln(fs.Output(), "usage: prismrun [flags] -- command [args...]")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[1:])
	cfg.mode = prism.Mode(*mode)
	cfg.command = fs.Args()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "prismrun:", err)
		stop()
		os.Exit(1)
	}
}

func (c config) check() error {
	switch {
	case len(c.command) == 0:
		return errors.New("no command given: prismrun [flags] -- command [args...]")
	case c.prismBin == "":
		return fmt.Errorf("no prism executable: pass -prism or set %s", prism.BinEnv)
	case c.mode != prism.Proxy && c.mode != prism.Mock:
		return fmt.Errorf("-mode %q; expected %q or %q", c.mode, prism.Proxy, prism.Mock)
	case c.timeout <= 0:
		return fmt.Errorf("-timeout %v; expected a positive duration", c.timeout)
	}
	return nil
}

func run(ctx context.Context, out io.Writer, cfg config) (err error) {
	if err := cfg.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	defer func() { _ = front.Close() }()
	ep := contract.Endpoint{URL: "http://" + front.Addr().String(), APIKey: "prismrun-key", APISecret: "prismrun-secret", Server: contract.ServerPrismMock}

	ours := &collector{}
	var upstream string
	if cfg.mode == prism.Proxy {
		v, err := contract.New()
		if err != nil {
			return err
		}
		fake, stopFake, err := startFake(ep.URL, v, ours)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, stopFake()) }()
		defer func() { err = errors.Join(err, writeCoverage(v)) }()
		upstream = fake.url
		ep.APIKey, ep.APISecret, ep.Server = fake.handler.APIKey(), fake.handler.APISecret(), contract.ServerPrismProxy
	}

	var logw io.Writer
	if cfg.log != "" {
		f, err := os.Create(cfg.log)
		if err != nil {
			return fmt.Errorf("creating the Prism log: %w", err)
		}
		defer func() { _ = f.Close() }()
		logw = f
	}
	begun := time.Now()
	p, err := prism.Start(ctx, prism.Options{Bin: cfg.prismBin, Spec: cfg.spec, Mode: cfg.mode, Upstream: upstream, Errors: true, Log: logw})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, p.Stop()) }()
	_, _ = fmt.Fprintf(out, "prismrun: prism %s (pid %d) listening after %v; the API is at %s\n", cfg.mode, p.Pid(), time.Since(begun).Round(time.Millisecond), ep.URL)

	target, err := url.Parse(p.URL())
	if err != nil {
		return err
	}
	rec := prism.NewRecorder(target)
	frontSrv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = frontSrv.Serve(front) }()
	defer func() { _ = frontSrv.Close() }()

	cmdErr := runCommand(ctx, cfg.command, ep)

	var problems []string
	if cmdErr != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", strings.Join(cfg.command, " "), cmdErr))
	}
	flagged := rec.Flagged()
	for _, f := range flagged {
		problems = append(problems, "Prism: "+f.String())
	}
	problems = append(problems, ours.messages()...)
	if n := rec.Exchanges(); n < cfg.minExchanges {
		problems = append(problems, fmt.Sprintf("only %d exchanges went through Prism; expected at least %d", n, cfg.minExchanges))
	}
	_, _ = fmt.Fprintf(out, "prismrun: prism %s: %d exchanges, %d flagged by Prism, %d flagged by the contract validator\n",
		cfg.mode, rec.Exchanges(), len(flagged), len(ours.messages()))
	if len(problems) > 0 {
		if cfg.log == "" {
			problems = append(problems, "Prism's last output:\n"+p.Output())
		}
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// fake is a byoktest server on a free loopback port.
type fake struct {
	handler *byoktest.Server
	url     string
}

// startFake serves byoktest, checked by v, with links naming base (the
// front door, so that a client following them stays behind Prism).
func startFake(base string, v *contract.Validator, r contract.Reporter) (*fake, func() error, error) {
	h, err := byoktest.New(
		byoktest.WithBaseURL(base),
		byoktest.WithMiddleware(func(next http.Handler) http.Handler { return v.Middleware(r, next) }),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("starting byoktest: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = h.Close()
		return nil, nil, fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	stop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return errors.Join(srv.Shutdown(ctx), h.Close())
	}
	return &fake{handler: h, url: "http://" + l.Addr().String()}, stop, nil
}

// runCommand runs the command with the endpoint in its environment, its
// output on ours, in a process group of its own that is killed when ctx
// ends.
func runCommand(ctx context.Context, command []string, ep contract.Endpoint) error {
	cmd := exec.CommandContext(ctx, command[0], command[1:]...) //nolint:gosec // running the caller's command is the point
	cmd.Env = append(os.Environ(), ep.Environ()...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	ownGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("stopped: %w (%w)", ctx.Err(), err)
	}
	return err
}

// writeCoverage records the pairs the validator saw on byoktest's side,
// when BYOK_CONTRACT_DIR is set.
func writeCoverage(v *contract.Validator) error {
	dir := os.Getenv(contract.DirEnv)
	if dir == "" {
		return nil
	}
	return v.WriteRecord(dir, "prismrun")
}

// collector gathers the contract validator's reports.
type collector struct {
	mu   sync.Mutex
	msgs []string
}

func (c *collector) Helper() {}

func (c *collector) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, fmt.Sprintf(format, args...))
}

func (c *collector) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}
