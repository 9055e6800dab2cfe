package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

// TestPlanAzureHostCase: an Azure key on the server matches the entry that
// names the same key with its host written in another case, or with the
// default port. Were it not matched, apply would create the key a second
// time and apply --prune would delete the one registered.
func TestPlanAzureHostCase(t *testing.T) {
	kf, err := parseKeysFile("keys.yaml", []byte("keys:\n"+
		"  - {provider: azure, key_id: 'https://Vault-Name.vault.azure.net/keys/key-name', key_vault_id: '"+exampleAzureVault+"', tenant_id: '"+exampleTenant+"'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, onServer := range []string{
		"https://VAULT-NAME.vault.azure.net/keys/key-name",
		"https://vault-name.vault.azure.net:443/keys/key-name",
	} {
		server := serverKeys{keys: []wrapper.Key{{Key: api.Key{ID: "cck-azure1", Provider: wrapper.ProviderAzure}, Material: wrapper.AzureKey{KeyID: onServer, KeyVaultID: exampleAzureVault, TenantID: exampleTenant}}}}
		p := makePlan(kf, server)
		if len(p.Items) != 1 || p.Items[0].Action != actInSync || p.Items[0].ID != "cck-azure1" {
			t.Errorf("server key %s: plan %+v; want one in-sync line for cck-azure1", onServer, p.Items)
		}
	}
	if got := kf.entries[0].material.(wrapper.AzureKey).KeyID; got != exampleAzureKey {
		t.Errorf("the entry's key id, as create sends it: %s; want %s", got, exampleAzureKey)
	}
}

// TestPlanUnknownKindWithAnEntrysIdentifier: a key of a kind byokctl does not
// know (a newer server naming AWS keys anew) that carries the identifier of
// an entry keeps that entry from being created a second time; the key is
// reported once, with the entry's line, and never touched.
func TestPlanUnknownKindWithAnEntrysIdentifier(t *testing.T) {
	kf, err := parseKeysFile("keys.yaml", []byte("keys:\n"+
		"  - {provider: aws, key_arn: '"+exampleARN+"', display_name: billing}\n"+
		"  - {provider: gcp, key_id: '"+exampleGCPKey+"'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	server := serverKeys{keys: []wrapper.Key{
		{Key: api.Key{ID: "cck-new1", Provider: wrapper.ProviderAWS}, Material: wrapper.UnknownKey{Raw: json.RawMessage(`{"kind":"AwsKeyV2","key_arn":"` + exampleARN + `"}`)}},
		{Key: api.Key{ID: "cck-oci1", Provider: "OCI"}, Material: wrapper.UnknownKey{Raw: json.RawMessage(`{"kind":"OciKey","key_id":"ocid1.key.oc1..x"}`)}},
	}}
	p := makePlan(kf, server)
	var got []string
	for _, item := range p.Items {
		got = append(got, fmt.Sprintf("%s %s line %d", item.Action, item.ID, item.Line))
	}
	want := []string{"unknown-kind cck-new1 line 2", "create  line 3", "unknown-kind cck-oci1 line 0"}
	if !slices.Equal(got, want) {
		t.Errorf("plan %q\nwant %q", got, want)
	}
}
