package main

import (
	"testing"

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
		server := serverKeys{keys: []wrapper.Key{{ID: "cck-azure1", Provider: wrapper.ProviderAzure,
			Material: wrapper.AzureKey{KeyID: onServer, KeyVaultID: exampleAzureVault, TenantID: exampleTenant}}}}
		p := makePlan(kf, server)
		if len(p.Items) != 1 || p.Items[0].Action != actInSync || p.Items[0].ID != "cck-azure1" {
			t.Errorf("server key %s: plan %+v; want one in-sync line for cck-azure1", onServer, p.Items)
		}
	}
	if got := kf.entries[0].material.(wrapper.AzureKey).KeyID; got != exampleAzureKey {
		t.Errorf("the entry's key id, as create sends it: %s; want %s", got, exampleAzureKey)
	}
}
