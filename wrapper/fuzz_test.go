package wrapper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets of the wrapper's decoding. Their seed corpora are the
// files of testdata/fuzz/<target>/ (realistic bodies from testdata/keys)
// and the f.Add calls; `make fuzz` explores from each
// target for a bounded time, and `go test` runs the seeds.

// fuzzSeedFiles adds the files of testdata/keys whose names match pattern
// as seeds (the committed corpus holds them too).
func fuzzSeedFiles(f *testing.F, pattern string) [][]byte {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("..", "testdata", "keys", pattern))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seeds match %s: %v", pattern, err)
	}
	var out [][]byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzKeyDecode decodes any input as a key and as a page of keys. Neither
// may panic; a key that decodes survives a round trip through MarshalJSON
// and UnmarshalJSON unchanged, and encoding it is a fixed point; a page
// that decodes accounts for every element of "data" in order, decoded or
// reported bad exactly as decoding the element alone would.
func FuzzKeyDecode(f *testing.F) {
	for _, b := range fuzzSeedFiles(f, "*.json") {
		if len(b) < 16<<10 { // the 100-key page is too large to mutate well
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"id":"cck-1","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/k","roles":[]}}`,
		`{"id":"cck-2","key":{"kind":"NewKey","nested":{"a":[1,2.5e3,null,true]},"key_id":"x"}}`,
		`{"key":{"kind":"GcpKey","key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k"},"metadata":{"created_at":"2024-03-11T09:30:00+02:00"}}`,
		`{"data":[{"id":"a","key":{"kind":"AzureKey"}},{"id":"b","key":{}},{"id":"c","key":{"kind":"X<&>"}}],"metadata":{"next":"https://h/byok/v1/keys?page_token=t"}}`,
		`{"data":[{"id":5}],"metadata":{"total_size":1}}`,
		` null `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var k Key
		errKey := json.Unmarshal(b, &k)
		page, errPage := decodePage(b)
		// Only JSON whose objects have unique member names is a key or a
		// page: with duplicates (which encoding/json matches without
		// regard to case) the typed reads merge members the raw reads
		// take one of, and no round trip can be expected.
		if !uniqueMembers(b) {
			return
		}
		switch {
		case errKey == nil && string(bytes.TrimSpace(b)) == "null":
			// null leaves the key as it was, as encoding/json asks.
			if !reflect.DeepEqual(k, Key{}) {
				t.Fatalf("null decoded as %+v", k)
			}
		case errKey == nil:
			checkKeyRoundTrip(t, k)
		}
		if errPage == nil {
			checkPage(t, b, page, page.DecodeErrors)
		}
	})
}

// uniqueMembers reports whether b is JSON whose objects all have distinct
// member names, compared as encoding/json compares them (case folded).
func uniqueMembers(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	type level struct {
		object bool
		names  []string
		key    bool // the next token of an object is a member name
	}
	var stack []*level
	for {
		tok, err := d.Token()
		if err != nil {
			return err == io.EOF
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if name, ok := tok.(string); ok {
				for _, seen := range top.names {
					if strings.EqualFold(seen, name) {
						return false
					}
				}
				top.names = append(top.names, name)
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			if top != nil {
				top.key = top.object
			}
			stack = append(stack, &level{object: true, key: true})
		case json.Delim('['):
			if top != nil {
				top.key = top.object
			}
			stack = append(stack, &level{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if top != nil {
				top.key = top.object
			}
		}
	}
}

// checkKeyRoundTrip fails t unless k survives MarshalJSON and UnmarshalJSON.
func checkKeyRoundTrip(t *testing.T, k Key) {
	t.Helper()
	if k.Material == nil {
		t.Fatalf("a decoded key has no material: %+v", k)
	}
	out, err := json.Marshal(k)
	if err != nil {
		t.Fatalf("a decoded key does not encode: %v\n%+v", err, k)
	}
	var again Key
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("an encoded key does not decode: %v\n%s", err, out)
	}
	if diff := keyDiff(k, again); diff != "" {
		t.Fatalf("the round trip changed the key: %s\nencoded as %s", diff, out)
	}
	out2, err := json.Marshal(again)
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("encoding is not a fixed point (%v):\n%s\n%s", err, out, out2)
	}
	// Without Raw, the key is encoded from its fields.
	k.Raw = nil
	out, err = json.Marshal(k)
	if err != nil {
		t.Fatalf("a decoded key does not encode from its fields: %v\n%+v", err, k)
	}
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("a key encoded from its fields does not decode: %v\n%s", err, out)
	}
	again.Raw = nil
	if diff := keyDiff(k, again); diff != "" {
		t.Fatalf("the round trip through the fields changed the key: %s\nencoded as %s", diff, out)
	}
}

// keyDiff describes how a and b differ, or returns "" when they are the
// same key: equal times, nil and empty role lists alike, the raw material
// of an unknown kind equal as JSON.
func keyDiff(a, b Key) string {
	times := func(k Key) []time.Time {
		return []time.Time{k.Metadata.CreatedAt, k.Metadata.UpdatedAt, k.Metadata.DeletedAt, k.Validation.Since}
	}
	ta, tb := times(a), times(b)
	for i := range ta {
		if !ta[i].Equal(tb[i]) {
			return fmt.Sprintf("time %d: %v != %v", i, ta[i], tb[i])
		}
	}
	if len(a.Raw) > 0 && len(b.Raw) > 0 && !sameJSON(a.Raw, b.Raw) {
		return fmt.Sprintf("raw %s != %s", a.Raw, b.Raw)
	}
	a.Raw, b.Raw = nil, nil
	ma, mb := a.Material, b.Material
	a.Metadata, b.Metadata = Metadata{Self: a.Metadata.Self, ResourceName: a.Metadata.ResourceName}, Metadata{Self: b.Metadata.Self, ResourceName: b.Metadata.ResourceName}
	a.Validation.Since, b.Validation.Since = time.Time{}, time.Time{}
	a.Material, b.Material = nil, nil
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%+v != %+v", a, b)
	}
	switch x := ma.(type) {
	case AWSKey:
		y, ok := mb.(AWSKey)
		if !ok || x.KeyARN != y.KeyARN || !slices.Equal(x.Roles, y.Roles) {
			return fmt.Sprintf("material %#v != %#v", ma, mb)
		}
	case UnknownKey:
		y, ok := mb.(UnknownKey)
		if !ok || x.MaterialKind() != y.MaterialKind() || !sameJSON(x.Raw, y.Raw) {
			return fmt.Sprintf("material %#v != %#v", ma, mb)
		}
	default:
		if !reflect.DeepEqual(ma, mb) {
			return fmt.Sprintf("material %#v != %#v", ma, mb)
		}
	}
	return ""
}

// sameJSON reports whether a and b hold the same JSON value (numbers
// compared as written).
func sameJSON(a, b []byte) bool {
	decode := func(b []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		err := d.Decode(&v)
		return v, err
	}
	va, errA := decode(a)
	vb, errB := decode(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

// checkPage fails t unless page and bad account for every element of the
// page's "data", in order, as decoding each element alone does.
func checkPage(t *testing.T, body []byte, page *KeyPage, bad []*KeyDecodeError) {
	t.Helper()
	var raw struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		// The page decoded, so its "data" is an array of objects; a
		// generic read can only fail where the typed read merged
		// duplicate members. Nothing to compare with.
		return
	}
	if len(page.Keys)+len(bad) != len(raw.Data) {
		t.Fatalf("%d keys and %d bad keys for %d elements", len(page.Keys), len(bad), len(raw.Data))
	}
	keys := page.Keys
	for i, elem := range raw.Data {
		alone, err := decodeKey(elem)
		if len(bad) > 0 && bad[0].Index == i {
			if err == nil {
				t.Fatalf("element %d is reported bad (%v) but decodes alone", i, bad[0])
			}
			if !strings.Contains(bad[0].Error(), "cannot be decoded") || bad[0].Unwrap() == nil {
				t.Fatalf("element %d: %q does not say what is wrong", i, bad[0].Error())
			}
			bad = bad[1:]
			continue
		}
		if err != nil {
			t.Fatalf("element %d decodes in the page but not alone: %v", i, err)
		}
		if diff := keyDiff(keys[0], alone); diff != "" {
			t.Fatalf("element %d differs in the page and alone: %s", i, diff)
		}
		checkKeyRoundTrip(t, keys[0])
		keys = keys[1:]
	}
}

// fuzzClock is a fixed Clock for decoding answers.
type fuzzClock struct{}

func (fuzzClock) Now() time.Time { return time.Date(2024, 3, 20, 15, 30, 0, 0, time.UTC) }

func (fuzzClock) Sleep(context.Context, time.Duration) error { return nil }

// FuzzFailureDecode builds the APIError of any error answer. It may not
// panic; it keeps the status, the request id and every error detail of a
// Failure body; it matches the sentinel of its status and no other; and its
// message is one line of valid UTF-8 that starts with the request and its
// status.
func FuzzFailureDecode(f *testing.F) {
	for _, b := range fuzzSeedFiles(f, "failure-*.json") {
		f.Add(uint16(400), b, "req-1", "1")
	}
	for _, b := range fuzzSeedFiles(f, "*.html") {
		f.Add(uint16(502), b, "", "")
	}
	f.Add(uint16(429), []byte(`{"errors":[{"status":"429","detail":"slow down","error_code":42,"source":{"parameter":"page_size"}}]}`), "r", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(uint16(500), []byte(`{"errors":[{"detail":5},{"title":"second"}]}`), "r", "-1")
	f.Add(uint16(503), []byte("503 Service Unavailable\n"), "", "0.5")
	f.Add(uint16(400), []byte(`{"errors":[]}`), "", "")
	f.Fuzz(func(t *testing.T, code uint16, body []byte, requestID, retryAfter string) {
		status := 400 + int(code)%200
		h := http.Header{}
		h.Set("X-Request-Id", requestID)
		h.Set("Retry-After", retryAfter)
		c := &Client{clock: fuzzClock{}}
		op := operation{name: "get key cck-1", method: http.MethodGet, path: "/byok/v1/keys/cck-1"}
		e := c.apiError(op, status, h, body)

		if e.StatusCode != status || e.RequestID != h.Get("X-Request-Id") {
			t.Fatalf("status %d, request id %q; want %d, %q", e.StatusCode, e.RequestID, status, h.Get("X-Request-Id"))
		}
		for _, s := range []error{ErrBadRequest, ErrUnauthorized, ErrQuotaExceeded, ErrForbidden, ErrNotFound, ErrConflict, ErrInvalid, ErrRateLimited, ErrServer} {
			if got, want := errors.Is(e, s), errors.Is(sentinelFor(status), s); got != want {
				t.Fatalf("errors.Is(%d, %v) = %v", status, s, got)
			}
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxHeaderWait {
			t.Fatalf("RetryAfter %s from %q", e.RetryAfter, retryAfter)
		}
		if len(e.Body) > maxExcerpt+len("…") || !utf8.ValidString(e.Body) {
			t.Fatalf("Body excerpt of %d bytes, valid UTF-8 %v", len(e.Body), utf8.ValidString(e.Body))
		}

		// Every detail of a Failure body is kept, in order.
		var failure struct {
			Errors []json.RawMessage `json:"errors"`
		}
		if json.Unmarshal(body, &failure) == nil && len(failure.Errors) > 0 {
			if len(e.Errors) != len(failure.Errors) {
				t.Fatalf("%d error details kept of %d", len(e.Errors), len(failure.Errors))
			}
			for i, raw := range failure.Errors {
				var d struct {
					Detail any `json:"detail"`
				}
				if json.Unmarshal(raw, &d) == nil {
					if s, ok := d.Detail.(string); ok && e.Errors[i].Detail != s {
						t.Fatalf("detail %d is %q, the server said %q", i, e.Errors[i].Detail, s)
					}
				}
			}
		} else if len(e.Errors) > 0 {
			t.Fatalf("%d error details from a body that is not a Failure", len(e.Errors))
		}

		msg := e.Error()
		prefix := "byok: GET /byok/v1/keys/cck-1: " + strconv.Itoa(status)
		if !strings.HasPrefix(msg, prefix) || strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) {
			t.Fatalf("the message is not one line starting with %q:\n%q", prefix, msg)
		}
		// Every detail is said, in the words the server used.
		for i, d := range e.Errors {
			said := printable(d.Detail)
			if said != "" && !repeatsStatus(said, status) && !strings.Contains(msg, said) {
				t.Fatalf("the message hides detail %d (%q): %q", i, d.Detail, msg)
			}
		}
	})
}

// FuzzRateLimitHeaders parses any X-RateLimit-* and Retry-After values.
// Parsing may not panic; a value it accepts is non-negative and bounded; a
// value it accepts reads back the same when written out again; and the
// whole-number forms the API sends are read exactly.
func FuzzRateLimitHeaders(f *testing.F) {
	f.Add("100", "99", "60", "1")
	f.Add("100", "0", "0.05", "0")
	f.Add("25", "0", "59.999", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(" 7 ", "+3", "1e3", "120")
	f.Add("-1", "NaN", "-0.5", "Inf")
	f.Add("2147483648", "1.5", "1e300", "99999999999999999999")
	f.Fuzz(func(t *testing.T, limit, remaining, reset, retryAfter string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		h.Set("Retry-After", retryAfter)
		rl := parseRateLimit(h)
		checkCount(t, "limit", h.Get("X-RateLimit-Limit"), rl.Limit, rl.HasLimit)
		checkCount(t, "remaining", h.Get("X-RateLimit-Remaining"), rl.Remaining, rl.HasRemaining)
		if !rl.HasReset && rl.Reset != 0 || rl.Reset < 0 || rl.Reset > maxHeaderWait {
			t.Fatalf("reset %q read as %s (has %v)", reset, rl.Reset, rl.HasReset)
		}
		if rl.HasReset && rl.Reset < maxHeaderWait {
			again, ok := parseSeconds(strconv.FormatFloat(rl.Reset.Seconds(), 'f', -1, 64))
			if !ok || again != rl.Reset {
				t.Fatalf("reset %q read as %s, written out reads %s", reset, rl.Reset, again)
			}
		}
		now := fuzzClock{}.Now()
		d, ok := parseRetryAfter(h, now)
		if !ok && d != 0 || d < 0 || d > maxHeaderWait {
			t.Fatalf("Retry-After %q read as %s (ok %v)", retryAfter, d, ok)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && n >= 0 && n < int(maxHeaderWait/time.Second) {
			if !ok || d != time.Duration(n)*time.Second {
				t.Fatalf("Retry-After %q read as %s, want %ds", retryAfter, d, n)
			}
		}
	})
}

// checkCount checks the reading of a count header.
func checkCount(t *testing.T, name, value string, got int, has bool) {
	t.Helper()
	switch {
	case !has && got != 0, got < 0:
		t.Fatalf("%s %q read as %d (has %v)", name, value, got, has)
	case has:
		if again, ok := parseCount(strconv.Itoa(got)); !ok || again != got {
			t.Fatalf("%s %q read as %d, written out reads %d", name, value, got, again)
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(value)); err == nil && n >= 0 && (!has || got != n) {
		t.Fatalf("%s %q read as %d (has %v), want %d", name, value, got, has, n)
	}
}
