package claims

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/jose"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// TokenUse is the kind of a Cognito token, from its token_use claim.
type TokenUse string

// Token uses. AnyToken is only for configuration: it accepts both kinds.
const (
	AccessToken TokenUse = "access"
	IDToken     TokenUse = "id"
	AnyToken    TokenUse = "any"
)

// Defaults and limits for Config.
const (
	// DefaultLeeway is the clock-skew allowance used when Config.Leeway is
	// zero.
	DefaultLeeway = 5 * time.Second
	// NoLeeway, as Config.Leeway, turns the allowance off.
	NoLeeway time.Duration = -1
	// MaxLeeway is the largest allowance accepted: more would keep expired
	// tokens alive for too long.
	MaxLeeway = 5 * time.Minute
	// DefaultMaxTokenBytes is the size limit used when Config.MaxTokenBytes
	// is zero. Cognito tokens are 1–2 KiB, more with many groups.
	DefaultMaxTokenBytes = 16 << 10
)

// Pool is one Cognito user pool whose tokens are accepted.
type Pool struct {
	// UserPoolID is the pool's id, "<region>_<suffix>" such as
	// "eu-west-1_AbCdEf123". Required unless Issuer is set.
	UserPoolID string

	// Region, when set, must be the region in UserPoolID; it is only a
	// cross-check.
	Region string

	// Issuer is the exact "iss" of the pool's tokens. Empty means
	// CognitoIssuer(UserPoolID). Set it for the newer
	// https://issuer-cognito-idp.<region>.amazonaws.com/<pool> format or for
	// a local emulator. It must be https unless AllowHTTP is set, and carry
	// no query, fragment or trailing slash. To accept both Cognito issuer
	// formats for one pool, list the pool twice, once with each issuer.
	Issuer string

	// JWKSURL is the key set address. Empty means Issuer +
	// "/.well-known/jwks.json".
	JWKSURL string

	// AllowHTTP permits http:// issuer and key set URLs. For local
	// development against an emulator only.
	AllowHTTP bool

	// ClientIDs lists the app clients whose tokens are accepted: client_id
	// of access tokens, aud of ID tokens. It must not be empty unless
	// SkipClientIDCheck is set.
	ClientIDs []string

	// SkipClientIDCheck accepts tokens of any app client of the pool. Only
	// for pools whose every client may call the API.
	SkipClientIDCheck bool

	// TokenUse is the kind of token accepted: AccessToken, IDToken, or
	// AnyToken for both. Required: APIs normally accept access tokens only.
	TokenUse TokenUse
}

// Config configures a Verifier. The zero value of every optional field runs
// the check with the default named next to it; turning a check off takes an
// explicit Skip field.
type Config struct {
	// Pools lists the accepted user pools. At least one; issuers unique.
	Pools []Pool

	// Algorithms lists the accepted signature algorithms. Nil means
	// {"RS256"}, the only one Cognito uses. RS384 and RS512 may be added.
	Algorithms []string

	// Leeway is the clock-skew allowance applied to exp, nbf and iat. Zero
	// means DefaultLeeway (5 s); NoLeeway means none; at most MaxLeeway.
	Leeway time.Duration

	// RequiredScopes, when not empty, requires at least one of these scopes
	// (access tokens only; an ID token has none). Route-dependent scopes
	// belong in the policy.
	RequiredScopes []string

	// RequiredGroups, when not empty, requires membership of at least one
	// of these cognito:groups.
	RequiredGroups []string

	// Check, when set, runs last on every token that passed all other
	// checks (on the caller's copy of the token). A non-nil error rejects
	// the token; unless it already wraps one of this package's errors it is
	// wrapped in ErrClaimDenied. A context error (or ErrCanceled) is
	// wrapped in ErrCanceled only when ctx itself has ended, and in
	// ErrClaimDenied otherwise: a hook cannot turn a live request into a
	// cancelled one.
	Check func(ctx context.Context, t *Token) error

	// MaxTokenBytes caps the raw token size. Zero means
	// DefaultMaxTokenBytes (16 KiB).
	MaxTokenBytes int

	// Now is the clock. Nil means time.Now. It is also used by the key
	// cache unless JWKS.Now is set.
	Now func() time.Time

	// JWKS tunes the key cache (HTTP client, refresh timings, observer).
	JWKS jwks.Config

	// Cache configures the verified-token cache; the zero value enables it
	// with default limits.
	Cache CacheConfig
}

// poolIDPattern matches Cognito user pool ids: region, underscore, suffix.
var poolIDPattern = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-[0-9])_[0-9A-Za-z]+$`)

// CognitoIssuer returns the issuer URL of a user pool,
// "https://cognito-idp.<region>.amazonaws.com/<poolID>".
func CognitoIssuer(poolID string) (string, error) {
	m := poolIDPattern.FindStringSubmatch(poolID)
	if m == nil {
		return "", fmt.Errorf("claims: user pool id %q: want <region>_<id>, e.g. us-east-1_AbC123", poolID)
	}
	return "https://cognito-idp." + m[1] + ".amazonaws.com/" + poolID, nil
}

// issuer validates the pool and returns its issuer.
func (p Pool) issuer() (string, error) {
	if p.UserPoolID != "" {
		m := poolIDPattern.FindStringSubmatch(p.UserPoolID)
		if m == nil {
			return "", fmt.Errorf("user pool id %q: want <region>_<id>, e.g. us-east-1_AbC123", p.UserPoolID)
		}
		if p.Region != "" && p.Region != m[1] {
			return "", fmt.Errorf("user pool id %q is in region %s, not %s", p.UserPoolID, m[1], p.Region)
		}
	}
	if p.Issuer == "" {
		if p.UserPoolID == "" {
			return "", fmt.Errorf("neither UserPoolID nor Issuer is set")
		}
		return CognitoIssuer(p.UserPoolID)
	}
	u, err := url.Parse(p.Issuer)
	if err != nil {
		return "", fmt.Errorf("issuer %q: %w", p.Issuer, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowHTTP:
	case u.Scheme == "http":
		return "", fmt.Errorf("issuer %q is plain http; set AllowHTTP for local development only", p.Issuer)
	default:
		return "", fmt.Errorf("issuer %q: scheme must be https", p.Issuer)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(p.Issuer, "/") {
		return "", fmt.Errorf("issuer %q: want scheme://host/path with no credentials, query, fragment or trailing slash", p.Issuer)
	}
	return p.Issuer, nil
}

// compiledConfig is a validated Config.
type compiledConfig struct {
	pools      map[string]*pool
	issuers    []string
	algs       []string
	leeway     time.Duration
	scopes     []string
	groups     []string
	check      func(context.Context, *Token) error
	maxBytes   int
	now        func() time.Time
	jwks       jwks.Config
	jwksSource []jwks.Source
	cache      CacheConfig
}

// pool is a validated Pool.
type pool struct {
	issuer  string
	clients []string // nil when the client check is skipped
	access  bool     // access tokens accepted
	id      bool     // ID tokens accepted
	keys    *jwks.Set
}

// compile validates cfg — every check New makes, the key cache's included,
// short of starting anything — and returns it compiled, or the joined
// errors of every problem found, each matching ErrConfig.
func (cfg Config) compile() (*compiledConfig, error) {
	cc := &compiledConfig{
		pools:    make(map[string]*pool, len(cfg.Pools)),
		leeway:   cfg.Leeway,
		scopes:   slices.Clone(cfg.RequiredScopes),
		groups:   slices.Clone(cfg.RequiredGroups),
		check:    cfg.Check,
		maxBytes: cfg.MaxTokenBytes,
		now:      cfg.Now,
		jwks:     cfg.JWKS,
		cache:    cfg.Cache,
	}
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, configErrorf(format, a...)) }
	if len(cfg.Pools) == 0 {
		fail("no user pools")
	}
	for i, p := range cfg.Pools {
		iss, err := p.issuer()
		if err != nil {
			fail("pool %d: %w", i, err)
			continue
		}
		if _, dup := cc.pools[iss]; dup {
			fail("pool %d: issuer %s listed twice", i, iss)
			continue
		}
		cp := &pool{issuer: iss}
		switch p.TokenUse {
		case AccessToken:
			cp.access = true
		case IDToken:
			cp.id = true
		case AnyToken:
			cp.access, cp.id = true, true
		case "":
			fail("pool %d (%s): TokenUse is required: %q, %q or %q", i, iss, AccessToken, IDToken, AnyToken)
		default:
			fail("pool %d (%s): TokenUse %q: want %q, %q or %q", i, iss, p.TokenUse, AccessToken, IDToken, AnyToken)
		}
		switch {
		case p.SkipClientIDCheck && len(p.ClientIDs) > 0:
			fail("pool %d (%s): ClientIDs and SkipClientIDCheck both set", i, iss)
		case !p.SkipClientIDCheck && len(p.ClientIDs) == 0:
			fail("pool %d (%s): no ClientIDs; list the app clients or set SkipClientIDCheck", i, iss)
		}
		for _, id := range p.ClientIDs {
			if strings.TrimSpace(id) == "" || id != strings.TrimSpace(id) {
				fail("pool %d (%s): client id %q is empty or padded", i, iss, id)
			}
		}
		// The key set's own checks (an https URL with a host and no
		// credentials), which jwks.New would otherwise be first to make.
		src := jwks.Source{Issuer: iss, URL: p.JWKSURL, AllowHTTP: p.AllowHTTP}
		if err := src.Validate(); err != nil {
			fail("pool %d (%s): %w", i, iss, err)
		}
		cp.clients = slices.Clone(p.ClientIDs)
		cc.pools[iss] = cp
		cc.issuers = append(cc.issuers, iss)
		cc.jwksSource = append(cc.jwksSource, src)
	}

	cc.algs = slices.Clone(cfg.Algorithms)
	if cc.algs == nil {
		cc.algs = []string{"RS256"}
	}
	if len(cc.algs) == 0 {
		fail("Algorithms is empty; leave it nil for RS256")
	}
	for _, a := range cc.algs {
		if !jose.Supported(a) {
			fail("algorithm %q: want one of %s", a, strings.Join(jose.Algorithms, ", "))
		}
	}

	switch {
	case cc.leeway == 0:
		cc.leeway = DefaultLeeway
	case cc.leeway == NoLeeway:
		cc.leeway = 0
	case cc.leeway < 0:
		fail("Leeway %s is negative; use NoLeeway for none", cc.leeway)
	case cc.leeway > MaxLeeway:
		fail("Leeway %s is over %s", cc.leeway, MaxLeeway)
	}
	// An empty, non-nil list is refused rather than read as "no
	// requirement": a configuration that meant to require something (and
	// lost its values on the way, say from an empty YAML list) must not
	// silently let every token through.
	if cfg.RequiredScopes != nil && len(cfg.RequiredScopes) == 0 {
		fail("RequiredScopes is empty; leave it nil for no scope requirement")
	}
	if cfg.RequiredGroups != nil && len(cfg.RequiredGroups) == 0 {
		fail("RequiredGroups is empty; leave it nil for no group requirement")
	}
	for _, v := range cc.scopes {
		// A scope that is not an RFC 6749 scope-token could never be
		// granted (parseScopes refuses such tokens), and would be quoted
		// into WWW-Authenticate.
		if !validScopeToken(v) {
			fail("RequiredScopes: %q is not a scope token (printable ASCII without space, quote or backslash)", v)
		}
	}
	for _, v := range cc.groups {
		if v == "" || strings.ContainsAny(v, " \t\n") {
			fail("RequiredGroups: %q is empty or contains whitespace", v)
		}
	}

	switch {
	case cc.maxBytes == 0:
		cc.maxBytes = DefaultMaxTokenBytes
	case cc.maxBytes < 256:
		fail("MaxTokenBytes %d is too small for any token", cc.maxBytes)
	}
	if cc.cache.MaxEntries < 0 || cc.cache.MaxBytes < 0 {
		fail("Cache limits are negative; use Cache.Disabled to turn the cache off")
	}
	if cc.now == nil {
		cc.now = time.Now
	}
	if cc.jwks.Now == nil {
		cc.jwks.Now = cc.now
	}
	if err := cc.jwks.Validate(); err != nil {
		errs = append(errs, &configError{fmt.Errorf("claims: config: %w", err)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cc, nil
}

// CheckPool validates one pool as New would, the checks of its key set
// URL included, without starting anything, and returns its issuer. Errors
// match ErrConfig.
func CheckPool(p Pool) (string, error) {
	if _, err := p.issuer(); err != nil {
		return "", &configError{err}
	}
	cc, err := Config{Pools: []Pool{p}}.compile()
	if err != nil {
		return "", err
	}
	return cc.issuers[0], nil
}

// Validate reports whether cfg is usable: it makes every check New makes,
// those of the key cache included, without starting anything, so that
// Validate(cfg) == nil exactly when New(cfg) would succeed. It reports
// every problem at once: the joined errors (errors.Join), each matching
// ErrConfig.
func (cfg Config) Validate() error {
	_, err := cfg.compile()
	return err
}
