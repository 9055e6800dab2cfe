package byoktest_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper/byoktest"
)

func getKey(t *testing.T, srv *byoktest.Server, id string) api.Key {
	t.Helper()
	resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys/"+id, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	return decode[api.Key](t, b)
}

func TestValidationAfterReads(t *testing.T) {
	clk := testkit.NewClock()
	srv, _ := validated(t, byoktest.WithClock(clk.Now), byoktest.WithValidation(byoktest.Validation{Reads: 3}))
	id := createKey(t, srv, awsBody)
	for range 2 {
		clk.Advance(time.Second)
		k := getKey(t, srv, id)
		assert.Equal(t, byoktest.PhaseInitializing, k.Validation.Phase)
		assert.Nil(t, k.Validation.Region)
		assert.Equal(t, *k.Metadata.CreatedAt, k.Validation.Since)
	}
	clk.Advance(time.Second)
	k := getKey(t, srv, id)
	assert.Equal(t, byoktest.PhaseValid, k.Validation.Phase, "the third read completes")
	assert.Equal(t, clk.Now(), k.Validation.Since)
	assert.Equal(t, "us-west-2", *k.Validation.Region)
	snap, _ := srv.Key(id)
	assert.Equal(t, byoktest.PhaseValid, snap.Validation.Phase)
}

func TestValidationAfterDelay(t *testing.T) {
	clk := testkit.NewClock()
	srv, _ := validated(t, byoktest.WithClock(clk.Now), byoktest.WithValidation(byoktest.Validation{Delay: time.Minute, AzureRegion: "westeurope"}))
	id := createKey(t, srv, azureBody)
	assert.Equal(t, byoktest.PhaseInitializing, getKey(t, srv, id).Validation.Phase)
	clk.Advance(59 * time.Second)
	assert.Equal(t, byoktest.PhaseInitializing, getKey(t, srv, id).Validation.Phase)
	ids, _ := listAll(t, srv, "/byok/v1/keys?validation_phase=VALID", 2)
	assert.Empty(t, ids)
	clk.Advance(time.Second)
	k := getKey(t, srv, id)
	assert.Equal(t, byoktest.PhaseValid, k.Validation.Phase)
	assert.Equal(t, clk.Now(), k.Validation.Since)
	assert.Equal(t, "westeurope", *k.Validation.Region)
	ids, _ = listAll(t, srv, "/byok/v1/keys?validation_phase=VALID", 2)
	assert.Equal(t, []string{id}, ids, "the filter follows the clock")
	ids, _ = listAll(t, srv, "/byok/v1/keys?validation_region=westeurope", 2)
	assert.Equal(t, []string{id}, ids)
}

func TestValidationImmediateAndInvalid(t *testing.T) {
	srv, _ := validated(t, byoktest.WithValidation(byoktest.Validation{}),
		byoktest.WithInvalidKeys(func(m string) bool { return strings.HasSuffix(m, "/denied") }, "Access to key denied by the key policy."))
	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", gcpBody)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	k := decode[api.Key](t, b)
	assert.Equal(t, byoktest.PhaseValid, k.Validation.Phase, "no reads and no delay: valid at creation")
	assert.Equal(t, "us-central1", *k.Validation.Region)
	gcp, err := k.Key.AsGcpKey()
	require.NoError(t, err)
	assert.NotEmpty(t, *gcp.SecurityGroup)

	bad := createKey(t, srv, `{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-east-1:1:key/denied"}}`)
	k = getKey(t, srv, bad)
	assert.Equal(t, byoktest.PhaseInvalid, k.Validation.Phase)
	assert.Equal(t, "Access to key denied by the key policy.", *k.Validation.Message)
	assert.Nil(t, k.Validation.Region)

	noRegion := createKey(t, srv, `{"key":{"kind":"AwsKey","key_arn":"not-an-arn"}}`)
	k = getKey(t, srv, noRegion)
	assert.Equal(t, byoktest.PhaseInvalid, k.Validation.Phase)
	assert.Contains(t, *k.Validation.Message, "key_arn")
}

func TestSetStateAndValidation(t *testing.T) {
	clk := testkit.NewClock()
	srv, _ := validated(t, byoktest.WithClock(clk.Now), byoktest.WithValidation(byoktest.Validation{Reads: 100}))
	id := createKey(t, srv, awsBody)
	require.NoError(t, srv.SetState(id, "RETIRING"))
	clk.Advance(time.Minute)
	require.NoError(t, srv.SetValidation(id, byoktest.PhaseInvalid, "Key disabled."))
	k := getKey(t, srv, id)
	assert.Equal(t, "RETIRING", *k.State, "states are extensible")
	assert.Equal(t, byoktest.PhaseInvalid, k.Validation.Phase)
	assert.Equal(t, "Key disabled.", *k.Validation.Message)
	assert.Equal(t, clk.Now(), k.Validation.Since)
	require.NoError(t, srv.SetValidation(id, byoktest.PhaseValid, ""))
	k = getKey(t, srv, id)
	assert.Equal(t, "us-west-2", *k.Validation.Region)
	assert.Nil(t, k.Validation.Message)

	assert.Error(t, srv.SetState("cck-none", byoktest.StateInUse))
	assert.Error(t, srv.SetState(id, ""))
	assert.Error(t, srv.SetValidation("cck-none", byoktest.PhaseValid, ""))
	assert.Error(t, srv.SetValidation(id, "", ""))
}

func TestRateLimit(t *testing.T) {
	clk := testkit.NewClock()
	srv, _ := validated(t, byoktest.WithClock(clk.Now), byoktest.WithRateLimit(3, 10*time.Second))
	for i := range 3 {
		resp, _ := call(t, srv, http.MethodGet, "/byok/v1/keys", "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "3", resp.Header.Get("X-RateLimit-Limit"))
		assert.Equal(t, []string{"2", "1", "0"}[i], resp.Header.Get("X-RateLimit-Remaining"))
		assert.Equal(t, "10", resp.Header.Get("X-RateLimit-Reset"))
	}
	clk.Advance(7500 * time.Millisecond)
	resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys", "")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "%s", b)
	assert.Equal(t, "3", resp.Header.Get("Retry-After"))
	assert.Equal(t, "3", resp.Header.Get("X-RateLimit-Reset"), "whole seconds, rounded up, as published")
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))

	resp, _ = send(t, srv, http.MethodGet, "/byok/v1/keys", "", noAuth)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "authentication comes first")
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))

	clk.Advance(2500 * time.Millisecond)
	resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a new window")
	assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Remaining"))
}

func TestRequestLog(t *testing.T) {
	srv := byoktest.NewServer(t, byoktest.WithRequestLog(3))
	for _, p := range []string{"/byok/v1/keys?page_size=1", "/byok/v1/keys/cck-a", "/byok/v1/keys/cck-b", "/byok/v1/keys/cck%2Dc"} {
		code, err := status(srv, http.MethodGet, p, "")
		require.NoError(t, err)
		require.NotZero(t, code)
	}
	log := srv.Requests()
	require.Len(t, log, 3, "bounded")
	assert.Equal(t, "/byok/v1/keys/cck-a", log[0].Path)
	assert.Equal(t, byoktest.OpGet, log[0].Operation)
	assert.Equal(t, http.StatusNotFound, log[0].Status)
	assert.Equal(t, "/byok/v1/keys/cck-c", log[2].Path)
	assert.NotEmpty(t, log[2].ID)
	srv.ClearRequests()
	assert.Empty(t, srv.Requests())
	code, err := status(srv, http.MethodGet, "/byok/v1/keys?page_size=2&provider=AWS", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	log = srv.Requests()
	require.Len(t, log, 1)
	assert.Equal(t, "page_size=2&provider=AWS", log[0].Query)
	assert.Equal(t, byoktest.OpList, log[0].Operation)

	off := byoktest.NewServer(t, byoktest.WithRequestLog(0))
	_, err = status(off, http.MethodGet, "/byok/v1/keys", "")
	require.NoError(t, err)
	assert.Empty(t, off.Requests())
}

func TestPersistenceRoundTrip(t *testing.T) {
	clk := testkit.NewClock()
	path := filepath.Join(t.TempDir(), "keys.json")
	opts := []byoktest.Option{byoktest.WithDataFile(path), byoktest.WithClock(clk.Now), byoktest.WithValidation(byoktest.Validation{Reads: 2})}
	srv := byoktest.NewServer(t, opts...)
	aws := createKey(t, srv, awsBody)
	azure := createKey(t, srv, azureBody)
	gone := createKey(t, srv, gcpBody)
	getKey(t, srv, aws) // one of the two reads
	require.NoError(t, srv.SetState(azure, byoktest.StateInUse))
	resp, _ := call(t, srv, http.MethodPatch, "/byok/v1/keys/"+azure, `{"display_name":"renamed"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = call(t, srv, http.MethodDelete, "/byok/v1/keys/"+gone, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	_, pages := listAll(t, srv, "/byok/v1/keys?page_size=1", 1+1)
	token := *pages[0].Metadata.Next
	want := srv.Keys()
	require.NoError(t, srv.Close())

	assert.Equal(t, []string{"keys.json"}, dataDirEntries(t, filepath.Dir(path)), "no temporary file is left behind")

	again := byoktest.NewServer(t, opts...)
	got := again.Keys()
	require.Len(t, got, 2)
	for i := range got {
		// The links name the new server; everything else is kept.
		got[i].Metadata.Self, want[i].Metadata.Self = nil, nil
	}
	assert.Equal(t, want, got)
	assert.Equal(t, byoktest.PhaseValid, getKey(t, again, aws).Validation.Phase, "the read count was kept")

	// Page tokens of the first server still work, and ids are not reused.
	u := strings.Replace(token, srv.URL(), again.URL(), 1)
	resp, b := call(t, again, http.MethodGet, strings.TrimPrefix(u, again.URL()), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Equal(t, azure, *decode[api.KeyList](t, b).Data[0].Id)
	id := createKey(t, again, gcpBody)
	ids, _ := listAll(t, again, "/byok/v1/keys", 2)
	assert.Equal(t, []string{aws, azure, id}, ids, "new keys come last")
}

func TestPersistenceRefusesABadFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not json":      `{"version":`,
		"other version": `{"version":99,"keys":[]}`,
		"duplicate id":  `{"version":1,"keys":[{"seq":1,"id":"cck-1","key":{"kind":"GcpKey","key_id":"a"}},{"seq":2,"id":"cck-1","key":{"kind":"GcpKey","key_id":"b"}}]}`,
		"no kind":       `{"version":1,"keys":[{"seq":1,"id":"cck-1","key":{"key_id":"a"}}]}`,
		"no material":   `{"version":1,"keys":[{"seq":1,"id":"cck-1","key":{"kind":"AwsKey"}}]}`,
		// Two keys with one seq, or a seq the next key cannot follow, make
		// paged listings skip keys.
		"duplicate seq":              `{"version":1,"keys":[{"seq":1,"id":"cck-1","key":{"kind":"GcpKey","key_id":"a"}},{"seq":1,"id":"cck-2","key":{"kind":"GcpKey","key_id":"b"}}]}`,
		"seqs out of order":          `{"version":1,"keys":[{"seq":2,"id":"cck-1","key":{"kind":"GcpKey","key_id":"a"}},{"seq":1,"id":"cck-2","key":{"kind":"GcpKey","key_id":"b"}}]}`,
		"zero seq":                   `{"version":1,"keys":[{"seq":0,"id":"cck-1","key":{"kind":"GcpKey","key_id":"a"}}]}`,
		"largest seq":                `{"version":1,"keys":[{"seq":18446744073709551615,"id":"cck-1","key":{"kind":"GcpKey","key_id":"a"}}]}`,
		"largest next_seq":           `{"version":1,"next_seq":18446744073709551615,"keys":[]}`,
		"next_seq not past the keys": `{"version":1,"next_seq":1,"keys":[{"seq":1,"id":"cck-1","key":{"kind":"GcpKey","key_id":"a"}}]}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, err := newHandler(t, byoktest.WithDataFile(path))
		assert.Errorf(t, err, "%s", name)
		if err != nil {
			assert.Containsf(t, err.Error(), path, "%s: the error names the file", name)
		}
	}
	h, err := newHandler(t, byoktest.WithDataFile(filepath.Join(dir, "new.json")))
	require.NoError(t, err, "a missing file is an empty store")
	assert.Zero(t, h.Len())
}

func TestAddKeyAndSeed(t *testing.T) {
	clk := testkit.NewClock()
	srv, _ := validated(t, byoktest.WithClock(clk.Now))
	k := awsKey(t, "cck-12345", "arn:aws:kms:us-west-2:111122223333:key/x")
	inUse := byoktest.StateInUse
	k.State = &inUse
	k.Validation = &api.KeyValidation{Phase: byoktest.PhaseValid}
	added, err := srv.AddKey(k)
	require.NoError(t, err)
	assert.Equal(t, "cck-12345", *added.Id)
	assert.Equal(t, "us-west-2", *added.Validation.Region)
	got := getKey(t, srv, "cck-12345")
	assert.Equal(t, byoktest.StateInUse, *got.State)
	assert.Equal(t, srv.URL()+"/byok/v1/keys/cck-12345", *got.Metadata.Self)

	_, err = srv.AddKey(k)
	assert.Error(t, err, "same id")
	_, err = srv.AddKey(awsKey(t, "", "arn:aws:kms:us-west-2:111122223333:key/x"))
	assert.Error(t, err, "same material")
	_, err = srv.AddKey(awsKey(t, "bad id", "arn:aws:kms:us-west-2:1:key/y"))
	assert.Error(t, err, "bad id")
	_, err = srv.AddKey(api.Key{})
	assert.Error(t, err, "no key")

	ids := srv.Seed(30)
	require.Len(t, ids, 30)
	assert.Equal(t, 31, srv.Len())
	providers := map[string]int{}
	for _, k := range srv.Keys()[1:] {
		providers[*k.Provider]++
		assert.Equal(t, byoktest.PhaseValid, k.Validation.Phase)
		assert.NotEmpty(t, *k.Validation.Region)
	}
	assert.Equal(t, map[string]int{"AWS": 10, "Azure": 10, "GCP": 10}, providers)
	resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys?page_size=100", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b) // every seeded key is spec-valid
}

func TestSeedIsDeterministicWithWithSeed(t *testing.T) {
	a := byoktest.NewServer(t, byoktest.WithSeed(1))
	b := byoktest.NewServer(t, byoktest.WithSeed(1))
	assert.Equal(t, a.Seed(5), b.Seed(5))
	assert.Equal(t, a.Organization(), b.Organization())
	c := byoktest.NewServer(t, byoktest.WithSeed(2))
	assert.NotEqual(t, a.Seed(1), c.Seed(1))
}

// TestSeedNothing: a count of zero or less adds no key and does not panic.
func TestSeedNothing(t *testing.T) {
	srv := byoktest.NewServer(t)
	for _, n := range []int{0, -1} {
		assert.Nil(t, srv.Seed(n), "Seed(%d)", n)
	}
	assert.Empty(t, srv.IDs())
}

func TestOptionErrors(t *testing.T) {
	for name, opt := range map[string]byoktest.Option{
		"empty credentials": byoktest.WithCredentials("", "s"),
		"negative reads":    byoktest.WithValidation(byoktest.Validation{Reads: -1}),
		"nil matcher":       byoktest.WithInvalidKeys(nil, ""),
		"negative quota":    byoktest.WithMaxKeys(-1),
		"unknown op":        byoktest.WithForbiddenOperations("purge"),
		"zero rate limit":   byoktest.WithRateLimit(0, time.Second),
		"nil clock":         byoktest.WithClock(nil),
		"empty data file":   byoktest.WithDataFile(""),
		"zero body limit":   byoktest.WithBodyLimit(0),
		"nil middleware":    byoktest.WithMiddleware(nil),
		"relative base":     byoktest.WithBaseURL("/byok"),
		"base with a path":  byoktest.WithBaseURL("http://127.0.0.1:1/api"),
	} {
		_, err := byoktest.New(opt)
		assert.Errorf(t, err, "%s", name)
	}
}

func TestHandlerLinksFollowTheRequestOrTheBaseURL(t *testing.T) {
	h, err := byoktest.New()
	require.NoError(t, err)
	rec := serveOnce(t, h, http.MethodPost, "http://byok.example:8080/byok/v1/keys", awsBody)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.True(t, strings.HasPrefix(rec.Header().Get("Location"), "http://byok.example:8080/byok/v1/keys/cck-"))

	h, err = byoktest.New(byoktest.WithBaseURL("https://api.confluent.test/"))
	require.NoError(t, err)
	rec = serveOnce(t, h, http.MethodPost, "http://127.0.0.1/byok/v1/keys", awsBody)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	k := decode[api.Key](t, rec.Body.Bytes())
	assert.Equal(t, "https://api.confluent.test/byok/v1/keys/"+*k.Id, *k.Metadata.Self)
	assert.Equal(t, "crn://confluent.cloud/organization="+h.Organization()+"/key="+*k.Id, *k.Metadata.ResourceName)
	require.NoError(t, h.Close())
}

// TestControlMethodsAreSafeWithTraffic runs the Go API and HTTP requests at
// the same time; -race reports any unsynchronised access.
func TestControlMethodsAreSafeWithTraffic(t *testing.T) {
	srv := byoktest.NewServer(t, byoktest.WithRequestLog(50))
	ids := srv.Seed(20)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 40 {
			_, err := status(srv, http.MethodGet, "/byok/v1/keys/"+ids[i%len(ids)], "")
			assert.NoError(t, err)
			_, err = status(srv, http.MethodGet, "/byok/v1/keys?page_size=3&validation_phase=VALID", "")
			assert.NoError(t, err)
		}
	})
	wg.Go(func() {
		for i := range 40 {
			assert.NoError(t, srv.SetState(ids[i%len(ids)], byoktest.StateInUse))
			assert.NoError(t, srv.SetValidation(ids[(i+1)%len(ids)], byoktest.PhaseValid, ""))
			var d api.KeyDetails
			assert.NoError(t, d.FromAwsKey(api.AwsKey{KeyArn: fmt.Sprintf("arn:aws:kms:us-west-2:1:key/concurrent-%d", i)}))
			_, err := srv.AddKey(api.Key{Key: d})
			assert.NoError(t, err)
		}
	})
	wg.Go(func() {
		for range 40 {
			assert.NotEmpty(t, srv.Keys())
			_ = srv.Requests()
			_ = srv.Len()
			_ = srv.FailNext(1, byoktest.FaultSlow, byoktest.OpDelete)
		}
	})
	wg.Wait()
	assert.Equal(t, 60, srv.Len())
}
