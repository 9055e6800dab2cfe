package main

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

// newClient builds the API client from the global flags and the environment,
// with the options extra.
// The library finds the credentials (wrapper.NewFromEnv: a key pair beats a
// token); a flag stands for its variable, and a credential flag hides the
// variables of the other kind.
func (g *globals) newClient(extra ...wrapper.Option) (*wrapper.Client, error) {
	if g.token != "" && (g.apiKey != "" || g.apiSecret != "") {
		return nil, usagef("give either --token or --api-key/--api-secret, not both")
	}
	env := g.sys.getenv
	// A key or secret given as a flag is named as a flag when its other half
	// is missing; the library would name the variables.
	switch {
	case g.apiKey != "" && first(g.apiSecret, env(envAPISecret)) == "":
		return nil, usagef("--api-key needs its secret: give --api-secret or set %s", envAPISecret)
	case g.apiSecret != "" && first(g.apiKey, env(envAPIKey)) == "":
		return nil, usagef("--api-secret needs its key: give --api-key or set %s", envAPIKey)
	}
	getenv := func(name string) string {
		switch name {
		case envAPIKey, envAPISecret:
			if g.token != "" {
				return ""
			}
			return first(map[string]string{envAPIKey: g.apiKey, envAPISecret: g.apiSecret}[name], env(name))
		case envAccessToken:
			if g.apiKey != "" || g.apiSecret != "" {
				return ""
			}
			return first(g.token, env(name))
		}
		return env(name)
	}
	opts := []wrapper.Option{wrapper.WithUserAgent("byokctl/" + buildVersion()), wrapper.WithGetenv(getenv)}
	if g.endpoint != "" {
		opts = append(opts, wrapper.WithEndpoint(g.endpoint))
	}
	if g.insecureHTTP {
		opts = append(opts, wrapper.WithInsecureHTTP())
	}
	if g.debug {
		log := slog.New(slog.NewTextHandler(g.sys.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts = append(opts, wrapper.WithLogger(log))
	}
	if g.sys.clock != nil {
		opts = append(opts, wrapper.WithClock(g.sys.clock))
	}
	client, err := wrapper.NewFromEnv(append(opts, extra...)...)
	if err != nil {
		// The options are all from the command line or the environment: a
		// usage error, which describe puts in the CLI's words (cliWords).
		// Credentials given as flags are not "from the environment", though
		// the library reads them from there.
		msg := err.Error()
		if g.apiKey != "" || g.apiSecret != "" || g.token != "" {
			msg = strings.Replace(msg, "from the environment: ", "", 1)
		}
		return nil, &usageError{errors.New(msg)}
	}
	return client, nil
}

// first returns the first non-empty string.
func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// cliWords replaces the names of the library's options in a message by the
// flags that set them: a byokctl user knows the flags, not the Go API.
func cliWords(msg string) string {
	return strings.NewReplacer(
		"WithAPIKey, WithBearerToken or WithTokenSource", "--api-key and --api-secret, or --token",
		"WithAPIKey, WithBearerToken and WithTokenSource", "--api-key and --api-secret, and --token",
		"WithAPIKey or WithBearerToken", "--api-key and --api-secret, or --token",
		"WithAPIKey", "--api-key/--api-secret",
		"WithBearerToken", "--token",
		"WithTokenSource", "--token",
		"WithEndpoint", "--endpoint",
		"WithInsecureHTTP", "--insecure-http",
		"NewFromEnv", "the environment",
	).Replace(msg)
}
