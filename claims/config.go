package claims

import (
	"context"
	"errors"
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
//
// A pool given by UserPoolID alone accepts tokens of both Cognito issuer
// formats (see IssuerFormats) and of its replica Regions, each issuer with
// its own key set at <issuer>/.well-known/jwks.json. One of them, the
// primary issuer, is fetched from the start: the original one of the
// pool's own region, or the updated one when IssuerFormats lists only that.
// Hydrate and Ready wait for it, and it is the one Verifier.Keys reports
// (and so /readyz and the key set alerts). Every other issuer of the pool
// is fetched on demand: its key set is fetched when the first token
// naming that issuer arrives, kept fresh from then on like the primary's,
// and never counts for Hydrate, Ready or Keys (see Verifier.OnDemand). An
// on-demand key endpoint that answers 403 or 404 before it ever served
// keys — what Cognito answers at the updated endpoint of a pool still on
// the original issuer — means that the pool does not issue tokens with
// that issuer: its tokens are refused with ErrWrongIssuer (401
// wrong_issuer, never a 503 that would page anyone), and the endpoint is
// asked again only at the next such token after a back-off (Cooldown,
// doubling up to MaxBackoff of the key cache's timings), so that a pool
// switched to the updated issuer later is picked up without a restart.
// No other issuer is ever fetched: a token whose iss is not one of the
// pool's (another region, another format, another spelling) is refused
// before any network request.
type Pool struct {
	// UserPoolID is the pool's id, "<region>_<suffix>" such as
	// "eu-west-1_AbCdEf123". Required unless Issuer is set.
	UserPoolID string

	// Region, when set, must be the region in UserPoolID; it is only a
	// cross-check.
	Region string

	// Regions lists the regions the pool is replicated to (Cognito
	// Multi-Region Replication), e.g. {"us-west-2"}: not the pool's own
	// region, which the id names. A replica shares the pool id; with the
	// original issuer format, its tokens carry its own region's issuer,
	// https://cognito-idp.<replica region>.amazonaws.com/<pool id>, and are
	// signed with the keys of that region's key set,
	// https://cognito-idp.<replica region>.amazonaws.com/<pool id>/.well-known/jwks.json,
	// which is the key set checked for them (on demand, see Pool): the
	// issuer names the region whose keys signed the token, and the primary
	// region's key set need not hold them. Only listed regions are
	// accepted, so that an iss naming any other region is refused without
	// a fetch: an attacker cannot make the gate contact an endpoint it was
	// not configured for. With the updated format every region issues the
	// primary's issuer, whose key set holds every region's keys; Regions
	// then adds nothing and needs the original format to be accepted.
	// Needs UserPoolID; not with Issuer, JWKSURL or Keys. Nil means no
	// replicas; empty is an error.
	Regions []string

	// Issuer is the exact "iss" of the pool's tokens, its only issuer.
	// Empty means the issuers made from UserPoolID (see IssuerFormats and
	// Regions). Set it for a local emulator, or for an issuer in no
	// Cognito form. It must be https unless AllowHTTP is set, and carry no
	// query, fragment or trailing slash.
	Issuer string

	// IssuerFormats lists the issuer formats accepted for UserPoolID:
	// IssuerOriginal, https://cognito-idp.<region>.amazonaws.com/<pool id>,
	// and IssuerUpdated,
	// https://issuer-cognito-idp.<region>.amazonaws.com/<pool id>, each with
	// its own key set. Nil means both — the original format as the primary
	// issuer, the updated one on demand (see Pool) — unless JWKSURL or Keys
	// is set, which is one issuer's key set: then nil means the original
	// format only. List one format to accept only that one; IssuerUpdated
	// alone makes the updated issuer the primary one, fetched from the
	// start, for pools switched to it (their tokens never carry the
	// original issuer). Needs UserPoolID; not with Issuer. Empty, unknown
	// or repeated entries are errors.
	//
	// An issuer that a pool accepts only by this default (the updated
	// format) yields to a pool that names it, with Issuer or with its own
	// IssuerFormats: a configuration that lists a pool twice, once per
	// format with different app clients, keeps working as it did.
	IssuerFormats []IssuerFormat

	// JWKSURL is the primary issuer's key set address. Empty means Issuer
	// (or the primary issuer) + "/.well-known/jwks.json", unless Keys is
	// set.
	JWKSURL string

	// Keys, when not nil, is the pool's key set itself: a JSON Web Key Set
	// document, what the pool's jwks.json serves. Its keys are checked as
	// fetched ones are (RSA of 2048 bits or more, use "sig" or absent, alg
	// allowed), except that every entry must pass (an entry a fetch would
	// skip is a configuration error), and they are never fetched,
	// refreshed or stale: the Verifier is Ready at once, needs no network
	// for this pool, and a token whose kid the set does not hold is
	// ErrUnknownKID at once. JWKSURL must be empty. For tests, air-gapped
	// deployments and pools whose keys are known; see jwks.Source.Keys.
	// They are the primary issuer's keys.
	Keys []byte

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
//
// A Config says which tokens are genuine: which pools and app clients, which
// token kinds, how much clock skew. What a genuine token may do — the
// scopes, groups and claims a route requires — is not the verifier's to
// decide: it is package policy's, per route, after Verify (with the
// middleware's Require as its one-rule form). Check is the only hook that
// runs on every token here.
type Config struct {
	// Pools lists the accepted user pools. At least one; issuers unique.
	Pools []Pool

	// Algorithms lists the accepted signature algorithms. Nil means
	// {"RS256"}, the only one Cognito uses. RS384 and RS512 may be added.
	Algorithms []string

	// Leeway is the clock-skew allowance applied to exp, nbf and iat. Zero
	// means DefaultLeeway (5 s); NoLeeway means none; at most MaxLeeway.
	Leeway time.Duration

	// Check, when set, runs last on every token that passed all other
	// checks (on the caller's copy of the token), cache hits included.
	// It sees every token on every route, anonymous routes included, and
	// runs before any policy: a requirement that depends on the route
	// (scopes, groups, claims) belongs in package policy, not here. A non-nil error rejects
	// the token; unless it already wraps one of this package's errors it is
	// wrapped in ErrClaimDenied. A context error (or ErrCanceled) is
	// wrapped in ErrCanceled only when ctx itself has ended, and in
	// ErrClaimDenied otherwise: a hook cannot turn a live request into a
	// cancelled one.
	Check func(ctx context.Context, t *Token) error

	// Denylist, when set, is asked about every token that passed every
	// other check, cache hits included, before Check: a token it reports
	// revoked is refused with ErrRevoked (401). Nil means no deny list.
	// See Denylist.
	Denylist Denylist

	// MaxTokenBytes caps the raw token size. Zero means
	// DefaultMaxTokenBytes (16 KiB).
	MaxTokenBytes int

	// Now is the clock. Nil means time.Now. It is also used by the key
	// cache unless JWKS.Now is set.
	Now func() time.Time

	// JWKS tunes the key cache (HTTP client, refresh timings, observer).
	// JWKS.Carry, e.g. the Keys of the Verifier this one replaces, gives
	// the pools' primary key sets that keep their issuer and URL the keys
	// it holds, so that they are not fetched again; the issuers fetched on
	// demand start afresh (they are fetched when a token needs them).
	JWKS jwks.Config

	// Cache configures the verified-token cache; the zero value enables it
	// with default limits.
	Cache CacheConfig
}

// CognitoIssuer returns the issuer URL of a user pool in the original
// format, "https://cognito-idp.<region>.amazonaws.com/<poolID>", region
// being the pool id's; UpdatedIssuer returns the updated one.
func CognitoIssuer(poolID string) (string, error) { return issuerOf(poolID, cognitoIssuer) }

// cognitoIssuer is the issuer of the pool poolID in region.
func cognitoIssuer(region, poolID string) string {
	return "https://cognito-idp." + region + ".amazonaws.com/" + poolID
}

// compiledConfig is a validated Config.
type compiledConfig struct {
	pools      map[string]*pool // by issuer, every accepted issuer
	issuers    []string         // every accepted issuer, in configuration order
	algs       []string
	leeway     time.Duration
	check      func(context.Context, *Token) error
	denylist   Denylist
	maxBytes   int
	now        func() time.Time
	jwks       jwks.Config
	jwksSource []jwks.Source // the primary issuers' key sets
	poolIndex  []int         // the index in Config.Pools of each jwksSource
	onDemand   []jwks.Source // the other issuers' key sets, fetched on demand
	cache      CacheConfig
}

// pool is a validated Pool, for one of its issuers: a Pool with several
// issuers has one pool each, which share everything but the issuer and
// the keys.
type pool struct {
	issuer  string
	clients []string  // nil when the client check is skipped
	access  bool      // access tokens accepted
	id      bool      // ID tokens accepted
	keys    keySource // set by New
}

// compile validates cfg — every check New makes, the key cache's included,
// short of starting anything — and returns it compiled, or the joined
// *ConfigErrors of every problem found, in the order ConfigError documents.
func (cfg Config) compile() (*compiledConfig, error) {
	cc := &compiledConfig{
		pools:    make(map[string]*pool, len(cfg.Pools)),
		leeway:   cfg.Leeway,
		check:    cfg.Check,
		denylist: cfg.Denylist,
		maxBytes: cfg.MaxTokenBytes,
		now:      cfg.Now,
		jwks:     cfg.JWKS,
		cache:    cfg.Cache,
	}
	var errs []*ConfigError
	fail := func(field, format string, a ...any) { errs = append(errs, configErrorf(-1, field, format, a...)) }

	if len(cfg.Pools) == 0 {
		fail("Pools", "at least one user pool is required")
	}
	type compiled struct {
		cp      *pool
		issuers []poolIssuer
		errs    []*ConfigError
	}
	pools := make([]compiled, len(cfg.Pools))
	named := make(map[string]int) // issuer -> first pool that names it (not by default)
	for i, p := range cfg.Pools {
		cp, issuers, perrs := p.compile(i)
		pools[i] = compiled{cp, issuers, perrs}
		for _, pi := range issuers {
			if _, ok := named[pi.src.Issuer]; !ok && !pi.implicit {
				named[pi.src.Issuer] = i
			}
		}
	}
	first := make(map[string]int, len(cfg.Pools)) // issuer -> first pool that accepts it
	for i, c := range pools {
		perrs := c.errs
		var kept []poolIssuer
		for _, pi := range c.issuers {
			iss := pi.src.Issuer
			if j, ok := named[iss]; ok && pi.implicit && j != i {
				continue // named by pool j, whose it is
			}
			if j, dup := first[iss]; dup {
				switch {
				case pi.implicit:
					// Accepted by default by two pools: they have the
					// same id, and their primary issuers say so.
				case pi.primary:
					perrs = append(perrs, duplicateIssuer(i, cfg.Pools[i], iss, j))
				default:
					perrs = append(perrs, alsoAccepted(i, pi.field, iss, j))
				}
				continue
			}
			first[iss] = i
			kept = append(kept, pi)
		}
		sortPoolErrors(perrs)
		errs = append(errs, perrs...)
		if len(perrs) > 0 {
			continue
		}
		for _, pi := range kept {
			iss := pi.src.Issuer
			cp := *c.cp
			cp.issuer = iss
			cc.pools[iss] = &cp
			cc.issuers = append(cc.issuers, iss)
			if pi.primary {
				cc.jwksSource = append(cc.jwksSource, pi.src)
				cc.poolIndex = append(cc.poolIndex, i)
			} else {
				cc.onDemand = append(cc.onDemand, pi.src)
			}
		}
	}

	cc.algs = slices.Clone(cfg.Algorithms)
	if cc.algs == nil {
		cc.algs = []string{"RS256"}
	}
	if len(cc.algs) == 0 {
		fail("Algorithms", "empty; leave it unset for RS256 only")
	}
	for _, a := range cc.algs {
		if !jose.Supported(a) {
			fail("Algorithms", "%q is not supported; want %s", a, strings.Join(jose.Algorithms, ", "))
		}
	}

	switch {
	case cc.leeway == 0:
		cc.leeway = DefaultLeeway
	case cc.leeway == NoLeeway:
		cc.leeway = 0
	case cc.leeway < 0:
		fail("Leeway", "%s is negative; use no_leeway for none", cc.leeway)
	case cc.leeway > MaxLeeway:
		fail("Leeway", "%s is over %s", cc.leeway, MaxLeeway)
	}
	if isNilDenylist(cc.denylist) {
		fail("Denylist", "a nil %T; leave revocation unset for no deny list", cc.denylist)
	}
	switch {
	case cc.maxBytes == 0:
		cc.maxBytes = DefaultMaxTokenBytes
	case cc.maxBytes < 256:
		fail("MaxTokenBytes", "%d is too small for any token", cc.maxBytes)
	}
	if cc.now == nil {
		cc.now = time.Now
	}
	if cc.jwks.Now == nil {
		cc.jwks.Now = cc.now
	}
	errs = append(errs, fromJWKS(cc.jwks.Validate(), nil)...)
	if cc.cache.MaxEntries < 0 {
		fail("Cache.MaxEntries", "%d is negative; set token_cache.disabled to turn the cache off", cc.cache.MaxEntries)
	}
	if cc.cache.MaxBytes < 0 {
		fail("Cache.MaxBytes", "%d is negative; set token_cache.disabled to turn the cache off", cc.cache.MaxBytes)
	}
	if len(errs) > 0 {
		return nil, joinConfigErrors(errs)
	}
	return cc, nil
}

// compile validates the pool at index i and returns it compiled (without
// its issuer), with the issuers it accepts, primary first, and its
// problems in field order. The pool and its issuers are nil when its
// primary issuer is unknown (no usable UserPoolID nor Issuer).
func (p Pool) compile(i int) (*pool, []poolIssuer, []*ConfigError) {
	var errs []*ConfigError
	fail := func(field, format string, a ...any) { errs = append(errs, configErrorf(i, field, format, a...)) }

	// The primary issuer: Issuer, or the one UserPoolID makes in the
	// primary format.
	original, updated, implicit := p.formats(i, &errs)
	iss, region := p.Issuer, ""
	switch poolReg, ok := poolRegion(p.UserPoolID); {
	case p.UserPoolID == "" && p.Issuer == "":
		fail("UserPoolID", "required unless issuer is set")
	case p.UserPoolID == "":
	case !ok:
		fail("UserPoolID", "%q is not <region>_<id>, e.g. us-east-1_AbC123", p.UserPoolID)
	case p.Region != "" && p.Region != poolReg:
		fail("Region", "%q, but user_pool_id %q is in %s", p.Region, p.UserPoolID, poolReg)
	default:
		region = poolReg
		switch {
		case iss != "":
		case original:
			iss = cognitoIssuer(region, p.UserPoolID)
		case updated:
			iss = updatedIssuer(region, p.UserPoolID)
		}
	}
	secondary, serrs := p.secondaryIssuers(i, region, original, updated, implicit)
	errs = append(errs, serrs...)

	// The key cache checks the issuer, the key set URL and the static keys.
	src := jwks.Source{Issuer: iss, URL: p.JWKSURL, AllowHTTP: p.AllowHTTP, Keys: p.Keys}
	if iss != "" {
		errs = append(errs, fromJWKS(src.Validate(), func(int) int { return i })...)
	}

	cp := &pool{clients: slices.Clone(p.ClientIDs)}
	switch {
	case p.SkipClientIDCheck && len(p.ClientIDs) > 0:
		fail("SkipClientIDCheck", "set together with client_ids; set one")
	case !p.SkipClientIDCheck && len(p.ClientIDs) == 0:
		fail("ClientIDs", "empty; list the app clients or set skip_client_id_check")
	}
	for k, id := range p.ClientIDs {
		if strings.TrimSpace(id) == "" || id != strings.TrimSpace(id) {
			fail("ClientIDs", "entry %d, %q, is empty or padded", k, id)
		}
	}
	switch p.TokenUse {
	case AccessToken:
		cp.access = true
	case IDToken:
		cp.id = true
	case AnyToken:
		cp.access, cp.id = true, true
	case "":
		fail("TokenUse", "required: %q, %q or %q", AccessToken, IDToken, AnyToken)
	default:
		fail("TokenUse", "%q: want %q, %q or %q", p.TokenUse, AccessToken, IDToken, AnyToken)
	}
	sortPoolErrors(errs)
	if iss == "" {
		return nil, nil, errs
	}
	field := "UserPoolID"
	if p.Issuer != "" {
		field = "Issuer"
	}
	issuers := append([]poolIssuer{{src: src, primary: true, field: field}}, secondary...)
	return cp, issuers, errs
}

// duplicateIssuer is the problem of pool i, p, whose issuer iss pool j
// has already.
func duplicateIssuer(i int, p Pool, iss string, j int) *ConfigError {
	if p.Issuer != "" {
		return configErrorf(i, "Issuer", "%q is also the issuer of pool %d", iss, j)
	}
	return configErrorf(i, "UserPoolID", "%q makes issuer %q, which is also pool %d's", p.UserPoolID, iss, j)
}

// poolFieldRank orders a pool's problems as Pool declares its fields.
var poolFieldRank = map[string]int{
	"UserPoolID": 0, "Region": 1, "Regions": 2, "Issuer": 3, "IssuerFormats": 4, "JWKSURL": 5, "Keys": 6,
	"AllowHTTP": 7, "ClientIDs": 8, "SkipClientIDCheck": 9, "TokenUse": 10,
}

// sortPoolErrors puts one pool's problems in field order, keeping the
// order of the problems of one field.
func sortPoolErrors(errs []*ConfigError) {
	slices.SortStableFunc(errs, func(a, b *ConfigError) int {
		return poolFieldRank[a.Field] - poolFieldRank[b.Field]
	})
}

// fromJWKS turns the joined *jwks.ConfigErrors of err into this package's:
// a source's (pool maps its index to the pool's) or the key cache
// Config's. Their keys and problems are already the configuration file's.
func fromJWKS(err error, pool func(source int) int) []*ConfigError {
	var out []*ConfigError
	for _, e := range unjoin(err) {
		je := &jwks.ConfigError{Source: -1, Problem: e.Error()}
		errors.As(e, &je)
		ce := &ConfigError{Pool: -1, Field: je.Field, Key: je.Key, Problem: je.Problem, jwks: true}
		switch {
		case je.Source >= 0 && pool != nil:
			ce.Pool = pool(je.Source)
			if je.Field == "URL" {
				ce.Field = "JWKSURL"
			}
		default:
			ce.Field = strings.TrimSuffix("JWKS."+je.Field, ".")
		}
		out = append(out, ce)
	}
	return out
}

// unjoin returns the errors joined in err (err itself when it joins
// none; nothing for nil).
func unjoin(err error) []error {
	var j interface{ Unwrap() []error }
	switch {
	case err == nil:
		return nil
	case errors.As(err, &j):
		return j.Unwrap()
	default:
		return []error{err}
	}
}

// joinConfigErrors is errors.Join of errs.
func joinConfigErrors(errs []*ConfigError) error {
	list := make([]error, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	return errors.Join(list...)
}

// Validate reports whether cfg is usable: it makes every check New makes,
// those of the key cache included, without starting anything, so that
// Validate(cfg) == nil exactly when New(cfg) would succeed. It reports
// every problem at once: the joined *ConfigErrors (errors.Join), in the
// order ConfigError documents.
func (cfg Config) Validate() error {
	_, err := cfg.compile()
	return err
}
