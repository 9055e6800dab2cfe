package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper"
)

// A GCP key id may name a version of the key
// (…/cryptoKeys/K/cryptoKeyVersions/N), as the API's own example does. Such
// an id is registered as given, and is the same key as the id without the
// version.

const exampleGCPVersion = exampleGCPKey + "/cryptoKeyVersions/3"

// TestCreateGCPVersion: create registers a versioned id as given, and
// grants binds the role on the key it names.
func TestCreateGCPVersion(t *testing.T) {
	f := newFixture(t)
	id, k := createdKey(t, f, "gcp", "--key-id", exampleGCPVersion)
	if got := field(t, k, "key", "key_id"); got != exampleGCPVersion {
		t.Errorf("registered key_id %q, want %q as given", got, exampleGCPVersion)
	}
	r := f.run("grants", id)
	expect(t, r, exitOK)
	if !strings.Contains(r.stdout, "gcloud kms keys add-iam-policy-binding '"+exampleGCPKey+"' --member 'group:") {
		t.Errorf("grants of a key registered by a version:\n%s\nwant the binding on %s", r.stdout, exampleGCPKey)
	}
	var set grantSet
	decodeGrants(t, f, id, &set)
	if set.Scope != exampleGCPKey || set.Key != "testbyokkey" || set.KeyRing != "testkeyring" {
		t.Errorf("grants -o json: %+v; want the scope %s", set, exampleGCPKey)
	}
}

// TestKeysFileGCPVersion: a keys file entry may name a version; it is sent
// as written, and matched by the key.
func TestKeysFileGCPVersion(t *testing.T) {
	kf, err := parseKeysFile("keys.yaml", []byte("keys:\n  - {provider: gcp, key_id: '"+exampleGCPVersion+"'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := kf.entries[0].material.(wrapper.GCPKey).KeyID; got != exampleGCPVersion {
		t.Errorf("the entry's key id, as create sends it: %s; want %s", got, exampleGCPVersion)
	}
	if ref := kf.entries[0].ref(); ref.id != exampleGCPKey {
		t.Errorf("the entry is matched by %s; want %s", ref.id, exampleGCPKey)
	}
}

// TestPlanGCPVersion: an entry matches the server's key with or without a
// version on either side: no create beside it, no extra to prune.
func TestPlanGCPVersion(t *testing.T) {
	for _, c := range []struct{ entry, server string }{
		{exampleGCPKey, exampleGCPVersion},
		{exampleGCPVersion, exampleGCPKey},
		{exampleGCPVersion, exampleGCPKey + "/cryptoKeyVersions/4"},
		{exampleGCPVersion, exampleGCPVersion},
	} {
		kf, err := parseKeysFile("keys.yaml", []byte("keys:\n  - {provider: gcp, key_id: '"+c.entry+"'}\n"))
		if err != nil {
			t.Fatal(err)
		}
		server := serverKeys{keys: []wrapper.Key{{ID: "cck-gcp1", Provider: wrapper.ProviderGCP,
			Material: wrapper.GCPKey{KeyID: c.server, SecurityGroup: "g@example.com"}}}}
		p := makePlan(kf, server)
		if len(p.Items) != 1 || p.Items[0].Action != actInSync || p.Items[0].ID != "cck-gcp1" {
			t.Errorf("entry %s, server key %s: plan %+v; want one in-sync line for cck-gcp1", c.entry, c.server, p.Items)
		}
	}
	// The key registered twice, with and without a version, is a duplicate.
	kf, err := parseKeysFile("keys.yaml", []byte("keys:\n  - {provider: gcp, key_id: '"+exampleGCPKey+"'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := makePlan(kf, serverKeys{keys: []wrapper.Key{
		{ID: "cck-gcp1", Material: wrapper.GCPKey{KeyID: exampleGCPKey}},
		{ID: "cck-gcp2", Material: wrapper.GCPKey{KeyID: exampleGCPVersion}},
	}})
	if len(p.Items) != 2 || p.Items[0].Action != actDuplicate || p.Items[1].Action != actDuplicate {
		t.Errorf("the key registered twice: plan %+v; want two duplicate lines", p.Items)
	}
}

// TestDiffGCPVersion: diff and apply --prune against the server find the
// key registered by a version in an entry without one, and the other way
// round: nothing to create, nothing to delete.
func TestDiffGCPVersion(t *testing.T) {
	for _, c := range []struct{ registered, entry string }{
		{exampleGCPVersion, exampleGCPKey},
		{exampleGCPKey, exampleGCPVersion},
	} {
		f := newFixture(t)
		id, _ := createdKey(t, f, "gcp", "--key-id", c.registered)
		file := filepath.Join(t.TempDir(), "keys.yaml")
		if err := os.WriteFile(file, []byte("keys:\n  - {provider: gcp, key_id: '"+c.entry+"'}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := f.run("diff", "-f", file, "-o", "json")
		expect(t, r, exitOK)
		if !strings.Contains(r.stdout, `"action": "in-sync"`) || !strings.Contains(r.stdout, `"id": "`+id+`"`) ||
			strings.Contains(r.stdout, actCreate) || strings.Contains(r.stdout, actExtra) {
			t.Errorf("registered %s, entry %s: diff\n%s\nwant %s in sync", c.registered, c.entry, r.stdout, id)
		}
		r = f.run("apply", "-f", file, "--prune", "--force")
		expect(t, r, exitOK)
		if f.srv.Len() != 1 {
			t.Errorf("registered %s, entry %s: apply --prune left %d keys, want the one\n%s", c.registered, c.entry, f.srv.Len(), r.transcript())
		}
	}
}
