package byoktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/byokctl/byok/api"
)

// dataFileVersion is the version of the data file's format.
const dataFileVersion = 1

// dataFile is the JSON document WithDataFile keeps.
type dataFile struct {
	Version      int         `json:"version"`
	Organization string      `json:"organization"`
	AWSAccount   string      `json:"aws_account"`
	NextSeq      uint64      `json:"next_seq"`
	Keys         []storedKey `json:"keys"`
}

// storedKey is one key in the data file: what the fake needs to go on
// where it stopped, validation progress included.
type storedKey struct {
	Seq            uint64            `json:"seq"`
	ID             string            `json:"id"`
	Provider       api.KeyProvider   `json:"provider,omitempty"` // for a kind the fake does not know
	DisplayName    *string           `json:"display_name,omitempty"`
	Key            api.KeyDetails    `json:"key"`
	State          api.KeyState      `json:"state"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Reads          int               `json:"reads,omitempty"`
	ReadsDoneAt    *time.Time        `json:"reads_done_at,omitempty"`
	InvalidMessage string            `json:"invalid_message,omitempty"`
	Validation     *storedValidation `json:"validation,omitempty"`
}

type storedValidation struct {
	Phase   api.KeyValidationPhase `json:"phase"`
	Message string                 `json:"message,omitempty"`
	Since   time.Time              `json:"since"`
}

// maxSeq bounds the sequence numbers of a data file, far beyond any number
// of keys, so that the next key's number never wraps around: keys have
// numbers below it, and a store whose next number reaches it takes no more
// keys (a create is answered with 402).
const maxSeq = 1 << 62

// errLocked says that another server holds the data file's lock.
var errLocked = errors.New("locked")

// dataFiles is the data file of a Server: its path and its lock.
type dataFiles struct {
	path string
	mu   sync.Mutex
	lock *os.File // nil once released
}

// lockPath is the file whose lock says that a server uses the data file
// path: .<name>.lock beside it. It stays in place; only its lock matters.
func lockPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// tempPrefix begins the name of the temporary files a save writes.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// openData takes the data file's lock, removes the temporary files a killed
// run left, checks that a save can be made and loads the keys. On error
// the lock is released.
func (s *Server) openData() (err error) {
	path := s.cfg.dataFile
	lock, err := lockFile(lockPath(path))
	switch {
	case errors.Is(err, errLocked):
		return fmt.Errorf("byoktest: the data file %s is in use by another server (it holds the lock on %s)", path, lockPath(path))
	case err != nil:
		return fmt.Errorf("byoktest: the data file %s cannot be used: %w", path, err)
	}
	s.data = &dataFiles{path: path, lock: lock}
	defer func() {
		if err != nil {
			_ = s.data.release()
		}
	}()
	if err := removeLeftovers(path); err != nil {
		return err
	}
	// One trial save: a directory that cannot be written stops the server
	// now, not at its first change.
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("byoktest: the data file %s cannot be saved: %w", path, err)
	}
	_ = tmp.Close()
	if err := os.Remove(tmp.Name()); err != nil {
		return fmt.Errorf("byoktest: the data file %s cannot be saved: %w", path, err)
	}
	return s.load()
}

// removeLeftovers removes the temporary files of path that a run killed
// while saving left behind. The caller holds the lock.
func removeLeftovers(path string) error {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("byoktest: the data file %s cannot be used: %w", path, err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), tempPrefix(path)) {
			if err := os.Remove(filepath.Join(filepath.Dir(path), e.Name())); err != nil {
				return fmt.Errorf("byoktest: removing a temporary file of the data file %s: %w", path, err)
			}
		}
	}
	return nil
}

// release gives the lock up. It is safe to call more than once.
func (d *dataFiles) release() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lock == nil {
		return nil
	}
	err := d.lock.Close()
	d.lock = nil
	return err
}

// commitLocked saves a change just made to the store. When the save fails,
// undo reverts the change and the error is returned, so that the store and
// the file never disagree. The caller holds store.mu's write lock.
func (s *Server) commitLocked(undo func()) error {
	if err := s.saveLocked(nil); err != nil {
		undo()
		s.store.version++
		return err
	}
	return nil
}

// saveLocked writes every key but skip to the data file, if there is one,
// atomically: into a temporary file in the same directory, synced, then
// renamed over the data file. The caller holds store.mu's write lock, so no
// change and no read comes between a change and its save.
func (s *Server) saveLocked(skip *record) error {
	if s.data == nil {
		return nil
	}
	doc := dataFile{Version: dataFileVersion, Organization: s.org, AWSAccount: s.awsAccount, NextSeq: s.store.nextSeq,
		Keys: make([]storedKey, 0, len(s.store.byID))}
	for _, r := range s.store.order {
		if r.deleted || r == skip {
			continue
		}
		k := storedKey{Seq: r.seq, ID: r.id, DisplayName: r.displayName, Key: r.details, State: r.state,
			CreatedAt: r.createdAt, UpdatedAt: r.updatedAt, Reads: r.reads, InvalidMessage: r.invalidMessage}
		if !known(r.kind) {
			k.Provider = r.provider
		}
		if !r.readsDoneAt.IsZero() {
			at := r.readsDoneAt
			k.ReadsDoneAt = &at
		}
		if o := r.override; o != nil {
			k.Validation = &storedValidation{Phase: o.phase, Message: o.message, Since: o.since}
		}
		doc.Keys = append(doc.Keys, k)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("byoktest: encoding the data file: %w", err)
	}
	return s.data.write(append(b, '\n'))
}

// write saves data as the data file while the lock is held: a closed
// server, which another one may have followed on the file, writes
// nothing.
func (d *dataFiles) write(data []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lock == nil {
		return fmt.Errorf("byoktest: the data file %s is not saved: the server is closed", d.path)
	}
	return writeAtomic(d.path, data)
}

func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("byoktest: saving the data file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("byoktest: saving the data file %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir asks the system to write dir's entries to disk, so that a rename
// into it survives a crash. It is best effort: some systems cannot open a
// directory for syncing, and the file's own data is synced already.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// load reads the data file, if it exists, into the empty store, and checks
// what it reads: keys in creation order with distinct positive seq values
// below maxSeq, next_seq (when set) past them, distinct ids and materials.
func (s *Server) load() error {
	path := s.cfg.dataFile
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("byoktest: reading the data file: %w", err)
	}
	var doc dataFile
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("byoktest: the data file %s is not valid: %w", path, err)
	}
	if doc.Version != dataFileVersion {
		return fmt.Errorf("byoktest: the data file %s has version %d; this fake reads version %d", path, doc.Version, dataFileVersion)
	}
	if doc.Organization != "" {
		s.org = doc.Organization
	}
	if doc.AWSAccount != "" {
		s.awsAccount = doc.AWSAccount
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	var last uint64
	for i, k := range doc.Keys {
		r, err := s.storedRecord(k, last)
		if err != nil {
			return fmt.Errorf("byoktest: the data file %s: key %d: %w", path, i, err)
		}
		last = r.seq
		s.store.insert(r)
	}
	if doc.NextSeq != 0 && (doc.NextSeq <= last || doc.NextSeq > maxSeq) {
		return fmt.Errorf("byoktest: the data file %s: next_seq is %d; want a number past every key's seq (%d) and at most %d", path, doc.NextSeq, last, uint64(maxSeq))
	}
	s.store.nextSeq = max(s.store.nextSeq, doc.NextSeq)
	return nil
}

// storedRecord checks one key of the data file, which follows the key with
// seq last, and returns it as a record. The caller holds store.mu.
func (s *Server) storedRecord(k storedKey, last uint64) (*record, error) {
	kind, mat, err := material(k.Key)
	switch {
	case err != nil:
		return nil, err
	case known(kind) && mat == "":
		return nil, fmt.Errorf("the key's %s is empty", materialName(kind))
	case !validID(k.ID):
		return nil, fmt.Errorf("id %q is not a key id", k.ID)
	case k.Seq == 0 || k.Seq >= maxSeq:
		return nil, fmt.Errorf("seq is %d; want a number from 1 to %d", k.Seq, uint64(maxSeq-1))
	case k.Seq <= last:
		return nil, fmt.Errorf("seq is %d, not past the previous key's %d: keys are listed in creation order, each with a larger seq", k.Seq, last)
	}
	if _, dup := s.store.byID[k.ID]; dup {
		return nil, fmt.Errorf("id %q appears twice", k.ID)
	}
	if _, dup := s.store.byMaterial[mat]; mat != "" && dup {
		return nil, fmt.Errorf("%s %q appears twice", materialName(kind), mat)
	}
	// The file is indented; keep the details compact, as created.
	var compact bytes.Buffer
	if raw, err := k.Key.MarshalJSON(); err == nil && json.Compact(&compact, raw) == nil {
		_ = k.Key.UnmarshalJSON(compact.Bytes())
	}
	r := &record{seq: k.Seq, id: k.ID, displayName: k.DisplayName, kind: kind, material: mat, provider: k.Provider, details: k.Key,
		state: k.State, createdAt: k.CreatedAt, updatedAt: k.UpdatedAt, reads: k.Reads, invalidMessage: k.InvalidMessage}
	if r.state == "" {
		r.state = api.KeyStateAVAILABLE
	}
	if k.ReadsDoneAt != nil {
		r.readsDoneAt = *k.ReadsDoneAt
	}
	if v := k.Validation; v != nil {
		r.override = &override{phase: v.Phase, message: v.Message, since: v.Since}
	}
	return r, nil
}
