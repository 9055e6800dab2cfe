package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/byokctl/byok/wrapper"
)

// A keys file lists the keys that diff and apply take as the desired state:
//
//	keys:
//	  - provider: aws
//	    key_arn: arn:aws:kms:us-west-2:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab
//	    display_name: billing
//
// It is YAML (.yaml, .yml) or JSON (.json), and uses the API's field names.
// It is read and checked whole before any request is sent.

// keyEntry is one key of a keys file, checked.
type keyEntry struct {
	line int // where the entry starts
	// material is the key as create would send it (an Azure key id without
	// its version).
	material wrapper.KeyMaterial
	// displayName is the wanted display name; "" leaves the server's alone.
	displayName string
}

// ref returns what the entry is matched by.
func (e keyEntry) ref() keyRef {
	ref, _ := refOf(e.material)
	return ref
}

// keysFile is a keys file, read and checked.
type keysFile struct {
	name    string // as given on the command line
	entries []keyEntry
	// notes are changes made to the entries (a version taken off an Azure
	// key id), each with its place in the file.
	notes []string
}

// fileError is a mistake in a keys file, at a line (and column) and, when
// it concerns one, a field (by its name in the file).
type fileError struct {
	file  string
	line  int
	col   int // of a JSON syntax error; 0 when not known
	field string
	msg   string
}

func (e *fileError) Error() string {
	place := e.file
	if e.line > 0 {
		place += fmt.Sprintf(":%d", e.line)
	}
	if e.line > 0 && e.col > 0 {
		place += fmt.Sprintf(":%d", e.col)
	}
	if e.field != "" {
		place += ": " + e.field
	}
	return place + ": " + e.msg
}

// maxMistakes bounds the mistakes of a keys file that are reported: enough
// to fix a file in one go, not a screenful per line of a wrong file.
const maxMistakes = 20

// fileErrors are the mistakes of a keys file, in the order of the file:
// every one is reported in one run, each on a line of its own.
type fileErrors []*fileError

func (e fileErrors) Error() string {
	lines := make([]string, len(e))
	for i, m := range e {
		lines[i] = m.Error()
	}
	return strings.Join(lines, "\n")
}

// lines returns the mistakes as the lines to print, at most maxMistakes and
// a last one saying how many more there are.
func (e fileErrors) lines() []string {
	var out []string
	for _, m := range e[:min(len(e), maxMistakes)] {
		out = append(out, m.Error())
	}
	if len(e) > maxMistakes {
		out = append(out, fmt.Sprintf("%s: %d more mistakes; fix these and run again", e[0].file, len(e)-maxMistakes))
	}
	return out
}

// mistakes collects the mistakes of a keys file.
type mistakes struct{ list fileErrors }

// add records err, a *fileError or fileErrors; nil is nothing.
func (m *mistakes) add(err error) {
	var one *fileError
	var many fileErrors
	switch {
	case err == nil:
	case errors.As(err, &many):
		m.list = append(m.list, many...)
	case errors.As(err, &one):
		m.list = append(m.list, one)
	}
}

// err returns the mistakes collected, nil when there are none.
func (m *mistakes) err() error {
	if len(m.list) == 0 {
		return nil
	}
	return m.list
}

// entryFields are the fields an entry may have, by provider.
var entryFields = map[wrapper.Provider][]string{
	wrapper.ProviderAWS:   {"key_arn"},
	wrapper.ProviderAzure: {"key_id", "key_vault_id", "tenant_id"},
	wrapper.ProviderGCP:   {"key_id"},
}

// readKeysFile reads and checks the keys file at path, within
// maxKeysFileSize and --timeout. Every mistake is a usage error naming the
// file, the line and the field.
func readKeysFile(ctx context.Context, rt *runtime, path string) (*keysFile, error) {
	data, err := readFile(ctx, rt, path, maxKeysFileSize)
	if err != nil {
		return nil, usagef("reading the keys file: %w", err)
	}
	kf, err := parseKeysFile(path, data)
	if err != nil {
		return nil, &usageError{err}
	}
	return kf, nil
}

// parseKeysFile parses data, the content of the keys file name; the
// extension of name says whether it is YAML or JSON.
func parseKeysFile(name string, data []byte) (*keysFile, error) {
	var root *yaml.Node
	var err error
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		root, err = parseJSONNodes(name, data)
	case ".yaml", ".yml":
		root, err = parseYAMLNodes(name, data)
	default:
		return nil, &fileError{file: name, msg: "unknown file type: expected a name ending in .yaml, .yml or .json"}
	}
	if err != nil {
		return nil, err
	}
	return checkKeysFile(name, root)
}

// parseYAMLNodes parses data, a YAML document, into its root node.
func parseYAMLNodes(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &fileError{file: name, msg: "the file is empty; expected a list of keys under \"keys:\""}
	}
	// A second document ("---") would be left out, and its keys taken for
	// keys not in the file (apply --prune deletes those). A "---" with
	// nothing after it is no document.
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		switch {
		case errors.Is(err, io.EOF):
		case err != nil:
			return nil, yamlError(name, err)
		case len(next.Content) == 1 && next.Content[0].Tag == "!!null" && next.Content[0].Value == "":
			continue
		default:
			return nil, &fileError{file: name, line: next.Line, msg: "a second YAML document; expected one, with every key under \"keys:\""}
		}
		break
	}
	return doc.Content[0], nil
}

// checkKeysFile checks the root node of the keys file name and its entries.
// It reports every mistake it finds (fileErrors), not only the first.
func checkKeysFile(name string, root *yaml.Node) (*keysFile, error) {
	if root.Kind != yaml.MappingNode {
		return nil, &fileError{file: name, line: root.Line, msg: "expected a mapping with a \"keys\" list"}
	}
	var bad mistakes
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Value != "keys":
			bad.add(&fileError{file: name, line: k.Line, field: k.Value, msg: "unknown field; the file has one field, \"keys\""})
		case list != nil:
			bad.add(twice(name, k, root.Content[0]))
		default:
			list = v
		}
	}
	switch {
	case list == nil:
		bad.add(&fileError{file: name, line: root.Line, msg: "no \"keys\" list"})
		return nil, bad.err()
	case list.Kind == yaml.ScalarNode && list.Tag == "!!null":
		list = &yaml.Node{Kind: yaml.SequenceNode} // "keys:" with nothing: no keys
	case list.Kind != yaml.SequenceNode:
		bad.add(&fileError{file: name, line: list.Line, field: "keys", msg: "expected a list of keys"})
		return nil, bad.err()
	}
	kf := &keysFile{name: name}
	seen := map[keyRef]int{} // the line of each key's first entry
	for _, item := range list.Content {
		e, note, err := parseEntry(name, item)
		if err != nil {
			bad.add(err)
			continue
		}
		ref := e.ref()
		if first, dup := seen[ref]; dup {
			bad.add(&fileError{file: name, line: e.line, msg: fmt.Sprintf("the %s key %s is already listed at line %d; list each key once", ref.provider, ref.id, first)})
			continue
		}
		seen[ref] = e.line
		kf.entries = append(kf.entries, e)
		if note != "" {
			kf.notes = append(kf.notes, fmt.Sprintf("%s:%d: %s", name, e.line, note))
		}
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	return kf, nil
}

// parseEntry reads one entry of the list and checks it as create checks its
// flags. The error holds every mistake of the entry (fileErrors) that can be
// told apart: each field given twice or not text, each unknown field, each
// missing one, else the first value of the wrong form.
func parseEntry(file string, n *yaml.Node) (keyEntry, string, error) {
	if n.Kind != yaml.MappingNode {
		return keyEntry{}, "", &fileError{file: file, line: n.Line, msg: "expected a key: a mapping with provider and the key's fields"}
	}
	var bad mistakes
	fields := map[string]*yaml.Node{}
	names := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if first, ok := names[k.Value]; ok {
			bad.add(twice(file, k, first))
			continue
		}
		names[k.Value] = k
		if v.Kind != yaml.ScalarNode {
			bad.add(&fileError{file: file, line: v.Line, field: k.Value, msg: "expected a text value"})
			continue
		}
		fields[k.Value] = v
	}
	fail := func(field, msg string) {
		line := n.Line
		if v := fields[field]; v != nil {
			line = v.Line
		} else if k := names[field]; k != nil {
			line = k.Line
		}
		bad.add(&fileError{file: file, line: line, field: field, msg: msg})
	}
	value := func(field string) string {
		if v := fields[field]; v != nil && v.Tag != "!!null" {
			return v.Value
		}
		return ""
	}

	p, ok := fields["provider"]
	var provider string
	switch {
	case names["provider"] != nil && !ok: // not text: said already
	case !ok:
		fail("provider", "missing; expected aws, azure or gcp")
	default:
		if provider, ok = providerFlag().match(p.Value); !ok {
			fail("provider", fmt.Sprintf("%q is not a provider; expected aws, azure or gcp (in any case)", p.Value))
		}
	}
	if provider == "" {
		return keyEntry{}, "", bad.err() // the fields depend on the provider
	}
	allowed := append([]string{"provider", "display_name"}, entryFields[wrapper.Provider(provider)]...)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(allowed, k.Value) && names[k.Value] == k {
			fail(k.Value, fmt.Sprintf("unknown field for %s keys; expected %s", provider, strings.Join(allowed, ", ")))
		}
	}
	for _, f := range entryFields[wrapper.Provider(provider)] {
		if value(f) == "" && (names[f] == nil || fields[f] != nil) { // a value that is not text is said already
			fail(f, fmt.Sprintf("missing; %s keys need %s", provider, strings.Join(entryFields[wrapper.Provider(provider)], ", ")))
		}
	}
	if err := bad.err(); err != nil {
		return keyEntry{}, "", err
	}

	var material wrapper.KeyMaterial
	switch wrapper.Provider(provider) {
	case wrapper.ProviderAWS:
		material = wrapper.AWSKey{KeyARN: value("key_arn")}
	case wrapper.ProviderAzure:
		material = wrapper.AzureKey{KeyID: value("key_id"), KeyVaultID: value("key_vault_id"), TenantID: value("tenant_id")}
	default:
		material = wrapper.GCPKey{KeyID: value("key_id")}
	}
	checked, notes, err := checkMaterial(material)
	var inErr *inputError
	switch {
	case errors.As(err, &inErr):
		fail(inErr.Field, inErr.Msg)
		return keyEntry{}, "", bad.err()
	case err != nil:
		fail("", err.Error())
		return keyEntry{}, "", bad.err()
	}
	return keyEntry{line: n.Line, material: checked, displayName: value("display_name")}, joinNotes(notes...), nil
}

// twice reports field k given a second time, after first.
func twice(file string, k, first *yaml.Node) error {
	return &fileError{file: file, line: k.Line, field: k.Value, msg: fmt.Sprintf("given twice (first at line %d)", first.Line)}
}

// yamlError turns a YAML parser error ("yaml: line 3: ...") into a
// fileError.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return &fileError{file: name, line: line, msg: "not valid YAML: " + msg}
}
