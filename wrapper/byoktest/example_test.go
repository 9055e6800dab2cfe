package byoktest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// Example starts a fake BYOK server and talks to it with a plain net/http
// client. In a test, byoktest.NewServer(t) does the same in one line and
// closes the server when the test ends; here the Server made by New is served with
// net/http/httptest.
func Example() {
	h, err := byoktest.New()
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := `{"display_name":"billing","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/1234abcd"}}`
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/byok/v1/keys", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(h.APIKey(), h.APISecret())
	resp, err := srv.Client().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close() //nolint:errcheck // nothing to do about a failed close in an example
	fmt.Println(resp.Status)

	var created api.Key
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		log.Fatal(err)
	}
	fmt.Println(*created.Provider, *created.State, created.Validation.Phase)
	fmt.Println(resp.Header.Get("Location") == *created.Metadata.Self)
	fmt.Println(h.Len())
	// Output:
	// 201 Created
	// AWS AVAILABLE INITIALIZING
	// true
	// 1
}

// ExampleServer_Seed lists seeded keys with the generated client of
// package api, ten to a page by default.
func ExampleServer_Seed() {
	h, err := byoktest.New()
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	h.Seed(25)

	client, err := api.NewClientWithResponses(srv.URL, api.WithHTTPClient(srv.Client()),
		api.WithRequestEditorFn(func(_ context.Context, r *http.Request) error { h.Authorize(r); return nil }))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.ListByokV1KeysWithResponse(context.Background(), &api.ListByokV1KeysParams{})
	if err != nil {
		log.Fatal(err)
	}
	page := resp.JSON200
	fmt.Println(len(page.Data), *page.Metadata.TotalSize, page.Metadata.Next != nil)
	// Output: 10 25 true
}

// ExampleServer_FailNext makes the next create lose its answer after the
// key was made: the client sees a dropped connection, the key exists.
func ExampleServer_FailNext() {
	h, err := byoktest.New()
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	if err := h.FailNext(1, byoktest.FaultDropResponse, byoktest.OpCreate); err != nil {
		log.Fatal(err)
	}
	body := `{"key":{"kind":"GcpKey","key_id":"projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"}}`
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/byok/v1/keys", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	h.Authorize(req)
	resp, err := srv.Client().Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	fmt.Println(err != nil, h.Len(), h.Requests()[0].Fault)
	// Output: true 1 drop-response
}
