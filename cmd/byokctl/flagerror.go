package main

import (
	"errors"
	"strings"

	"github.com/spf13/pflag"
)

// flagValueError turns an error of the flag parser into a usage error. A
// value a number or duration flag cannot take is said in the CLI's words:
// the parser's own message names Go's functions ("strconv.ParseInt:
// parsing \"ten\": invalid syntax").
func flagValueError(err error) error {
	var unknown *pflag.NotExistError
	if errors.As(err, &unknown) {
		return confluentFlagError(unknown)
	}
	var bad *pflag.InvalidValueError
	if !errors.As(err, &bad) {
		return &usageError{err}
	}
	if r, ok := bad.GetFlag().Value.(refusedFlag); ok {
		return refusedFlagError(bad.GetFlag().Name, r)
	}
	var want string
	switch bad.GetFlag().Value.Type() {
	case "int", "int64", "uint":
		want = "a whole number"
	case "float64":
		want = "a number such as 0.2"
	case "duration":
		want = "a duration such as 30s or 10m"
	case "bool":
		want = "true or false"
	default:
		return &usageError{err} // the flag's own message says what it takes
	}
	return usagef("--%s is %q; expected %s", bad.GetFlag().Name, bad.GetValue(), want)
}

// confluentFlagError is the usage error of an unknown flag. The flags of
// the Confluent CLI that byokctl has under another name (--unsafe-trace,
// -v and --verbose are its --debug) are named in the same line.
func confluentFlagError(err *pflag.NotExistError) error {
	name, shorts := err.GetSpecifiedName(), err.GetSpecifiedShortnames()
	if name == "unsafe-trace" || name == "verbose" || shorts != "" && strings.Trim(shorts, "v") == "" {
		return usagef("%s; byokctl's form is --debug (every request and response on stderr, credentials redacted)", err)
	}
	return &usageError{err}
}
