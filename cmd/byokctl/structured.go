package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

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

// writeYAML writes v as YAML, in v's JSON field names (the API's). A string
// holding an unsafe character is written double-quoted with escapes; the
// others as sigs.k8s.io/yaml writes them.
func writeYAML(w io.Writer, v any) error {
	out, err := encodeYAML(v)
	if err != nil {
		return fmt.Errorf("encoding YAML output: %w", err)
	}
	_, err = w.Write(out)
	return err
}

func encodeYAML(v any) ([]byte, error) {
	raw, err := encodeJSON(v, "")
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	// The YAML library cannot be made to quote a string, and refuses some
	// characters: each unsafe string is replaced by a placeholder, which
	// is then replaced by the string in double quotes, as JSON writes it
	// (a JSON string is a YAML double-quoted scalar).
	p := &placeholders{prefix: placeholderPrefix(raw), quoted: map[string][]byte{}}
	tree = p.replace(tree)
	out, err := yaml.Marshal(tree)
	if err != nil {
		return nil, err
	}
	for name, quoted := range p.quoted {
		out = bytes.ReplaceAll(out, []byte(name), quoted)
	}
	return out, nil
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

// replace returns v with every unsafe string (value or key) replaced by a
// placeholder.
func (p *placeholders) replace(v any) any {
	switch v := v.(type) {
	case string:
		return p.stand(v, false)
	case []any:
		for i := range v {
			v[i] = p.replace(v[i])
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, val := range v {
			out[p.stand(k, true)] = p.replace(val)
		}
		return out
	}
	return v
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
