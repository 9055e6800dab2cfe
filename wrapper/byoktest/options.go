package byoktest

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The built-in credentials: a server built without WithCredentials and
// without WithToken accepts both the DefaultAPIKey pair and the DefaultToken
// bearer. Given either option, it accepts only what was given. They are
// fixed test values, not secrets.
const (
	DefaultAPIKey    = "BYOKTESTKEY"
	DefaultAPISecret = "byoktest-secret"
	DefaultToken     = "byoktest-token"
)

// DefaultBodyLimit is the largest request body accepted unless WithBodyLimit
// says otherwise.
const DefaultBodyLimit = 1 << 20

// DefaultRequestLogSize is how many requests the log keeps unless
// WithRequestLog says otherwise.
const DefaultRequestLogSize = 10000

// Option configures a Server.
type Option func(*config) error

type config struct {
	apiKey, apiSecret string
	token             string
	tokenSet          bool // WithToken was given (an empty token turns Bearer off)
	validation        Validation
	invalidMatch      func(material string) bool
	invalidMessage    string
	maxKeys           int
	forbiddenOps      map[Operation]bool
	forbiddenIDs      map[string]bool
	rateLimit         int
	rateWindow        time.Duration
	faults            Faults
	clock             func() time.Time
	dataFile          string
	bodyLimit         int64
	middleware        []func(http.Handler) http.Handler
	baseURL           string
	seed              uint64
	seeded            bool
	logSize           int
}

func defaultConfig() config {
	return config{
		validation:   Validation{Reads: 1},
		forbiddenOps: map[Operation]bool{},
		forbiddenIDs: map[string]bool{},
		rateLimit:    math.MaxInt32,
		rateWindow:   time.Minute,
		clock:        time.Now,
		bodyLimit:    DefaultBodyLimit,
		logSize:      DefaultRequestLogSize,
	}
}

// WithCredentials sets the API key and secret accepted with HTTP Basic
// authentication (the key is the user name, the secret the password). The
// built-in credentials are then refused: Bearer authentication works only
// with a token given with WithToken.
func WithCredentials(key, secret string) Option {
	return func(c *config) error {
		if key == "" || secret == "" {
			return fmt.Errorf("byoktest: WithCredentials: key and secret must not be empty")
		}
		c.apiKey, c.apiSecret = key, secret
		return nil
	}
}

// WithToken sets the bearer token accepted with Bearer authentication. The
// built-in credentials are then refused: HTTP Basic authentication works
// only with a key and secret given with WithCredentials. An empty token
// turns Bearer authentication off and keeps the built-in pair.
func WithToken(token string) Option {
	return func(c *config) error {
		c.token, c.tokenSet = token, true
		return nil
	}
}

// credentials fills in the built-in credentials when none were given: no
// key and secret (WithCredentials refuses empty ones) and no token.
func (c *config) credentials() {
	if c.apiKey != "" || c.token != "" {
		return
	}
	c.apiKey, c.apiSecret = DefaultAPIKey, DefaultAPISecret
	if !c.tokenSet {
		c.token = DefaultToken
	}
}

// WithValidation sets how a new key's validation progresses (see
// Validation). The default is Validation{Reads: 1}: a created key is
// INITIALIZING and its first GET shows the validation completed.
func WithValidation(v Validation) Option {
	return func(c *config) error {
		if v.Reads < 0 || v.Delay < 0 {
			return fmt.Errorf("byoktest: WithValidation: Reads and Delay must not be negative (got %d, %s)", v.Reads, v.Delay)
		}
		c.validation = v
		return nil
	}
}

// WithInvalidKeys makes the validation of every key whose material (key_arn
// for AWS, key_id for Azure and GCP) satisfies match complete INVALID with
// message (or "Access to key denied." when message is empty).
func WithInvalidKeys(match func(material string) bool, message string) Option {
	return func(c *config) error {
		if match == nil {
			return fmt.Errorf("byoktest: WithInvalidKeys: match must not be nil")
		}
		if message == "" {
			message = "Access to key denied."
		}
		c.invalidMatch, c.invalidMessage = match, message
		return nil
	}
}

// WithMaxKeys sets the quota byok.max_keys.per_org: a create that would make
// more than n keys is answered with 402. Zero means no quota.
func WithMaxKeys(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("byoktest: WithMaxKeys: n must not be negative (got %d)", n)
		}
		c.maxKeys = n
		return nil
	}
}

// WithForbiddenOperations answers every request for one of ops with 403
// (after authentication).
func WithForbiddenOperations(ops ...Operation) Option {
	return func(c *config) error {
		for _, op := range ops {
			if !op.valid() {
				return fmt.Errorf("byoktest: WithForbiddenOperations: unknown operation %q", op)
			}
			c.forbiddenOps[op] = true
		}
		return nil
	}
}

// WithForbiddenKeys answers every get, update or delete of one of the keys
// ids with 403 (after authentication). Listing still shows them.
func WithForbiddenKeys(ids ...string) Option {
	return func(c *config) error {
		for _, id := range ids {
			c.forbiddenIDs[id] = true
		}
		return nil
	}
}

// WithRateLimit allows limit requests per fixed window, measured on the
// injected clock; the request past the limit is answered with 429,
// Retry-After and the X-RateLimit-* headers. Without it the limit is
// math.MaxInt32 per minute.
func WithRateLimit(limit int, window time.Duration) Option {
	return func(c *config) error {
		if limit < 1 || window <= 0 {
			return fmt.Errorf("byoktest: WithRateLimit: limit must be at least 1 and window positive (got %d, %s)", limit, window)
		}
		c.rateLimit, c.rateWindow = limit, window
		return nil
	}
}

// WithFaults injects faults as f says (see Faults).
func WithFaults(f Faults) Option {
	return func(c *config) error {
		if err := f.check(); err != nil {
			return err
		}
		c.faults = f
		return nil
	}
}

// WithClock sets the clock used for timestamps, validation delays and the
// rate-limit window. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("byoktest: WithClock: clock must not be nil")
		}
		c.clock = now
		return nil
	}
}

// WithDataFile keeps the keys in the JSON file at path: they are loaded from
// it when it exists and written to it after every change, atomically (a
// temporary file in the same directory renamed over it). A change whose
// save fails is not made (an HTTP request gets 500). One server at a time
// uses a file: New takes an exclusive lock on .<name>.lock beside it
// (flock, where the system has it) until Close.
func WithDataFile(path string) Option {
	return func(c *config) error {
		if path == "" {
			return fmt.Errorf("byoktest: WithDataFile: path must not be empty")
		}
		c.dataFile = path
		return nil
	}
}

// WithBodyLimit sets the largest request body accepted, in bytes; a larger
// one is answered with 400. The default is DefaultBodyLimit.
func WithBodyLimit(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("byoktest: WithBodyLimit: n must be positive (got %d)", n)
		}
		c.bodyLimit = n
		return nil
	}
}

// WithMiddleware wraps the fake in mw, for instance the contract validator's
// Middleware. The first middleware given is the outermost.
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(c *config) error {
		if mw == nil {
			return fmt.Errorf("byoktest: WithMiddleware: middleware must not be nil")
		}
		c.middleware = append(c.middleware, mw)
		return nil
	}
}

// WithBaseURL sets the absolute URL (scheme and host, no path) that
// metadata.self, Location and the paging links start with. Without it,
// NewServer uses the server's own URL, and a Server made by New the scheme
// and Host of each request.
func WithBaseURL(base string) Option {
	return func(c *config) error {
		u, err := url.Parse(base)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("byoktest: WithBaseURL: want an absolute URL such as http://127.0.0.1:8080, got %q", base)
		}
		c.baseURL = strings.TrimSuffix(base, "/")
		return nil
	}
}

// WithSeed seeds the generator of ids, organisation, role ARNs and Azure
// application ids, so that two servers with the same seed and the same
// requests make the same keys.
func WithSeed(seed uint64) Option {
	return func(c *config) error {
		c.seed, c.seeded = seed, true
		return nil
	}
}

// WithRequestLog sets how many requests Requests keeps (the oldest are
// dropped first). Zero or less turns the log off.
func WithRequestLog(size int) Option {
	return func(c *config) error {
		c.logSize = max(size, 0)
		return nil
	}
}
