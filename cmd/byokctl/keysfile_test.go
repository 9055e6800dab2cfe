package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper"
)

const (
	fileARN   = "arn:aws:kms:us-west-2:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab"
	fileAzure = "https://vault-name.vault.azure.net/keys/key-name"
	fileGCP   = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"
)

// keysFilePath is the path of a keys file of testdata/keysfiles.
func keysFilePath(name string) string {
	return filepath.Join("..", "..", "testdata", "keysfiles", name)
}

// TestKeysFileExample: the README's example, in YAML and in JSON, gives the
// same three entries; a versioned Azure key id is taken without its version,
// with a note naming the line.
func TestKeysFileExample(t *testing.T) {
	want := []keyEntry{
		{material: wrapper.AWSKey{KeyARN: fileARN}, displayName: "billing"},
		{material: wrapper.AzureKey{KeyID: fileAzure, KeyVaultID: exampleAzureVault, TenantID: exampleTenant}},
		{material: wrapper.GCPKey{KeyID: fileGCP}},
	}
	for _, tc := range []struct {
		name     string
		lines    []int
		noteLine int // of the note on the Azure key id's version; 0 for none
	}{
		{"example.yaml", []int{3, 6, 10}, 0},
		{"example.json", []int{3, 8, 14}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(keysFilePath(tc.name))
			if err != nil {
				t.Fatal(err)
			}
			kf, err := parseKeysFile(keysFilePath(tc.name), data)
			if err != nil {
				t.Fatal(err)
			}
			if len(kf.entries) != len(want) {
				t.Fatalf("%d entries, want %d", len(kf.entries), len(want))
			}
			for i, e := range kf.entries {
				if e.line != tc.lines[i] || e.displayName != want[i].displayName || e.ref() != want[i].ref() {
					t.Errorf("entry %d: line %d, %q, %+v; want line %d, %q, %+v", i, e.line, e.displayName, e.ref(),
						tc.lines[i], want[i].displayName, want[i].ref())
				}
			}
			want := ""
			if tc.noteLine > 0 {
				want = fmt.Sprintf("%s:%d: using the key id without its version, %s: ", keysFilePath(tc.name), tc.noteLine, fileAzure)
			}
			if got := strings.Join(kf.notes, "\n"); !strings.HasPrefix(got, want) || (want == "") != (got == "") {
				t.Errorf("notes %q, want one starting with %q", got, want)
			}
		})
	}
}

// TestKeysFileMistakes: every mistake names the file, the line and the
// field, and says what is expected.
func TestKeysFileMistakes(t *testing.T) {
	const aws = "keys:\n  - provider: aws\n    key_arn: " + fileARN + "\n"
	for _, tc := range []struct {
		name, file, content string
		want                string
	}{
		{"extension", "keys.txt", "keys: []\n", "keys.txt: unknown file type: expected a name ending in .yaml, .yml or .json"},
		{"yaml syntax", "keys.yaml", "keys:\n  - provider: aws\n\tkey_arn: x\n", "keys.yaml:2: not valid YAML: found a tab character that violates indentation"},
		{"field twice", "keys.yaml", aws + "    key_arn: " + fileARN + "\n", "keys.yaml:4: key_arn: given twice (first at line 3)"},
		{"keys twice", "keys.yaml", "keys: []\nkeys: []\n", "keys.yaml:2: keys: given twice (first at line 1)"},
		{"json syntax", "keys.json", "{\n  \"keys\": [\n    {\"provider\": \"aws\",}\n  ]\n}\n", "keys.json:3:24: not valid JSON: invalid character '}' looking for beginning of object key string"},
		{"json end", "keys.json", "{\n  \"keys\": [\n", "keys.json:3:1: not valid JSON: the file ends inside the document"},
		{"json after the end", "keys.json", "{\"keys\": []}\n{}\n", "keys.json:2:1: not valid JSON: more after the end of the document"},
		{"json not UTF-8", "keys.json", "{\"keys\": [\n {\"display_name\": \"caf\xe9\"}]}", "keys.json:2:23: not valid JSON: the file is not UTF-8"},
		{"json empty", "keys.json", " \n", "keys.json: the file is empty; expected an object with a \"keys\" list"},
		{"json field twice", "keys.json", "{\"keys\": [{\"provider\": \"aws\",\n \"provider\": \"gcp\"}]}", "keys.json:2: provider: given twice (first at line 1)"},
		{"json not text", "keys.json", "{\"keys\": [{\"provider\": \"aws\", \"key_arn\": \"" + fileARN + "\",\n  \"display_name\": {\"a\": 1}}]}", "keys.json:2: display_name: expected a text value"},
		{"json deep", "keys.json", strings.Repeat("[", 100000), "keys.json:1:33: nested more than 32 deep"},
		{"empty", "keys.yaml", "", "keys.yaml: the file is empty; expected a list of keys under \"keys:\""},
		{"two documents", "keys.yaml", aws + "---\nkeys:\n  - provider: gcp\n    key_id: " + fileGCP + "\n",
			"keys.yaml:4: a second YAML document; expected one, with every key under \"keys:\""},
		{"top-level field", "keys.yml", "keys: []\nkey: []\n", "keys.yml:2: key: unknown field; the file has one field, \"keys\""},
		{"not a list", "keys.yaml", "keys: aws\n", "keys.yaml:1: keys: expected a list of keys"},
		{"entry not a mapping", "keys.yaml", "keys:\n  - aws\n", "keys.yaml:2: expected a key: a mapping with provider and the key's fields"},
		{"no provider", "keys.yaml", "keys:\n  - key_arn: " + fileARN + "\n", "keys.yaml:2: provider: missing; expected aws, azure or gcp"},
		{"unknown provider", "keys.yaml", "keys:\n  - provider: oci\n", "keys.yaml:2: provider: \"oci\" is not a provider; expected aws, azure or gcp (in any case)"},
		{"misspelt field", "keys.yaml", aws + "    dispaly_name: billing\n", "keys.yaml:4: dispaly_name: unknown field for AWS keys; expected provider, display_name, key_arn"},
		{"field of another provider", "keys.yaml", "keys:\n  - provider: gcp\n    key_id: " + fileGCP + "\n    tenant_id: x\n",
			"keys.yaml:4: tenant_id: unknown field for GCP keys; expected provider, display_name, key_id"},
		{"missing field", "keys.yaml", "keys:\n  - provider: azure\n    key_id: " + fileAzure + "\n    tenant_id: " + exampleTenant + "\n",
			"keys.yaml:2: key_vault_id: missing; Azure keys need key_id, key_vault_id, tenant_id"},
		{"empty field", "keys.yaml", "keys:\n  - provider: aws\n    key_arn:\n", "keys.yaml:3: key_arn: missing; AWS keys need key_arn"},
		{"not text", "keys.yaml", aws + "    display_name: [a, b]\n", "keys.yaml:4: display_name: expected a text value"},
		{"alias ARN", "keys.yaml", "keys:\n  - provider: AWS\n    key_arn: arn:aws:kms:us-west-2:111122223333:alias/billing\n",
			"keys.yaml:3: key_arn: \"arn:aws:kms:us-west-2:111122223333:alias/billing\" is an alias ARN; register the key's own ARN"},
		{"tenant", "keys.json", `{"keys": [{"provider": "azure", "key_id": "` + fileAzure + `",
  "key_vault_id": "` + exampleAzureVault + `",
  "tenant_id": "tenant"}]}`, "keys.json:3: tenant_id: \"tenant\" is not a tenant id; expected a UUID"},
		{"bad key version", "keys.yaml", "keys:\n  - provider: gcp\n    key_id: " + fileGCP + "/cryptoKeyVersions/v1\n",
			"keys.yaml:3: key_id: \"" + fileGCP + "/cryptoKeyVersions/v1\" is not a Cloud KMS key id"},
		{"same GCP key with a version", "keys.yaml", "keys:\n" +
			"  - {provider: gcp, key_id: " + fileGCP + "}\n" +
			"  - {provider: gcp, key_id: " + fileGCP + "/cryptoKeyVersions/1}\n",
			"keys.yaml:3: the GCP key " + fileGCP + " is already listed at line 2"},
		{"same key twice", "keys.yaml", aws + "  - provider: gcp\n    key_id: " + fileGCP + "\n" + strings.TrimPrefix(aws, "keys:\n"),
			"keys.yaml:6: the AWS key " + fileARN + " is already listed at line 2; list each key once"},
		{"same Azure key with a version", "keys.yaml", "keys:\n" +
			"  - {provider: azure, key_id: " + fileAzure + ", key_vault_id: " + exampleAzureVault + ", tenant_id: " + exampleTenant + "}\n" +
			"  - {provider: azure, key_id: " + fileAzure + "/0123456789abcdef0123456789abcdef, key_vault_id: " + exampleAzureVault + ", tenant_id: " + exampleTenant + "}\n",
			"keys.yaml:3: the Azure key " + fileAzure + " is already listed at line 2"},
		{"same Azure key with its host in capitals", "keys.yaml", "keys:\n" +
			"  - {provider: azure, key_id: " + fileAzure + ", key_vault_id: " + exampleAzureVault + ", tenant_id: " + exampleTenant + "}\n" +
			"  - {provider: azure, key_id: '" + strings.Replace(fileAzure, "vault.azure.net", "VAULT.AZURE.NET", 1) + "', key_vault_id: " + exampleAzureVault + ", tenant_id: " + exampleTenant + "}\n",
			"keys.yaml:3: the Azure key " + fileAzure + " is already listed at line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseKeysFile(tc.file, []byte(tc.content))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v\nwant one starting with %q", err, tc.want)
			}
		})
	}
}

// TestKeysFileEmptyList: "keys:" with no entries, or an empty list, is a
// file of no keys.
func TestKeysFileEmptyList(t *testing.T) {
	for _, content := range []string{"keys:\n", "keys: []\n", "---\nkeys: []\n---\n", "keys: []\n...\n"} {
		kf, err := parseKeysFile("keys.yaml", []byte(content))
		if err != nil || len(kf.entries) != 0 {
			t.Errorf("%q: %v, %d entries; want no error and no entries", content, err, len(kf.entries))
		}
	}
}

// TestKeysFileChecksBeforeAnyRequest: a keys file with a mistake is a usage
// error (exit status 2) of diff and apply, reported before any request.
func TestKeysFileChecksBeforeAnyRequest(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "keys.yaml")
	writeFile(t, path, "keys:\n  - provider: aws\n    key_arn: arn:aws:kms:us-west-2:1:key/x\n")
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "-f", path}, path + ":3: key_arn: \"arn:aws:kms:us-west-2:1:key/x\" is not a KMS key ARN"},
		{[]string{"apply", "-f", path}, path + ":3: key_arn: "},
		{[]string{"diff", "-f", missing}, "reading the keys file: open " + missing},
		{[]string{"diff"}, `required flag(s) "file" not set`},
		{[]string{"apply", "-f", path, "--force"}, "--force goes with --prune"},
	} {
		r := f.run(tc.args...)
		expect(t, r, exitUsage)
		if r.stdout != "" || !strings.HasPrefix(r.stderr, "byokctl: "+tc.want) ||
			!strings.Contains(r.stderr, "Run 'byokctl "+tc.args[0]+" --help' for usage.") {
			t.Errorf("%v: want nothing on stdout, %q and the usage hint on stderr:\n%s", tc.args, tc.want, r.transcript())
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// TestKeysFileJSONFromPython: a JSON keys file is read as JSON: the file
// Python's json.dump writes, with \ud83d\ude00 surrogate pairs and \u00fc
// escapes, gives its entries with their lines and their display names
// decoded, and diff plans them.
func TestKeysFileJSONFromPython(t *testing.T) {
	path := keysFilePath("python.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `\ud83d\ude00`) {
		t.Fatalf("%s lost its surrogate pair escapes", path)
	}
	kf, err := parseKeysFile(path, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []keyEntry{
		{line: 3, material: wrapper.AWSKey{KeyARN: fileARN}, displayName: "billing \U0001F600"},
		{line: 8, material: wrapper.GCPKey{KeyID: fileGCP}, displayName: "Zürich 日本"},
	}
	if len(kf.entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(kf.entries), len(want))
	}
	for i, e := range kf.entries {
		if e.line != want[i].line || e.displayName != want[i].displayName || e.ref() != want[i].ref() {
			t.Errorf("entry %d: line %d, %q, %+v; want line %d, %q, %+v", i, e.line, e.displayName, e.ref(),
				want[i].line, want[i].displayName, want[i].ref())
		}
	}
	r := newFixture(t).run("diff", "-f", path, "-o", "json")
	expect(t, r, exitDrift)
	for _, name := range []string{"billing \U0001F600", "Zürich 日本"} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("the plan does not name %q:\n%s", name, r.transcript())
		}
	}
}

// TestKeysFileAllMistakes: a keys file with several mistakes reports every
// one in one run, each on its own line with its file:line: field, before any
// request; a file with very many says how many it left out.
func TestKeysFileAllMistakes(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "keys.yaml")
	writeFile(t, path, "keys:\n"+
		"  - provider: aws\n    key_arn: arn:aws:kms:us-west-2:1:key/x\n"+ // 2-3
		"  - provider: gcp\n    key_id: "+fileGCP+"\n    tenant_id: x\n    dispaly_name: y\n"+ // 4-7
		"  - provider: oci\n"+ // 8
		"  - provider: azure\n    key_id: "+fileAzure+"\n"+ // 9-10
		"  - provider: aws\n    key_arn: "+fileARN+"\n"+ // 11-12
		"  - provider: aws\n    key_arn: "+fileARN+"\n") // 13-14
	r := f.run("diff", "-f", path)
	expect(t, r, exitUsage)
	want := []string{
		path + ":3: key_arn: \"arn:aws:kms:us-west-2:1:key/x\" is not a KMS key ARN",
		path + ":6: tenant_id: unknown field for GCP keys",
		path + ":7: dispaly_name: unknown field for GCP keys",
		path + ":8: provider: \"oci\" is not a provider",
		path + ":9: key_vault_id: missing; Azure keys need key_id, key_vault_id, tenant_id",
		path + ":9: tenant_id: missing; Azure keys need key_id, key_vault_id, tenant_id",
		path + ":13: the AWS key " + fileARN + " is already listed at line 11",
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != len(want)+1 {
		t.Fatalf("%d lines on stderr, want %d mistakes and the usage hint:\n%s", len(lines), len(want), r.transcript())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], "byokctl: "+w) {
			t.Errorf("line %d: %q\nwant one starting with %q", i+1, lines[i], "byokctl: "+w)
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}

	var many strings.Builder
	many.WriteString("keys:\n")
	for range maxMistakes + 5 {
		many.WriteString("  - provider: oci\n")
	}
	_, err := parseKeysFile("keys.yaml", []byte(many.String()))
	var mistakes fileErrors
	if !errors.As(err, &mistakes) || len(mistakes) != maxMistakes+5 {
		t.Fatalf("error %v, want %d mistakes", err, maxMistakes+5)
	}
	got := mistakes.lines()
	if len(got) != maxMistakes+1 || got[maxMistakes] != "keys.yaml: 5 more mistakes; fix these and run again" {
		t.Errorf("%d lines, the last %q; want %d mistakes and a line saying 5 more", len(got), got[len(got)-1], maxMistakes)
	}
}
