package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxPolicySize bounds the key-policy document grants --policy reads. AWS
// allows 32 KB; the margin is for white space.
const maxPolicySize = 1 << 20

// policyMember is one top-level member of a policy document.
type policyMember struct {
	name  string
	value json.RawMessage
	start int // the offset of value in the document
}

// policyChanges are the Sids of the statements a merge added and of those
// it replaced.
type policyChanges struct {
	added, replaced []string
}

// mergeKeyPolicy adds stmts to the "Statement" list of the key-policy
// document doc and returns the document, with the statements it added and
// replaced. A statement with the same Sid as one of stmts that grants less
// than it is replaced by it; a statement of stmts that the policy already
// grants (see grantsAll) is not added. Merging twice adds nothing.
//
// The document keeps every byte that is not a statement added or replaced:
// the other members and statements, their order, their white space. A new
// statement is written in the layout of the statement before it (its
// indentation, on lines of its own or on one line); without one, in the
// layout of the document.
func mergeKeyPolicy(doc []byte, stmts []awsStatement) ([]byte, policyChanges, error) {
	var changes policyChanges
	members, err := parsePolicy(doc)
	if err != nil {
		return nil, changes, err
	}
	var list []json.RawMessage
	at := slices.IndexFunc(members, func(m policyMember) bool { return m.name == "Statement" })
	if at >= 0 {
		if list, err = statementList(members[at].value); err != nil {
			return nil, changes, err
		}
	}
	kept := len(list)          // the statements of doc, then the added ones
	replaced := map[int]bool{} // the statements of doc replaced
	for _, s := range stmts {
		raw, err := marshalCompact(s)
		if err != nil {
			return nil, changes, err
		}
		same := slices.IndexFunc(list, func(r json.RawMessage) bool { return statementSid(r) == s.Sid })
		switch {
		case same >= 0:
			// A statement of the same Sid that grants at least s (more
			// actions or principals) is left as it is: a merge never
			// takes a grant away.
			if !bytes.Equal(compactJSON(list[same]), raw) && !grantsAll(parseStatements(list[same:same+1]), s.Principal.AWS, s.Action) {
				list[same] = raw
				replaced[same] = true
				changes.replaced = append(changes.replaced, s.Sid)
			}
		case grantsAll(parseStatements(list), s.Principal.AWS, s.Action):
			// Already granted by statements of the user's own.
		default:
			list = append(list, raw)
			changes.added = append(changes.added, s.Sid)
		}
	}
	if len(changes.added)+len(changes.replaced) == 0 {
		return doc, changes, nil
	}
	var e policyEdits
	switch {
	case at < 0:
		e.addMember(doc, "Statement", list)
	case kept == 0:
		e.replaceList(doc, members[at], list)
	case members[at].value[0] == '{':
		e.wrapObject(doc, members[at], list, replaced[0])
	default:
		spans := listSpans(members[at])
		for i := range replaced {
			e.replaceStatement(doc, spans[i], list[i])
		}
		e.appendStatements(doc, spans[kept-1], list[kept:])
	}
	return e.apply(doc), changes, nil
}

// policyEdits are changes to a policy document: the bytes from start to
// end replaced by text.
type policyEdits []policyEdit

type policyEdit struct {
	start, end int
	text       []byte
}

// apply returns doc with the edits, which do not overlap.
func (e policyEdits) apply(doc []byte) []byte {
	slices.SortFunc(e, func(a, b policyEdit) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end)) })
	var out bytes.Buffer
	at := 0
	for _, x := range e {
		out.Write(doc[at:x.start])
		out.Write(x.text)
		at = x.end
	}
	out.Write(doc[at:])
	return out.Bytes()
}

// span is where a value is in a document, in bytes.
type span struct{ start, end int }

// listSpans returns where the statements of the list m (a "Statement"
// member) are in the document.
func listSpans(m policyMember) []span {
	dec := json.NewDecoder(bytes.NewReader(m.value))
	_, _ = dec.Token() // [: m is a list statementList read
	var spans []span
	for dec.More() {
		var v json.RawMessage
		_ = dec.Decode(&v)
		end := int(dec.InputOffset())
		spans = append(spans, span{m.start + end - len(v), m.start + end})
	}
	return spans
}

// replaceStatement replaces the statement at sp by raw, in its layout.
func (e *policyEdits) replaceStatement(doc []byte, sp span, raw json.RawMessage) {
	*e = append(*e, policyEdit{sp.start, sp.end, layOut(doc, sp, raw)})
}

// appendStatements adds list after the statement at last, each after the
// same separator as last and in its layout.
func (e *policyEdits) appendStatements(doc []byte, last span, list []json.RawMessage) {
	sep := last.start
	for sep > 0 && isSpace(doc[sep-1]) {
		sep--
	}
	var text []byte
	for _, raw := range list {
		text = append(text, ',')
		text = append(text, doc[sep:last.start]...)
		text = append(text, layOut(doc, last, raw)...)
	}
	*e = append(*e, policyEdit{last.end, last.end, text})
}

// wrapObject turns the statement object m into a list of list, the first
// statement kept as it is unless replaced.
func (e *policyEdits) wrapObject(doc []byte, m policyMember, list []json.RawMessage, replaced bool) {
	sp := span{m.start, m.start + len(m.value)}
	text := []byte{'['}
	first := doc[sp.start:sp.end]
	if replaced {
		first = layOut(doc, sp, list[0])
	}
	text = append(text, first...)
	for _, raw := range list[1:] {
		text = append(text, ',')
		if bytes.IndexByte(first, '\n') >= 0 {
			text = append(text, ' ')
		}
		text = append(text, layOut(doc, sp, raw)...)
	}
	text = append(text, ']')
	*e = append(*e, policyEdit{sp.start, sp.end, text})
}

// replaceList writes the empty list m anew as list, in the layout of the
// document.
func (e *policyEdits) replaceList(doc []byte, m policyMember, list []json.RawMessage) {
	sp := span{m.start, m.start + len(m.value)}
	*e = append(*e, policyEdit{sp.start, sp.end, indentLike(doc, lineIndent(doc, sp.start), list)})
}

// addMember adds the member name with value list at the end of the
// document, in its layout.
func (e *policyEdits) addMember(doc []byte, name string, list []json.RawMessage) {
	end := bytes.LastIndexByte(doc, '}')
	at := end
	for at > 0 && isSpace(doc[at-1]) {
		at--
	}
	var text []byte
	if doc[at-1] != '{' {
		text = append(text, ',')
	}
	key, _ := marshalCompact(name)
	if bytes.IndexByte(doc, '\n') >= 0 {
		text = append(text, "\n  "...)
		text = append(text, key...)
		text = append(text, ": "...)
		text = append(text, indentLike(doc, "  ", list)...)
		if at == end {
			text = append(text, '\n')
		}
	} else {
		text = append(text, key...)
		text = append(text, ':')
		text = append(text, indentLike(doc, "", list)...)
	}
	*e = append(*e, policyEdit{at, at, text})
}

// layOut returns raw in the layout of the statement at sp: on lines of its
// own, indented as it is, when it has more than one line; else on one.
func layOut(doc []byte, sp span, raw json.RawMessage) []byte {
	old := doc[sp.start:sp.end]
	nl := bytes.IndexByte(old, '\n')
	if nl < 0 {
		return raw
	}
	prefix := lineIndent(doc, sp.start)
	unit := "  "
	if next := leadingSpace(old[nl+1:]); len(next) > len(prefix) && strings.HasPrefix(next, prefix) {
		unit = next[len(prefix):]
	}
	var b bytes.Buffer
	_ = json.Indent(&b, raw, prefix, unit) // raw is JSON byokctl wrote
	return b.Bytes()
}

// indentLike returns list as a JSON list, indented from prefix when doc
// has more than one line, else on one line.
func indentLike(doc []byte, prefix string, list []json.RawMessage) []byte {
	raw, _ := marshalCompact(list) // statements read or written: valid JSON
	if bytes.IndexByte(doc, '\n') < 0 {
		return raw
	}
	var b bytes.Buffer
	_ = json.Indent(&b, raw, prefix, "  ")
	return b.Bytes()
}

// lineIndent returns the white space that starts the line of doc where
// offset at is.
func lineIndent(doc []byte, at int) string {
	start := bytes.LastIndexByte(doc[:at], '\n') + 1
	return leadingSpace(doc[start:at])
}

// leadingSpace returns the spaces and tabs that b starts with.
func leadingSpace(b []byte) string {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t') {
		n++
	}
	return string(b[:n])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parsePolicy reads the top-level members of a policy document in order.
func parsePolicy(doc []byte) ([]policyMember, error) {
	const want = `expected a key policy, a JSON object such as {"Version": "2012-10-17", "Statement": [...]}`
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("the policy is not a JSON object; %s", want)
	}
	var members []policyMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the policy is not valid JSON (%w); %s", err, want)
		}
		name, _ := tok.(string) // a member name is always a string here
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("the policy is not valid JSON (%w); %s", err, want)
		}
		if slices.ContainsFunc(members, func(m policyMember) bool { return m.name == name }) {
			return nil, fmt.Errorf("the policy has two %q members; %s", name, want)
		}
		members = append(members, policyMember{name: name, value: value, start: int(dec.InputOffset()) - len(value)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("the policy is not valid JSON (%w); %s", err, want)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the policy has more after its closing brace; %s", want)
	}
	return members, nil
}

// statementList returns the statements of a "Statement" member: a list, or
// one statement object.
func statementList(v json.RawMessage) ([]json.RawMessage, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err == nil {
		return list, nil
	}
	var one map[string]json.RawMessage
	if err := json.Unmarshal(v, &one); err != nil {
		return nil, errors.New(`the policy's "Statement" is neither a list nor a statement object`)
	}
	return []json.RawMessage{v}, nil
}

// policyStatement is the part of a statement mergeKeyPolicy looks at.
type policyStatement struct {
	Sid          string          `json:"Sid"`
	Effect       string          `json:"Effect"`
	Principal    json.RawMessage `json:"Principal"`
	Action       json.RawMessage `json:"Action"`
	Resource     json.RawMessage `json:"Resource"`
	Condition    json.RawMessage `json:"Condition"`
	NotPrincipal json.RawMessage `json:"NotPrincipal"`
	NotAction    json.RawMessage `json:"NotAction"`
	NotResource  json.RawMessage `json:"NotResource"`
}

func statementSid(r json.RawMessage) string {
	var s policyStatement
	if json.Unmarshal(r, &s) != nil {
		return ""
	}
	return s.Sid
}

// stringOrList reads a policy value that is one string or a list of them.
func stringOrList(v json.RawMessage) []string {
	var one string
	if json.Unmarshal(v, &one) == nil {
		return []string{one}
	}
	var list []string
	_ = json.Unmarshal(v, &list)
	return list
}

// marshalCompact encodes v as compact JSON without HTML escapes.
func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// compactJSON returns v without insignificant white space.
func compactJSON(v json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}
