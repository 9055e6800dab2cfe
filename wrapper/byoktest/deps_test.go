package byoktest_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modulesOf returns the modules that the packages pkg imports, directly or
// not, come from (tests excluded), as go list reports them.
func modulesOf(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", pkg).Output()
	require.NoError(t, err, "go list -deps %s", pkg)
	mods := strings.Fields(string(out))
	slices.Sort(mods)
	return slices.Compact(mods)
}

// TestImportingByoktestAddsNoModule checks that a program importing
// byoktest needs no module beyond those the library (wrapper) needs: the
// fake's rules are written out at generate time, so no OpenAPI library is
// linked in.
func TestImportingByoktestAddsNoModule(t *testing.T) {
	lib := modulesOf(t, "github.com/byokctl/byok/wrapper")
	fake := modulesOf(t, "github.com/byokctl/byok/wrapper/byoktest")
	require.Contains(t, fake, "github.com/byokctl/byok")
	for _, m := range fake {
		assert.Contains(t, lib, m, "byoktest needs module %s, which the library does not", m)
	}
	assert.NotContains(t, fake, "github.com/getkin/kin-openapi")
}
