package prism

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePrism answers as Prism does: clean, with a violations header, or
// with its own problem answer, according to the path.
func fakePrism() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/byok/v1/keys/wrong":
			w.Header().Set(ViolationsHeader, wrongType)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":7}`)
		case "/byok/v1/keys":
			if r.URL.Query().Get("page_size") == "0" {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = io.WriteString(w, refused)
				return
			}
			fallthrough
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	})
}

func TestRecorder(t *testing.T) {
	upstream := httptest.NewServer(fakePrism())
	defer upstream.Close()
	target, err := url.Parse(upstream.URL)
	require.NoError(t, err)
	rec := NewRecorder(target)
	front := httptest.NewServer(rec)
	defer front.Close()

	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(front.URL + fmt.Sprintf("/byok/v1/keys/cck-%d", i))
			if assert.NoError(t, err) {
				b, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				assert.JSONEq(t, `{"ok":true}`, string(b), "the body goes through whole")
			}
		}()
	}
	wg.Wait()
	for _, path := range []string{"/byok/v1/keys/wrong", "/byok/v1/keys?page_size=0"} {
		resp, err := http.Get(front.URL + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}

	assert.Equal(t, 6, rec.Exchanges())
	flagged := rec.Flagged()
	require.Len(t, flagged, 2)
	assert.Equal(t, "GET /byok/v1/keys/wrong -> 200:\n    error at response.body.id: Response body property id must be string", flagged[0].String())
	assert.Equal(t, "GET /byok/v1/keys -> 422:\n    error at query.page_size: Request query parameter page_size must be >= 1", flagged[1].String())
}

func TestTransport(t *testing.T) {
	srv := httptest.NewServer(fakePrism())
	defer srv.Close()
	r := &testkit.Reporter{}
	client := &http.Client{Transport: Transport(r, nil)}
	for _, path := range []string{"/byok/v1/keys/cck-1", "/byok/v1/keys/wrong"} {
		resp, err := client.Get(srv.URL + path)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.NotEmpty(t, b)
	}
	assert.Equal(t, []string{"prism: GET /byok/v1/keys/wrong -> 200:\n    error at response.body.id: Response body property id must be string"}, r.Messages())
}
