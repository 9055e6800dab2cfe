package contract

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForTestRecordsPairsWhenTheTestEnds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "contract")
	t.Setenv(DirEnv, dir)
	for range 2 {
		t.Run("a test", func(t *testing.T) {
			v := ForTest(t)
			v.Check(context.Background(), getKey(200, key("AWS", "IN_USE", "VALID")))
			v.Check(context.Background(), getKey(200, `{}`))
		})
	}
	t.Run("a test that saw nothing", func(t *testing.T) { ForTest(t) })

	counts, files, err := ReadRecords(dir)
	require.NoError(t, err)
	assert.Equal(t, 2, files, "one record per test that saw something")
	assert.Equal(t, map[Pair]Count{{"getByokV1Key", 200}: {Seen: 4, Valid: 2}}, counts)
}

func TestForTestRecordsNothingWithoutTheDirectory(t *testing.T) {
	t.Setenv(DirEnv, "")
	dir := t.TempDir()
	t.Run("a test", func(t *testing.T) {
		ForTest(t).Check(context.Background(), getKey(200, key("AWS", "IN_USE", "VALID")))
	})
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestReadRecordsRejectsABrokenRecord(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pairs-1.json"), []byte(`{"pairs":`), 0o600))
	_, _, err := ReadRecords(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pairs-1.json")
}
