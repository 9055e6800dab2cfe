package wrapper_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper"
)

// pastedToken is a token pasted into an endpoint URL by mistake.
const pastedToken = "PASTED-t0ken-MUST-NOT-SHOW-9d2e"

// TestEndpointErrorsHideWhatMayBeSecret: an endpoint refused for any reason
// never shows its user info, query or fragment, nor a part of it the URL
// parser quotes (a port), where a token pasted by mistake may sit. The
// error says what is wrong and what is expected.
func TestEndpointErrorsHideWhatMayBeSecret(t *testing.T) {
	const expected = "expected a URL such as https://api.confluent.cloud"
	tok := pastedToken
	for _, tc := range []struct {
		endpoint string
		want     []string // in the error
	}{
		{"https://api.confluent.cloud?api_key=" + tok, []string{"has a query", expected}},
		{"https://api.confluent.cloud/?" + tok, []string{"has a query", expected}},
		{"https://api.confluent.cloud?", []string{"has a query", expected}},
		{"https://api.confluent.cloud/#" + tok, []string{"has a fragment", expected}},
		{"https://api.confluent.cloud/#", []string{"has a fragment", expected}},
		{"https://user:" + tok + "@api.confluent.cloud", []string{"credentials in the URL", "WithAPIKey"}},
		{"https://" + tok + "@api.confluent.cloud", []string{"credentials in the URL"}},
		{"ftp://api.confluent.cloud/?token=" + tok, []string{"has a query"}},
		{"ftp://api.confluent.cloud/x#" + tok, []string{"has a fragment"}},
		{"ftp://api.confluent.cloud/x", []string{`scheme "ftp" is not supported`, expected}},
		{"https://?token=" + tok, []string{"has a query"}},
		{"https://", []string{"has no host", expected}},
		{"https:" + tok, []string{"has no host", expected}},
		{"https:user:" + tok + "@api.confluent.cloud", []string{"has no host", expected}},
		{"api.confluent.cloud/?token=" + tok, []string{"has a query"}},
		{"api.confluent.cloud", []string{"has no scheme", expected}},
		{tok, []string{"has no scheme", expected}},
		{"https://api.confluent.cloud:" + tok, []string{"not a URL", "invalid port", expected}},
		{"https://api.confluent.cloud/%zz" + tok, []string{"not a URL", "invalid URL escape", expected}},
		{"https://user:" + tok + "@api confluent", []string{"not a URL", expected}},
		{"http://byok.internal:8080/prefix?token=" + tok, []string{"has a query"}},
		{"http://byok.internal:8080/prefix", []string{`"http://byok.internal:8080/prefix"`, "not loopback", "use https"}},
	} {
		_, err := wrapper.New(wrapper.WithBearerToken("t"), wrapper.WithEndpoint(tc.endpoint))
		if err == nil {
			t.Errorf("%s: accepted", tc.endpoint)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, tok) || strings.Contains(msg, tok[:12]) {
			t.Errorf("%s: the error shows the token: %s", tc.endpoint, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", tc.endpoint, msg, w)
			}
		}
	}
}

// TestEndpointErrorFromEnvironment: an endpoint from CONFLUENT_CLOUD_ENDPOINT
// is refused under the variable's name, without showing the token in it.
func TestEndpointErrorFromEnvironment(t *testing.T) {
	t.Setenv("CONFLUENT_CLOUD_API_KEY", testKey)
	t.Setenv("CONFLUENT_CLOUD_API_SECRET", testSecret)
	for _, ep := range []string{
		"https://api.confluent.cloud/?token=" + pastedToken,
		"https://api.confluent.cloud:" + pastedToken,
		pastedToken,
	} {
		t.Setenv("CONFLUENT_CLOUD_ENDPOINT", ep)
		_, err := wrapper.NewFromEnv()
		switch {
		case err == nil:
			t.Errorf("%s: accepted", ep)
		case strings.Contains(err.Error(), pastedToken[:12]) || strings.Contains(err.Error(), testSecret):
			t.Errorf("%s: the error shows the token: %v", ep, err)
		case !strings.Contains(err.Error(), "CONFLUENT_CLOUD_ENDPOINT"):
			t.Errorf("%s: %v; want it to name %s", ep, err, "CONFLUENT_CLOUD_ENDPOINT")
		}
	}
}

// TestOptionErrorNamesTheOption: a refused value is an *OptionError that
// names the option and, where another option would make New accept it,
// that option; so a program can name its own setting instead.
func TestOptionErrorNamesTheOption(t *testing.T) {
	for _, tc := range []struct {
		opts            []wrapper.Option
		option, instead string
	}{
		{[]wrapper.Option{wrapper.WithAPIKey("a:b", "s")}, "WithAPIKey", ""},
		{[]wrapper.Option{wrapper.WithBearerToken("a\nb")}, "WithBearerToken", ""},
		{[]wrapper.Option{wrapper.WithBearerToken("t"), wrapper.WithEndpoint("http://api.example.com")}, "WithEndpoint", "WithInsecureHTTP"},
		{[]wrapper.Option{wrapper.WithBearerToken("t"), wrapper.WithEndpoint("https://k:s@api.example.com")}, "WithEndpoint", "WithAPIKey"},
		{[]wrapper.Option{wrapper.WithBearerToken("t"), wrapper.WithEndpoint("api.example.com")}, "WithEndpoint", ""},
	} {
		_, err := wrapper.New(tc.opts...)
		var refused *wrapper.OptionError
		if !errors.As(err, &refused) {
			t.Errorf("%s: %v is not an *OptionError", tc.option, err)
			continue
		}
		if refused.Option != tc.option || refused.Instead != tc.instead || strings.Contains(refused.Reason, "With") {
			t.Errorf("%s: got %+v", tc.option, *refused)
		}
		if !strings.HasPrefix(err.Error(), "byok: "+tc.option+": "+refused.Reason) {
			t.Errorf("%s: message %q", tc.option, err)
		}
	}
}
