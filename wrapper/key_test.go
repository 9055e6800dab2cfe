package wrapper_test

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

type fieldCheck struct {
	name      string
	got, want any
}

// checkKey compares a decoded key with the same key decoded into plain maps.
func checkKey(t *testing.T, got wrapper.Key, want map[string]any) {
	t.Helper()
	meta, val, mat := obj(want, "metadata"), obj(want, "validation"), obj(want, "key")
	checks := []fieldCheck{
		{"id", got.ID, str(want, "id")},
		{"display_name", got.DisplayName, str(want, "display_name")},
		{"provider", string(got.Provider), str(want, "provider")},
		{"state", string(got.State), str(want, "state")},
		{"metadata.self", got.Metadata.Self, str(meta, "self")},
		{"metadata.resource_name", got.Metadata.ResourceName, str(meta, "resource_name")},
		{"metadata.created_at", got.Metadata.CreatedAt, timeField(t, meta, "created_at")},
		{"metadata.updated_at", got.Metadata.UpdatedAt, timeField(t, meta, "updated_at")},
		{"metadata.deleted_at", got.Metadata.DeletedAt, timeField(t, meta, "deleted_at")},
		{"validation.phase", string(got.Validation.Phase), str(val, "phase")},
		{"validation.message", got.Validation.Message, str(val, "message")},
		{"validation.since", got.Validation.Since, timeField(t, val, "since")},
		{"validation.region", got.Validation.Region, str(val, "region")},
		{"key.kind", got.Material.MaterialKind(), str(mat, "kind")},
	}
	switch m := got.Material.(type) {
	case wrapper.AWSKey:
		var roles []string
		for _, r := range mat["roles"].([]any) {
			roles = append(roles, r.(string))
		}
		checks = append(checks,
			fieldCheck{"key.key_arn", m.KeyARN, str(mat, "key_arn")},
			fieldCheck{"key.roles", m.Roles, roles},
			fieldCheck{"identifier", got.Identifier(), str(mat, "key_arn")})
	case wrapper.AzureKey:
		checks = append(checks,
			fieldCheck{"key.key_id", m.KeyID, str(mat, "key_id")},
			fieldCheck{"key.key_vault_id", m.KeyVaultID, str(mat, "key_vault_id")},
			fieldCheck{"key.tenant_id", m.TenantID, str(mat, "tenant_id")},
			fieldCheck{"key.application_id", m.ApplicationID, str(mat, "application_id")},
			fieldCheck{"identifier", got.Identifier(), str(mat, "key_id")})
	case wrapper.GCPKey:
		checks = append(checks,
			fieldCheck{"key.key_id", m.KeyID, str(mat, "key_id")},
			fieldCheck{"key.security_group", m.SecurityGroup, str(mat, "security_group")},
			fieldCheck{"identifier", got.Identifier(), str(mat, "key_id")})
	case wrapper.UnknownKey:
		var raw map[string]any
		if err := json.Unmarshal(m.Raw, &raw); err != nil {
			t.Fatalf("raw of unknown kind: %v", err)
		}
		checks = append(checks, fieldCheck{"key (raw)", raw, mat})
	default:
		t.Fatalf("material is %T, expected one of the variant values", got.Material)
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestKeyUnmarshalVariants(t *testing.T) {
	for _, tc := range []struct {
		file string
		want any
	}{
		{"aws.json", wrapper.AWSKey{}},
		{"azure.json", wrapper.AzureKey{}},
		{"gcp.json", wrapper.GCPKey{}},
		{"unknown-kind.json", wrapper.UnknownKey{}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body := testdata(t, tc.file)
			var k wrapper.Key
			if err := json.Unmarshal(body, &k); err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(k.Material) != reflect.TypeOf(tc.want) {
				t.Fatalf("material is %T, want %T", k.Material, tc.want)
			}
			checkKey(t, k, generic(t, body))
		})
	}
}

func TestUnknownKindKept(t *testing.T) {
	body := testdata(t, "unknown-kind.json")
	var k wrapper.Key
	if err := json.Unmarshal(body, &k); err != nil {
		t.Fatalf("an unknown kind must not fail: %v", err)
	}
	u, ok := k.Material.(wrapper.UnknownKey)
	if !ok {
		t.Fatalf("material is %T, want UnknownKey", k.Material)
	}
	if u.MaterialKind() != "OciKey" {
		t.Errorf("kind = %q, want OciKey", u.MaterialKind())
	}
	if k.Provider != "OCI" {
		t.Errorf("provider = %q, want OCI kept as it came", k.Provider)
	}
	if got := k.Identifier(); got != "ocid1.key.oc1.iad.abcd1234.efgh5678" {
		t.Errorf("Identifier() = %q", got)
	}
	if !strings.Contains(string(u.Raw), `"compartment_id"`) {
		t.Errorf("raw lost the fields of the newer kind: %s", u.Raw)
	}
}

func TestKeyMarshalRoundTrip(t *testing.T) {
	for _, file := range []string{"aws.json", "azure.json", "gcp.json", "unknown-kind.json"} {
		t.Run(file, func(t *testing.T) {
			body := testdata(t, file)
			var k wrapper.Key
			if err := json.Unmarshal(body, &k); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(k)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := generic(t, out), generic(t, body); !reflect.DeepEqual(got, want) {
				t.Errorf("MarshalJSON does not give the API's JSON back:\n got %s\nwant %s", out, body)
			}
		})
	}
}

func TestKeyMarshalPointerMaterial(t *testing.T) {
	k := wrapper.Key{Key: api.Key{ID: "cck-1"}, Material: &wrapper.GCPKey{KeyID: "projects/p/locations/l/keyRings/r/cryptoKeys/k"}}
	out, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"cck-1","key":{"key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k","kind":"GcpKey"}}`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
	if _, err := json.Marshal(wrapper.Key{Material: (*wrapper.AWSKey)(nil)}); err == nil {
		t.Error("a nil *AWSKey marshalled without error")
	}
	if got := (wrapper.Key{Material: (*wrapper.UnknownKey)(nil)}).Identifier(); got != "" {
		t.Errorf("Identifier of a nil pointer = %q", got)
	}
}

func TestKeyUnmarshalMissingOrMalformedKind(t *testing.T) {
	for name, body := range map[string]string{
		"no kind":       `{"id":"cck-1","key":{"key_arn":"arn:aws:kms:us-west-2:1:key/x"}}`,
		"empty kind":    `{"id":"cck-1","key":{"kind":"","key_arn":"arn"}}`,
		"null kind":     `{"id":"cck-1","key":{"kind":null}}`,
		"no key":        `{"id":"cck-1","provider":"AWS"}`,
		"kind a number": `{"id":"cck-1","key":{"kind":5}}`,
		"key a string":  `{"id":"cck-1","key":"AwsKey"}`,
	} {
		t.Run(name, func(t *testing.T) {
			var k wrapper.Key
			err := json.Unmarshal([]byte(body), &k)
			if err == nil {
				t.Fatalf("decoded %+v without error", k)
			}
			if !strings.Contains(err.Error(), "key") {
				t.Errorf("error %q does not say what is wrong", err)
			}
		})
	}
}

// TestKeyWithoutKeyObject: a key without its "key" object is reported as
// such, not as a "key" object without a kind.
func TestKeyWithoutKeyObject(t *testing.T) {
	var k wrapper.Key
	err := json.Unmarshal([]byte(`{"id":"cck-1","provider":"AWS"}`), &k)
	if err == nil || !strings.Contains(err.Error(), `no "key" object`) || strings.Contains(err.Error(), "no \"kind\"") {
		t.Errorf("got %v, want an error saying the key has no \"key\" object", err)
	}
}

// TestKeyRawKeepsUnknownProperties: the JSON the server sent stays
// reachable, properties this version does not know included, and
// MarshalJSON writes it back as it came.
func TestKeyRawKeepsUnknownProperties(t *testing.T) {
	body := `{"api_version":"byok/v1","kind":"Key","id":"cck-1","purpose":"billing","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/k","key_spec":"SYMMETRIC_DEFAULT"},"x_future_field":{"a":[1,2]}}`
	var k wrapper.Key
	if err := json.Unmarshal([]byte(body), &k); err != nil {
		t.Fatal(err)
	}
	if string(k.Raw) != body {
		t.Errorf("Raw = %s, want the JSON as sent", k.Raw)
	}
	out, err := json.Marshal(k)
	if err != nil || string(out) != body {
		t.Errorf("MarshalJSON = %s, %v; want the JSON as sent", out, err)
	}
	k.Raw = nil
	out, err = json.Marshal(k)
	if err != nil || strings.Contains(string(out), "x_future_field") || !strings.Contains(string(out), `"key_arn":"arn:aws:kms:us-west-2:1:key/k"`) {
		t.Errorf("without Raw, MarshalJSON = %s, %v; want the fields alone", out, err)
	}
}

func TestEnumsKeepUnknownValues(t *testing.T) {
	body := `{"id":"cck-1","key":{"kind":"AwsKey","key_arn":"a"},"provider":"Alibaba","state":"RETIRED","validation":{"phase":"REVALIDATING","since":"2024-03-20T15:30:00Z"}}`
	var k wrapper.Key
	if err := json.Unmarshal([]byte(body), &k); err != nil {
		t.Fatal(err)
	}
	if k.Provider != "Alibaba" || k.State != "RETIRED" || k.Validation.Phase != "REVALIDATING" {
		t.Errorf("values not kept: %q %q %q", k.Provider, k.State, k.Validation.Phase)
	}
}

func TestKeyUnmarshalNotJSON(t *testing.T) {
	var k wrapper.Key
	var syntax *json.SyntaxError
	if err := k.UnmarshalJSON([]byte(`{"id":`)); !errors.As(err, &syntax) {
		t.Errorf("got %v, want a *json.SyntaxError", err)
	}
}

// TestKeyUnmarshalNull: JSON null leaves a Key as it is, as encoding/json
// asks of an Unmarshaler, so that an optional key in a program's own JSON
// ({"key": null}, [null]) decodes. Before, null was a key without a "key"
// object, an error.
func TestKeyUnmarshalNull(t *testing.T) {
	var s struct {
		Key  wrapper.Key
		Keys []wrapper.Key
	}
	s.Key.ID = "cck-kept"
	if err := json.Unmarshal([]byte(`{"Key": null, "Keys": [null]}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Key.ID != "cck-kept" || len(s.Keys) != 1 || s.Keys[0].ID != "" {
		t.Errorf("decoded %+v", s)
	}
}

// TestEnumConstants: Provider, State and Phase are the generated enum types,
// each value of the spec's list has a constant of the wrapper's (the
// generated one re-exported), and go doc of the type names every value.
func TestEnumConstants(t *testing.T) {
	fset := token.NewFileSet()
	apiFiles, ours := sourceFiles(t, fset, "../api"), sourceFiles(t, fset, ".")
	generated := map[string]string{} // api constant → value
	ast.Inspect(&ast.File{Decls: declsOf(apiFiles)}, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Values) == 1 {
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				generated[vs.Names[0].Name], _ = strconv.Unquote(lit.Value)
			}
		}
		return true
	})
	pkg, err := doc.NewFromFiles(fset, ours, "github.com/byokctl/byok/wrapper")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ours, api string }{{"Provider", "KeyProvider"}, {"State", "KeyState"}, {"Phase", "KeyValidationPhase"}} {
		var typ *doc.Type
		for _, ty := range pkg.Types {
			if ty.Name == tc.ours {
				typ = ty
			}
		}
		if typ == nil || len(typ.Decl.Specs) != 1 || types.ExprString(typ.Decl.Specs[0].(*ast.TypeSpec).Type) != "api."+tc.api {
			t.Errorf("%s is not an alias of api.%s", tc.ours, tc.api)
			continue
		}
		reexported := map[string]bool{} // api constants that a constant of ours names
		for _, v := range typ.Consts {
			for _, spec := range v.Decl.Specs {
				if sel, ok := spec.(*ast.ValueSpec).Values[0].(*ast.SelectorExpr); ok {
					reexported[sel.Sel.Name] = true
				}
			}
		}
		n := 0
		for constant, value := range generated {
			if !strings.HasPrefix(constant, tc.api) {
				continue
			}
			n++
			if !reexported[constant] {
				t.Errorf("%s %q (api.%s) has no constant in wrapper", tc.ours, value, constant)
			}
			if !strings.Contains(typ.Doc, strconv.Quote(value)) {
				t.Errorf("the doc of %s does not name %q", tc.ours, value)
			}
		}
		if n == 0 {
			t.Errorf("api has no constants of type %s", tc.api)
		}
	}
}

// sourceFiles parses the non-test Go files of dir.
func sourceFiles(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func declsOf(files []*ast.File) []ast.Decl {
	var decls []ast.Decl
	for _, f := range files {
		decls = append(decls, f.Decls...)
	}
	return decls
}
