package main

import (
	"io"

	"github.com/byokctl/byok/wrapper"
)

// printGrantsHint prints on stderr what to grant for key, or why it
// cannot say.
func printGrantsHint(rt *runtime, key wrapper.Key) {
	text, err := grantsText(key)
	if err != nil {
		rt.infof("%s", clean(err.Error()))
		return
	}
	rt.infof("Confluent Cloud can use the key once it has access to it (byokctl grants %s prints this again):", shellQuote(clean(key.ID)))
	_, _ = io.WriteString(rt.sys.stderr, text)
}
