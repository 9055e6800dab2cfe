package main

import "github.com/byokctl/byok/internal/termtext"

// clean makes text that came from a server safe for a terminal and one
// line long (termtext.Clean). Every such text goes through it before it is
// printed: table cells, error lines, wait progress, grants and hints. The
// credentials are already out of it: the library redacts them from
// everything it returns, in every form they may take once cleaned.
func clean(s string) string { return termtext.Clean(s) }
