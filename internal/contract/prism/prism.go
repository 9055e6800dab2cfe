package prism

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// BinEnv names the environment variable that holds the path of the prism
// executable (node_modules/.bin/prism); tests that need Prism skip without
// it.
const BinEnv = "BYOK_PRISM_BIN"

// Mode is how Prism serves.
type Mode string

const (
	// Mock answers every request from the spec's examples.
	Mock Mode = "mock"
	// Proxy forwards every request to an upstream server and checks the
	// request and the response against the spec.
	Proxy Mode = "proxy"
)

// Options says how to start Prism.
type Options struct {
	Bin      string // the prism executable; required
	Spec     string // the spec file; required
	Mode     Mode   // Mock or Proxy; required
	Upstream string // the upstream base URL; required for Proxy
	// Errors makes a request or response with an error-level violation
	// answer with Prism's own error instead (--errors).
	Errors bool
	// Log receives Prism's output; nil discards it (the last lines are
	// still kept for error messages).
	Log io.Writer
	// StartTimeout bounds the wait for Prism to listen; 0 means 60 s.
	StartTimeout time.Duration
}

// Prism is a running Prism process.
type Prism struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *tail

	stopOnce sync.Once
	stopErr  error
}

// URL returns Prism's base URL, http://127.0.0.1:<port>.
func (p *Prism) URL() string { return p.url }

// Pid returns the process id of Prism.
func (p *Prism) Pid() int { return p.cmd.Process.Pid }

// Output returns the last lines Prism printed.
func (p *Prism) Output() string { return p.out.String() }

// Start starts Prism on a free port of 127.0.0.1 and waits until it
// listens. A port taken between choosing it and Prism binding it is retried
// (three attempts in all).
func Start(ctx context.Context, o Options) (*Prism, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	var err error
	for range 3 {
		var p *Prism
		p, err = start(ctx, o)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, errExited) {
			return nil, err
		}
	}
	return nil, err
}

func (o Options) check() error {
	switch {
	case o.Bin == "":
		return fmt.Errorf("prism: no executable given (set %s to node_modules/.bin/prism; `make prism` does)", BinEnv)
	case o.Spec == "":
		return errors.New("prism: no spec file given")
	case o.Mode != Mock && o.Mode != Proxy:
		return fmt.Errorf("prism: mode %q; expected %q or %q", o.Mode, Mock, Proxy)
	case o.Mode == Proxy && o.Upstream == "":
		return errors.New("prism: proxy mode needs an upstream URL")
	case o.Mode == Mock && o.Upstream != "":
		return errors.New("prism: mock mode takes no upstream URL")
	}
	if o.Upstream != "" {
		u, err := url.Parse(o.Upstream)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("prism: upstream %q is not an absolute URL", o.Upstream)
		}
	}
	return nil
}

var errExited = errors.New("prism exited before it listened")

func start(ctx context.Context, o Options) (*Prism, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{string(o.Mode), o.Spec}
	if o.Mode == Proxy {
		args = append(args, o.Upstream)
	}
	args = append(args, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
	if o.Errors {
		args = append(args, "--errors")
	}
	// Not CommandContext: the process is ended by Stop, by its pid, and
	// ctx only bounds the wait for it to listen.
	cmd := exec.Command(o.Bin, args...) //nolint:gosec // the executable is the caller's choice, by design
	out := &tail{max: 8 << 10}
	var w io.Writer = out
	if o.Log != nil {
		w = io.MultiWriter(out, o.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("prism: starting %s: %w", o.Bin, err)
	}
	p := &Prism{url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{}), out: out}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	if err := p.waitListening(ctx, port, timeout); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

// waitListening polls the port until it accepts a connection, the process
// exits, ctx ends or timeout passes. It opens TCP connections only, so that
// Prism logs no request for it.
func (p *Prism) waitListening(ctx context.Context, port int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var d net.Dialer
	for {
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(dctx, "tcp", addr)
		dcancel()
		if err == nil {
			_ = conn.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("prism: %w (pid %d): %s", errExited, p.Pid(), p.out.String())
		case <-ctx.Done():
			return fmt.Errorf("prism: not listening on %s after %v: %w\n%s", addr, timeout, ctx.Err(), p.out.String())
		case <-tick.C:
		}
	}
}

// Stop ends Prism by its pid: SIGTERM, then SIGKILL if it has not exited
// within five seconds. It waits for the process to be gone and is safe to
// call more than once.
func (p *Prism) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			// No SIGTERM on this system: go straight to Kill.
			_ = p.cmd.Process.Kill()
		}
		timer := time.NewTimer(5 * time.Second)
		defer timer.Stop()
		select {
		case <-p.done:
		case <-timer.C:
			if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				p.stopErr = fmt.Errorf("prism: killing pid %d: %w", p.Pid(), err)
			}
			<-p.done
		}
	})
	return p.stopErr
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("prism: finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
