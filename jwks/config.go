package jwks

import (
	"context"
	"errors"
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

	// dial, when set, replaces the dialer of the default HTTP client. Only
	// this package's tests set it (export_test.go), to run the default
	// client over in-memory connections in a testing/synctest bubble.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
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

// withDefaults returns cfg with zero fields replaced by defaults, or the
// joined errors (each matching ErrConfig) of every value that cannot work.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
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
		switch {
		case *f.d < 0:
			errs = append(errs, configErrorf("jwks: config: %s is negative (%s)", f.name, *f.d))
		case *f.d == 0:
			*f.d = f.def
		}
	}
	if cfg.MaxResponseBytes < 0 {
		errs = append(errs, configErrorf("jwks: config: MaxResponseBytes is negative"))
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.RefreshInterval < cfg.Cooldown {
		errs = append(errs, configErrorf("jwks: config: RefreshInterval %s is shorter than Cooldown %s", cfg.RefreshInterval, cfg.Cooldown))
	}
	if cfg.MaxBackoff < cfg.Cooldown {
		errs = append(errs, configErrorf("jwks: config: MaxBackoff %s is shorter than Cooldown %s", cfg.MaxBackoff, cfg.Cooldown))
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = newHTTPClient(cfg.FetchTimeout, cfg.dial)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
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

// sourceURL validates src and returns the key set URL. Its errors match
// ErrConfig.
func (src Source) sourceURL() (string, error) {
	if src.Issuer == "" {
		return "", configErrorf("jwks: source: empty issuer")
	}
	raw := src.URL
	if raw == "" {
		raw = src.Issuer + "/.well-known/jwks.json"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", configErrorf("jwks: source %s: bad url: %w", src.Issuer, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && src.AllowHTTP:
	case u.Scheme == "http":
		// Keys fetched over plain http can be replaced by anyone on the
		// path, and with them every token's signature.
		return "", configErrorf("jwks: source %s: url %s is plain http; set AllowHTTP for local development", src.Issuer, raw)
	default:
		return "", configErrorf("jwks: source %s: url %s: scheme must be https", src.Issuer, raw)
	}
	if u.Host == "" {
		return "", configErrorf("jwks: source %s: url %s has no host", src.Issuer, raw)
	}
	if u.User != nil {
		return "", configErrorf("jwks: source %s: url must not carry credentials", src.Issuer)
	}
	return u.String(), nil
}

// Validate reports whether cfg is usable, as New would: nil, or the joined
// errors of every problem, each matching ErrConfig. It does not check
// sources; see the package function Validate for everything New checks.
func (cfg Config) Validate() error {
	_, err := cfg.withDefaults()
	return err
}

// Validate reports whether the source is usable, as New would: its issuer
// is set and its URL is https (or http with AllowHTTP), with a host and no
// credentials. Errors match ErrConfig.
func (src Source) Validate() error {
	_, err := src.sourceURL()
	return err
}

// Validate runs every check of New(cfg, sources...) without starting
// anything: the configuration, at least one source, each source, and no
// issuer twice. It returns nil, or the joined errors of every problem, each
// matching ErrConfig.
func Validate(cfg Config, sources ...Source) error {
	_, _, err := prepare(cfg, sources)
	return err
}

// prepare is the validation of New: cfg with its defaults and each
// source's URL, or the joined errors of every problem.
func prepare(cfg Config, sources []Source) (Config, []string, error) {
	cfg, err := cfg.withDefaults()
	errs := []error{err}
	if len(sources) == 0 {
		errs = append(errs, configErrorf("jwks: no sources"))
	}
	urls := make([]string, len(sources))
	seen := make(map[string]bool, len(sources))
	for i, src := range sources {
		u, err := src.sourceURL()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[src.Issuer] {
			errs = append(errs, configErrorf("jwks: issuer %s configured twice", src.Issuer))
		}
		seen[src.Issuer], urls[i] = true, u
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, nil, err
	}
	return cfg, urls, nil
}
