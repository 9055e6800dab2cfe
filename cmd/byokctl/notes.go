package main

import "strings"

// joinNotes joins the non-empty notes into one text, "; " apart. A note
// that ends a sentence (the server's "Access to key denied.") loses its
// full stop before the semicolon.
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	for i := range out[:max(len(out)-1, 0)] {
		if !strings.HasSuffix(out[i], "..") {
			out[i] = strings.TrimSuffix(out[i], ".")
		}
	}
	return strings.Join(out, "; ")
}
