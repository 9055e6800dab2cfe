package byoktest_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// newHandler returns a handler with opts, closed when the test ends.
func newHandler(t *testing.T, opts ...byoktest.Option) (*byoktest.Server, error) {
	t.Helper()
	h, err := byoktest.New(opts...)
	if err == nil {
		t.Cleanup(func() { assert.NoError(t, h.Close()) })
	}
	return h, err
}

// TestDataFileHasOneServer checks that a second handler on a data file in
// use refuses to start, naming the file, and starts once the first closed.
func TestDataFileHasOneServer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	first, err := byoktest.New(byoktest.WithDataFile(path))
	require.NoError(t, err)
	_, err = byoktest.New(byoktest.WithDataFile(path))
	require.Error(t, err, "a second server on the same file")
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "in use by another server")

	require.NoError(t, first.Close())
	_, err = newHandler(t, byoktest.WithDataFile(path))
	assert.NoError(t, err, "the file is free once the first server closed")
}

// TestClosedHandlerWritesNoDataFile checks that a handler, once closed,
// no longer writes its data file, which another handler may hold by then:
// its changes fail.
func TestClosedHandlerWritesNoDataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	first, err := byoktest.New(byoktest.WithDataFile(path))
	require.NoError(t, err)
	require.NoError(t, first.Close())
	second, err := newHandler(t, byoktest.WithDataFile(path))
	require.NoError(t, err)
	kept := second.Seed(1)
	require.Len(t, kept, 1)

	_, err = first.AddKey(awsKey(t, "", "arn:aws:kms:us-west-2:1:key/after-close"))
	assert.Error(t, err, "a change by the closed handler")
	assert.Empty(t, first.Seed(1))
	saved, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(saved), kept[0], "the file holds the second handler's key")
	assert.NotContains(t, string(saved), "after-close")
}

// TestDataFileMustBeWritable checks that a data file that cannot be saved
// stops the handler at start, before any change is made.
func TestDataFileMustBeWritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "keys.json")
	_, err := newHandler(t, byoktest.WithDataFile(path))
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

// TestDataFileStartRemovesLeftoverTemporaryFiles checks that the temporary
// files of a killed run are removed at start, and nothing else.
func TestDataFileStartRemovesLeftoverTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	for _, name := range []string{".keys.json.tmp-123", ".keys.json.tmp-456", "other.json", ".other.json.tmp-1"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o600))
	}
	_, err := newHandler(t, byoktest.WithDataFile(path))
	require.NoError(t, err)
	assert.Equal(t, []string{".other.json.tmp-1", "other.json"}, dataDirEntries(t, dir))
}

// dataDirEntries lists dir without the data files' lock files.
func dataDirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".lock") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestFailedSaveChangesNothing checks that a change whose save fails is
// answered with 500 and rolled back: the store and the file never
// disagree.
func TestFailedSaveChangesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	srv, _ := validated(t, byoktest.WithDataFile(path))
	kept := createKey(t, srv, gcpBody)
	saved, err := os.ReadFile(path)
	require.NoError(t, err)

	// A directory where the file was: every save (a rename over it) fails.
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.MkdirAll(filepath.Join(path, "in-the-way"), 0o700))

	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", awsBody)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "%s", b)
	resp, b = call(t, srv, http.MethodPatch, "/byok/v1/keys/"+kept, `{"display_name":"renamed"}`)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "%s", b)
	resp, b = call(t, srv, http.MethodDelete, "/byok/v1/keys/"+kept, "")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "%s", b)
	_, err = srv.AddKey(awsKey(t, "", "arn:aws:kms:us-west-2:1:key/added"))
	assert.Error(t, err)
	assert.Error(t, srv.SetState(kept, byoktest.StateInUse))
	assert.Empty(t, srv.Seed(2))

	keys := srv.Keys()
	require.Len(t, keys, 1, "nothing was added or deleted")
	assert.Equal(t, kept, *keys[0].Id)
	assert.Equal(t, "logs", *keys[0].DisplayName, "the name was not changed")
	assert.Equal(t, byoktest.StateAvailable, *keys[0].State)

	// Once the file can be written again, the same changes are saved.
	require.NoError(t, os.RemoveAll(path))
	require.NoError(t, os.WriteFile(path, saved, 0o600))
	resp, b = call(t, srv, http.MethodPatch, "/byok/v1/keys/"+kept, `{"display_name":"renamed"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	now, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(now), `"renamed"`)
}

// TestFailedSaveUsesUpNoSequenceNumber checks that a change whose save
// fails gives back the sequence numbers it took: a data file with one
// number left still takes a key once it can be written again.
func TestFailedSaveUsesUpNoSequenceNumber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	// The numbers stop at 1<<62: one is left.
	require.NoError(t, os.WriteFile(path, fmt.Appendf(nil, `{"version":1,"next_seq":%d,"keys":[]}`, uint64(1)<<62-1), 0o600))
	srv, _ := validated(t, byoktest.WithDataFile(path))

	require.NoError(t, os.Remove(path))
	require.NoError(t, os.MkdirAll(filepath.Join(path, "in-the-way"), 0o700))
	assert.Empty(t, srv.Seed(1))
	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", awsBody)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode, "%s", b)
	_, err := srv.AddKey(awsKey(t, "", "arn:aws:kms:us-west-2:1:key/added"))
	require.Error(t, err)

	require.NoError(t, os.RemoveAll(path))
	createKey(t, srv, gcpBody)
	assert.Equal(t, 1, srv.Len())
}

// TestDataFileKeepsValidationProgress checks that the reads towards a
// key's validation are saved: a handler started again on the file goes on
// where the last one stopped.
func TestDataFileKeepsValidationProgress(t *testing.T) {
	opts := []byoktest.Option{byoktest.WithDataFile(filepath.Join(t.TempDir(), "keys.json")),
		byoktest.WithValidation(byoktest.Validation{Reads: 2})}
	srv := byoktest.NewServer(t, opts...)
	id := createKey(t, srv, gcpBody)
	resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys/"+id, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	require.Equal(t, byoktest.PhaseInitializing, decode[api.Key](t, b).Validation.Phase, "after the first of two reads")
	require.NoError(t, srv.Close())

	again := byoktest.NewServer(t, opts...)
	resp, b = call(t, again, http.MethodGet, "/byok/v1/keys/"+id, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Equal(t, byoktest.PhaseValid, decode[api.Key](t, b).Validation.Phase, "the second read, after a restart")
}

// TestAddKeyOfAKindTheFakeDoesNotKnow checks that a test can add a key of a
// kind the fake does not know, to test how a client handles it: it is
// served as given, listed, and kept in the data file.
func TestAddKeyOfAKindTheFakeDoesNotKnow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	srv := byoktest.NewServer(t, byoktest.WithDataFile(path))
	var details api.KeyDetails
	require.NoError(t, details.UnmarshalJSON([]byte(`{"kind":"OciKey","key_ocid":"ocid1.key.oc1..example"}`)))
	provider := "OCI"
	added, err := srv.AddKey(api.Key{Key: details, Provider: &provider})
	require.NoError(t, err)
	id := *added.Id

	resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys/"+id, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	got := decode[map[string]any](t, b)
	assert.Equal(t, map[string]any{"kind": "OciKey", "key_ocid": "ocid1.key.oc1..example"}, got["key"])
	assert.Equal(t, "OCI", got["provider"])
	resp, b = call(t, srv, http.MethodGet, "/byok/v1/keys?provider=OCI", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Contains(t, string(b), `"key_ocid":"ocid1.key.oc1..example"`)

	// A second key of that kind: it has no material to conflict on.
	_, err = srv.AddKey(api.Key{Key: details})
	require.NoError(t, err)
	assert.Equal(t, []string{id, srv.IDs()[1]}, srv.IDs())

	require.NoError(t, srv.Close())
	again := byoktest.NewServer(t, byoktest.WithDataFile(path))
	assert.Equal(t, srv.IDs(), again.IDs(), "the data file keeps keys of any kind")
	k, ok := again.Key(id)
	require.True(t, ok)
	assert.Equal(t, "OCI", *k.Provider)
}

// TestIDsListTheKeysInCreationOrder checks IDs, which spares a test the
// pointers of api.Key.
func TestIDsListTheKeysInCreationOrder(t *testing.T) {
	srv := byoktest.NewServer(t)
	assert.Empty(t, srv.IDs())
	ids := srv.Seed(3)
	gone := createKey(t, srv, awsBody)
	last := createKey(t, srv, gcpBody)
	resp, _ := call(t, srv, http.MethodDelete, "/byok/v1/keys/"+gone, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, append(ids, last), srv.IDs())
}
