package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxJSONDepth bounds the nesting of a JSON keys file; a keys file needs 3
// levels (the file, its list, an entry).
const maxJSONDepth = 32

// parseJSONNodes parses data, a JSON keys file, with the JSON parser (the
// YAML parser refuses valid JSON, such as the \ud83d\ude00 escapes of
// Python's json.dump) into the nodes the YAML parser gives, each with the
// line and column where it starts: one check then serves both formats.
func parseJSONNodes(name string, data []byte) (*yaml.Node, error) {
	return jsonToNodes(name, data, maxJSONDepth)
}

// jsonToNodes is parseJSONNodes with maxDepth levels of nesting at most.
func jsonToNodes(name string, data []byte, maxDepth int) (*yaml.Node, error) {
	p := &jsonNodes{name: name, data: data, dec: json.NewDecoder(bytes.NewReader(data)), at: position{line: 1, col: 1}, maxDepth: maxDepth}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return nil, p.errorAt(i, "not valid JSON: the file is not UTF-8")
	}
	p.dec.UseNumber()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &fileError{file: name, msg: `the file is empty; expected an object with a "keys" list`}
	}
	root, err := p.value(0)
	if err != nil {
		return nil, err
	}
	at := p.next()
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &fileError{file: name, line: at.line, col: at.col, msg: "not valid JSON: more after the end of the document; expected one object"}
	}
	return root, nil
}

// jsonNodes is the state of parseJSONNodes.
type jsonNodes struct {
	name     string
	data     []byte
	dec      *json.Decoder
	maxDepth int
	// at is the line and column of byte off of data.
	at  position
	off int
}

// position is a line and a column (in characters), both from 1.
type position struct{ line, col int }

// value parses the next value, at the nesting depth.
func (p *jsonNodes) value(depth int) (*yaml.Node, error) {
	at := p.next()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntaxError(err)
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Line: at.line, Column: at.col}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= p.maxDepth {
			return nil, &fileError{file: p.name, line: at.line, col: at.col, msg: fmt.Sprintf("nested more than %d deep; a keys file is an object with a \"keys\" list of objects", p.maxDepth)}
		}
		n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		if t == '{' {
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
		}
		for p.dec.More() {
			if n.Kind == yaml.MappingNode {
				key, err := p.value(depth + 1) // the decoder allows only a string
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, key)
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if _, err := p.dec.Token(); err != nil { // the closing ] or }
			return nil, p.syntaxError(err)
		}
	case string:
		n.Tag, n.Value = "!!str", t
	case json.Number:
		n.Tag, n.Value = "!!float", t.String()
		if _, err := t.Int64(); err == nil {
			n.Tag = "!!int"
		}
	case bool:
		n.Tag, n.Value = "!!bool", strconv.FormatBool(t)
	default: // null
		n.Tag, n.Value = "!!null", "null"
	}
	return n, nil
}

// next returns the position of the next token: past the white space and
// separators that follow the decoder's offset.
func (p *jsonNodes) next() position {
	off := int(p.dec.InputOffset())
	for off < len(p.data) && strings.IndexByte(" \t\r\n,:", p.data[off]) >= 0 {
		off++
	}
	return p.positionOf(off)
}

// positionOf returns the position of byte off; off only grows between calls
// but for an error, so that reading a file stays linear.
func (p *jsonNodes) positionOf(off int) position {
	if off < p.off {
		p.off, p.at = 0, position{line: 1, col: 1}
	}
	for _, b := range p.data[p.off:min(off, len(p.data))] {
		switch {
		case b == '\n':
			p.at.line, p.at.col = p.at.line+1, 1
		case b&0xC0 != 0x80: // not inside a character
			p.at.col++
		}
	}
	p.off = max(p.off, min(off, len(p.data)))
	return p.at
}

// syntaxError turns an error of the decoder into a fileError at its place.
func (p *jsonNodes) syntaxError(err error) error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		// The decoder's Offset is that of the byte that is wrong.
		return p.errorAt(int(syntax.Offset), "not valid JSON: "+syntax.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errorAt(len(p.data), "not valid JSON: the file ends inside the document")
	}
	return p.errorAt(int(p.dec.InputOffset()), "not valid JSON: "+err.Error())
}

// errorAt returns a fileError at byte off.
func (p *jsonNodes) errorAt(off int, msg string) error {
	at := p.positionOf(off)
	return &fileError{file: p.name, line: at.line, col: at.col, msg: msg}
}
