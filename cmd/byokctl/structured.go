package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	yaml11 "sigs.k8s.io/yaml"

	"github.com/byokctl/byok/internal/termtext"
)

// -o json and -o yaml print the server's data as it is, never cleaned, and
// never fail on a string: the characters a terminal would act on (C0 and C1
// controls, DEL, bidirectional controls) are written as escapes that JSON
// and YAML readers turn back into the same characters.

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	out, err := encodeJSON(v, "  ")
	if err != nil {
		return fmt.Errorf("encoding JSON output: %w", err)
	}
	_, err = w.Write(out)
	return err
}

// encodeJSON encodes v with the given indent (none when empty), without
// HTML escapes, and escapes the characters encoding/json writes as they are
// (DEL, C1 controls, bidirectional controls). Outside strings JSON is ASCII,
// so every such character is in a string, where \uXXXX means it.
func encodeJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeUnsafe(buf.Bytes()), nil
}

// unsafeRune reports whether a terminal would act on r rather than show it
// (termtext.Unsafe).
func unsafeRune(r rune) bool { return termtext.Unsafe(r) }

// escapeUnsafe replaces each unsafe character other than the line breaks
// and tabs of JSON's own layout by its \uXXXX escape.
func escapeUnsafe(b []byte) []byte {
	if !bytes.ContainsFunc(b, func(r rune) bool { return unsafeRune(r) && r != '\n' && r != '\t' }) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if unsafeRune(r) && r != '\n' && r != '\t' {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// writeYAML writes v as YAML, in v's JSON field names (the API's) and in
// the order of its JSON (-o json and -o yaml give the fields in one order).
// A string holding an unsafe character is written double-quoted with
// escapes; the others as the YAML library writes them.
func writeYAML(w io.Writer, v any) error {
	out, err := encodeYAML(v)
	if err != nil {
		return fmt.Errorf("encoding YAML output: %w", err)
	}
	_, err = w.Write(out)
	return err
}

// maxOutputDepth bounds the nesting of what -o yaml writes: that of JSON
// as encoding/json reads it.
const maxOutputDepth = 10000

func encodeYAML(v any) ([]byte, error) {
	raw, err := encodeJSON(v, "")
	if err != nil {
		return nil, err
	}
	// The JSON, as nodes in its order (the nodes of a JSON keys file).
	root, err := jsonToNodes("output", raw, maxOutputDepth)
	if err != nil {
		return nil, err
	}
	// The YAML library cannot be made to quote a string with escapes, and
	// refuses some characters: each unsafe string is replaced by a
	// placeholder, which is then replaced by the string in double quotes,
	// as JSON writes it (a JSON string is a YAML double-quoted scalar).
	p := &placeholders{prefix: placeholderPrefix(raw), quoted: map[string][]byte{}}
	p.replace(root, false)
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	b := out.Bytes()
	for name, quoted := range p.quoted {
		b = bytes.ReplaceAll(b, []byte(name), quoted)
	}
	return b, nil
}

// placeholders stand for the unsafe strings of a YAML document.
type placeholders struct {
	prefix string
	quoted map[string][]byte // placeholder -> the string, quoted
}

// placeholderPrefix returns a prefix that occurs nowhere in raw, so that a
// placeholder cannot be mistaken for data.
func placeholderPrefix(raw []byte) string {
	prefix := "byokctlunsafe"
	for bytes.Contains(raw, []byte(prefix)) {
		prefix += "x"
	}
	return prefix
}

// replace replaces every unsafe string of n (value or key, key says which n
// is) by a placeholder.
func (p *placeholders) replace(n *yaml.Node, key bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" {
			return
		}
		if n.Value = p.stand(n.Value, key); !plainInYAML11(n.Value) {
			n.Style = yaml.DoubleQuotedStyle
		}
	case yaml.MappingNode:
		for i, c := range n.Content {
			p.replace(c, i%2 == 0)
		}
	default:
		for _, c := range n.Content {
			p.replace(c, false)
		}
	}
}

// plainInYAML11 reports whether s, written plain, reads back as the string
// s in YAML 1.1 too (the YAML library writes YAML 1.2, where yes, on and
// 0x1F are strings; many readers take them for a bool or a number).
func plainInYAML11(s string) bool {
	// A word of more than 5 letters' start is a string in YAML 1.1: only
	// y, yes, no, on, off, true, false and null (in some cases) are not,
	// and a number or a date starts otherwise. The YAML library quotes
	// what its own syntax needs.
	if len(s) > 5 && ('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return true
	}
	var back any
	if err := yaml11.Unmarshal([]byte(s), &back); err != nil {
		return false
	}
	str, ok := back.(string)
	return ok && str == s
}

// maxSimpleKey is the longest key the YAML library writes as "key: value";
// a longer one it writes as "? key" and ": value" (YAML allows at most 1024
// characters in a simple key).
const maxSimpleKey = 128

func (p *placeholders) stand(s string, key bool) string {
	if !containsUnsafe(s) {
		return s
	}
	quoted, _ := encodeJSON(s, "") // a string always encodes
	quoted = bytes.TrimSuffix(quoted, []byte("\n"))
	name := p.prefix + strconv.Itoa(len(p.quoted))
	if key && len(quoted) > maxSimpleKey {
		// As long as the key, so that the library writes it as a long key.
		name += strings.Repeat("x", maxSimpleKey)
	}
	name += "end"
	p.quoted[name] = quoted
	return name
}

// containsUnsafe reports whether s holds a character a terminal acts on, or
// invalid UTF-8.
func containsUnsafe(s string) bool {
	for _, r := range s {
		if unsafeRune(r) || r == utf8.RuneError {
			return true
		}
	}
	return false
}
