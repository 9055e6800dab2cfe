package kmspolicy_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// modulesOf returns the modules the packages pkg imports, directly or
// not, come from (tests excluded), as go list reports them.
func modulesOf(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	mods := strings.Fields(string(out))
	slices.Sort(mods)
	return slices.Compact(mods)
}

// TestLibraryLinksNoAWS checks that the AWS SDK stays byokctl's: the
// library (package wrapper) needs the modules it needed before byokctl
// used the SDK, and no other, while this package links the SDK.
func TestLibraryLinksNoAWS(t *testing.T) {
	want := []string{"github.com/apapsch/go-jsonmerge/v2", "github.com/byokctl/byok", "github.com/google/uuid", "github.com/oapi-codegen/runtime"}
	if got := modulesOf(t, "github.com/byokctl/byok/wrapper"); !slices.Equal(got, want) {
		t.Errorf("go list -deps ./wrapper comes from modules\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(modulesOf(t, "github.com/byokctl/byok/cmd/byokctl"), "github.com/aws/aws-sdk-go-v2/service/kms") {
		t.Error("byokctl does not link the KMS client: this test checks nothing")
	}
}
