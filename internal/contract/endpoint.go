package contract

import "os"

// The environment through which `make prism` points integration suites at
// a BYOK API that is not their own fake: a Prism proxy in front of a shared
// byoktest server, or a Prism mock (see internal/contract/cmd/prismrun).
// `make prism` runs the suites' tests named TestPrism* (go test -run
// ^TestPrism) once behind each; such a test calls ExternalEndpoint and
// skips when it reports none.
const (
	// EndpointEnv holds the API's base URL, http://127.0.0.1:<port>.
	EndpointEnv = "BYOK_TEST_ENDPOINT"
	// APIKeyEnv and APISecretEnv hold the HTTP Basic credentials it accepts.
	APIKeyEnv    = "BYOK_TEST_API_KEY"
	APISecretEnv = "BYOK_TEST_API_SECRET"
	// ServerEnv says what answers there: ServerPrismProxy or ServerPrismMock.
	ServerEnv = "BYOK_TEST_SERVER"
)

// What answers at an Endpoint.
const (
	// ServerPrismProxy is `prism proxy --errors` in front of one byoktest
	// server shared by every test of the run: the state is real but shared,
	// so a test makes its own keys (unique key ARNs) and looks only at
	// those; a request or response that breaks the spec fails the run.
	ServerPrismProxy = "prism-proxy"
	// ServerPrismMock is `prism mock`: stateless, every answer is the
	// spec's example for the operation's success status.
	ServerPrismMock = "prism-mock"
)

// Endpoint is a BYOK API named by the environment.
type Endpoint struct {
	URL               string
	APIKey, APISecret string
	Server            string // ServerPrismProxy or ServerPrismMock
}

// ExternalEndpoint returns the API named by BYOK_TEST_ENDPOINT and its
// companions, and false when BYOK_TEST_ENDPOINT is not set: a suite then
// runs against its own fake, or skips its endpoint tests.
func ExternalEndpoint() (Endpoint, bool) {
	ep := Endpoint{
		URL:       os.Getenv(EndpointEnv),
		APIKey:    os.Getenv(APIKeyEnv),
		APISecret: os.Getenv(APISecretEnv),
		Server:    os.Getenv(ServerEnv),
	}
	return ep, ep.URL != ""
}

// Environ returns ep as environment entries (NAME=value) for a command.
func (ep Endpoint) Environ() []string {
	return []string{
		EndpointEnv + "=" + ep.URL,
		APIKeyEnv + "=" + ep.APIKey,
		APISecretEnv + "=" + ep.APISecret,
		ServerEnv + "=" + ep.Server,
	}
}
