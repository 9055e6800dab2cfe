// Package speclint holds the tests of the project's spectral ruleset
// (.spectral.yaml): each rule of our own fails a spec broken on purpose in
// the way it forbids, and the real spec draws no finding at all.
//
// The tests run spectral only when BYOK_SPECTRAL_BIN names its executable
// (node_modules/.bin/spectral), as `make spectral` does; plain `go test
// ./...` skips them.
package speclint

// BinEnv names the environment variable that holds the path of the
// spectral executable.
const BinEnv = "BYOK_SPECTRAL_BIN"
