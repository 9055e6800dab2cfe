package main

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

// Environment variables byokctl reads. A flag beats its variable, and a
// credential flag hides the variables of the other kind.
const (
	envAPIKey      = "CONFLUENT_CLOUD_API_KEY"
	envAPISecret   = "CONFLUENT_CLOUD_API_SECRET"
	envAccessToken = "CONFLUENT_CLOUD_ACCESS_TOKEN"
	envEndpoint    = "CONFLUENT_CLOUD_ENDPOINT"
)

// newClient builds the API client from the global flags and the environment,
// with the options extra. byokctl resolves its settings itself and passes
// them to wrapper.New as explicit options; a setting the library refuses
// is named as the flag or the variable it came from.
func (g *globalFlags) newClient(extra ...wrapper.Option) (*wrapper.Client, error) {
	creds, err := g.credentials()
	if err != nil {
		return nil, err
	}
	opts := []wrapper.Option{wrapper.WithUserAgent("byokctl/" + buildVersion()), creds.option}
	endpointFrom := "--endpoint"
	endpoint := g.endpoint
	if endpoint == "" {
		endpoint, endpointFrom = g.sys.getenv(envEndpoint), envEndpoint
	}
	if endpoint != "" {
		opts = append(opts, wrapper.WithEndpoint(endpoint))
	}
	if g.insecureHTTP {
		opts = append(opts, wrapper.WithInsecureHTTP())
	}
	if g.debug {
		log := slog.New(slog.NewTextHandler(g.sys.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		log.Debug("byokctl: credentials", "kind", creds.kind)
		opts = append(opts, wrapper.WithLogger(log))
	}
	if g.sys.clock != nil {
		opts = append(opts, wrapper.WithClock(g.sys.clock))
	}
	client, err := wrapper.New(append(opts, extra...)...)
	if err != nil {
		// Every option is from the command line or the environment: a
		// usage error, in the words of the flag or variable at fault.
		var refused *wrapper.OptionError
		if !errors.As(err, &refused) {
			return nil, &usageError{errors.New(strings.TrimPrefix(err.Error(), "byok: "))}
		}
		from := map[string]string{"WithAPIKey": creds.from, "WithBearerToken": creds.from, "WithEndpoint": endpointFrom}[refused.Option]
		if from == "" {
			from = refused.Option // an option byokctl passes itself: a bug
		}
		msg := from + ": " + refused.Reason
		switch refused.Instead {
		case "WithInsecureHTTP":
			msg += ", or --insecure-http to send credentials unencrypted"
		case "WithAPIKey":
			msg += "; pass them with --api-key and --api-secret, or --token"
		}
		return nil, &usageError{errors.New(msg)}
	}
	return client, nil
}

// credential is the credential option byokctl passes to wrapper.New.
type credential struct {
	option wrapper.Option
	from   string // the flags or variables it came from, for an error
	kind   string // what it is and where it came from, for --debug
}

// credentials resolves the credential from the flags and the environment:
// flags first; in the environment a key pair beats a token; a key without
// its secret (or a secret without its key) is an error, token or not.
func (g *globalFlags) credentials() (credential, error) {
	env := g.sys.getenv
	switch {
	case g.token != "" && (g.apiKey != "" || g.apiSecret != ""):
		return credential{}, usagef("give either --token or --api-key/--api-secret, not both")
	case g.token != "":
		return credential{wrapper.WithBearerToken(g.token), "--token", "bearer token from --token"}, nil
	case g.apiKey != "" && first(g.apiSecret, env(envAPISecret)) == "":
		return credential{}, usagef("--api-key needs its secret: give --api-secret or set %s", envAPISecret)
	case g.apiSecret != "" && first(g.apiKey, env(envAPIKey)) == "":
		return credential{}, usagef("--api-secret needs its key: give --api-key or set %s", envAPIKey)
	case g.apiKey != "" || g.apiSecret != "":
		return credential{wrapper.WithAPIKey(first(g.apiKey, env(envAPIKey)), first(g.apiSecret, env(envAPISecret))),
			"--api-key/--api-secret", "API key from the flags"}, nil
	}
	key, secret, token := env(envAPIKey), env(envAPISecret), env(envAccessToken)
	switch {
	case key != "" && secret != "":
		return credential{wrapper.WithAPIKey(key, secret), envAPIKey + "/" + envAPISecret,
			"API key from " + envAPIKey + " and " + envAPISecret}, nil
	case key != "":
		return credential{}, usagef("an API key (%s) needs its secret (%s)", envAPIKey, envAPISecret)
	case secret != "":
		return credential{}, usagef("an API secret (%s) needs its key (%s)", envAPISecret, envAPIKey)
	case token != "":
		return credential{wrapper.WithBearerToken(token), envAccessToken, "bearer token from " + envAccessToken}, nil
	}
	return credential{}, usagef("no credentials: set an API key and secret (%s and %s) or a bearer token (%s)", envAPIKey, envAPISecret, envAccessToken)
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
