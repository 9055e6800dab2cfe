package wrapper

// The decoding of answers into the generated models of package api (the
// key itself is decoded in key.go): a page of keys, key by key, and the
// error details of a Failure body; and the wording of a JSON error in the
// JSON's terms.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/byokctl/byok/api"
)

// decodePage decodes a KeyList body. The keys are decoded one by one into
// the generated model, each from its own bytes of the body, which become its
// Raw; a key that cannot be decoded becomes a *KeyDecodeError and the others
// are kept. One pass over the body: json.Decoder reads each key's bytes and
// decodes them.
//
// A body without "data" is an error, not an empty page: the API requires
// the member, and a listing that took its absence for "no keys" would end
// early in silence. So is "data": null on a page with a next link. On the
// last page, "data": null reads as no keys (as a server may write an empty
// list); nothing comes after it that could be lost.
func decodePage(body []byte) (*KeyPage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var meta api.ListMeta
	page := &KeyPage{}
	var hasData, nullData bool
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		// Member names match as encoding/json matches them, without
		// regard to case.
		name, _ := t.(string)
		switch {
		case strings.EqualFold(name, "data"):
			hasData = true
			if nullData, err = decodeItems(dec, body, page); err != nil {
				return nil, err
			}
		case strings.EqualFold(name, "metadata"):
			if meta, err = decodeListMeta(dec); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, json.Unmarshal(body, new(struct{})) // the syntax error of the trailing bytes
	}
	if err := pageFromAPI(meta, page); err != nil {
		return nil, err
	}
	switch {
	case !hasData:
		return nil, errors.New(`the page has no "data" member; expected an array of keys`)
	case nullData && page.NextPageToken != "":
		return nil, errors.New(`"data" is null on a page with a next link; expected an array of keys`)
	}
	return page, nil
}

// decodeItems decodes the "data" array of a page into page; null reports a
// null "data". A "data" member sent twice counts once, the last one, as
// encoding/json reads it.
func decodeItems(dec *json.Decoder, body []byte, page *KeyPage) (null bool, err error) {
	page.Keys, page.DecodeErrors = nil, nil
	t, err := dec.Token()
	if err != nil || t == nil {
		return err == nil, err
	}
	if t != json.Delim('[') {
		return false, fmt.Errorf(`"data" is %s, expected an array of keys`, tokenKind(t))
	}
	var kd keyDecoder
	for i := 0; dec.More(); i++ {
		start := dec.InputOffset()
		page.Keys = append(page.Keys, Key{}) // decoded in place
		key := &page.Keys[len(page.Keys)-1]
		k := kd.target(key)
		err := dec.Decode(k)
		raw := bytes.TrimLeft(body[start:dec.InputOffset()], ", \t\r\n")
		raw = raw[:len(raw):len(raw)]
		if err == nil {
			err = finish(key, k, raw)
		} else if isSyntaxError(err) {
			return false, err
		} else {
			err = describeJSONError(err)
		}
		if err != nil {
			page.Keys = page.Keys[:len(page.Keys)-1]
			var id struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &id)
			page.DecodeErrors = append(page.DecodeErrors, &KeyDecodeError{Index: i, ID: id.ID, Err: err})
		}
	}
	return false, expectDelim(dec, ']')
}

// decodeListMeta decodes a page's metadata. total_size is informational: a
// value that is not an integer is ignored, not an error.
func decodeListMeta(dec *json.Decoder) (api.ListMeta, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return api.ListMeta{}, err
	}
	var m api.ListMeta
	err := json.Unmarshal(raw, &m)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field == "total_size" {
		var lenient struct {
			api.ListMeta
			TotalSize json.RawMessage `json:"total_size"`
		}
		err = json.Unmarshal(raw, &lenient)
		m = lenient.ListMeta
	}
	if err != nil {
		return api.ListMeta{}, fmt.Errorf("metadata: %w", describeJSONError(err))
	}
	return m, nil
}

// pageFromAPI maps the paging metadata of a page: the next page token is the
// page_token of the "next" link.
func pageFromAPI(m api.ListMeta, page *KeyPage) error {
	page.TotalSize = int(m.TotalSize)
	next := m.Next
	if next == "" {
		return nil
	}
	u, err := url.Parse(next)
	if err != nil {
		return fmt.Errorf("metadata.next %q is not a URL: %w", next, err)
	}
	page.NextPageToken = u.Query().Get("page_token")
	if page.NextPageToken == "" {
		return fmt.Errorf("metadata.next %q has no page_token", next)
	}
	return nil
}

// decodeFailure decodes the error details of a Failure body. A field of an
// odd type loses that field alone (decoding goes on past it), not the
// details; it returns none for a body that is not a Failure with errors.
func decodeFailure(body []byte) []ErrorDetail {
	var f api.Failure
	err := json.Unmarshal(body, &f)
	var typeErr *json.UnmarshalTypeError
	if (err != nil && !errors.As(err, &typeErr)) || len(f.Errors) == 0 {
		return nil
	}
	details := make([]ErrorDetail, len(f.Errors))
	for i, e := range f.Errors {
		details[i] = ErrorDetail(e)
	}
	return details
}

// expectDelim reads the next token, which must be want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("expected %q in the JSON, found %s", want, tokenKind(t))
	}
	return nil
}

// tokenKind describes a JSON token without quoting the server's text, which
// may be long or hold a terminal's control characters.
func tokenKind(t json.Token) string {
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return strconv.Quote(t.String())
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// isSyntaxError reports whether err says the bytes are not JSON (mangled,
// or cut short).
func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// describeJSONError turns a decoding error into one that says where the JSON
// went wrong, in the JSON's terms.
func describeJSONError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := jsonPath(typeErr.Field)
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("field %s: got a JSON %s, expected %s", field, typeErr.Value, jsonKind(typeErr.Type))
	}
	return err
}

// jsonPath returns the JSON path of an UnmarshalTypeError's Field, which
// names an embedded struct on the way by its Go type ("Key.id",
// "key.AwsKey.roles"), a level the JSON does not have.
func jsonPath(field string) string {
	var embedded []string
	for _, t := range []reflect.Type{reflect.TypeFor[keyJSON](), reflect.TypeFor[keyVariants]()} {
		for i := range t.NumField() {
			if f := t.Field(i); f.Anonymous {
				embedded = append(embedded, f.Name)
			}
		}
	}
	embedded = append(embedded, reflect.TypeFor[api.ListMeta]().Name()) // decodeListMeta's lenient read
	parts := slices.DeleteFunc(strings.Split(field, "."), func(p string) bool { return slices.Contains(embedded, p) })
	return strings.Join(parts, ".")
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "a time (an RFC 3339 string)"
		}
		return "an object"
	case reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return t.String()
}
