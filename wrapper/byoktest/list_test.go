package byoktest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// listAll follows metadata.next from path to the last page (at most
// maxPages pages) and returns the ids in the order seen and the pages.
func listAll(t *testing.T, srv *byoktest.Server, path string, maxPages int) ([]string, []api.KeyList) {
	t.Helper()
	var (
		ids   []string
		pages []api.KeyList
	)
	for range maxPages {
		resp, b := call(t, srv, http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, b)
		page := decode[api.KeyList](t, b)
		pages = append(pages, page)
		for _, k := range page.Data {
			ids = append(ids, k.ID)
		}
		if page.Metadata.Next == "" {
			return ids, pages
		}
		require.Truef(t, strings.HasPrefix(page.Metadata.Next, srv.URL()+"/byok/v1/keys?"), "next link %s", page.Metadata.Next)
		path = strings.TrimPrefix(page.Metadata.Next, srv.URL())
	}
	t.Fatalf("listing did not end within %d pages", maxPages)
	return nil, nil
}

func TestListPagesInCreationOrder(t *testing.T) {
	srv, _ := validated(t)
	want := srv.Seed(23)
	ids, pages := listAll(t, srv, "/byok/v1/keys", 10)
	assert.Equal(t, want, ids)
	require.Len(t, pages, 3, "default page size 10")
	for i, p := range pages {
		assert.Equal(t, int32(23), p.Metadata.TotalSize)
		assert.Equal(t, srv.URL()+"/byok/v1/keys", p.Metadata.First)
		assert.Equal(t, i < 2, p.Metadata.Next != "", "next is absent on the last page only")
	}
	assert.Len(t, pages[2].Data, 3)

	ids, pages = listAll(t, srv, "/byok/v1/keys?page_size=100", 2)
	assert.Equal(t, want, ids)
	assert.Len(t, pages, 1)

	ids, pages = listAll(t, srv, "/byok/v1/keys?page_size=1&provider=GCP", 20)
	assert.Len(t, ids, 7)
	assert.Contains(t, pages[0].Metadata.Next, "provider=GCP", "the next link keeps the filters")
	assert.Contains(t, pages[0].Metadata.Next, "page_size=1")
	assert.Equal(t, srv.URL()+"/byok/v1/keys?page_size=1&provider=GCP", pages[0].Metadata.First)
}

func TestListOfNothing(t *testing.T) {
	srv, _ := validated(t)
	resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := decode[api.KeyList](t, b)
	assert.Empty(t, page.Data)
	assert.NotNil(t, page.Data, "data is [] rather than null")
	assert.Equal(t, int32(0), page.Metadata.TotalSize)
	assert.Empty(t, page.Metadata.Next)
}

func TestListFilters(t *testing.T) {
	srv, _ := validated(t, byoktest.WithInvalidKeys(func(m string) bool { return strings.Contains(m, "denied") }, ""))
	aws := createKey(t, srv, awsBody)     // "billing", us-west-2
	azure := createKey(t, srv, azureBody) // "analytics", eastus
	gcp := createKey(t, srv, gcpBody)     // "logs", us-central1
	bad := createKey(t, srv, `{"display_name":"Billing backup","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:eu-west-1:1:key/denied"}}`)
	pending := createKey(t, srv, `{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/pending"}}`)
	for _, id := range []string{aws, azure, gcp, bad} { // complete their validation
		resp, _ := call(t, srv, http.MethodGet, "/byok/v1/keys/"+id, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	require.NoError(t, srv.SetState(gcp, api.KeyStateINUSE))

	for query, want := range map[string][]string{
		"":                                    {aws, azure, gcp, bad, pending},
		"display_name=illing":                 {aws, bad}, // partial
		"display_name=billing":                {aws},      // case-sensitive
		"display_name=Billing":                {bad},      // case-sensitive
		"display_name=nothing":                {},
		"provider=AWS":                        {aws, bad, pending},
		"provider=aws":                        {}, // exact
		"provider=Azure":                      {azure},
		"state=IN_USE":                        {gcp},
		"state=AVAILABLE":                     {aws, azure, bad, pending},
		"validation_phase=VALID":              {aws, azure, gcp},
		"validation_phase=INVALID":            {bad},
		"validation_phase=INITIALIZING":       {pending},
		"validation_region=us-west-2":         {aws}, // pending has no region yet
		"validation_region=eastus":            {azure},
		"validation_region=us-central1":       {gcp},
		"validation_region=eu-west-1":         {}, // bad is INVALID: no region
		"validation_region=us-west":           {}, // exact
		"key=vault-name":                      {azure},
		"key=keyRings/r":                      {gcp},
		"key=arn:aws:kms":                     {aws, bad, pending},
		"provider=AWS&validation_phase=VALID": {aws},
		"provider=":                           {aws, azure, gcp, bad, pending}, // empty filters nothing
	} {
		t.Run(query, func(t *testing.T) {
			ids, pages := listAll(t, srv, "/byok/v1/keys?"+query, 5)
			if len(want) == 0 {
				assert.Empty(t, ids)
			} else {
				assert.Equal(t, want, ids)
			}
			assert.Equal(t, int32(len(want)), pages[0].Metadata.TotalSize)
		})
	}
}

func TestListRefusesBadPaging(t *testing.T) {
	srv, _ := validated(t)
	srv.Seed(3)
	resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys?page_size=1", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	next, err := url.Parse(decode[api.KeyList](t, b).Metadata.Next)
	require.NoError(t, err)
	token := next.Query().Get("page_token")
	require.NotEmpty(t, token)

	for query, param := range map[string]string{
		"page_size=0":                               "page_size",
		"page_size=101":                             "page_size",
		"page_size=-1":                              "page_size",
		"page_size=ten":                             "page_size",
		"page_size=":                                "page_size",
		"page_token=abc":                            "page_token",
		"page_token=" + token[:len(token)-2]:        "page_token",
		"page_token=" + strings.Repeat("A", 300):    "page_token",
		"page_token=" + url.QueryEscape(token+"=="): "page_token",
	} {
		resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys?"+query, "")
		if !assert.Equalf(t, http.StatusBadRequest, resp.StatusCode, "%s: %s", query, b) {
			continue
		}
		e := decode[api.Failure](t, b).Errors[0]
		assert.Equalf(t, param, e.Source.Parameter, "%s", query)
	}

	other := byoktest.NewServer(t)
	resp, _ = call(t, other, http.MethodGet, "/byok/v1/keys?page_token="+token, "")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a token from another server")
	resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys?page_token="+token, "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the token itself")
}

// TestListExactlyOnceUnderChurn pages through the keys while other
// goroutines create and delete keys: every key present for the whole
// listing is seen exactly once, and no key twice.
func TestListExactlyOnceUnderChurn(t *testing.T) {
	srv, _ := validated(t)
	stable := srv.Seed(300)
	churn := srv.Seed(100) // deleted while listing
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range 150 {
				select {
				case <-done:
					return
				default:
				}
				if i%2 == 0 && i/2*2+g < len(churn) {
					code, err := status(srv, http.MethodDelete, "/byok/v1/keys/"+churn[i/2*2+g], "")
					assert.NoError(t, err)
					assert.Equal(t, http.StatusNoContent, code)
					continue
				}
				body := fmt.Sprintf(`{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/churn-%d-%d"}}`, g, i)
				code, err := status(srv, http.MethodPost, "/byok/v1/keys", body)
				assert.NoError(t, err)
				assert.Equal(t, http.StatusCreated, code)
			}
		})
	}
	ids, _ := listAll(t, srv, "/byok/v1/keys?page_size=7", 200)
	close(done)
	wg.Wait()

	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	for id, n := range seen {
		assert.Equalf(t, 1, n, "key %s seen %d times", id, n)
	}
	for _, id := range stable {
		assert.Equalf(t, 1, seen[id], "stable key %s", id)
	}
}
