package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// maxPolicySize bounds the key-policy document grants --policy reads. AWS
// allows 32 KB; the margin is for white space.
const maxPolicySize = 1 << 20

// policyMember is one top-level member of a policy document.
type policyMember struct {
	name  string
	value json.RawMessage
}

// policyChanges are the Sids of the statements a merge added and of those
// it replaced.
type policyChanges struct {
	added, replaced []string
}

// mergeKeyPolicy adds stmts to the "Statement" list of the key-policy
// document doc and returns the whole document, indented, with the
// statements it added and replaced. A statement with the same Sid as one of
// stmts is replaced by it; a statement of stmts that the policy already
// allows (an Allow without conditions, for all resources, of at least its
// principals and actions) is not added. Merging twice adds nothing. The
// other members and statements are kept as they are, in their order.
func mergeKeyPolicy(doc []byte, stmts []awsStatement) ([]byte, policyChanges, error) {
	var changes policyChanges
	members, err := parsePolicy(doc)
	if err != nil {
		return nil, changes, err
	}
	at := slices.IndexFunc(members, func(m policyMember) bool { return m.name == "Statement" })
	if at < 0 {
		members = append(members, policyMember{name: "Statement", value: json.RawMessage("[]")})
		at = len(members) - 1
	}
	list, err := statementList(members[at].value)
	if err != nil {
		return nil, changes, err
	}
	for _, s := range stmts {
		raw, err := marshalCompact(s)
		if err != nil {
			return nil, changes, err
		}
		same := slices.IndexFunc(list, func(r json.RawMessage) bool { return statementSid(r) == s.Sid })
		switch {
		case same >= 0:
			if !bytes.Equal(compactJSON(list[same]), raw) {
				list[same] = raw
				changes.replaced = append(changes.replaced, s.Sid)
			}
		case slices.ContainsFunc(list, func(r json.RawMessage) bool { return allows(r, s) }):
			// Already granted by a statement of the user's own.
		default:
			list = append(list, raw)
			changes.added = append(changes.added, s.Sid)
		}
	}
	value, err := marshalCompact(list)
	if err != nil {
		return nil, changes, err
	}
	members[at].value = value

	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := marshalCompact(m.name)
		b.Write(name)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", "  "); err != nil {
		return nil, changes, fmt.Errorf("key policy: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), changes, nil
}

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
		members = append(members, policyMember{name: name, value: value})
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

// allows reports whether statement r grants at least what want does.
func allows(r json.RawMessage, want awsStatement) bool {
	var s policyStatement
	if json.Unmarshal(r, &s) != nil || s.Effect != "Allow" ||
		s.Condition != nil || s.NotPrincipal != nil || s.NotAction != nil || s.NotResource != nil {
		return false
	}
	var principal struct {
		AWS json.RawMessage `json:"AWS"`
	}
	if json.Unmarshal(s.Principal, &principal) != nil {
		return false
	}
	return containsAll(stringOrList(s.Resource), []string{want.Resource}) &&
		containsAll(stringOrList(principal.AWS), want.Principal.AWS) &&
		containsAll(stringOrList(s.Action), want.Action)
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

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
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
