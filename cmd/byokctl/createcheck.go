package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

// checkCreated checks that key, the server's answer to a create (or the key
// apply found for a create whose answer was lost), holds the material sent: the same key, matched as diff matches it
// (keyRef: the ARN; the Azure key id without its version, its host in any
// case; the GCP cryptoKey), and for Azure the same vault and tenant (in
// any case, as Azure compares them). A GCP key id sent with a version and
// answered with another version is not the key version asked for; one
// answered without a version, or sent without one and answered with one,
// names the same key. The error says what differs, and that the key is to
// be granted nothing before it is checked; its values are cleaned. create
// and apply both check their creates with it.
func checkCreated(sent wrapper.KeyMaterial, key wrapper.Key) error {
	if err := checkMaterialAnswered(sent, key.Material); err != nil {
		return fmt.Errorf("the server answered the create with key %s, whose %w: it may have registered other key material; "+
			"grant it nothing before checking it with byokctl get %s", clean(key.ID), err, shellQuote(clean(key.ID)))
	}
	return nil
}

// checkMaterialAnswered is checkCreated's comparison of the material sent
// with the material got.
func checkMaterialAnswered(sent, got wrapper.KeyMaterial) error {
	mismatch := func(field, want, have string) error {
		return fmt.Errorf("%s is %q, not the %q sent", field, clean(have), clean(want))
	}
	if got == nil || reflect.TypeOf(got) != reflect.TypeOf(sent) {
		kind := "none"
		if got != nil {
			kind = got.MaterialKind()
		}
		return mismatch("kind", sent.MaterialKind(), kind)
	}
	sentRef, _ := refOf(sent)
	if gotRef, ok := refOf(got); !ok || gotRef != sentRef {
		field := "key_id"
		if _, aws := sent.(wrapper.AWSKey); aws {
			field = "key_arn"
		}
		return mismatch(field, wrapper.Key{Material: sent}.Identifier(), wrapper.Key{Material: got}.Identifier())
	}
	switch s := sent.(type) {
	case wrapper.AzureKey:
		gk := got.(wrapper.AzureKey)
		if !strings.EqualFold(s.KeyVaultID, gk.KeyVaultID) {
			return mismatch("key_vault_id", s.KeyVaultID, gk.KeyVaultID)
		}
		if !strings.EqualFold(s.TenantID, gk.TenantID) {
			return mismatch("tenant_id", s.TenantID, gk.TenantID)
		}
	case wrapper.GCPKey:
		gk := got.(wrapper.GCPKey)
		sn, _ := parseGCPKeyID(s.KeyID)
		gn, _ := parseGCPKeyID(gk.KeyID)
		if sn.version != "" && gn.version != "" && sn.version != gn.version {
			return mismatch("key_id", s.KeyID, gk.KeyID)
		}
	}
	return nil
}
