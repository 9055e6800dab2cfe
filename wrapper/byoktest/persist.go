package byoktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	DisplayName    *string           `json:"display_name,omitempty"`
	Key            api.KeyDetails    `json:"key"`
	State          string            `json:"state"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	Reads          int               `json:"reads,omitempty"`
	ReadsDoneAt    *time.Time        `json:"reads_done_at,omitempty"`
	InvalidMessage string            `json:"invalid_message,omitempty"`
	Validation     *storedValidation `json:"validation,omitempty"`
}

type storedValidation struct {
	Phase   string    `json:"phase"`
	Message string    `json:"message,omitempty"`
	Since   time.Time `json:"since"`
}

func (h *Handler) saveIfPersistent() error {
	if h.cfg.dataFile == "" {
		return nil
	}
	return h.save()
}

// save writes every key to the data file atomically: into a temporary file
// in the same directory, synced, then renamed over the data file.
func (h *Handler) save() error {
	h.persistMu.Lock()
	defer h.persistMu.Unlock()
	h.store.mu.RLock()
	recs := h.store.live()
	next := h.store.nextSeq
	h.store.mu.RUnlock()

	doc := dataFile{Version: dataFileVersion, Organization: h.org, AWSAccount: h.awsAccount, NextSeq: next, Keys: make([]storedKey, len(recs))}
	for i, r := range recs {
		k := storedKey{Seq: r.seq, ID: r.id, DisplayName: r.displayName, Key: r.details, State: r.state,
			CreatedAt: r.createdAt, UpdatedAt: r.updatedAt, Reads: r.reads, InvalidMessage: r.invalidMessage}
		if !r.readsDoneAt.IsZero() {
			k.ReadsDoneAt = &recs[i].readsDoneAt
		}
		if o := r.override; o != nil {
			k.Validation = &storedValidation{Phase: o.phase, Message: o.message, Since: o.since}
		}
		doc.Keys[i] = k
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("byoktest: encoding the data file: %w", err)
	}
	return writeAtomic(h.cfg.dataFile, append(b, '\n'))
}

func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
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
	return nil
}

// load reads the data file, if it exists, into the empty store.
func (h *Handler) load() error {
	b, err := os.ReadFile(h.cfg.dataFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("byoktest: reading the data file: %w", err)
	}
	var doc dataFile
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("byoktest: the data file %s is not valid: %w", h.cfg.dataFile, err)
	}
	if doc.Version != dataFileVersion {
		return fmt.Errorf("byoktest: the data file %s has version %d; this fake reads version %d", h.cfg.dataFile, doc.Version, dataFileVersion)
	}
	if doc.Organization != "" {
		h.org = doc.Organization
	}
	if doc.AWSAccount != "" {
		h.awsAccount = doc.AWSAccount
	}
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	for i, k := range doc.Keys {
		kind, mat, err := material(k.Key)
		if err == nil && mat == "" {
			err = fmt.Errorf("the key's %s is empty", materialName(kind))
		}
		if err == nil && !validID(k.ID) {
			err = fmt.Errorf("id %q is not a key id", k.ID)
		}
		if err == nil && k.Seq == 0 {
			err = errors.New("seq must be positive")
		}
		if _, dup := h.store.byID[k.ID]; err == nil && dup {
			err = fmt.Errorf("id %q appears twice", k.ID)
		}
		if _, dup := h.store.byMaterial[mat]; err == nil && dup {
			err = fmt.Errorf("%s %q appears twice", materialName(kind), mat)
		}
		if err != nil {
			return fmt.Errorf("byoktest: the data file %s: key %d: %w", h.cfg.dataFile, i, err)
		}
		// The file is indented; keep the details compact, as created.
		var compact bytes.Buffer
		if raw, err := k.Key.MarshalJSON(); err == nil && json.Compact(&compact, raw) == nil {
			_ = k.Key.UnmarshalJSON(compact.Bytes())
		}
		r := &record{seq: k.Seq, id: k.ID, displayName: k.DisplayName, kind: kind, material: mat, details: k.Key,
			state: k.State, createdAt: k.CreatedAt, updatedAt: k.UpdatedAt, reads: k.Reads, invalidMessage: k.InvalidMessage}
		if r.state == "" {
			r.state = StateAvailable
		}
		if k.ReadsDoneAt != nil {
			r.readsDoneAt = *k.ReadsDoneAt
		}
		if v := k.Validation; v != nil {
			r.override = &override{phase: v.Phase, message: v.Message, since: v.Since}
		}
		h.store.insert(r)
	}
	h.store.nextSeq = max(h.store.nextSeq, doc.NextSeq)
	return nil
}
