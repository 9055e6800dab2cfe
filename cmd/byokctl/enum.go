package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// enumFlag is a flag value from a list. Any case is accepted, and '-'
// stands for '_' ("in-use" is IN_USE); a value of the list is kept in the
// list's own spelling, which is the API's. An open flag (an extensible enum
// of the API, such as a provider) also takes a value outside the list, as
// it is; a closed one refuses it.
type enumFlag struct {
	allowed []string
	open    bool
	value   string
}

func newEnumFlag(def string, allowed ...string) *enumFlag {
	return &enumFlag{allowed: allowed, value: def}
}

// newOpenEnumFlag returns an open enumFlag, empty by default.
func newOpenEnumFlag(known ...string) *enumFlag {
	return &enumFlag{allowed: known, open: true}
}

// String returns the value in the list's spelling.
func (e *enumFlag) String() string { return e.value }

// Set accepts s when it names one of the allowed values.
func (e *enumFlag) Set(s string) error {
	v, ok := e.match(s)
	switch {
	case ok:
		e.value = v
	case e.open && strings.TrimSpace(s) != "":
		e.value = strings.TrimSpace(s)
	case e.open:
		return fmt.Errorf("the value is empty; known values are %s (in any case)", strings.Join(e.allowed, ", "))
	default:
		return fmt.Errorf("accepted values are %s (in any case)", strings.Join(e.allowed, ", "))
	}
	return nil
}

// known reports whether the value is empty or one of the list.
func (e *enumFlag) known() bool {
	_, ok := e.match(e.value)
	return e.value == "" || ok
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

// noteUnknown prints a note on stderr for each open flag of flags whose
// value is not one byokctl knows: it is passed to the server as it is.
func noteUnknown(rt *runtime, flags map[string]*enumFlag) {
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		if e := flags[name]; !e.known() {
			rt.infof("note: --%s %s is not a value this byokctl knows (%s); it is passed to the server as it is",
				name, shellQuote(e.value), strings.Join(e.allowed, ", "))
		}
	}
}
