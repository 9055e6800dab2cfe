package wrapper_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// TestCredentialEchoedInSuccessfulAnswer: a server that echoes the request's
// credential inside a successful answer (here in base64 without its
// padding) must not carry it into a Key, a *ValidationError, a
// *KeyDecodeError or the error of a wait that times out (issue 12: a
// validation message holding the Authorization value was printed in full).
func TestCredentialEchoedInSuccessfulAnswer(t *testing.T) {
	secret := testSecret + "x" // "key:secret" is then 46 bytes: base64 pads it with "=="
	cred := base64.StdEncoding.EncodeToString([]byte(testKey + ":" + secret))
	unpadded := strings.TrimRight(cred, "=")
	if unpadded == cred {
		t.Fatal("the credential needs padding for this test")
	}
	key := func(id, phase, message string) string {
		return fmt.Sprintf(`{"api_version":"byok/v1","kind":"Key","id":%q,"key":{"kind":"GcpKey","key_id":"k"},"provider":"GCP","state":"AVAILABLE","validation":{"phase":%q,"message":%q,"since":"2024-03-20T15:30:00Z"}}`, id, phase, message)
	}
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault(w, "echoes the credential")
		switch {
		case r.URL.Path == "/byok/v1/keys":
			writeJSON(w, http.StatusOK, []byte(`{"api_version":"byok/v1","kind":"KeyList","metadata":{},"data":[`+
				key("cck-1", "VALID", "")+`,{"id":"echo `+unpadded+`","key":{"kind":"AwsKey","key_arn":5}}]}`))
		case strings.HasSuffix(r.URL.Path, "/cck-invalid"):
			writeJSON(w, http.StatusOK, []byte(key("cck-invalid", "INVALID", "denied for "+r.Header.Get("Authorization")[:6]+unpadded)))
		default:
			writeJSON(w, http.StatusOK, []byte(key("cck-slow", "PENDING "+unpadded, "")))
		}
	}))
	c, err := wrapper.New(wrapper.WithAPIKey(testKey, secret), wrapper.WithEndpoint(srv.URL),
		wrapper.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}), wrapper.WithClock(testkit.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	leaks := func(what, s string) {
		t.Helper()
		for _, needle := range []string{unpadded, secret} {
			if strings.Contains(s, needle) {
				t.Errorf("%s holds the credential: %s", what, s)
			}
		}
	}

	_, err = c.WaitForValidation(context.Background(), "cck-invalid")
	var invalid *wrapper.ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("got %v, want a *ValidationError", err)
	}
	leaks("the ValidationError", err.Error())
	leaks("ValidationError.Message", invalid.Message)
	leaks("ValidationError.Key.Raw", string(invalid.Key.Raw))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = c.WaitForValidation(ctx, "cck-slow", wrapper.WithPollInterval(time.Hour, time.Hour))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the wait to time out", err)
	}
	leaks("the wait's error", err.Error())

	page, _, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err != nil || len(page.DecodeErrors) != 1 {
		t.Fatalf("page %+v, %v: want one key that cannot be decoded", page, err)
	}
	leaks("the KeyDecodeError", page.DecodeErrors[0].Error())
	leaks("KeyDecodeError.ID", page.DecodeErrors[0].ID)
}
