package contract

import (
	"encoding/json"
	"os"
	"testing"
)

// DirEnv names the environment variable that turns coverage recording on:
// when it holds a directory, every Validator made by ForTest writes the
// pairs it saw there when its test ends, for `make contract` to add up.
const DirEnv = "BYOK_CONTRACT_DIR"

// ForTest returns a new Validator for the test t; it fails t when the spec
// cannot be loaded. When the environment variable BYOK_CONTRACT_DIR (DirEnv)
// names a directory, the pairs the Validator saw are written there, as one
// new file, when t ends, so that coverage adds up across tests, packages
// and processes without any shared state.
func ForTest(t testing.TB) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatalf("%v", err)
	}
	if dir := os.Getenv(DirEnv); dir != "" {
		t.Cleanup(func() {
			if err := v.WriteRecord(dir, t.Name()); err != nil {
				t.Errorf("contract: %v", err)
			}
		})
	}
	return v
}

// record is the file a Validator leaves in the coverage directory.
type record struct {
	Test  string        `json:"test"`
	Pairs []recordEntry `json:"pairs"`
}

type recordEntry struct {
	OperationID string `json:"operation_id"`
	Status      int    `json:"status"`
	Count
}

// WriteRecord writes the pairs v saw to a new file in dir (created when
// missing), labelled with test. Nothing is written when v saw nothing.
func (v *Validator) WriteRecord(dir, test string) error {
	counts := v.Counts()
	if len(counts) == 0 {
		return nil
	}
	rec := record{Test: test}
	for p, c := range counts {
		rec.Pairs = append(rec.Pairs, recordEntry{OperationID: p.OperationID, Status: p.Status, Count: c})
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "pairs-*.json")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
