package wrapper

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/byokctl/byok/internal/termtext"
)

// redactedMark replaces a credential found in what a server sent.
const redactedMark = "[redacted]"

// minRedactLen is the length below which a part of a credential is not
// redacted on its own: replacing, say, a 5-letter secret wherever it
// appears would mangle the ordinary words of the server's text, and a part
// that short protects nothing anyway. The whole Authorization value is
// always redacted (with its scheme it is longer than this).
const minRedactLen = 8

// redactor replaces the credential sent on one request attempt wherever it
// appears in what the server (or a proxy on the way) sent back: a server
// that echoes the request's Authorization header must not carry the
// credential into an error, a Response or a log line.
//
// It redacts the whole Authorization value; its credential part (the token
// after "Bearer ", the base64 after "Basic "); the token in base64; for
// Basic, the decoded "key:secret" and the secret alone, each also in base64.
// Base64 is looked for in the standard and the URL alphabets, padded or not.
// Parts shorter than minRedactLen are not redacted on their own (see
// minRedactLen). The zero redactor redacts nothing.
//
// A credential is looked for in the text as a reader may take it in (see
// appendView): with one layer of escapes decoded (those of JSON and Go
// strings, and percent-encoding in either case, as url.QueryEscape and
// url.PathEscape write it); without the characters that show as nothing once
// the text is cleaned for a terminal (termtext.Invisible: controls,
// bidirectional controls, zero-width characters, white space); and, as a
// terminal shows raw text, without its escape sequences. A credential with
// ESC, "ESC [ 0 m" or U+202E in its middle, spelled with \u escapes or
// percent-encoded, is redacted as a plain one is, with what is in between.
// This is how "clean, then redact" is kept in one place: what is redacted
// is what would show once cleaned, while the text that is kept stays as the
// server sent it (-o json prints it so).
type redactor struct {
	forms [][]byte // in their view (see appendView), longest first
	// index finds the forms in a text looked at once, not once per form:
	// nil when a form is shorter than 2*gramLen.
	index *gramIndex
}

// gramLen is the length of the pieces of the forms that gramIndex holds.
const gramLen = 4

// gramIndex holds the first gramLen pieces (at offsets 0 to gramLen-1) of
// every form of a redactor. A form at position p of a text has one of them
// at the position in p..p+gramLen-1 that is a multiple of gramLen, so the
// text is looked at every gramLen bytes only.
type gramIndex struct {
	filter [1 << 14 / 64]uint64     // bit gramHash of every piece
	pieces map[uint32][]formAtPiece // the forms of each piece
}

// formAtPiece is a form of which a piece starts at offset at.
type formAtPiece struct {
	form []byte
	at   int
}

func gramHash(g uint32) uint32 { return g * 0x9e3779b1 >> (32 - 14) }

// newGramIndex returns the index of forms, or nil when one is too short.
func newGramIndex(forms [][]byte) *gramIndex {
	x := &gramIndex{pieces: map[uint32][]formAtPiece{}}
	for _, form := range forms {
		if len(form) < 2*gramLen {
			return nil
		}
		for at := range gramLen {
			g := binary.LittleEndian.Uint32(form[at:])
			h := gramHash(g)
			x.filter[h/64] |= 1 << (h % 64)
			x.pieces[g] = append(x.pieces[g], formAtPiece{form, at})
		}
	}
	return x
}

// holds reports whether view holds one of the forms.
func (x *gramIndex) holds(view []byte) bool {
	for i := 0; i+gramLen <= len(view); i += gramLen {
		g := binary.LittleEndian.Uint32(view[i:])
		if h := gramHash(g); x.filter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, f := range x.pieces[g] {
			if start := i - f.at; start >= 0 && bytes.HasPrefix(view[start:], f.form) {
				return true
			}
		}
	}
	return false
}

// newRedactor returns the redactor of the Authorization values sent on an
// attempt (empty values are ignored).
func newRedactor(authorizations ...string) redactor {
	var r redactor
	for _, v := range authorizations {
		if v == "" {
			continue
		}
		r.add(v, 1)
		scheme, cred, ok := strings.Cut(v, " ")
		if !ok {
			continue
		}
		cred = strings.TrimSpace(cred)
		r.add(cred, minRedactLen)
		if !strings.EqualFold(scheme, "Basic") {
			r.addBase64(cred)
			continue
		}
		pair, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			continue
		}
		r.addBase64(string(pair))
		r.add(string(pair), minRedactLen)
		if _, secret, ok := strings.Cut(string(pair), ":"); ok {
			r.add(secret, minRedactLen)
			r.addBase64(secret)
		}
	}
	slices.SortFunc(r.forms, func(a, b []byte) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), bytes.Compare(a, b))
	})
	r.forms = slices.CompactFunc(r.forms, bytes.Equal)
	r.index = newGramIndex(r.forms)
	return r
}

// add adds s, when its view is at least minLen long: as written, as
// decoded (its view: a credential holding "%41" or "\n" may be echoed in a
// JSON string, whose view is s itself) and as url.QueryEscape writes it
// (its space a "+").
func (r *redactor) add(s string, minLen int) {
	for _, form := range []string{s, url.QueryEscape(s)} {
		raw := []byte(form)
		view, _ := appendView(nil, raw, nil, false)
		for _, v := range [][]byte{stripInvisible(raw), view} {
			if len(v) >= minLen && len(v) > 0 {
				r.forms = append(r.forms, v)
			}
		}
	}
}

// addBase64 adds the base64 of s, in both alphabets, padded and not.
func (r *redactor) addBase64(s string) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		r.add(enc.EncodeToString([]byte(s)), minRedactLen)
	}
}

// stripInvisible returns b without its invisible characters.
func stripInvisible(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		c, size := utf8.DecodeRune(b)
		if !termtext.Invisible(c) {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// span is the part of a text one byte of its view comes from.
type span struct{ start, end int }

// plainByte reports whether c is its own view: printable ASCII, not the
// start of an escape.
func plainByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '\\' && c != '%'
}

// plainView reports whether b is its own view: it holds no escape, no
// white space or control and nothing but ASCII.
func plainView(b []byte) bool {
	for _, c := range b {
		if !plainByte(c) {
			return false
		}
	}
	return true
}

// appendView appends to dst a view of b: b as a reader may take it in,
// with one layer of escapes decoded (JSON's and Go's backslash escapes such
// as \n, \u202e and \x1b, and percent-encoding such as %2F or %2f) and
// without the characters termtext.Invisible reports, which show as nothing
// once the text is cleaned. With terminal, a terminal's escape sequences
// are left out whole (ESC [ 0 m, an OSC title), as a terminal that gets
// the text raw shows them: as nothing. When spans is not nil, it records
// for every byte appended the part of b it comes from. It reports whether
// b holds the start of an escape sequence, so that the terminal's view
// differs.
func appendView(dst, b []byte, spans *[]span, terminal bool) ([]byte, bool) {
	var seq escapeSequence
	escapes := false
	for i := 0; i < len(b); {
		if seq.state == 0 && plainByte(b[i]) {
			// The common case: printable ASCII characters as they are.
			j := i + 1
			for j < len(b) && plainByte(b[j]) {
				j++
			}
			dst = append(dst, b[i:j]...)
			if spans != nil {
				for k := i; k < j; k++ {
					*spans = append(*spans, span{k, k + 1})
				}
			}
			i = j
			continue
		}
		c, n := unit(b[i:])
		inSeq := seq.next(c)
		escapes = escapes || inSeq
		if (!terminal || !inSeq) && !termtext.Invisible(c) {
			before := len(dst)
			if c == utf8.RuneError && n == 3 && b[i] == '%' {
				dst = append(dst, hexByte(b[i+1:])) // a byte that is not UTF-8
			} else {
				dst = utf8.AppendRune(dst, c)
			}
			if spans != nil {
				for range len(dst) - before {
					*spans = append(*spans, span{i, i + n})
				}
			}
		}
		i += n
	}
	return dst, escapes
}

// escapeSequence follows a terminal's escape sequences (ECMA-48) through a
// text: CSI (ESC [ or U+009B, parameters, a final byte), OSC (ESC ] or
// U+009D, up to BEL or ST, at most maxOSC characters) and two-character
// escapes (ESC and one character).
type escapeSequence struct {
	state int // 0: none; 1: after ESC; 2: in a CSI; 3: in an OSC; 4: ESC in an OSC
	osc   int // characters of the OSC so far
}

// maxOSC bounds an OSC: a text without its end is not hidden whole.
const maxOSC = 256

// next reports whether c is part of an escape sequence, and so shows as
// nothing.
func (e *escapeSequence) next(c rune) bool {
	switch e.state {
	case 1:
		switch {
		case c == '[':
			e.state = 2
			return true
		case c == ']':
			e.state, e.osc = 3, 0
			return true
		case c >= 0x20 && c <= 0x7e:
			e.state = 0
			return true
		}
		e.state = 0
	case 2:
		switch {
		case c >= 0x20 && c <= 0x3f:
			return true
		case c >= 0x40 && c <= 0x7e:
			e.state = 0
			return true
		}
		e.state = 0
	case 3, 4:
		e.osc++
		switch {
		case c == 0x07 || c == 0x9c || e.state == 4 && c == '\\':
			e.state = 0
			return true
		case c == 0x1b:
			e.state = 4
			return true
		case e.osc <= maxOSC:
			e.state = 3
			return true
		}
		e.state = 0
	}
	switch c {
	case 0x1b:
		e.state = 1
		return true
	case 0x9b:
		e.state = 2
		return true
	case 0x9d:
		e.state, e.osc = 3, 0
		return true
	}
	return false
}

// unit decodes the character at the start of b, an escape or a character as
// it is, and returns it with its length in b.
func unit(b []byte) (rune, int) {
	switch {
	case b[0] == '\\' && len(b) > 1:
		switch e := b[1]; e {
		case '"', '\\', '/', '\'':
			return rune(e), 2
		case 'a', 'b', 'f', 'n', 'r', 't', 'v':
			return ' ', 2 // a control character, invisible
		case 'x':
			if len(b) >= 4 && isHex(b[2]) && isHex(b[3]) {
				return rune(hexByte(b[2:])), 4
			}
		case 'u':
			if c, ok := hexRune(b[2:], 4); ok {
				if utf16.IsSurrogate(c) && len(b) >= 12 && b[6] == '\\' && b[7] == 'u' {
					if low, ok := hexRune(b[8:], 4); ok {
						if pair := utf16.DecodeRune(c, low); pair != utf8.RuneError {
							return pair, 12
						}
					}
				}
				return c, 6
			}
		case 'U':
			if c, ok := hexRune(b[2:], 8); ok {
				return c, 10
			}
		}
	case b[0] == '%' && len(b) >= 3 && isHex(b[1]) && isHex(b[2]):
		first := hexByte(b[1:])
		if first < utf8.RuneSelf {
			return rune(first), 3
		}
		// A character of several bytes, each percent-encoded.
		var enc [utf8.UTFMax]byte
		k := 0
		for ; k < utf8.UTFMax && len(b) >= 3*k+3 && b[3*k] == '%' && isHex(b[3*k+1]) && isHex(b[3*k+2]); k++ {
			enc[k] = hexByte(b[3*k+1:])
			if c, size := utf8.DecodeRune(enc[:k+1]); c != utf8.RuneError && size == k+1 {
				return c, 3 * (k + 1)
			}
		}
		return utf8.RuneError, 3
	case b[0] < utf8.RuneSelf:
		return rune(b[0]), 1
	}
	return utf8.DecodeRune(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexByte(b []byte) byte {
	v, _ := hexRune(b, 2)
	return byte(v)
}

// hexRune decodes the n hex digits at the start of b.
func hexRune(b []byte, n int) (rune, bool) {
	if len(b) < n {
		return 0, false
	}
	var v rune
	for _, c := range b[:n] {
		if !isHex(c) {
			return 0, false
		}
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		v = v<<4 | rune(c)
	}
	return v, v >= 0 && v <= unicode.MaxRune
}

// apply returns b with every credential replaced by "[redacted]", and
// whether it held one. b itself is returned when it holds none.
func (r *redactor) apply(b []byte) ([]byte, bool) {
	if len(r.forms) == 0 || len(b) == 0 {
		return b, false
	}
	if plainView(b) {
		if !r.holds(b) {
			return b, false
		}
		return replace(b, r.hits(nil, b, nil)), true
	}
	// The view of a cleaner, and when b holds escape sequences, that of a
	// terminal.
	view, escapes := appendView(make([]byte, 0, len(b)), b, nil, false)
	var term []byte
	if escapes {
		term, _ = appendView(make([]byte, 0, len(b)), b, nil, true)
	}
	if !r.holds(view) && !r.holds(term) {
		return b, false
	}
	// Again, with the part of b each byte of a view comes from.
	spans := make([]span, 0, len(b))
	view, _ = appendView(view[:0], b, &spans, false)
	var hits []span
	hits = r.hits(hits, view, spans)
	if escapes {
		spans = spans[:0]
		term, _ = appendView(term[:0], b, &spans, true)
		hits = r.hits(hits, term, spans)
	}
	return replace(b, hits), true
}

// holds reports whether view holds a credential.
func (r *redactor) holds(view []byte) bool {
	if r.index != nil {
		return r.index.holds(view)
	}
	for _, form := range r.forms {
		if bytes.Contains(view, form) {
			return true
		}
	}
	return false
}

// hits appends to hits the parts of the text each credential in view comes
// from (spans, or the view itself when spans is nil).
func (r *redactor) hits(hits []span, view []byte, spans []span) []span {
	for _, form := range r.forms {
		for at := 0; ; {
			i := bytes.Index(view[at:], form)
			if i < 0 {
				break
			}
			h := span{at + i, at + i + len(form)}
			if spans != nil {
				h = span{spans[h.start].start, spans[h.end-1].end}
			}
			hits = append(hits, h)
			at += i + 1
		}
	}
	return hits
}

// replace returns b with the parts hits replaced by "[redacted]",
// overlapping parts as one.
func replace(b []byte, hits []span) []byte {
	slices.SortFunc(hits, func(x, y span) int { return cmp.Compare(x.start, y.start) })
	out := make([]byte, 0, len(b))
	done := 0 // the end in b of what is in out
	for i := 0; i < len(hits); {
		h := hits[i]
		for i++; i < len(hits) && hits[i].start < h.end; i++ {
			h.end = max(h.end, hits[i].end)
		}
		out = append(out, b[done:h.start]...)
		out = append(out, redactedMark...)
		done = h.end
	}
	return append(out, b[done:]...)
}

// contains reports whether s holds a credential.
func (r redactor) contains(s string) bool {
	_, found := r.apply([]byte(s))
	return found
}

// redact returns s with every credential replaced by "[redacted]".
func (r redactor) redact(s string) string {
	if out, found := r.apply([]byte(s)); found {
		return string(out)
	}
	return s
}

// body returns the body of an answer, or when it holds a credential, a copy
// with the credentials redacted, so that no key, error, excerpt or message
// decoded from it carries one. It is redacted whole, before anything cuts an
// excerpt from it, so that a credential cut in two at the end of an excerpt
// cannot leave its first part.
func (r redactor) body(b []byte) []byte {
	out, _ := r.apply(b)
	return out
}

// header returns h, or a copy with the credentials redacted from its values
// when it holds any.
func (r redactor) header(h http.Header) http.Header {
	if !r.headerContains(h) {
		return h
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		vs := make([]string, len(values))
		for i, v := range values {
			vs[i] = r.redact(v)
		}
		out[name] = vs
	}
	return out
}

func (r redactor) headerContains(h http.Header) bool {
	if len(r.forms) == 0 {
		return false
	}
	for _, values := range h {
		for _, v := range values {
			if r.contains(v) {
				return true
			}
		}
	}
	return false
}

// error returns err, or when its message holds a credential, an error with
// the credentials redacted from the message that still unwraps to err (so
// errors.Is and errors.As see through it).
func (r redactor) error(err error) error {
	if err == nil || len(r.forms) == 0 {
		return err
	}
	msg := err.Error()
	if !r.contains(msg) {
		return err
	}
	return &redactedError{msg: r.redact(msg), err: err}
}

// redactedError is an error whose message had a credential redacted. It
// unwraps to the original error, so that errors.Is and errors.As keep
// working; the original's own message is not redacted, and a caller that
// prints an unwrapped error prints what the server sent.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
