// Package wrapper is a Go client for the Confluent Cloud Bring Your Own Key
// (BYOK) Management API v1: register customer-managed keys of AWS KMS, Azure
// Key Vault and Google Cloud KMS, list them, wait for their validation,
// rename and delete them.
//
// It is built on the generated client and models of package api, generated
// from the spec, and its models are those: Validation is api.KeyValidation,
// AWSKey a defined type of api.AwsKey, Key embeds api.Key (so a property the
// spec gains is a field after make generate). It adds what a user of the API
// needs:
//
//   - typed key variants (AWSKey, AzureKey, GCPKey) that never break on a kind
//     added by a newer server (UnknownKey keeps it, raw JSON included), and
//     Key.Raw, the key's JSON as the server sent it, which MarshalJSON writes
//     back, properties this version does not know included;
//   - the answer's *Response (status, request id, rate limit, headers) from
//     every call, as go-github returns it;
//   - Keys, an iterator over all pages, fetched lazily;
//   - errors that keep everything the server said (*APIError: status, every
//     error detail, request id, rate limit), matched with errors.Is against
//     ErrNotFound, ErrRateLimited and the other sentinels;
//   - retries that honour Retry-After and X-RateLimit-Reset and never repeat a
//     create that may have reached the server (ErrOutcomeUnknown);
//   - WaitForValidation, which polls a new key until Confluent Cloud has
//     validated it.
//
// Secrets (the API secret, bearer tokens) never appear in errors or logs.
//
// # A complete program
//
// This program registers an AWS KMS key, prints the IAM roles to grant on it,
// waits until Confluent Cloud has validated it, and lists all AWS keys:
//
//	package main
//
//	import (
//		"context"
//		"errors"
//		"fmt"
//		"log"
//		"time"
//
//		"github.com/byokctl/byok/api"
//		"github.com/byokctl/byok/wrapper"
//	)
//
//	func main() {
//		// CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET (or
//		// CONFLUENT_CLOUD_ACCESS_TOKEN) hold the credentials.
//		client, err := wrapper.NewFromEnv(wrapper.WithUserAgent("keytool/1.0"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
//		defer cancel()
//
//		key, resp, err := client.CreateKey(ctx, wrapper.CreateKeyRequest{
//			Key: api.Key{DisplayName: "billing cluster"},
//			Material: wrapper.AWSKey{
//				KeyARN: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
//			},
//		})
//		if errors.Is(err, wrapper.ErrOutcomeUnknown) {
//			log.Fatal("the create may have succeeded; list the keys before trying again: ", err)
//		}
//		if err != nil {
//			log.Fatal(err)
//		}
//		log.Printf("created %s (request id %s)", key.ID, resp.RequestID)
//		if aws, ok := key.Material.(wrapper.AWSKey); ok {
//			fmt.Println("grant these roles on the KMS key:", aws.Roles)
//		}
//
//		key, err = client.WaitForValidation(ctx, key.ID, wrapper.WithProgress(func(p wrapper.WaitProgress) {
//			fmt.Printf("check %d: %s\n", p.Check, p.Key.Validation.Phase)
//		}))
//		var invalid *wrapper.ValidationError
//		if errors.As(err, &invalid) {
//			log.Fatalf("key %s is invalid: %s", invalid.KeyID, invalid.Message)
//		}
//		if err != nil {
//			log.Fatal(err)
//		}
//		fmt.Println(key.ID, "is valid in", key.Validation.Region)
//
//		for k, err := range client.Keys(ctx, wrapper.ListKeysOptions{Provider: wrapper.ProviderAWS}) {
//			if err != nil {
//				log.Fatal(err)
//			}
//			fmt.Println(k.ID, k.DisplayName, k.State, k.Identifier())
//		}
//	}
//
// # Errors
//
// Every non-2xx answer is an *APIError. errors.Is matches it against the
// sentinel of its status: ErrBadRequest (400), ErrUnauthorized (401),
// ErrQuotaExceeded (402), ErrForbidden (403), ErrNotFound (404), ErrConflict
// (409), ErrInvalid (422), ErrRateLimited (429) and ErrServer (any 5xx).
// errors.As gives the details:
//
//	var apiErr *wrapper.APIError
//	if errors.As(err, &apiErr) {
//		fmt.Println(apiErr.StatusCode, apiErr.RequestID, apiErr.Errors)
//	}
//
// Connection errors are wrapped with the operation's name ("byok: get key
// cck-12345: ..."). Bad arguments (an empty id, a page size over 100, a
// create without a key ARN) fail before any request is sent.
//
// # Retries and rate limits
//
// See RetryPolicy. Rate-limit headers are parsed leniently into RateLimit and
// are found on Response.RateLimit and APIError.RateLimit.
package wrapper
