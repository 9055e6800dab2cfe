package byok

import (
	"bytes"
	"fmt"
	"go/format"
	"go/scanner"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Go blocks of README.md are compiled, vetted and checked for gofmt by
// TestReadmeGoBlocks, so that an example cannot rot. A block is one of:
//
//   - a whole file, when it starts with "package";
//   - declarations (a func TestX, say), compiled at the top level of a file;
//   - statements, when an HTML comment on the line before the fence names
//     the function whose body they are, with the variables they use as its
//     parameters (hidden when the README is rendered):
//
//     <!-- go: func(ctx context.Context, client *wrapper.Client) -->
//
// The imports are added from the package names the block uses (see
// readmeImports). Each block is its own package, so blocks may declare the
// same names. Errors name README.md and the line.

// readmeImports are the packages a README block may use without importing
// them, by the name it uses.
var readmeImports = map[string]string{
	"api":      "github.com/byokctl/byok/api",
	"byoktest": "github.com/byokctl/byok/wrapper/byoktest",
	"context":  "context",
	"errors":   "errors",
	"fmt":      "fmt",
	"http":     "net/http",
	"json":     "encoding/json",
	"log":      "log",
	"os":       "os",
	"strings":  "strings",
	"testing":  "testing",
	"time":     "time",
	"wrapper":  "github.com/byokctl/byok/wrapper",
}

// goBlock is one ```go block of a Markdown file.
type goBlock struct {
	line   int    // the line of the block's first line of code
	params string // the parameters of <!-- go: func(...) -->; "" for none
	stmts  bool   // the block is statements: the body of func(params)
	code   string // without the fence's indentation
}

var (
	stmtsMarker = regexp.MustCompile(`^\s*<!-- go: func\((.*)\) -->\s*$`)
	goFence     = regexp.MustCompile("^(\\s*)```go\\s*$")
)

// goBlocks returns the ```go blocks of md. A marker that no go block
// follows, and a block that does not end, are errors.
func goBlocks(name, md string) ([]goBlock, error) {
	lines := strings.Split(md, "\n")
	var out []goBlock
	for i := 0; i < len(lines); i++ {
		if m := stmtsMarker.FindStringSubmatch(lines[i]); m != nil {
			if i+1 >= len(lines) || !goFence.MatchString(lines[i+1]) {
				return nil, fmt.Errorf("%s:%d: a <!-- go: func(...) --> comment must be right before a ```go fence", name, i+1)
			}
			continue
		}
		m := goFence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		b := goBlock{line: i + 2}
		if i > 0 {
			if mk := stmtsMarker.FindStringSubmatch(lines[i-1]); mk != nil {
				b.stmts, b.params = true, mk[1]
			}
		}
		indent, start := m[1], i
		var code strings.Builder
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			code.WriteString(strings.TrimPrefix(lines[i], indent) + "\n")
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s:%d: the ```go block does not end", name, start+1)
		}
		b.code = code.String()
		out = append(out, b)
	}
	return out, nil
}

// usedPackages returns the import paths of the packages of readmeImports
// that src names (an identifier before a '.', not itself after one).
func usedPackages(src string) []string {
	type tok struct {
		tok token.Token
		lit string
	}
	var (
		s    scanner.Scanner
		toks []tok
	)
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), nil, 0)
	for {
		_, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		toks = append(toks, tok{t, lit})
	}
	var paths []string
	for i := 0; i+1 < len(toks); i++ {
		p, ok := readmeImports[toks[i].lit]
		if ok && toks[i].tok == token.IDENT && toks[i+1].tok == token.PERIOD && (i == 0 || toks[i-1].tok != token.PERIOD) && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	return paths
}

// source is b as a Go file, its lines mapped to those of the file path
// (absolute) with a //line directive.
func (b goBlock) source(path string) string {
	lineDirective := fmt.Sprintf("//line %s:%d:1\n", path, b.line)
	if strings.HasPrefix(b.code, "package ") {
		return lineDirective + b.code
	}
	var src strings.Builder
	src.WriteString("package readme\n\n")
	for _, p := range usedPackages(b.params + "\n" + b.code) {
		fmt.Fprintf(&src, "import %q\n", p)
	}
	if b.stmts {
		fmt.Fprintf(&src, "\nfunc _(%s) {\n%s%s}\n", b.params, lineDirective, b.code)
	} else {
		src.WriteString("\n" + lineDirective + b.code)
	}
	return src.String()
}

// checkGoBlocks returns what is wrong with the ```go blocks of the Markdown
// file name (its text is md): a block that is not gofmt-clean, or that
// fails to compile or go vet. Each block is written as a package under
// build/ (whose name starts with '_', so that ./... never matches it) and
// all are vetted in one go vet run.
func checkGoBlocks(t *testing.T, name, md string) []string {
	t.Helper()
	blocks, err := goBlocks(name, md)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	require.NoError(t, os.MkdirAll("build", 0o750))
	dir, err := os.MkdirTemp("build", "_readme-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	abs, err := filepath.Abs(name)
	require.NoError(t, err)
	var pkgs []string
	for i, b := range blocks {
		if formatted, err := format.Source([]byte(b.code)); err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: the block does not parse: %v", name, b.line, err))
			continue
		} else if !bytes.Equal(formatted, []byte(b.code)) {
			problems = append(problems, fmt.Sprintf("%s:%d: the block is not gofmt-clean; gofmt gives:\n%s", name, b.line, formatted))
		}
		pkg := filepath.Join(dir, fmt.Sprintf("block%02d", i+1))
		require.NoError(t, os.Mkdir(pkg, 0o750))
		require.NoError(t, os.WriteFile(filepath.Join(pkg, "block.go"), []byte(b.source(abs)), 0o600))
		pkgs = append(pkgs, "./"+filepath.ToSlash(pkg))
	}
	if len(pkgs) == 0 {
		return problems
	}
	out, err := exec.Command("go", append([]string{"vet"}, pkgs...)...).CombinedOutput()
	if err != nil {
		problems = append(problems, fmt.Sprintf("go vet of the Go blocks of %s: %v\n%s", name, err, out))
	}
	return problems
}

// TestReadmeGoBlocks checks that every Go block of README.md compiles,
// passes go vet and is gofmt-clean.
func TestReadmeGoBlocks(t *testing.T) {
	md, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks, err := goBlocks("README.md", string(md))
	require.NoError(t, err)
	require.NotEmpty(t, blocks, "README.md has Go blocks")
	for _, p := range checkGoBlocks(t, "README.md", string(md)) {
		t.Error(p)
	}
}

// TestReadmeCheckFindsBrokenBlocks checks that checkGoBlocks reports each
// way a block can be wrong, with the Markdown line of the fault.
func TestReadmeCheckFindsBrokenBlocks(t *testing.T) {
	md := "# doc\n" + // 1
		"<!-- go: func(ctx context.Context, client *wrapper.Client) -->\n" + // 2
		"```go\n" + // 3
		"page, resp, err := client.ListKeys(ctx, wrapper.ListKeysOptions{})\n" + // 4: page unused
		"fmt.Println(resp, err)\n" + // 5
		"```\n" + // 6
		"\n" + // 7
		"```go\n" + // 8
		"func f() {\n" + // 9
		"\tfmt.Printf(\"%d\\n\", \"not a number\")\n" + // 10: vet's printf check
		"}\n" + // 11
		"```\n" + // 12
		"```go\n" + // 13
		"func g() { x := 1  // not gofmt-clean\n" + // 14
		"\t_ = x\n" + // 15
		"}\n" + // 16
		"```\n" + // 17
		"- item:\n" + // 18
		"  ```go\n" + // 19
		"  var v = undefinedName\n" + // 20: an indented block is checked too
		"  ```\n" // 21
	problems := strings.Join(checkGoBlocks(t, "doc.md", md), "\n")
	assert.Contains(t, problems, "doc.md:4:1: declared and not used: page")
	assert.Contains(t, problems, "doc.md:10:")
	assert.Contains(t, problems, "doc.md:20:9: undefined: undefinedName")
	assert.Contains(t, problems, "doc.md:14: the block is not gofmt-clean")
	assert.NotContains(t, problems, "doc.md:4: the block is not gofmt-clean")

	problems = strings.Join(checkGoBlocks(t, "doc.md", "<!-- go: func() -->\ntext\n"), "\n")
	assert.Contains(t, problems, "doc.md:1: a <!-- go: func(...) --> comment must be right before")
}

// TestReadmeCallsAreInGoDoc checks that go doc shows every method that
// README.md calls on a fake server (srv) or a client (client), in its Go
// blocks and its text: a method promoted from an embedded type compiles,
// but go doc of the type does not show it.
func TestReadmeCallsAreInGoDoc(t *testing.T) {
	md, err := os.ReadFile("README.md")
	require.NoError(t, err)
	lines := strings.Split(string(md), "\n")
	for receiver, typ := range map[string][]string{"srv": {"./wrapper/byoktest", "Server"}, "client": {"./wrapper", "Client"}} {
		out, err := exec.Command("go", append([]string{"doc"}, typ...)...).CombinedOutput()
		require.NoError(t, err, "go doc %s: %s", strings.Join(typ, " "), out)
		call := regexp.MustCompile(`\b` + receiver + `\.(\w+)\(`)
		seen := 0
		for i, line := range lines {
			for _, m := range call.FindAllStringSubmatch(line, -1) {
				seen++
				assert.Regexp(t, `(?m)^func \(\w+ \*\w+\) `+m[1]+`\(`, string(out), "README.md:%d calls %s.%s, which go doc %s does not show", i+1, receiver, m[1], strings.Join(typ, " "))
			}
		}
		assert.NotZero(t, seen, "README.md calls methods on %s", receiver)
	}
}
