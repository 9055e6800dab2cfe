package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// startFake starts the fake BYOK API of package byoktest on 127.0.0.1 (a
// real program talks to https://api.confluent.cloud instead).
func startFake(opts ...byoktest.Option) (*httptest.Server, *byoktest.Server) {
	fake, err := byoktest.New(append([]byoktest.Option{byoktest.WithSeed(1)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return httptest.NewServer(fake), fake
}

func ExampleNew() {
	srv, fake := startFake()
	defer srv.Close()

	client, err := wrapper.New(
		wrapper.WithAPIKey(fake.APIKey(), fake.APISecret()),
		wrapper.WithEndpoint(srv.URL), // plain http is allowed on loopback only
		wrapper.WithUserAgent("example/1.0"),
	)
	if err != nil {
		log.Fatal(err)
	}
	page, _, err := client.ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("keys:", len(page.Keys))

	// Missing credentials fail at New, not at the first call.
	_, err = wrapper.New(wrapper.WithEndpoint(srv.URL))
	fmt.Println(err)
	// Output:
	// keys: 0
	// byok: no credentials: pass WithAPIKey, WithBearerToken or WithTokenSource, or use NewFromEnv
}

func ExampleClient_Keys() {
	srv, fake := startFake()
	defer srv.Close()
	fake.Seed(7) // seven keys: AWS, Azure, GCP, AWS, ...
	client, err := wrapper.New(wrapper.WithAPIKey(fake.APIKey(), fake.APISecret()), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}

	// All AWS keys, fetched two per page.
	for key, err := range client.Keys(context.Background(), wrapper.ListKeysOptions{Provider: wrapper.ProviderAWS, PageSize: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(key.DisplayName, key.Provider, key.Material.MaterialKind(), key.Validation.Phase)
	}
	// Output:
	// seed key 1 AWS AwsKey VALID
	// seed key 4 AWS AwsKey VALID
	// seed key 7 AWS AwsKey VALID
}

func ExampleClient_CreateKey() {
	srv, fake := startFake()
	defer srv.Close()
	client, err := wrapper.New(wrapper.WithAPIKey(fake.APIKey(), fake.APISecret()), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	key, resp, err := client.CreateKey(ctx, wrapper.CreateKeyRequest{
		Key:      api.Key{DisplayName: "billing cluster"},
		Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
	})
	if errors.Is(err, wrapper.ErrOutcomeUnknown) {
		log.Fatal("the key may have been created; list the keys before trying again: ", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	// The request id of a create belongs in an audit log.
	fmt.Println("created:", resp.StatusCode, "request id known:", resp.RequestID != "")
	aws := key.Material.(wrapper.AWSKey)
	fmt.Println(key.DisplayName, key.Validation.Phase, "roles to grant:", len(aws.Roles) > 0)

	key, err = client.WaitForValidation(ctx, key.ID, wrapper.WithProgress(func(p wrapper.WaitProgress) {
		fmt.Println("check", p.Check, p.Key.Validation.Phase)
	}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("valid in", key.Validation.Region)
	// Output:
	// created: 201 request id known: true
	// billing cluster INITIALIZING roles to grant: true
	// check 1 VALID
	// valid in us-west-2
}

// ExampleClient_CreateKey_azureAndGCP registers a key of an Azure Key Vault
// and one of Google Cloud KMS. The answers name what Confluent Cloud made for
// each: the application to grant the vault to, and the Google group to grant
// the key to (byokctl grants prints the az and gcloud commands).
func ExampleClient_CreateKey_azureAndGCP() {
	srv, fake := startFake()
	defer srv.Close()
	client, err := wrapper.New(wrapper.WithAPIKey(fake.APIKey(), fake.APISecret()), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	azure, _, err := client.CreateKey(ctx, wrapper.CreateKeyRequest{
		Key: api.Key{DisplayName: "billing cluster"},
		Material: wrapper.AzureKey{
			KeyID:      "https://vault-name.vault.azure.net/keys/key-name",
			KeyVaultID: "/subscriptions/a1b2c3d4-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name",
			TenantID:   "a1b2c3d4-0000-4000-8000-000000000002",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(azure.Provider, azure.Validation.Phase, "application to grant:", azure.Material.(wrapper.AzureKey).ApplicationID != "")

	gcp, _, err := client.CreateKey(ctx, wrapper.CreateKeyRequest{
		Material: wrapper.GCPKey{KeyID: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(gcp.Provider, gcp.Validation.Phase, "group to grant:", gcp.Material.(wrapper.GCPKey).SecurityGroup != "")
	// Output:
	// Azure INITIALIZING application to grant: true
	// GCP INITIALIZING group to grant: true
}

func ExampleAPIError() {
	srv, fake := startFake()
	defer srv.Close()
	client, err := wrapper.New(wrapper.WithAPIKey(fake.APIKey(), fake.APISecret()), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}

	_, _, err = client.GetKey(context.Background(), "cck-missing")
	if errors.Is(err, wrapper.ErrNotFound) {
		fmt.Println("no such key")
	}
	var apiErr *wrapper.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Errors[0].Code, apiErr.Errors[0].Detail)
		fmt.Println("request id known:", apiErr.RequestID != "")
	}
	// Output:
	// no such key
	// 404 resource_not_found Key 'cck-missing' was not found.
	// request id known: true
}

func ExampleValidationError() {
	srv, fake := startFake(byoktest.WithInvalidKeys(func(string) bool { return true }, "Access to key denied."))
	defer srv.Close()
	client, err := wrapper.New(wrapper.WithAPIKey(fake.APIKey(), fake.APISecret()), wrapper.WithEndpoint(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	key, _, err := client.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.GCPKey{KeyID: "projects/acme/locations/us-central1/keyRings/r/cryptoKeys/k"}})
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.WaitForValidation(ctx, key.ID)
	var invalid *wrapper.ValidationError
	if errors.As(err, &invalid) {
		fmt.Println(errors.Is(err, wrapper.ErrKeyInvalid), invalid.Message)
	}
	// Output:
	// true Access to key denied.
}
