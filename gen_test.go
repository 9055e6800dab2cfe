package byok

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newProperties are optional properties added to the spec by
// TestSpecPropertyReachesUsers: one of the key, of a key variant, of
// validation and of metadata, each first in its schema's properties.
var newProperties = []struct {
	schema, yaml string
}{
	{"Key", "        purpose:\n          type: string\n          description: What the key protects.\n"},
	{"AwsKey", "        key_spec:\n          type: string\n          description: The key spec of the KMS key.\n"},
	{"KeyValidation", "        attempts:\n          type: integer\n          format: int32\n          description: Validation attempts so far.\n"},
	{"ObjectMeta", "        etag:\n          type: string\n          readOnly: true\n          description: The version of the object.\n"},
}

// userProgram uses the new properties as typed fields of the wrapper's
// types: it compiles only when make generate alone has made them fields.
// It sets the key's new writable property on a create, and reads all four
// from a key it gets.
const userProgram = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

func main() {
	c, err := wrapper.New(wrapper.WithEndpoint(os.Args[1]), wrapper.WithAPIKey("key", "secret"))
	if err != nil {
		panic(err)
	}
	_, _, err = c.CreateKey(context.Background(), wrapper.CreateKeyRequest{
		Key:      api.Key{DisplayName: "billing cluster", Purpose: "billing data"},
		Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/k"},
	})
	if err != nil {
		panic(err)
	}
	k, _, err := c.GetKey(context.Background(), "cck-1a2b3")
	if err != nil {
		panic(err)
	}
	aws := k.Material.(wrapper.AWSKey)
	var attempts int32 = k.Validation.Attempts
	var purpose, spec, etag string = k.Purpose, aws.KeySpec, k.Metadata.Etag
	fmt.Println(purpose, spec, attempts, etag)
}
`

// TestSpecPropertyReachesUsers: on a copy of the module, optional
// properties added to the spec of the key, of a key variant, of validation
// and of metadata reach a user's Go code as typed fields, and the output of
// byokctl get -o json, and the key's writable one reaches the server in the
// body of a create the user makes, after go generate alone, with no hand
// edit; and the
// module still builds and passes go vet, tests included. It compiles the copy (reusing the build cache), so it
// is skipped under -short.
func TestSpecPropertyReachesUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a copy of the module")
	}
	dir := t.TempDir()
	copyModule(t, ".", dir)
	specPath := filepath.Join(dir, "openapi", "byok-v1.yaml")
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(spec)
	for _, p := range newProperties {
		start := strings.Index(text, "\n    "+p.schema+":\n")
		props := strings.Index(text[start+1:], "      properties:\n")
		if start < 0 || props < 0 {
			t.Fatalf("the spec has no schema %s with properties", p.schema)
		}
		at := start + 1 + props + len("      properties:\n")
		text = text[:at] + p.yaml + text[at:]
	}
	if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "cmd", "specuser"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cmd", "specuser", "main.go"), []byte(userProgram), 0o644); err != nil {
		t.Fatal(err)
	}

	goCmd(t, dir, "generate", "./...")
	goCmd(t, dir, "vet", "./...") // builds every package and type-checks every test
	bin := filepath.Join(dir, "bin")
	goCmd(t, dir, "build", "-o", bin+string(filepath.Separator), "./cmd/specuser", "./cmd/byokctl")

	key, err := os.ReadFile(filepath.Join("testdata", "keys", "aws.json"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReplacer(
		`"display_name":`, `"purpose": "billing data", "display_name":`,
		`"key_arn":`, `"key_spec": "SYMMETRIC_DEFAULT", "key_arn":`,
		`"phase":`, `"attempts": 3, "phase":`,
		`"self":`, `"etag": "v7", "self":`,
	).Replace(string(key))
	created := make(chan map[string]any, 1) // the body of the one create
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/byok/v1/keys" {
			var sent map[string]any
			if err := json.NewDecoder(r.Body).Decode(&sent); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			select {
			case created <- sent:
			default:
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(body))
			return
		}
		if r.URL.Path != "/byok/v1/keys/cck-1a2b3" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()

	out := run(t, dir, nil, filepath.Join(bin, "specuser"), srv.URL)
	if want := "billing data SYMMETRIC_DEFAULT 3 v7\n"; out != want {
		t.Errorf("the user's program printed %q, want %q", out, want)
	}
	select {
	case sent := <-created:
		if sent["purpose"] != "billing data" || sent["display_name"] != "billing cluster" {
			t.Errorf("the create's body has purpose %v and display_name %v, want the user's", sent["purpose"], sent["display_name"])
		}
	default:
		t.Error("the user's program made no create")
	}
	env := []string{"CONFLUENT_CLOUD_ENDPOINT=" + srv.URL, "CONFLUENT_CLOUD_API_KEY=key", "CONFLUENT_CLOUD_API_SECRET=secret"}
	out = run(t, dir, env, filepath.Join(bin, "byokctl"), "get", "cck-1a2b3", "-o", "json")
	for _, want := range []string{`"purpose": "billing data"`, `"key_spec": "SYMMETRIC_DEFAULT"`, `"attempts": 3`, `"etag": "v7"`} {
		if !strings.Contains(out, want) {
			t.Errorf("byokctl get -o json lacks %s:\n%s", want, out)
		}
	}
}

// copyModule copies the module at src to dst, without what git ignores
// (build output, tools, Node modules) or the repository itself.
func copyModule(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch rel {
			case ".git", "bin", "build", "node_modules":
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// goCmd runs the go command in dir, offline.
func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	gobin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	run(t, dir, []string{"GOPROXY=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local"}, gobin, args...)
}

// run runs a command in dir with env added to the environment, within two
// minutes, and returns its stdout.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
