package byok

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeInstallFromClone follows the README's install paths for a clone
// (the module is not published yet): go install ./cmd/byokctl gives a
// byokctl that runs, and a module with the README's replace directive
// builds a program that imports the library. Nothing is downloaded
// (GOPROXY=off): the dependencies are those this module already has.
func TestReadmeInstallFromClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds byokctl and a module")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go install ./cmd/byokctl", "go mod edit -replace github.com/byokctl/byok=", "once the module is published"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not say %q", want)
		}
	}
	clone, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")

	bin := t.TempDir()
	install := exec.Command("go", "install", "./cmd/byokctl")
	install.Env = append(env, "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install ./cmd/byokctl: %v\n%s", err, out)
	}
	if out, err := exec.Command(filepath.Join(bin, "byokctl"), "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "byokctl ") {
		t.Errorf("the installed byokctl version: %v: %s", err, out)
	}

	mod := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/trybyok\n\ngo 1.25.0\n")
	write("main.go", `package main

import (
	"fmt"

	"github.com/byokctl/byok/wrapper"
)

func main() {
	_, err := wrapper.New()
	fmt.Println(err != nil)
}
`)
	goSum, err := os.ReadFile("go.sum")
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(goSum)) // the checksums of the dependencies, as go mod tidy would find them
	for _, args := range [][]string{
		{"mod", "edit", "-replace", "github.com/byokctl/byok=" + clone},
		{"get", "github.com/byokctl/byok/wrapper"}, // as the README says
		{"build", "-o", filepath.Join(mod, "trybyok"), "."},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = mod, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
