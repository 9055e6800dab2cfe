package wrapper_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/internal/contract/prism"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/openapi"
	"github.com/byokctl/byok/wrapper"
)

// The TestPrism* tests run the five operations through package wrapper
// against the API that `make prism` names in the environment (see
// contract.ExternalEndpoint and internal/contract/cmd/prismrun):
//
//   - prism-mock: Prism answers every request with the spec's example of the
//     response, whatever was asked, so the tests compare what the wrapper
//     decoded with the examples of openapi/byok-v1.yaml;
//   - prism-proxy: Prism checks every exchange with a byoktest server that
//     all the tests of the run share, so each test makes its own keys (key
//     ARNs and ids unique to the test and the moment), looks only at those
//     and deletes them.
//
// Every exchange also goes through our contract validator and Prism's
// report on the client side, so a violation fails the test that caused it,
// not only the run. Under plain `go test` they skip.

// prismAPI is a client of the API named by the environment.
type prismAPI struct {
	ep     contract.Endpoint
	mock   bool
	client *wrapper.Client
	// requests counts the requests the client sent.
	requests *atomic.Int64
}

// prismEndpoint returns the API named by the environment, or skips the test
// when there is none.
func prismEndpoint(t *testing.T) contract.Endpoint {
	t.Helper()
	ep, ok := contract.ExternalEndpoint()
	if !ok {
		t.Skipf("%s is not set: the TestPrism* tests run under `make prism`", contract.EndpointEnv)
	}
	if ep.Server != contract.ServerPrismMock && ep.Server != contract.ServerPrismProxy {
		t.Fatalf("%s is %q; expected %q or %q", contract.ServerEnv, ep.Server, contract.ServerPrismMock, contract.ServerPrismProxy)
	}
	return ep
}

// newPrismAPI returns a client of the API named by the environment, or skips
// the test when there is none. Its exchanges go through v (the contract
// validator) and Prism's report; it waits on a fake clock.
func newPrismAPI(t *testing.T, v *contract.Validator, opts ...wrapper.Option) *prismAPI {
	t.Helper()
	ep := prismEndpoint(t)
	return newPrismAPIWithSecret(t, v, ep.APISecret, opts...)
}

// newPrismAPIWithSecret is newPrismAPI with another API secret.
func newPrismAPIWithSecret(t *testing.T, v *contract.Validator, secret string, opts ...wrapper.Option) *prismAPI {
	t.Helper()
	ep := prismEndpoint(t)
	pa := &prismAPI{ep: ep, mock: ep.Server == contract.ServerPrismMock, requests: &atomic.Int64{}}
	transport := preferTransport(counting(pa.requests, v.Transport(t, prism.Transport(t, nil))))
	base := []wrapper.Option{
		wrapper.WithAPIKey(ep.APIKey, secret),
		wrapper.WithEndpoint(ep.URL),
		wrapper.WithHTTPClient(&http.Client{Transport: transport, Timeout: 10 * time.Second}),
		wrapper.WithClock(testkit.NewClock()),
	}
	c, err := wrapper.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	pa.client = c
	return pa
}

// prismContext bounds a test's calls.
func prismContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// create creates a key and, behind the proxy, deletes it when the test
// ends unless the test deleted it.
func (a *prismAPI) create(ctx context.Context, t *testing.T, req wrapper.CreateKeyRequest) *wrapper.Key {
	t.Helper()
	k, _, err := a.client.CreateKey(ctx, req)
	if err != nil {
		t.Fatalf("create %s: %v", req.Material.MaterialKind(), err)
	}
	if !a.mock {
		a.deleteAtEnd(t, k.ID)
	}
	return k
}

// deleteAtEnd deletes key id when the test ends; a key already gone is fine.
func (a *prismAPI) deleteAtEnd(t *testing.T, id string) {
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := a.client.DeleteKey(ctx, id); err != nil && !errors.Is(err, wrapper.ErrNotFound) {
			t.Errorf("cleaning up key %s: %v", id, err)
		}
	})
}

// prismVariant is a key of one provider to create behind the proxy.
type prismVariant struct {
	name     string
	provider wrapper.Provider
	material func(marker string) wrapper.KeyMaterial
	// region is the validation region the material implies; "" when the
	// server decides (Azure key URLs name no region).
	region string
}

func prismVariants() []prismVariant {
	return []prismVariant{
		{"aws", wrapper.ProviderAWS, func(m string) wrapper.KeyMaterial {
			return wrapper.AWSKey{KeyARN: "arn:aws:kms:eu-west-3:111122223333:key/" + m}
		}, "eu-west-3"},
		{"azure", wrapper.ProviderAzure, func(m string) wrapper.KeyMaterial {
			return wrapper.AzureKey{
				KeyID:      "https://kv-prism.vault.azure.net/keys/" + m,
				KeyVaultID: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-prism",
				TenantID:   "00000000-0000-0000-0000-000000000002",
			}
		}, ""},
		{"gcp", wrapper.ProviderGCP, func(m string) wrapper.KeyMaterial {
			return wrapper.GCPKey{KeyID: "projects/byok-prism/locations/asia-south1/keyRings/r/cryptoKeys/" + m}
		}, "asia-south1"},
	}
}

// TestPrismKeyLifecycle creates a key of each provider, waits for its
// validation, reads, renames, lists and deletes it.
func TestPrismKeyLifecycle(t *testing.T) {
	prismEndpoint(t)
	for _, variant := range prismVariants() {
		t.Run(variant.name, func(t *testing.T) {
			pa := newPrismAPI(t, validator(t))
			ctx := prismContext(t)
			marker := testkit.Marker(t)
			material := variant.material(marker)
			name := "prism " + marker

			created := pa.create(ctx, t, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: name}, Material: material})
			if created.ID == "" || created.Validation.Phase != wrapper.PhaseInitializing {
				t.Errorf("created key %q in phase %q; want an id and %s", created.ID, created.Validation.Phase, wrapper.PhaseInitializing)
			}
			assertServerSetFields(t, created)
			if pa.mock {
				assertSpecExample(t, *created, specResponseExample(t, "KeyCreated"))
			} else {
				assertCreatedAsSent(t, created, name, variant.provider, material)
			}
			id := created.ID
			if pa.mock {
				// The mock answers every read with its KeyFound example,
				// another key than the KeyCreated one: ask for that key,
				// as an answer about another key is an error.
				id = str(specResponseExample(t, "KeyFound"), "id")
			}

			checks := 0
			valid, err := pa.client.WaitForValidation(ctx, id, wrapper.WithProgress(func(wrapper.WaitProgress) { checks++ }))
			if err != nil {
				t.Fatalf("wait for %s: %v", id, err)
			}
			if valid.Validation.Phase != wrapper.PhaseValid || valid.Validation.Region == "" || checks != 1 {
				t.Errorf("waited %d checks for %s: phase %q, region %q; want one check, VALID, a region",
					checks, id, valid.Validation.Phase, valid.Validation.Region)
			}
			switch {
			case pa.mock:
				// The mock reads back its example, not the key it "created".
				assertSpecExample(t, *valid, specResponseExample(t, "KeyFound"))
			case valid.ID != id:
				t.Errorf("waited for %s, got %s", id, valid.ID)
			case variant.region != "" && valid.Validation.Region != variant.region:
				t.Errorf("validated in region %q; the key names %q", valid.Validation.Region, variant.region)
			}

			got, _, err := pa.client.GetKey(ctx, id)
			if err != nil {
				t.Fatalf("get %s: %v", id, err)
			}
			if pa.mock {
				assertSpecExample(t, *got, specResponseExample(t, "KeyFound"))
			} else if !reflect.DeepEqual(got, valid) {
				t.Errorf("get %s:\n%+v\nwant the key as the wait left it:\n%+v", id, got, valid)
			}

			renamed := name + " renamed"
			updated, _, err := pa.client.UpdateKey(ctx, id, wrapper.UpdateKeyRequest{DisplayName: renamed})
			if err != nil {
				t.Fatalf("update %s: %v", id, err)
			}
			if pa.mock {
				assertSpecExample(t, *updated, specResponseExample(t, "KeyFound"))
			} else {
				if updated.DisplayName != renamed || updated.ID != id || updated.Identifier() != (wrapper.Key{Material: material}).Identifier() {
					t.Errorf("updated key %s %q (%s); want %s %q (%s)", updated.ID, updated.DisplayName, updated.Identifier(), id, renamed, (wrapper.Key{Material: material}).Identifier())
				}
				if updated.Metadata.UpdatedAt.Before(created.Metadata.UpdatedAt) {
					t.Errorf("updated_at went back from %v to %v", created.Metadata.UpdatedAt, updated.Metadata.UpdatedAt)
				}
			}

			if !pa.mock {
				var ids []string
				for k, err := range pa.client.Keys(ctx, wrapper.ListKeysOptions{Key: marker, DisplayName: "renamed"}) {
					if err != nil {
						t.Fatalf("list: %v", err)
					}
					ids = append(ids, k.ID)
				}
				if !reflect.DeepEqual(ids, []string{id}) {
					t.Errorf("listed %v; want just %s", ids, id)
				}
			}

			if _, err := pa.client.DeleteKey(ctx, id); err != nil {
				t.Fatalf("delete %s: %v", id, err)
			}
			if pa.mock {
				return // the mock keeps no state: a read would find the example
			}
			_, _, err = pa.client.GetKey(ctx, id)
			assertStatus(t, err, http.StatusNotFound)
			assertStatus(t, deleteErr(pa.client.DeleteKey(ctx, id)), http.StatusNotFound)
		})
	}
}

// TestPrismListKeys lists with every filter, one page at a time and with
// the Keys iterator.
func TestPrismListKeys(t *testing.T) {
	pa := newPrismAPI(t, validator(t))
	ctx := prismContext(t)
	if pa.mock {
		listMock(ctx, t, pa)
		return
	}
	marker := testkit.Marker(t)
	aws := prismVariants()[0]
	gcp := prismVariants()[2]
	keys := []*wrapper.Key{
		pa.create(ctx, t, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: "billing " + marker}, Material: aws.material(marker + "-1")}),
		pa.create(ctx, t, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: "analytics " + marker}, Material: aws.material(marker + "-2")}),
		pa.create(ctx, t, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: "billing " + marker}, Material: gcp.material(marker + "-3")}),
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	// The first read of a key completes its validation: only the first key
	// is VALID; the others stay INITIALIZING.
	if _, _, err := pa.client.GetKey(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}

	page, _, err := pa.client.ListKeys(ctx, wrapper.ListKeysOptions{
		DisplayName: "billing", Provider: wrapper.ProviderAWS, State: wrapper.StateAvailable,
		ValidationPhase: wrapper.PhaseValid, ValidationRegion: aws.region, Key: marker, PageSize: 25,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := pageIDs(page); !reflect.DeepEqual(got, ids[:1]) || page.TotalSize != 1 || page.NextPageToken != "" {
		t.Errorf("filtered page %v (total %d, next %q); want just %s", got, page.TotalSize, page.NextPageToken, ids[0])
	}
	page, _, err = pa.client.ListKeys(ctx, wrapper.ListKeysOptions{ValidationPhase: wrapper.PhaseInitializing, Key: marker})
	if err != nil {
		t.Fatal(err)
	}
	if got := pageIDs(page); !reflect.DeepEqual(got, ids[1:]) {
		t.Errorf("keys INITIALIZING %v; want %v", got, ids[1:])
	}
	page, _, err = pa.client.ListKeys(ctx, wrapper.ListKeysOptions{Key: marker, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := pageIDs(page); !reflect.DeepEqual(got, ids[:1]) || page.TotalSize != 3 || page.NextPageToken == "" {
		t.Errorf("first page of one %v (total %d, next %q); want %s, 3 and a token", got, page.TotalSize, page.NextPageToken, ids[0])
	}

	before := pa.requests.Load()
	var listed []string
	for k, err := range pa.client.Keys(ctx, wrapper.ListKeysOptions{Key: marker, PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, k.ID)
	}
	if !reflect.DeepEqual(listed, ids) {
		t.Errorf("Keys listed %v; want %v, in the order of creation", listed, ids)
	}
	// One page per key; the server knows the third page is the last.
	if n := pa.requests.Load() - before; n != 3 {
		t.Errorf("Keys made %d requests for 3 keys in pages of 1; want 3", n)
	}
}

// listMock lists from the mock, which answers every listing with the
// example page: one key and a next link whose token it never changes.
func listMock(ctx context.Context, t *testing.T, pa *prismAPI) {
	t.Helper()
	example := specResponseExample(t, "KeyListPage")
	data, _ := example["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("the example page has %d keys; this test expects 1", len(data))
	}
	exampleKey, _ := data[0].(map[string]any)
	meta := obj(example, "metadata")
	next, err := url.Parse(str(meta, "next"))
	if err != nil || next.Query().Get("page_token") == "" {
		t.Fatalf("the example page's next link %q has no page_token", str(meta, "next"))
	}
	token := next.Query().Get("page_token")

	page, _, err := pa.client.ListKeys(ctx, wrapper.ListKeysOptions{
		DisplayName: "billing", Provider: wrapper.ProviderAWS, State: wrapper.StateInUse,
		ValidationPhase: wrapper.PhaseValid, ValidationRegion: "us-west-2", Key: "1234abcd", PageSize: 25,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != 1 || page.NextPageToken != token || float64(page.TotalSize) != meta["total_size"] {
		t.Fatalf("page of %d keys, next %q, total %d; want the example's 1, %q, %v", len(page.Keys), page.NextPageToken, page.TotalSize, token, meta["total_size"])
	}
	assertSpecExample(t, page.Keys[0], exampleKey)

	// Keys follows the next link, gets the same page with the same token,
	// and stops there instead of looping: the example key twice, then
	// an error saying the token came again, after two requests.
	before := pa.requests.Load()
	var ids []string
	var last error
	for k, err := range pa.client.Keys(ctx, wrapper.ListKeysOptions{Provider: wrapper.ProviderAWS}) {
		if err != nil {
			last = err
			continue
		}
		ids = append(ids, k.ID)
	}
	want := []string{str(exampleKey, "id"), str(exampleKey, "id")}
	if !reflect.DeepEqual(ids, want) || last == nil || !strings.Contains(last.Error(), "again") {
		t.Errorf("Keys gave %v and %v; want %v and an error saying the page token came again", ids, last, want)
	}
	if n := pa.requests.Load() - before; n != 2 {
		t.Errorf("Keys made %d requests; want 2", n)
	}
}

// TestPrismErrors meets the documented errors: behind the proxy those that
// a request the spec accepts can meet at byoktest; from the mock, every
// documented error of every operation, asked for with Prism's Prefer
// header, decoded as the spec's example says.
func TestPrismErrors(t *testing.T) {
	if prismEndpoint(t).Server == contract.ServerPrismMock {
		errorsFromMock(t)
		return
	}
	pa := newPrismAPI(t, validator(t), wrapper.WithoutRetries())
	ctx := prismContext(t)
	marker := testkit.Marker(t)
	req := wrapper.CreateKeyRequest{Material: prismVariants()[0].material(marker)}
	pa.create(ctx, t, req)
	_, _, err := pa.client.CreateKey(ctx, req)
	if apiErr := assertAPIError(t, err, http.StatusConflict); apiErr != nil && !strings.Contains(apiErr.Error(), marker) {
		t.Errorf("the conflict does not name the key ARN: %v", apiErr)
	}

	missing := "cck-" + marker
	_, _, err = pa.client.GetKey(ctx, missing)
	assertStatus(t, err, http.StatusNotFound)
	_, _, err = pa.client.UpdateKey(ctx, missing, wrapper.UpdateKeyRequest{DisplayName: "x"})
	assertStatus(t, err, http.StatusNotFound)
	assertStatus(t, deleteErr(pa.client.DeleteKey(ctx, missing)), http.StatusNotFound)

	// A page token the server did not make: a string the spec accepts,
	// which only the server can refuse.
	_, _, err = pa.client.ListKeys(ctx, wrapper.ListKeysOptions{PageToken: "not-a-token-" + marker})
	if apiErr := assertAPIError(t, err, http.StatusBadRequest); apiErr != nil {
		if len(apiErr.Errors) == 0 || apiErr.Errors[0].Source.Parameter != "page_token" {
			t.Errorf("the 400 does not point at page_token: %+v", apiErr.Errors)
		}
	}

	// Prism checks that credentials are there, not that they are right:
	// wrong ones reach byoktest, which refuses them.
	wrong := newPrismAPIWithSecret(t, validator(t), testSecret, wrapper.WithoutRetries())
	_, _, err = wrong.client.ListKeys(ctx, wrapper.ListKeysOptions{})
	if apiErr := assertAPIError(t, err, http.StatusUnauthorized); apiErr != nil && apiErr.Header.Get("WWW-Authenticate") == "" {
		t.Error("the 401 has no WWW-Authenticate header")
	}
	if err != nil && strings.Contains(err.Error(), testSecret) {
		t.Errorf("the error shows the secret: %v", err)
	}
}

// errorsFromMock asks the mock for every documented error of every
// operation and checks that the wrapper keeps all of the spec's example.
func errorsFromMock(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	// These answers come from the spec's examples, not from our fake or a
	// real server: they are checked, but not counted in the coverage of
	// `make contract`, which must show that byoktest answers every pair.
	v, err := contract.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range operations {
		specPath := "/byok/v1/keys"
		if op.path != specPath {
			specPath += "/{id}"
		}
		for _, status := range op.statuses {
			t.Run(fmt.Sprintf("%s %d", op.name, status), func(t *testing.T) {
				response := doc.Paths.Find(specPath).GetOperation(op.method).Responses.Status(status)
				if response == nil || response.Value == nil {
					t.Fatalf("the spec documents no %d for %s %s", status, op.method, specPath)
				}
				example := generic(t, mustJSON(t, response.Value.Content.Get("application/json").Example))
				pa := newPrismAPI(t, v, wrapper.WithoutRetries())
				ctx := withPreferredCode(prismContext(t), status)
				apiErr := assertAPIError(t, op.call(ctx, pa.client), status)
				if apiErr == nil {
					return
				}
				if got := generic(t, mustJSON(t, map[string]any{"errors": apiErr.Errors})); !reflect.DeepEqual(got, example) {
					t.Errorf("error details\n%v\nwant the spec's example\n%v", got, example)
				}
				if apiErr.Method != op.method || apiErr.Path != op.path {
					t.Errorf("the error names %s %s; want %s %s", apiErr.Method, apiErr.Path, op.method, op.path)
				}
			})
		}
	}
}

// assertAPIError checks that err is an *APIError of status that matches
// its sentinel and keeps the server's error details, and returns it (nil
// when it is not).
func assertAPIError(t *testing.T, err error, status int) *wrapper.APIError {
	t.Helper()
	var apiErr *wrapper.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("got %v; want an *APIError %d", err, status)
		return nil
	}
	if apiErr.StatusCode != status || !errors.Is(err, sentinelOf(status)) {
		t.Errorf("got %v; want %d (%v)", err, status, sentinelOf(status))
	}
	if len(apiErr.Errors) == 0 || apiErr.RequestID == "" {
		t.Errorf("the %d lost what the server said: details %+v, request id %q", status, apiErr.Errors, apiErr.RequestID)
	}
	return apiErr
}

// assertStatus is assertAPIError when the details need no more checks.
func assertStatus(t *testing.T, err error, status int) {
	t.Helper()
	_ = assertAPIError(t, err, status)
}

// assertServerSetFields checks that the server filled in what the user must
// grant access to.
func assertServerSetFields(t *testing.T, k *wrapper.Key) {
	t.Helper()
	switch m := k.Material.(type) {
	case wrapper.AWSKey:
		if len(m.Roles) == 0 {
			t.Errorf("AWS key %s has no roles", k.ID)
		}
	case wrapper.AzureKey:
		if m.ApplicationID == "" {
			t.Errorf("Azure key %s has no application id", k.ID)
		}
	case wrapper.GCPKey:
		if m.SecurityGroup == "" {
			t.Errorf("GCP key %s has no security group", k.ID)
		}
	default:
		t.Errorf("key %s has material %T", k.ID, k.Material)
	}
}

// assertCreatedAsSent checks a key created behind the proxy against what was
// sent.
func assertCreatedAsSent(t *testing.T, k *wrapper.Key, name string, provider wrapper.Provider, sent wrapper.KeyMaterial) {
	t.Helper()
	if k.DisplayName != name || k.Provider != provider || k.State != wrapper.StateAvailable || k.Material.MaterialKind() != sent.MaterialKind() {
		t.Errorf("created %q, %s, %s, %s; want %q, %s, %s, %s",
			k.DisplayName, k.Provider, k.State, k.Material.MaterialKind(), name, provider, wrapper.StateAvailable, sent.MaterialKind())
	}
	if got := withoutServerFields(k.Material); !reflect.DeepEqual(got, sent) {
		t.Errorf("created key material %+v; want %+v as sent", got, sent)
	}
}

// withoutServerFields returns m without the fields the server sets, and
// without its Kind, which a request leaves to the library.
func withoutServerFields(m wrapper.KeyMaterial) wrapper.KeyMaterial {
	switch m := m.(type) {
	case wrapper.AWSKey:
		m.Roles, m.Kind = nil, ""
		return m
	case wrapper.AzureKey:
		m.ApplicationID, m.Kind = "", ""
		return m
	case wrapper.GCPKey:
		m.SecurityGroup, m.Kind = "", ""
		return m
	}
	return m
}

// assertSpecExample checks k, as the wrapper decoded it, against example, a
// key of the spec as plain JSON: its main fields one by one, then the whole
// key in the API's JSON form (Key.MarshalJSON).
func assertSpecExample(t *testing.T, k wrapper.Key, example map[string]any) {
	t.Helper()
	for _, c := range []struct{ field, got string }{
		{"id", k.ID},
		{"display_name", k.DisplayName},
		{"provider", string(k.Provider)},
		{"state", string(k.State)},
	} {
		if want := str(example, c.field); want == "" || c.got != want {
			t.Errorf("%s is %q; the spec's example says %q", c.field, c.got, want)
		}
	}
	if want := str(obj(example, "validation"), "phase"); string(k.Validation.Phase) != want {
		t.Errorf("validation.phase is %q; the spec's example says %q", k.Validation.Phase, want)
	}
	if want := str(obj(example, "key"), "kind"); k.Material.MaterialKind() != want {
		t.Errorf("key.kind is %q; the spec's example says %q", k.Material.MaterialKind(), want)
	}
	if got := generic(t, mustJSON(t, k)); !reflect.DeepEqual(got, example) {
		t.Errorf("key %s in the API's JSON form:\n%v\nthe spec's example:\n%v", k.ID, got, example)
	}
}

// specResponseExample returns the example of the named response of the
// spec (components.responses) as plain JSON values.
func specResponseExample(t *testing.T, name string) map[string]any {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Components.Responses[name]
	if r == nil || r.Value == nil || r.Value.Content.Get("application/json") == nil {
		t.Fatalf("the spec has no JSON response %s", name)
	}
	ex := r.Value.Content.Get("application/json").Example
	if ex == nil {
		t.Fatalf("the spec's response %s has no example", name)
	}
	return generic(t, mustJSON(t, ex))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pageIDs(p *wrapper.KeyPage) []string {
	ids := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		ids[i] = k.ID
	}
	return ids
}

// preferKey is the context key of the status asked of Prism's mock.
type preferKey struct{}

// withPreferredCode asks Prism's mock to answer the requests made with ctx
// with its example of status (Prism's "Prefer: code=" header).
func withPreferredCode(ctx context.Context, status int) context.Context {
	return context.WithValue(ctx, preferKey{}, status)
}

// preferTransport sets the Prefer header a context asks for.
func preferTransport(base http.RoundTripper) http.RoundTripper {
	return prismRoundTrip(func(req *http.Request) (*http.Response, error) {
		if status, ok := req.Context().Value(preferKey{}).(int); ok {
			req = req.Clone(req.Context())
			req.Header.Set("Prefer", fmt.Sprintf("code=%d", status))
		}
		return base.RoundTrip(req)
	})
}

// counting counts the requests sent through base.
func counting(n *atomic.Int64, base http.RoundTripper) http.RoundTripper {
	return prismRoundTrip(func(req *http.Request) (*http.Response, error) {
		n.Add(1)
		return base.RoundTrip(req)
	})
}

type prismRoundTrip func(*http.Request) (*http.Response, error)

func (f prismRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// deleteErr returns the error of a DeleteKey.
func deleteErr(_ *wrapper.Response, err error) error { return err }
