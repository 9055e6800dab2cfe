package main

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestGrantsFieldOrder: grants -o json and -o yaml give the fields in one
// order, at every level, for a key of each provider; and -o yaml reads back
// as the JSON does. Before, -o yaml sorted the fields by name (id, provider,
// scope, principals in JSON; actions, id, principals, provider in YAML).
func TestGrantsFieldOrder(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{
		{"aws", "--key-arn", exampleARN},
		{"azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant},
		{"gcp", "--key-id", exampleGCPKey},
	} {
		id, _ := createdKey(t, f, args...)
		r := f.run("grants", id, "-o", "json")
		expect(t, r, exitOK)
		var fromJSON yaml.Node // JSON is YAML: read both with one parser, in their order
		if err := yaml.Unmarshal([]byte(r.stdout), &fromJSON); err != nil {
			t.Fatal(err)
		}
		r = f.run("grants", id, "-o", "yaml")
		expect(t, r, exitOK)
		var fromYAML yaml.Node
		if err := yaml.Unmarshal([]byte(r.stdout), &fromYAML); err != nil {
			t.Fatal(err)
		}
		if got, want := fieldOrder(&fromYAML), fieldOrder(&fromJSON); got != want {
			t.Errorf("%s: -o yaml fields\n%s\nwant those of -o json\n%s", args[0], got, want)
		}
	}
}

// fieldOrder lists the fields of n in their order, with their values, one
// per line, each under its path.
func fieldOrder(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, path+"[]")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], path+"."+n.Content[i].Value)
			}
		default:
			b.WriteString(path + " = " + n.Value + "\n")
		}
	}
	walk(n, "")
	return b.String()
}
