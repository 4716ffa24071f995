package jwks

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
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
)

// Config tunes a Cache. The zero value is ready to use: every field falls
// back to the default named next to it.
type Config struct {
	// HTTPClient makes the requests. Nil means a client with a 2 s connect
	// timeout, a 3 s response timeout and no redirects followed. Whatever
	// client is given, each fetch is also bounded by FetchTimeout.
	HTTPClient *http.Client

	// FetchTimeout bounds one fetch, from connecting to the last body byte.
	// Zero means DefaultFetchTimeout (3 s).
	FetchTimeout time.Duration

	// MaxResponseBytes caps the response body; a larger answer is an error.
	// Zero means DefaultMaxResponseBytes (1 MiB).
	MaxResponseBytes int64

	// RefreshInterval is how often a set is fetched again after a success.
	// Zero means DefaultRefreshInterval (1 h). It must not be shorter than
	// Cooldown.
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

	// Observer is told about every fetch. Nil means nobody is.
	Observer Observer
}

// Source is one issuer the cache may fetch keys for.
type Source struct {
	// Issuer is the exact "iss" value of the tokens the keys sign.
	Issuer string
	// URL is the key set's address. Empty means Issuer +
	// "/.well-known/jwks.json".
	URL string
	// AllowHTTP permits a plain-http URL (local development and emulators
	// only); otherwise the URL must be https.
	AllowHTTP bool
}

// withDefaults returns cfg with zero fields replaced by defaults, or an
// error for values that cannot work.
func (cfg Config) withDefaults() (Config, error) {
	set := func(d *time.Duration, def time.Duration, name string) error {
		if *d < 0 {
			return fmt.Errorf("jwks: config: %s is negative (%s)", name, *d)
		}
		if *d == 0 {
			*d = def
		}
		return nil
	}
	for _, f := range []struct {
		d    *time.Duration
		def  time.Duration
		name string
	}{
		{&cfg.FetchTimeout, DefaultFetchTimeout, "FetchTimeout"},
		{&cfg.RefreshInterval, DefaultRefreshInterval, "RefreshInterval"},
		{&cfg.Cooldown, DefaultCooldown, "Cooldown"},
		{&cfg.MaxBackoff, DefaultMaxBackoff, "MaxBackoff"},
		{&cfg.MaxStaleness, DefaultMaxStaleness, "MaxStaleness"},
	} {
		if err := set(f.d, f.def, f.name); err != nil {
			return cfg, err
		}
	}
	if cfg.MaxResponseBytes < 0 {
		return cfg, fmt.Errorf("jwks: config: MaxResponseBytes is negative")
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.RefreshInterval < cfg.Cooldown {
		return cfg, fmt.Errorf("jwks: config: RefreshInterval %s is shorter than Cooldown %s", cfg.RefreshInterval, cfg.Cooldown)
	}
	if cfg.MaxBackoff < cfg.Cooldown {
		return cfg, fmt.Errorf("jwks: config: MaxBackoff %s is shorter than Cooldown %s", cfg.MaxBackoff, cfg.Cooldown)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = DefaultHTTPClient()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

// DefaultHTTPClient returns the client a Cache uses when Config.HTTPClient
// is nil: 2 s to connect and finish TLS, 3 s for the whole exchange, and
// redirects returned rather than followed (a key set that moves is a
// configuration change, not something to follow silently).
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: DefaultFetchTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   2 * time.Second,
			ResponseHeaderTimeout: DefaultFetchTimeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// sourceURL validates src and returns the key set URL.
func (src Source) sourceURL() (string, error) {
	if src.Issuer == "" {
		return "", fmt.Errorf("jwks: source: empty issuer")
	}
	raw := src.URL
	if raw == "" {
		raw = src.Issuer + "/.well-known/jwks.json"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("jwks: source %s: bad url: %w", src.Issuer, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && src.AllowHTTP:
	case u.Scheme == "http":
		return "", fmt.Errorf("jwks: source %s: url %s is plain http; set AllowHTTP for local development", src.Issuer, raw)
	default:
		return "", fmt.Errorf("jwks: source %s: url %s: scheme must be https", src.Issuer, raw)
	}
	if u.Host == "" {
		return "", fmt.Errorf("jwks: source %s: url %s has no host", src.Issuer, raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("jwks: source %s: url must not carry credentials", src.Issuer)
	}
	return u.String(), nil
}

// Validate reports whether cfg is usable, as New would.
func (cfg Config) Validate() error {
	_, err := cfg.withDefaults()
	return err
}
