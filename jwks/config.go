package jwks

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultRefreshInterval  = time.Hour
	DefaultCooldown         = 10 * time.Second
	DefaultMaxBackoff       = 5 * time.Minute
	DefaultMaxStaleness     = 24 * time.Hour
	DefaultFetchTimeout     = 3 * time.Second
	DefaultMaxResponseBytes = 1 << 20
	// DefaultMaxConcurrentFetches: 500 pools load in about 32 rounds of
	// one fetch each (bench/README.md, "Proxy level": start-up).
	DefaultMaxConcurrentFetches = 16
)

// Config tunes a Cache. The zero value is ready to use: every field falls
// back to the default named next to it.
type Config struct {
	// HTTPClient makes the requests. Nil means a client made for this
	// cache (see DefaultHTTPClient) with a 2 s connect timeout, FetchTimeout
	// as its response and overall timeout, and no redirects followed.
	// Whatever client is given, each fetch is also bounded by FetchTimeout;
	// a given client's own timeouts, if shorter, still apply.
	HTTPClient *http.Client

	// FetchTimeout bounds one fetch, from connecting to the last body byte.
	// Zero means DefaultFetchTimeout (3 s). With a nil HTTPClient it is also
	// the client's timeout, so a longer FetchTimeout for a slow endpoint
	// takes effect.
	FetchTimeout time.Duration

	// MaxResponseBytes caps the response body; a larger answer is an error.
	// Zero means DefaultMaxResponseBytes (1 MiB).
	MaxResponseBytes int64

	// RefreshInterval is how often a set is fetched again after a success.
	// Zero means DefaultRefreshInterval (1 h). It must not be shorter than
	// Cooldown. Each background refresh runs at a random point up to 10%
	// before or after it (never sooner than Cooldown after the fetch), so
	// that gates started together do not all refresh at the same instant.
	RefreshInterval time.Duration

	// Cooldown is the shortest time between two fetch attempts for one
	// issuer, whatever triggers them. A token with an unknown kid inside the
	// cooldown fails at once with ErrKeyNotFound. Zero means DefaultCooldown
	// (10 s).
	Cooldown time.Duration

	// MaxBackoff caps the wait between retries after consecutive failures;
	// the wait starts at Cooldown and doubles. Zero means DefaultMaxBackoff
	// (5 min).
	MaxBackoff time.Duration

	// MaxStaleness is how long after its last successful fetch a key set is
	// still served while refreshes fail. Past it, verification fails with
	// ErrUnavailable rather than trusting keys that may have been revoked.
	// Zero means DefaultMaxStaleness (24 h).
	MaxStaleness time.Duration

	// Now is the clock. Nil means time.Now. Background refresh timers use
	// real time (or testing/synctest's fake time).
	Now func() time.Time

	// MaxConcurrentFetches bounds the fetches in flight at once, over all
	// the cache's sets, so that a cache of many pools (at start-up, or
	// when they refresh together) does not open a connection per pool at
	// once; a fetch waits for a slot before its FetchTimeout starts. Zero
	// means DefaultMaxConcurrentFetches (16).
	MaxConcurrentFetches int

	// Observer is told about every fetch. Nil means nobody is.
	Observer Observer

	// Carry, when not nil, is a cache this one takes over from, e.g. when a
	// configuration reload replaces a cache whose sources partly stay: each
	// fetched source whose issuer and URL are those of a fetched set of
	// Carry starts with that set's state — the keys it holds (and when they
	// were fetched, so MaxStaleness counts from then), its latest attempt,
	// consecutive failures and error, and its fetch counts — instead of
	// fetching at once. Its next refresh is then due as if this cache had
	// made that set's fetches: RefreshInterval (jittered) after the held
	// keys were fetched, or the back-off after the latest failure; with
	// this cache's timings. A reload that adds one pool therefore fetches
	// that pool's keys and no other. Static sets and sources whose issuer
	// or URL changed start afresh. New reads Carry once; closing Carry
	// afterwards does not affect this cache.
	Carry *Cache

	// rand returns a number in [0, 1) for the refresh jitter. Nil means
	// math/rand/v2's Float64. Only this package's tests set it
	// (export_test.go).
	rand func() float64

	// dial, when set, replaces the dialer of the default HTTP client. Only
	// this package's tests set it (export_test.go), to run the default
	// client over in-memory connections in a testing/synctest bubble.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Source is one issuer the cache holds keys for: fetched from URL, or
// given as Keys.
type Source struct {
	// Issuer is the exact "iss" value of the tokens the keys sign: an
	// https URL (http with AllowHTTP) with a host and no credentials, query,
	// fragment or trailing slash.
	Issuer string
	// URL is the key set's address. Empty means Issuer +
	// "/.well-known/jwks.json", unless Keys is set.
	URL string
	// AllowHTTP permits plain-http Issuer and URL (local development and
	// emulators only); otherwise both must be https.
	AllowHTTP bool
	// Keys, when not nil, is the key set itself, a JSON Web Key Set document
	// as an endpoint would serve it, and URL must be empty: a static set.
	// Its entries are checked exactly as a fetched set's (see Parse: RSA
	// of 2048 to 8192 bits, use "sig" or absent, alg RS256, RS384, RS512 or
	// absent, a unique kid), except that an entry Parse would skip is a
	// configuration error here rather than a key left out, so that a key
	// the operator meant to trust is not dropped without a word. A static
	// set is parsed by New and never fetched, refreshed or stale: it is
	// usable (Ready) at once, a kid it does not hold is ErrKeyNotFound at
	// once, and Config's timings and HTTP client do not apply to it. For
	// tests, air-gapped deployments and pools whose keys are known.
	Keys []byte
}

// withDefaults returns cfg with zero fields replaced by defaults, or the
// *ConfigErrors of every value that cannot work, in the order Config
// declares the fields.
func (cfg Config) withDefaults() (Config, []error) {
	var errs []error
	negative := func(field string, v any) { errs = append(errs, configErrorf(-1, field, "%v is negative", v)) }
	// The effective values, for the comparisons.
	interval := cmp.Or(cfg.RefreshInterval, DefaultRefreshInterval)
	cooldown := cmp.Or(cfg.Cooldown, DefaultCooldown)
	backoff := cmp.Or(cfg.MaxBackoff, DefaultMaxBackoff)

	if cfg.FetchTimeout < 0 {
		negative("FetchTimeout", cfg.FetchTimeout)
	}
	if cfg.MaxResponseBytes < 0 {
		negative("MaxResponseBytes", cfg.MaxResponseBytes)
	}
	switch {
	case interval < 0:
		negative("RefreshInterval", interval)
	case cooldown >= 0 && interval < cooldown:
		errs = append(errs, configErrorf(-1, "RefreshInterval", "%s is shorter than jwks.cooldown (%s)", interval, cooldown))
	}
	if cooldown < 0 {
		negative("Cooldown", cooldown)
	}
	switch {
	case backoff < 0:
		negative("MaxBackoff", backoff)
	case cooldown >= 0 && backoff < cooldown:
		errs = append(errs, configErrorf(-1, "MaxBackoff", "%s is shorter than jwks.cooldown (%s)", backoff, cooldown))
	}
	if cfg.MaxStaleness < 0 {
		negative("MaxStaleness", cfg.MaxStaleness)
	}
	if cfg.MaxConcurrentFetches < 0 {
		negative("MaxConcurrentFetches", cfg.MaxConcurrentFetches)
	}
	if len(errs) > 0 {
		return cfg, errs
	}

	cfg.FetchTimeout = cmp.Or(cfg.FetchTimeout, DefaultFetchTimeout)
	cfg.MaxResponseBytes = cmp.Or(cfg.MaxResponseBytes, DefaultMaxResponseBytes)
	cfg.RefreshInterval, cfg.Cooldown, cfg.MaxBackoff = interval, cooldown, backoff
	cfg.MaxStaleness = cmp.Or(cfg.MaxStaleness, DefaultMaxStaleness)
	cfg.MaxConcurrentFetches = cmp.Or(cfg.MaxConcurrentFetches, DefaultMaxConcurrentFetches)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = newHTTPClient(cfg.FetchTimeout, cfg.dial)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.rand == nil {
		cfg.rand = rand.Float64
	}
	return cfg, nil
}

// DefaultHTTPClient returns the client a Cache uses when Config.HTTPClient
// is nil and FetchTimeout is the default: 2 s to connect and finish TLS,
// 3 s (DefaultFetchTimeout) for the whole exchange, and redirects returned
// rather than followed (a key set that moves is a configuration change, not
// something to follow silently). With another FetchTimeout, the Cache's own
// client waits that long for the response and for the whole exchange
// instead, so that the client never gives up before FetchTimeout does.
func DefaultHTTPClient() *http.Client { return newHTTPClient(DefaultFetchTimeout, nil) }

// newHTTPClient returns the default client for fetches bounded by
// fetchTimeout: its Timeout and ResponseHeaderTimeout are fetchTimeout,
// its connect and TLS handshake timeouts 2 s (or fetchTimeout when that is
// shorter). dial, when not nil, replaces the dialer (tests only: an
// in-memory connection inside a testing/synctest bubble).
func newHTTPClient(fetchTimeout time.Duration, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	connect := min(2*time.Second, fetchTimeout)
	if dial == nil {
		dial = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	}
	return &http.Client{
		Timeout: fetchTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dial,
			TLSHandshakeTimeout:   connect,
			ResponseHeaderTimeout: fetchTimeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// source is a validated Source: its key set URL, or its static keys.
type source struct {
	issuer string
	url    string          // empty for a static set
	keys   map[string]*Key // the static set, nil when fetched
}

// fieldRank orders a source's problems as Source declares its fields.
var fieldRank = map[string]int{"Issuer": 0, "URL": 1, "AllowHTTP": 2, "Keys": 3}

// check validates src, the source at index i, and returns it prepared for
// New, or the *ConfigErrors of every problem in field order.
func (src Source) check(i int) (source, []error) {
	out := source{issuer: src.Issuer}
	var errs []*ConfigError
	issuerOK := false
	if src.Issuer == "" {
		errs = append(errs, configErrorf(i, "Issuer", "empty"))
	} else if _, err := checkURL(i, "Issuer", src.Issuer, src.AllowHTTP, true); err != nil {
		errs = append(errs, err)
	} else {
		issuerOK = true
	}
	switch {
	case src.Keys != nil:
		if src.URL != "" {
			errs = append(errs, configErrorf(i, "Keys", "set keys or jwks_url, not both"))
		}
		keys, kerrs := staticKeys(i, src.Keys)
		errs = append(errs, kerrs...)
		out.keys = keys
	case src.URL != "":
		if u, err := checkURL(i, "URL", src.URL, src.AllowHTTP, false); err != nil {
			errs = append(errs, err)
		} else {
			out.url = u.String()
		}
	case issuerOK:
		// A valid issuer makes a valid key set URL.
		u, _ := url.Parse(src.Issuer + "/.well-known/jwks.json")
		out.url = u.String()
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *ConfigError) int { return cmp.Compare(fieldRank[a.Field], fieldRank[b.Field]) })
		joined := make([]error, len(errs))
		for k, e := range errs {
			joined[k] = e
		}
		return source{}, joined
	}
	return out, nil
}

// checkURL validates raw, the value of field (Issuer or URL) of source i:
// an absolute https URL (http when allowHTTP) with a host and no
// credentials; an issuer (asIssuer) also without query, fragment or
// trailing slash, since it is compared exactly with "iss" and the key set
// URL is made from it. It is the one URL check of the module: package
// claims relies on it for its pools' issuers and key set URLs.
func checkURL(i int, field, raw string, allowHTTP, asIssuer bool) (*url.URL, *ConfigError) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, configErrorf(i, field, "%q is not a URL: %v", raw, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	case u.Scheme == "http":
		// Keys fetched over plain http can be replaced by anyone on the
		// path, and with them every token's signature.
		return nil, configErrorf(i, "AllowHTTP", "%s %q is plain http; set allow_http for local development only", keyOfField[field], raw)
	default:
		return nil, configErrorf(i, field, "%q: scheme must be https", raw)
	}
	switch {
	case u.User != nil:
		// Not quoted back: the URL holds a secret.
		return nil, configErrorf(i, field, "must not carry credentials")
	case u.Host == "":
		return nil, configErrorf(i, field, "%q has no host", raw)
	case asIssuer && (strings.ContainsAny(raw, "?#") || strings.HasSuffix(raw, "/")):
		return nil, configErrorf(i, field, "%q: want scheme://host/path with no query, fragment or trailing slash", raw)
	}
	return u, nil
}

// staticKeys parses the key set document of source i's Keys: every entry
// must be usable.
func staticKeys(i int, doc []byte) (map[string]*Key, []*ConfigError) {
	keys, skipped, err := Parse(doc)
	var errs []*ConfigError
	for _, s := range skipped {
		errs = append(errs, configErrorf(i, "Keys", "entry %d (kid %q): %s", s.Index, s.KeyID, s.Detail))
	}
	if err != nil && len(errs) == 0 {
		errs = append(errs, configErrorf(i, "Keys", "%s", strings.TrimPrefix(err.Error(), "jwks: ")))
	}
	return keys, errs
}

// Validate reports whether cfg is usable, as New would: nil, or the joined
// *ConfigErrors of every problem. It does not check sources; see the
// package function Validate for everything New checks.
func (cfg Config) Validate() error {
	_, errs := cfg.withDefaults()
	return errors.Join(errs...)
}

// Validate reports whether the source is usable, as New would: its issuer
// is an https URL (or http with AllowHTTP) with a host and no credentials,
// query, fragment or trailing slash; its URL, when set, https (or http) with
// a host and no credentials; its Keys, when set, a key set whose every entry
// is usable, and then no URL. Errors are *ConfigErrors with Source 0,
// joined.
func (src Source) Validate() error {
	_, errs := src.check(0)
	return errors.Join(errs...)
}

// Validate runs every check of New(cfg, sources...) without starting
// anything: the configuration, at least one source, each source, and no
// issuer twice. It returns nil, or the joined *ConfigErrors of every
// problem: the Config's first, then each source's in order.
func Validate(cfg Config, sources ...Source) error {
	_, _, err := prepare(cfg, sources)
	return err
}

// prepare is the validation of New: cfg with its defaults and each source
// prepared, or the joined errors of every problem.
func prepare(cfg Config, sources []Source) (Config, []source, error) {
	cfg, errs := cfg.withDefaults()
	if len(sources) == 0 {
		errs = append(errs, configErrorf(-1, "", "no sources"))
	}
	prepared := make([]source, len(sources))
	first := make(map[string]int, len(sources))
	for i, src := range sources {
		p, serrs := src.check(i)
		if j, dup := first[src.Issuer]; dup && src.Issuer != "" {
			serrs = slices.Insert(serrs, 0, error(configErrorf(i, "Issuer", "%q is also the issuer of source %d", src.Issuer, j)))
		} else {
			first[src.Issuer] = i
		}
		errs = append(errs, serrs...)
		prepared[i] = p
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, nil, err
	}
	return cfg, prepared, nil
}
