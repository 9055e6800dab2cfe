package main

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

// credentials are the resolved authentication settings. They are never
// printed.
type credentials struct {
	apiKey, apiSecret string
	token             string
}

// resolveCredentials applies the rules: flags beat environment variables;
// --token and --api-key/--api-secret exclude each other; an API key needs its
// secret. The errors name flags and variables, never values.
func (g *globals) resolveCredentials() (credentials, error) {
	env := g.sys.getenv
	if g.token != "" {
		if g.apiKey != "" || g.apiSecret != "" {
			return credentials{}, usagef("give either --token or --api-key/--api-secret, not both")
		}
		return credentials{token: g.token}, nil
	}
	key, secret := first(g.apiKey, env(envAPIKey)), first(g.apiSecret, env(envAPISecret))
	switch {
	case key != "" && secret != "":
		return credentials{apiKey: key, apiSecret: secret}, nil
	case key != "":
		return credentials{}, usagef("an API key needs its secret: set --api-secret or $%s", envAPISecret)
	case secret != "":
		return credentials{}, usagef("an API secret needs its key: set --api-key or $%s", envAPIKey)
	}
	if tok := env(envAccessToken); tok != "" {
		return credentials{token: tok}, nil
	}
	return credentials{}, usagef("no credentials: set --api-key and --api-secret (or $%s and $%s), or --token (or $%s)",
		envAPIKey, envAPISecret, envAccessToken)
}

// newClient builds the API client from the global flags and the environment.
func (g *globals) newClient() (*wrapper.Client, error) {
	creds, err := g.resolveCredentials()
	if err != nil {
		return nil, err
	}
	opts := []wrapper.Option{wrapper.WithUserAgent("byokctl/" + buildVersion())}
	if creds.token != "" {
		opts = append(opts, wrapper.WithBearerToken(creds.token))
	} else {
		opts = append(opts, wrapper.WithAPIKey(creds.apiKey, creds.apiSecret))
	}
	if endpoint := first(g.endpoint, g.sys.getenv(envEndpoint)); endpoint != "" {
		opts = append(opts, wrapper.WithEndpoint(endpoint))
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
	client, err := wrapper.New(opts...)
	if err != nil {
		// The options are all from the command line or the environment:
		// say it in their words.
		return nil, &usageError{errors.New(cliWords(err.Error()))}
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
