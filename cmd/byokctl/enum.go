package main

import (
	"fmt"
	"strings"
)

// enumFlag is a flag value restricted to a fixed list. Any case is accepted,
// and '-' stands for '_' ("in-use" is IN_USE); the value is kept in the
// list's own spelling, which is the API's.
type enumFlag struct {
	allowed []string
	value   string
}

func newEnumFlag(def string, allowed ...string) *enumFlag {
	return &enumFlag{allowed: allowed, value: def}
}

// String returns the value in the list's spelling.
func (e *enumFlag) String() string { return e.value }

// Set accepts s when it names one of the allowed values.
func (e *enumFlag) Set(s string) error {
	v, ok := e.match(s)
	if !ok {
		return fmt.Errorf("accepted values are %s (in any case)", strings.Join(e.allowed, ", "))
	}
	e.value = v
	return nil
}

func (e *enumFlag) match(s string) (string, bool) {
	norm := strings.ReplaceAll(strings.TrimSpace(s), "-", "_")
	for _, a := range e.allowed {
		if strings.EqualFold(norm, a) {
			return a, true
		}
	}
	return "", false
}

// Type names the value in help output: the accepted values themselves.
func (e *enumFlag) Type() string { return strings.Join(e.allowed, "|") }
