package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/internal/contract"
)

func TestRunFailsOnAPairNeverSeen(t *testing.T) {
	dir := t.TempDir()
	v, err := contract.New()
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodDelete, "http://127.0.0.1/byok/v1/keys/cck-1", nil)
	errs := v.Check(context.Background(), contract.Exchange{Request: req, Status: http.StatusNoContent, Header: http.Header{}})
	require.Empty(t, errs)
	require.NoError(t, v.WriteRecord(dir, t.Name()))

	var out strings.Builder
	err = run(&out, dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "38 of the documented pairs were never seen and valid")
	assert.Contains(t, out.String(), "contract coverage from 1 test records in "+dir)
	assert.Contains(t, out.String(), "deleteByokV1Key     204      1      1\n")
	assert.Contains(t, out.String(), "deleteByokV1Key     404      0      0  MISSING\n")
	assert.Contains(t, out.String(), "1/39 documented (operation, status) pairs seen and valid\n")
}

func TestRunPassesWhenEveryPairWasSeen(t *testing.T) {
	dir := t.TempDir()
	v, err := contract.New()
	require.NoError(t, err)
	var entries []string
	for _, p := range v.Documented() {
		entries = append(entries, fmt.Sprintf(`{"operation_id":%q,"status":%d,"seen":2,"valid":2}`, p.OperationID, p.Status))
	}
	record := `{"test":"TestAll","pairs":[` + strings.Join(entries, ",") + `]}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pairs-all.json"), []byte(record), 0o600))

	var out strings.Builder
	require.NoError(t, run(&out, dir))
	assert.Contains(t, out.String(), "39/39 documented (operation, status) pairs seen and valid\n")
	assert.NotContains(t, out.String(), "MISSING")
}

func TestRunNeedsADirectory(t *testing.T) {
	err := run(&strings.Builder{}, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), contract.DirEnv)
}
