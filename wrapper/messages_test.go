package wrapper_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// hostile is server text meant to break a log line or drive a terminal: line
// breaks, an escape sequence, a NUL, a tab and a byte that is not UTF-8.
const hostile = "Access denied.\r\nFAKE LOG LINE level=ERROR\x1b[2J\x1b]0;title\x07 \x00tab\there \xff end"

// assertPrintableLine fails unless msg is one line of valid UTF-8 without
// control characters.
func assertPrintableLine(t *testing.T, what, msg string) {
	t.Helper()
	if !utf8.ValidString(msg) {
		t.Errorf("%s is not valid UTF-8: %q", what, msg)
	}
	for _, r := range msg {
		if unicode.IsControl(r) {
			t.Errorf("%s holds the control character %U: %q", what, r, msg)
			return
		}
	}
}

// TestValidationErrorMessageIsPrintable: the server's validation message is
// shown in one printable line, as APIError shows the server's words, while
// the field keeps exactly what the server sent.
func TestValidationErrorMessageIsPrintable(t *testing.T) {
	e := &wrapper.ValidationError{KeyID: "cck-1", Message: hostile}
	msg := e.Error()
	assertPrintableLine(t, "ValidationError.Error()", msg)
	want := "byok: key cck-1 failed validation: Access denied. FAKE LOG LINE level=ERROR[2J]0;title tab here \uFFFD end"
	if msg != want {
		t.Errorf("Error() = %q,\nwant %q", msg, want)
	}
	if e.Message != hostile {
		t.Errorf("Message changed to %q", e.Message)
	}
}

// TestKeyDecodeErrorMessageIsPrintable: the id the server gave and the
// reason (which may quote the server's text) are shown in one printable
// line; the fields are left as they are.
func TestKeyDecodeErrorMessageIsPrintable(t *testing.T) {
	cause := errors.New("field display_name: " + hostile)
	e := &wrapper.KeyDecodeError{Index: 3, ID: "cck-1\n\x1b[31mX", Err: cause}
	msg := e.Error()
	assertPrintableLine(t, "KeyDecodeError.Error()", msg)
	for _, want := range []string{`key 3 of the page ("cck-1\n\x1b[31mX")`, "FAKE LOG LINE level=ERROR", "\uFFFD end"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q lacks %q", msg, want)
		}
	}
	if e.ID != "cck-1\n\x1b[31mX" || !errors.Is(e, cause) {
		t.Errorf("fields changed: %#v", e)
	}
	plain := (&wrapper.KeyDecodeError{Index: 0, ID: "cck-2", Err: errors.New(`the "key" object has no "kind"`)}).Error()
	if plain != `byok: key 0 of the page (cck-2) cannot be decoded: the "key" object has no "kind"` {
		t.Errorf("Error() of an ordinary key = %q", plain)
	}
}

// TestWaitErrorShowsPhasePrintable: a phase this library does not know is
// shown in one printable line when the wait gives up.
func TestWaitErrorShowsPhasePrintable(t *testing.T) {
	const phase = "PENDING\n\x1b[2JFAKE"
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		body := strings.Replace(string(testdata(t, "aws.json")), `"phase": "VALID"`, `"phase": "PENDING\n\u001b[2JFAKE"`, 1)
		fault(w, "a phase outside the spec's values")
		writeJSON(w, http.StatusOK, []byte(body))
	}))
	c, err := wrapper.New(wrapper.WithAPIKey(testKey, testSecret), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The first wait (about an hour) ends after the deadline: the wait
	// gives up after one check, without sleeping.
	var seen wrapper.Phase
	_, err = c.WaitForValidation(ctx, "cck-1a2b3", wrapper.WithPollInterval(time.Hour, time.Hour),
		wrapper.WithProgress(func(p wrapper.WaitProgress) { seen = p.Key.Validation.Phase }))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a deadline error", err)
	}
	assertPrintableLine(t, "the wait's error", err.Error())
	if !strings.Contains(err.Error(), "still PENDING [2JFAKE after 1 checks") {
		t.Errorf("error %q does not show the phase", err)
	}
	if seen != phase {
		t.Errorf("the key's phase is %q, want it as the server sent it", seen)
	}
}

// TestPageNotAnObjectIsPrintable: a list answer that is a JSON string, not
// an object, is described without quoting the string, which may hold a
// terminal's escape sequences and be megabytes long.
func TestPageNotAnObjectIsPrintable(t *testing.T) {
	long := strings.Repeat("x", 4096)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fault(w, "a list answer that is not an object")
		writeJSON(w, http.StatusOK, []byte(`"\r\nFAKE LOG LINE\u001b[2J\u001b]0;title\u0007`+long+`"`))
	}))
	_, _, err := newRawClient(t, srv, testkit.NewClock()).ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err == nil {
		t.Fatal("a page that is a string was accepted")
	}
	assertPrintableLine(t, "the decoding error", err.Error())
	if strings.Contains(err.Error(), "FAKE LOG LINE") || strings.Contains(err.Error(), long) {
		t.Errorf("the error quotes the server's string: %q", err)
	}
	if !strings.Contains(err.Error(), `expected "{" in the JSON, found a string`) {
		t.Errorf("error %q does not say what was expected", err)
	}
}

// TestDecodeErrorsNameJSONTypes: a field of the wrong JSON type is reported
// with the JSON type expected, not the name of a Go type of the library
// (wrapper.keyJSON, api.ObjectMeta) the reader has never seen.
func TestDecodeErrorsNameJSONTypes(t *testing.T) {
	for body, want := range map[string]string{
		`[]`: "field (top level): got a JSON array, expected an object",
		`{"id":"cck-1","metadata":"x","key":{"kind":"AwsKey","key_arn":"a"}}`: "field metadata: got a JSON string, expected an object",
		`{"id":"cck-1","key":{"kind":"AwsKey","key_arn":"a","roles":"r"}}`:    "field key.roles: got a JSON string, expected an array",
		`{"id":7,"key":{"kind":"AwsKey","key_arn":"a"}}`:                      "field id: got a JSON number, expected a string",
	} {
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fault(w, "a field of the wrong type")
			writeJSON(w, http.StatusOK, []byte(body))
		}))
		_, _, err := newRawClient(t, srv, testkit.NewClock()).GetKey(context.Background(), "cck-1")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", body, err, want)
		}
	}
}
