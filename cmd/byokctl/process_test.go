package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// processLimit bounds how long a test waits for a byokctl process to end.
const processLimit = 20 * time.Second

// buildByokctl builds byokctl into a directory of t and returns its path:
// for tests of what only a process shows (exit statuses of signals, a read
// that blocks in open(2)).
func buildByokctl(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build byokctl: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "byokctl")
	build := exec.CommandContext(t.Context(), goTool, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running byokctl.
type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan error
	ended          bool // wait saw the process end
}

// startByokctl starts bin with args and the environment env only.
func startByokctl(t *testing.T, bin string, env map[string]string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), done: make(chan error, 1)}
	p.cmd.Env = []string{}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if !p.ended {
			_ = p.cmd.Process.Kill()
			t.Logf("byokctl %v killed at the end of the test: %v", p.cmd.Args[1:], <-p.done)
		}
	})
	return p
}

// wait waits, within limit, for the process to end and returns what it
// left. A process still running after limit is killed and fails the test.
func (p *process) wait(t *testing.T, limit time.Duration) result {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case err := <-p.done:
		p.ended = true
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		r := result{code: p.cmd.ProcessState.ExitCode(), stdout: p.stdout.String(), stderr: p.stderr.String()}
		if r.code < 0 {
			t.Fatalf("byokctl %v was killed (%s), want an exit status\n%s", p.cmd.Args[1:], p.cmd.ProcessState, r.transcript())
		}
		return r
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		err := <-p.done
		p.ended = true
		t.Fatalf("byokctl %v still running after %s (killed: %v)\n--- stdout\n%s--- stderr\n%s",
			p.cmd.Args[1:], limit, err, p.stdout.String(), p.stderr.String())
	}
	return result{}
}

// signal sends sig to the process.
func (p *process) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}
