// Package byoktest runs a stateful fake of the Confluent Cloud BYOK
// Management API v1 for tests, in the manner of net/http/httptest.
//
// The fake speaks the API as the published one does (openapi/byok-v1.yaml):
// the five operations on /byok/v1/keys, the Failure error body, HTTP Basic
// and Bearer authentication, the rate-limit headers on every answer, cursor
// paging with the six filters, and the server-filled read-only fields (ids,
// metadata, provider, roles, application_id, security_group, state and
// validation). It encodes and decodes with the generated models of package
// api only, so that a decoding bug in a client cannot hide behind the same
// bug in the fake.
//
// Start one per test with NewServer; it listens on 127.0.0.1 and is closed by
// t.Cleanup:
//
//	srv := byoktest.NewServer(t, byoktest.WithValidation(byoktest.Validation{Reads: 2}))
//	req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/byok/v1/keys", nil)
//	srv.Authorize(req)
//	resp, err := srv.Client().Do(req)
//
// New gives the same fake without a listener, to serve yourself as an
// http.Handler (as `byokctl serve` does), optionally persisted to a JSON
// file with WithDataFile. Either way the Server's methods drive it: Seed
// and AddKey add keys; IDs, Key, Keys and Len read them; SetState and
// SetValidation change them; RespondNext, FailNext and SetFaults queue
// errors and faults; Requests and ClearRequests read the request log.
//
// # Behaviour worth knowing
//
//   - Key ids are "cck-" followed by eight lower-case letters and digits;
//     they come from a generator seeded by WithSeed (random by default).
//   - An id in a path is unescaped first. An id longer than 255 characters or
//     holding anything but letters, digits, '-', '_' and '.' is answered with
//     400 (code invalid_id, source.parameter "id"); a well-formed id that
//     names no key is answered with 404.
//   - Create answers 422 for a body without `key`, an unknown `kind`, a
//     missing or empty required field of the variant, a read-only field
//     (id, metadata, provider, state, validation, api_version, kind at the top
//     level; roles, application_id, security_group inside key) or a property
//     the schema does not know. The kinds and which properties are required
//     or read-only are the spec's, written into rules.gen.go at generate
//     time (make generate), not by hand; 400 for a body that is not JSON or larger
//     than the body limit; 409 when a key with the same key_arn (AWS) or
//     key_id (Azure, GCP) exists; 402 when byok.max_keys.per_org is reached
//     (or when a data file left no sequence number for a new key).
//   - Update changes display_name only. Any other property in the body is
//     answered with 422, even if its value equals the stored one.
//   - Delete answers 409 for a key whose state is IN_USE. (The published
//     spec documents no 409 for deleteByokV1Key, so the contract validator
//     reports that answer.)
//   - Validation starts INITIALIZING and completes, as configured by
//     WithValidation, after a number of reads (GETs of that key) and/or a
//     delay measured on the injected clock (WithClock). It completes INVALID
//     for keys matched by WithInvalidKeys, or whose region cannot be derived
//     from the key, and VALID otherwise. validation.region is set only while
//     the key is VALID (the published docs say it is computed after a
//     successful validation): the AWS region from the key_arn, the GCP region
//     from the locations/<region> segment of key_id, and for Azure the
//     configured Validation.AzureRegion ("eastus" by default). The
//     validation_region filter sees the same value.
//   - Listing returns keys in creation order. display_name and key are
//     case-sensitive substring matches; provider, state, validation_phase and
//     validation_region are exact matches; an empty filter value is ignored.
//     page_size defaults to 10 and must be 1..100 (else 400 with
//     source.parameter page_size). page_token is an opaque cursor naming the
//     last key of the previous page, so a key present for the whole listing
//     is seen exactly once even while others are created or deleted; a token
//     this server did not make is answered with 400. metadata.next is absent
//     on the last page; total_size counts the filtered set.
//   - Create and update bodies must be sent as application/json (else 400).
//     An unknown path or method is answered first (404, 405), then a
//     request without valid credentials (401): it uses up no RespondNext
//     answer and no fault. Then come faults and RespondNext answers, 429
//     (the rate limit counts authenticated requests only) and 403.
//   - Without WithCredentials and WithToken the fake accepts the built-in
//     DefaultAPIKey pair and the DefaultToken bearer; given either option,
//     only what was given works.
//   - Every answer carries X-Request-Id and X-RateLimit-Limit, -Remaining and
//     -Reset (whole seconds until the window resets, rounded up, an integer
//     as the API publishes it); 429 answers carry Retry-After. Only
//     FaultRateLimitBurst sends a fractional reset (0.05), marked with
//     FaultHeader.
//
// # Faults
//
// WithFaults and SetFaults inject faults deterministically from a seed: the
// n-th eligible request gets the same fault for the same seed, whatever the
// timing. FailNext makes the next requests fail with a chosen mode, and
// RespondNext makes the next request of an operation answer a chosen
// documented error status (a spec-valid answer, useful to test every error a
// client can meet). Every faulted answer carries the header FaultHeader so
// that the contract validator skips it.
package byoktest
