package livecheck

import (
	"cmp"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// Defaults for the zero values of Config, and bounds.
const (
	// DefaultTimeout bounds one GetUser call, from waiting for a free
	// call (MaxConcurrent) to the last byte of the answer.
	DefaultTimeout = 2 * time.Second
	// MaxTimeout is the longest Timeout accepted: a request waiting
	// longer for Cognito is better answered.
	MaxTimeout = 30 * time.Second
	// DefaultMaxResponseBytes caps GetUser's answer. The largest genuine
	// one (a user with every standard and 50 custom attributes of 2048
	// characters) is under 200 KiB.
	DefaultMaxResponseBytes = 256 << 10
	// MaxResponseBytesLimit is the largest MaxResponseBytes accepted.
	MaxResponseBytesLimit = 4 << 20
	// DefaultCacheTTL is how long an answer that Cognito accepts the token
	// is believed: a token revoked at Cognito is refused at most this long
	// afterwards (never after the token's own exp).
	DefaultCacheTTL = 30 * time.Second
	// MaxCacheTTL is the longest CacheTTL accepted: beyond it, the check
	// says little that the token's exp does not, and the deny list
	// (package revocation) is the tool.
	MaxCacheTTL = 15 * time.Minute
	// DefaultMaxEntries bounds the answers held, about 200 bytes each.
	DefaultMaxEntries = 10_000
	// DefaultMaxConcurrent bounds the GetUser calls under way at once.
	DefaultMaxConcurrent = 16
	// DefaultRate is the GetUser calls a second one Checker makes to one
	// endpoint (region), at most; DefaultBurst how many it may make at
	// once after a quiet spell. See Config.Rate for sizing them.
	DefaultRate  = 10
	DefaultBurst = 20
	// DefaultCooldown is how long an endpoint that failed is not asked
	// again; it doubles with each failure in a row up to
	// DefaultMaxBackoff.
	DefaultCooldown   = time.Second
	DefaultMaxBackoff = 30 * time.Second
)

// adminScope is the scope GetUser requires of the access token.
const adminScope = "aws.cognito.signin.user.admin"

// Config configures a Checker. Pools is required; every other zero value
// means the default named next to it, and the zero FailOpen fails
// closed.
type Config struct {
	// Pools lists the user pools whose tokens may be checked, and where.
	// Required. A token whose issuer is no pool's is refused with
	// claims.ErrWrongIssuer without any request, so a token can never
	// make the Checker call an address that was not configured.
	Pools []Pool

	// HTTPClient makes the calls. Nil means jwks.DefaultHTTPClient's kind
	// of client, with Timeout as its timeouts. A given client is used as
	// a copy whose CheckRedirect refuses every redirect: a 307 or 308
	// would send the access token in its body to wherever the redirect
	// points. Each call is bounded by Timeout whatever the client's own
	// timeouts are.
	HTTPClient *http.Client

	// Timeout bounds one call, from waiting for a free call
	// (MaxConcurrent) to the last byte of the answer; a call that takes
	// longer is a timeout (ResultTimeout, or ResultBusy while it still
	// waited). Zero means DefaultTimeout (2 s), at most MaxTimeout.
	Timeout time.Duration

	// MaxResponseBytes caps GetUser's answer; a larger one is
	// ErrUnexpectedAnswer. Zero means DefaultMaxResponseBytes (256 KiB),
	// at most MaxResponseBytesLimit.
	MaxResponseBytes int64

	// CacheTTL is how long an answer that Cognito accepts the token is
	// believed, never past the token's exp: the longest a token revoked
	// at Cognito is still accepted by the check. An answer that Cognito
	// refuses it is held until the token's exp. Failures are never
	// cached. Zero means DefaultCacheTTL (30 s), at most MaxCacheTTL.
	CacheTTL time.Duration

	// MaxEntries bounds the answers held, keyed by the SHA-256 of the
	// token (the token itself is never held): the one used least
	// recently is forgotten first. Zero means DefaultMaxEntries.
	MaxEntries int

	// MaxConcurrent bounds the GetUser calls under way at once, over all
	// endpoints; a call waits for a free one up to Timeout. Concurrent
	// checks of one token share one call. Zero means
	// DefaultMaxConcurrent.
	MaxConcurrent int

	// Rate is the most GetUser calls a second to one endpoint (one
	// region), Burst how many may go at once after a quiet spell (a
	// token bucket); a check that would go over is not made
	// (ResultRateLimited). Zero means DefaultRate (10) and DefaultBurst
	// (20).
	//
	// Cognito counts GetUser against a request-rate quota per AWS
	// account and region, shared by every caller in the account —
	// every replica of the gate, and the applications themselves. Size
	// Rate so that Rate × replicas stays well under the quota your
	// account has for GetUser's category (Service Quotas, "Amazon Cognito
	// user pools"), and above the steady need: about the number of
	// distinct access tokens in use on live-check routes divided by
	// CacheTTL (3,000 active users at 30 s: 100 calls a second over the
	// fleet).
	Rate  float64
	Burst int

	// Cooldown is how long an endpoint whose call failed (unavailable,
	// timeout, throttled, unexpected) is not called again: checks of
	// tokens without a cached answer are ResultCooldown meanwhile.
	// It doubles with every failure in a row, up to MaxBackoff, and
	// starts again after an answer. Zero means DefaultCooldown (1 s) and
	// DefaultMaxBackoff (30 s).
	Cooldown, MaxBackoff time.Duration

	// FailOpen accepts a token when Cognito cannot be asked (the results
	// for which Result.FailsOpen holds: unavailable, timeout, throttled,
	// busy, rate_limited, cooldown) instead of refusing it with
	// ErrUnavailable; each such acceptance is reported (Event.FailOpen)
	// and never cached. An answer that refuses the token, one that names
	// another user, and an unexpected answer are refused either way. The
	// zero value fails closed.
	FailOpen bool

	// Now is the clock of the cache, the rate limit and the cooldowns.
	// Nil means time.Now. Timeout uses real time (or testing/synctest's).
	Now func() time.Time

	// Observer is told about every Check. Nil means nobody is.
	Observer Observer
}

// Pool is one user pool whose access tokens may be checked, by its id or
// by its issuer.
type Pool struct {
	// UserPoolID is the pool's id, "<region>_<suffix>". The pool's tokens
	// are those of its issuers in both formats,
	// https://cognito-idp.<region>.amazonaws.com/<id> and
	// https://issuer-cognito-idp.<region>.amazonaws.com/<id>, and of the
	// original issuers of its replica Regions. Set UserPoolID or Issuer,
	// not both.
	UserPoolID string

	// Regions lists the regions the pool is replicated to (not its own),
	// as claims.Pool.Regions: the tokens a replica issues carry its
	// region's issuer and are checked in that region. UserPoolID only.
	Regions []string

	// Issuer is the exact iss of the pool's tokens, for a pool whose
	// issuer is not Cognito's (an emulator's, a partition whose hosts are
	// not under amazonaws.com) or to accept one issuer of a pool only.
	// https (http with AllowHTTP), no query, fragment or trailing slash.
	Issuer string

	// Endpoint is the base URL of the user pool API, such as
	// "http://127.0.0.1:9229/" for cognito-local. Empty means Cognito's
	// endpoint in the region the token's issuer names,
	// https://cognito-idp.<region>.amazonaws.com/ (the region of its
	// host, never anything a token says beyond its verified issuer);
	// required with an Issuer that is not a Cognito issuer. It must be
	// https (http with AllowHTTP) with a host, without credentials,
	// query or fragment, and with no path but "/".
	Endpoint string

	// AllowHTTP permits a plain-http Issuer and Endpoint: for emulators
	// and tests only. A token sent over plain http can be read and
	// replayed by anyone on the path.
	AllowHTTP bool
}

// compiled is a validated Config with its defaults.
type compiled struct {
	endpoints        map[string]*endpoint // by issuer
	client           *http.Client
	ownClient        bool // client was made here (its idle connections are closed by Close)
	timeout          time.Duration
	maxResponseBytes int64
	cacheTTL         time.Duration
	maxEntries       int
	maxConcurrent    int
	rate             float64
	burst            int
	cooldown         time.Duration
	maxBackoff       time.Duration
	failOpen         bool
	now              func() time.Time
	observer         Observer
}

// Validate reports whether cfg is usable: nil exactly when New(cfg) would
// succeed, or the joined *ConfigErrors of every problem.
func (cfg Config) Validate() error {
	_, err := cfg.compile()
	return err
}

// compile validates cfg and fills in its defaults.
func (cfg Config) compile() (*compiled, error) {
	var errs []error
	fail := func(pool int, field, format string, a ...any) {
		errs = append(errs, configErrorf(pool, field, format, a...))
	}
	cc := &compiled{
		endpoints:        make(map[string]*endpoint),
		timeout:          cmp.Or(cfg.Timeout, DefaultTimeout),
		maxResponseBytes: cmp.Or(cfg.MaxResponseBytes, DefaultMaxResponseBytes),
		cacheTTL:         cmp.Or(cfg.CacheTTL, DefaultCacheTTL),
		maxEntries:       cmp.Or(cfg.MaxEntries, DefaultMaxEntries),
		maxConcurrent:    cmp.Or(cfg.MaxConcurrent, DefaultMaxConcurrent),
		rate:             cmp.Or(cfg.Rate, DefaultRate),
		burst:            cmp.Or(cfg.Burst, DefaultBurst),
		cooldown:         cmp.Or(cfg.Cooldown, DefaultCooldown),
		maxBackoff:       cmp.Or(cfg.MaxBackoff, DefaultMaxBackoff),
		failOpen:         cfg.FailOpen,
		now:              cfg.Now,
		observer:         cfg.Observer,
	}
	if cc.now == nil {
		cc.now = time.Now
	}

	if len(cfg.Pools) == 0 {
		fail(-1, "Pools", "empty; list the user pools whose tokens may be live-checked")
	}
	byURL := make(map[string]*endpoint)
	owner := make(map[string]int) // issuer → pool
	for i, p := range cfg.Pools {
		issuers, perrs := p.issuers(i)
		for _, e := range perrs {
			errs = append(errs, e)
		}
		for _, pi := range issuers {
			if j, dup := owner[pi.issuer]; dup {
				fail(i, pi.field, "issuer %q is also pool %d's", pi.issuer, j)
				continue
			}
			owner[pi.issuer] = i
			ep := byURL[pi.endpoint]
			if ep == nil {
				ep = &endpoint{url: pi.endpoint}
				byURL[pi.endpoint] = ep
			}
			cc.endpoints[pi.issuer] = ep
		}
	}

	positive := func(field string, d time.Duration, most time.Duration) {
		switch {
		case d < 0:
			fail(-1, field, "negative (%s)", d)
		case d > most:
			fail(-1, field, "%s is more than %s", d, most)
		}
	}
	positive("Timeout", cfg.Timeout, MaxTimeout)
	switch {
	case cfg.MaxResponseBytes < 0:
		fail(-1, "MaxResponseBytes", "negative (%d)", cfg.MaxResponseBytes)
	case cfg.MaxResponseBytes > MaxResponseBytesLimit:
		fail(-1, "MaxResponseBytes", "%d is more than %d", cfg.MaxResponseBytes, MaxResponseBytesLimit)
	}
	positive("CacheTTL", cfg.CacheTTL, MaxCacheTTL)
	if cfg.MaxEntries < 0 {
		fail(-1, "MaxEntries", "negative (%d)", cfg.MaxEntries)
	}
	if cfg.MaxConcurrent < 0 {
		fail(-1, "MaxConcurrent", "negative (%d)", cfg.MaxConcurrent)
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		fail(-1, "Rate", "%v is not a number of calls a second", cfg.Rate)
	}
	if cfg.Burst < 0 {
		fail(-1, "Burst", "negative (%d)", cfg.Burst)
	}
	positive("Cooldown", cfg.Cooldown, time.Hour)
	positive("MaxBackoff", cfg.MaxBackoff, time.Hour)
	if cc.cooldown > cc.maxBackoff && cfg.Cooldown >= 0 && cfg.MaxBackoff >= 0 {
		fail(-1, "MaxBackoff", "%s is shorter than cooldown %s", cc.maxBackoff, cc.cooldown)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	if cfg.HTTPClient != nil {
		cl := *cfg.HTTPClient
		cl.CheckRedirect = refuseRedirects
		cc.client = &cl
	} else {
		cc.client, cc.ownClient = defaultClient(cc.timeout), true
	}
	return cc, nil
}

// defaultClient returns jwks.DefaultHTTPClient's kind of client with
// timeout as its overall and response-header timeouts.
func defaultClient(timeout time.Duration) *http.Client {
	cl := jwks.DefaultHTTPClient()
	cl.Timeout = timeout
	if t, ok := cl.Transport.(*http.Transport); ok {
		t.ResponseHeaderTimeout = timeout
	}
	cl.CheckRedirect = refuseRedirects
	return cl
}

// refuseRedirects makes a client hand back a redirect instead of following
// it (Check then finds it an unexpected answer).
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// poolIssuer is one issuer of a pool and the endpoint its tokens are
// checked at; field is the Pool field that names it, for errors.
type poolIssuer struct {
	issuer, endpoint, field string
}

// issuers returns the issuers of pool i and their endpoints, or the
// problems of p.
func (p Pool) issuers(i int) ([]poolIssuer, []*ConfigError) {
	var errs []*ConfigError
	fail := func(field, format string, a ...any) { errs = append(errs, configErrorf(i, field, format, a...)) }
	endpoint := ""
	if p.Endpoint != "" {
		u, field, problem := checkEndpoint(p.Endpoint, p.AllowHTTP)
		if problem != "" {
			fail(field, "%s", problem)
		}
		endpoint = u
	}
	regional := func(region string) string { return cmp.Or(endpoint, "https://cognito-idp."+region+".amazonaws.com/") }

	var out []poolIssuer
	switch {
	case p.UserPoolID != "" && p.Issuer != "":
		fail("Issuer", "set user_pool_id or issuer, not both")
	case p.UserPoolID != "":
		updated, err := claims.UpdatedIssuer(p.UserPoolID)
		if err != nil {
			fail("UserPoolID", "%q does not look like <region>_<id>, e.g. \"eu-west-1_AbC123\"", p.UserPoolID)
			break
		}
		region, _, _ := strings.Cut(p.UserPoolID, "_")
		out = append(out,
			poolIssuer{originalIssuer(region, p.UserPoolID), regional(region), "UserPoolID"},
			poolIssuer{updated, regional(region), "UserPoolID"})
		for j, r := range p.Regions {
			iss := originalIssuer(r, p.UserPoolID)
			switch _, ok := claims.ParseIssuer(iss); {
			case !ok:
				fail("Regions", "%q does not look like an AWS region", r)
			case r == region:
				fail("Regions", "%q is the pool's own region; list its replicas only", r)
			case slices.Contains(p.Regions[:j], r):
				fail("Regions", "%q is listed twice", r)
			default:
				out = append(out, poolIssuer{iss, regional(r), "Regions"})
			}
		}
	case p.Issuer != "":
		if len(p.Regions) > 0 {
			fail("Regions", "only with user_pool_id: an issuer names one region")
		}
		// The module's one issuer check (package jwks): https (or allowed
		// http), a host, no credentials, query, fragment or trailing
		// slash. It reports one problem at most.
		if err := (jwks.Source{Issuer: p.Issuer, AllowHTTP: p.AllowHTTP}).Validate(); err != nil {
			je := &jwks.ConfigError{Field: "Issuer", Problem: err.Error()}
			errors.As(err, &je)
			fail(je.Field, "%s", je.Problem)
		}
		info, cognito := claims.ParseIssuer(p.Issuer)
		switch {
		case cognito:
			out = append(out, poolIssuer{p.Issuer, regional(info.Region), "Issuer"})
		case endpoint == "" && p.Endpoint == "":
			fail("Endpoint", "required: issuer %q is not a Cognito issuer, so it names no region to call", p.Issuer)
		default:
			out = append(out, poolIssuer{p.Issuer, endpoint, "Issuer"})
		}
	default:
		fail("UserPoolID", "required (or issuer)")
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *ConfigError) int { return cmp.Compare(poolFieldRank[a.Field], poolFieldRank[b.Field]) })
		return nil, errs
	}
	return out, nil
}

// poolFieldRank orders a pool's problems as Pool declares its fields.
var poolFieldRank = map[string]int{"UserPoolID": 0, "Regions": 1, "Issuer": 2, "Endpoint": 3, "AllowHTTP": 4}

// originalIssuer is the issuer of the pool's tokens issued in region in
// the original format.
func originalIssuer(region, poolID string) string {
	return "https://cognito-idp." + region + ".amazonaws.com/" + poolID
}

// checkEndpoint returns the normalized form of a Pool.Endpoint
// ("<scheme>://<host>/"), or the field at fault and what is wrong with
// it.
func checkEndpoint(raw string, allowHTTP bool) (string, string, string) {
	u, err := url.Parse(raw)
	bad := func(field, problem string) (string, string, string) {
		return "", field, "live_check_endpoint " + strconv.Quote(raw) + " " + problem
	}
	switch {
	case err != nil:
		return bad("Endpoint", "is not a URL")
	case u.User != nil:
		// Not quoted back: the URL holds a secret.
		return "", "Endpoint", "live_check_endpoint must not carry credentials"
	case u.Scheme == "http" && !allowHTTP:
		// The token travels in the body: over plain http anyone on the
		// path can read and replay it.
		return bad("AllowHTTP", "is plain http; set allow_http for local development only")
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("Endpoint", "is not an https URL")
	case u.Host == "" || u.Opaque != "":
		return bad("Endpoint", "has no host")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(raw, "?#"):
		return bad("Endpoint", "has a query or fragment")
	case u.Path != "" && u.Path != "/":
		return bad("Endpoint", "has a path; the user pool API is at its root")
	}
	return u.Scheme + "://" + u.Host + "/", "", ""
}
