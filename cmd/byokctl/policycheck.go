package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// What a key policy grants: the one rule grants --check reports with and
// the --policy and --apply merge skips an already granted statement by.

// Statuses of a required statement in a policy check.
const (
	grantedAll  = "all"  // every role has every action
	grantedSome = "some" // some actions are missing
	grantedNone = "none" // no action is granted
)

// statementCheck is what a key policy grants of one required statement.
type statementCheck struct {
	Sid     string   `json:"sid"`
	Status  string   `json:"status"`
	Missing []string `json:"missing,omitempty"`
}

// policyCheck is the result of grants --check for one key, in the form -o
// json and -o yaml print.
type policyCheck struct {
	ID         string           `json:"id"`
	KeyARN     string           `json:"key_arn"`
	Roles      []string         `json:"roles"`
	Granted    bool             `json:"granted"`
	Statements []statementCheck `json:"statements"`
	Warnings   []string         `json:"warnings,omitempty"`
}

// evaluatePolicy checks what the key policy doc grants of stmts, the
// statements set needs, and warns of grants beyond them.
func evaluatePolicy(set grantSet, doc []byte) (policyCheck, error) {
	list, err := policyStatements(doc)
	if err != nil {
		return policyCheck{}, err
	}
	c := policyCheck{ID: set.ID, KeyARN: set.Scope, Roles: set.Principals, Granted: true}
	for _, s := range set.Statements {
		sc := statementCheck{Sid: s.Sid, Status: grantedAll}
		for _, a := range s.Action {
			if !grantsAll(list, s.Principal.AWS, []string{a}) {
				sc.Missing = append(sc.Missing, a)
			}
		}
		switch len(sc.Missing) {
		case 0:
		case len(s.Action):
			sc.Status = grantedNone
		default:
			sc.Status = grantedSome
		}
		c.Granted = c.Granted && sc.Missing == nil
		c.Statements = append(c.Statements, sc)
	}
	c.Warnings = policyWarnings(list, set)
	return c, nil
}

// policyStatements returns the statements of the policy document doc.
func policyStatements(doc []byte) ([]policyStatement, error) {
	members, err := parsePolicy(doc)
	if err != nil {
		return nil, err
	}
	at := slices.IndexFunc(members, func(m policyMember) bool { return m.name == "Statement" })
	if at < 0 {
		return nil, nil
	}
	raws, err := statementList(members[at].value)
	if err != nil {
		return nil, err
	}
	return parseStatements(raws), nil
}

// parseStatements reads raws; a statement that is not an object grants
// nothing.
func parseStatements(raws []json.RawMessage) []policyStatement {
	list := make([]policyStatement, 0, len(raws))
	for _, r := range raws {
		var s policyStatement
		if json.Unmarshal(r, &s) == nil {
			list = append(list, s)
		}
	}
	return list
}

// grantsAll reports whether the statements of list allow every one of
// principals every one of actions on the key, and none denies it. Only
// what is certain counts: an Allow with a condition, or with NotPrincipal,
// NotAction or NotResource, grants nothing here; a Deny without those
// takes away what it names.
func grantsAll(list []policyStatement, principals, actions []string) bool {
	for _, p := range principals {
		for _, a := range actions {
			allowed := false
			for _, s := range list {
				if !s.plain() || !s.names(p, a) {
					continue
				}
				switch s.Effect {
				case "Allow":
					allowed = true
				case "Deny":
					return false
				}
			}
			if !allowed {
				return false
			}
		}
	}
	return true
}

// plain reports whether s has none of the members whose effect byokctl
// does not evaluate.
func (s policyStatement) plain() bool {
	return s.Condition == nil && s.NotPrincipal == nil && s.NotAction == nil && s.NotResource == nil
}

// names reports whether s is about principal, action and the whole key
// (Resource "*", as in every key policy).
func (s policyStatement) names(principal, action string) bool {
	return slices.Contains(stringOrList(s.Resource), "*") &&
		slices.ContainsFunc(s.principals(), func(p string) bool { return p == "*" || p == principal }) &&
		slices.ContainsFunc(stringOrList(s.Action), func(pattern string) bool { return actionMatch(pattern, action) })
}

// principals returns the AWS principals of s: "*" for Principal "*".
func (s policyStatement) principals() []string {
	if slices.Equal(stringOrList(s.Principal), []string{"*"}) {
		return []string{"*"}
	}
	var p struct {
		AWS json.RawMessage `json:"AWS"`
	}
	if json.Unmarshal(s.Principal, &p) != nil {
		return nil
	}
	return stringOrList(p.AWS)
}

// actionMatch reports whether the action pattern of a policy (with * and
// ?, in any case) matches action, taken as a string: kms:* matches
// kms:ReEncrypt*.
func actionMatch(pattern, action string) bool {
	p, a := strings.ToLower(pattern), strings.ToLower(action)
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(a); i >= 0; i-- {
				if actionMatch(p[1:], a[i:]) {
					return true
				}
			}
			return false
		case '?':
			if a == "" {
				return false
			}
		default:
			if a == "" || a[0] != p[0] {
				return false
			}
		}
		p, a = p[1:], a[1:]
	}
	return a == ""
}

// policyWarnings returns a warning for each grant of list beyond what set
// needs: to every principal ("*"), of other actions to the key's roles, to
// other principals in a statement for the key's roles.
func policyWarnings(list []policyStatement, set grantSet) []string {
	needed := set.Actions
	var out []string
	for i, s := range list {
		if s.Effect != "Allow" {
			continue
		}
		name := fmt.Sprintf("statement %d", i+1)
		if s.Sid != "" {
			name = fmt.Sprintf("statement %q", s.Sid)
		}
		principals := s.principals()
		actions := stringOrList(s.Action)
		if slices.Contains(principals, "*") {
			out = append(out, fmt.Sprintf(`%s allows %s to every principal ("*")`, name, strings.Join(actions, ", ")))
			continue
		}
		ours := slices.ContainsFunc(principals, func(p string) bool { return slices.Contains(set.Principals, p) })
		if !ours {
			continue
		}
		var extra []string
		for _, a := range actions {
			if !slices.ContainsFunc(needed, func(n string) bool { return strings.EqualFold(n, a) }) {
				extra = append(extra, a)
			}
		}
		if extra != nil || s.NotAction != nil {
			out = append(out, fmt.Sprintf("%s grants the key's roles more than Confluent Cloud needs: %s", name, strings.Join(extra, ", ")))
		}
		var others []string
		for _, p := range principals {
			if !slices.Contains(set.Principals, p) {
				others = append(others, p)
			}
		}
		if others != nil {
			out = append(out, fmt.Sprintf("%s grants the same to other principals too: %s", name, strings.Join(others, ", ")))
		}
	}
	return out
}
