// Package prism runs Stoplight Prism (@stoplight/prism-cli, pinned in
// package-lock.json) as the independent second validator of the contract
// checks: `prism mock` answers from the spec alone, and `prism proxy
// --errors` stands in front of a server and flags every request or response
// that breaks the spec.
//
// Start launches Prism on a free loopback port, waits for it to listen
// (bounded in time) and returns a *Prism whose Stop ends the process by its
// pid. Recorder is a reverse proxy to put in front of Prism: it notes every
// violation Prism reports (the sl-violations header and Prism's own
// application/problem+json answers) so that a run can fail on them.
//
// Nothing here is needed by plain `go test ./...`: the tests that run Prism
// skip unless BYOK_PRISM_BIN names the prism executable, as `make prism`
// does.
package prism
