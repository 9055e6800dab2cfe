package contract_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/byokctl/byok/internal/contract"
)

// A response whose id is a number and whose required fields are missing:
// the violation names the operation, the status and each offending field.
func ExampleValidator_Check() {
	v, err := contract.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/byok/v1/keys/cck-1", nil)
	for _, err := range v.Check(context.Background(), contract.Exchange{
		Request:      req,
		Status:       http.StatusOK,
		Header:       http.Header{"Content-Type": {"application/json"}},
		ResponseBody: []byte(`{"api_version":"byok/v1","kind":"Key","id":7,"key":{"kind":"GcpKey","key_id":"k"}}`),
	}) {
		fmt.Println(err)
	}
	// Output:
	// contract: getByokV1Key GET /byok/v1/keys/cck-1 -> 200: the response violates the spec
	//     response body /id: value must be a string (got 7)
	//     response body /metadata: property "metadata" is missing
	//     response body /provider: property "provider" is missing
	//     response body /state: property "state" is missing
	//     response body /validation: property "validation" is missing
}

// Client-side use in a test: every exchange of the client is checked, and a
// violation fails the test.
func ExampleValidator_Transport() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errors":[{"status":"404","detail":"Key 'cck-9' was not found."}]}`))
	}))
	defer srv.Close()

	v, err := contract.New() // in a test: contract.ForTest(t)
	if err != nil {
		fmt.Println(err)
		return
	}
	client := &http.Client{Transport: v.Transport(printer{}, nil)} // in a test: v.Transport(t, nil)
	resp, err := client.Get(srv.URL + "/byok/v1/keys/cck-9")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = resp.Body.Close()
	fmt.Println(resp.StatusCode, v.Seen())
	// Output:
	// 404 map[getByokV1Key 404:1]
}

// printer reports violations on standard output, as testing.T would in the
// test log.
type printer struct{}

func (printer) Helper()                           {}
func (printer) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
