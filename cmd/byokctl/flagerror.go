package main

import (
	"errors"

	"github.com/spf13/pflag"
)

// flagValueError turns an error of the flag parser into a usage error. A
// value a number or duration flag cannot take is said in the CLI's words:
// the parser's own message names Go's functions ("strconv.ParseInt:
// parsing \"ten\": invalid syntax").
func flagValueError(err error) error {
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
