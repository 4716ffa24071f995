package assertion

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jose"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// Leeway and key-fetch defaults of a Verifier.
const (
	// DefaultLeeway is the clock-skew allowance for exp and iat when
	// VerifierConfig.Leeway is zero.
	DefaultLeeway = 5 * time.Second
	// MaxLeeway is the largest allowance accepted: an assertion lives a
	// minute at most, and a larger allowance would be most of its life.
	MaxLeeway = 30 * time.Second
	// DefaultMaxJWKSBytes caps the key set's answer when
	// VerifierConfig.Keys.MaxResponseBytes is zero: a gate publishes one
	// to three keys of about 200 bytes each.
	DefaultMaxJWKSBytes = 64 << 10
	// DefaultRefreshInterval is how old the fetched key set may get
	// before it is fetched again (in the background, when next used) when
	// VerifierConfig.Keys.RefreshInterval is zero. A new key is fetched
	// at once anyway, when an assertion first names it; the interval
	// bounds how long a key the gate withdrew keeps verifying.
	DefaultRefreshInterval = 5 * time.Minute
)

// VerifierConfig configures a Verifier for an upstream service behind the
// gate. Issuer, one of JWKS and JWKSURL, and Audience (or
// SkipAudienceCheck) are required: the zero value verifies nothing, and
// NewVerifier refuses it.
type VerifierConfig struct {
	// Issuer is the gate's name, its SignerConfig.Issuer, compared
	// exactly with iss. Required.
	Issuer string
	// Audience is this service's name, the gate's SignerConfig.Audience:
	// aud must name it. Required unless SkipAudienceCheck.
	Audience string
	// SkipAudienceCheck accepts assertions whatever their aud, or
	// without one: for a gate that sets no audience. Any upstream of the
	// gate can then replay an assertion it received to any other, within
	// the assertion's lifetime and for the same method, host and path.
	SkipAudienceCheck bool

	// JWKS is the gate's key set itself (a JSON Web Key Set document, as
	// the gate serves it): a static set, never fetched. Every entry must
	// be usable (see parseJWKS), or NewVerifier refuses it. A rotation then
	// means a new JWKS in this service's configuration, before the gate's
	// step 2 (see KeySet).
	JWKS []byte
	// JWKSURL is where the gate serves its key set, e.g.
	// "https://gate-admin.internal:8081/.well-known/jwks.json". https, or
	// http with AllowHTTP; no credentials or fragment. Exactly one of
	// JWKS and JWKSURL is required.
	JWKSURL string
	// AllowHTTP permits a plain-http JWKSURL: the gate's admin listener
	// is plain http, so this is for a key set fetched over a network
	// nothing else can reach or alter (loopback, a service mesh with
	// mTLS). Whoever can change the answer can mint assertions this
	// service accepts.
	AllowHTTP bool
	// Keys tunes the fetches of JWKSURL as it tunes a key set cache:
	// HTTPClient (nil: jwks.DefaultHTTPClient with FetchTimeout as its
	// timeouts; redirects are not followed), FetchTimeout, MaxResponseBytes
	// (zero here means DefaultMaxJWKSBytes), RefreshInterval (zero here
	// means DefaultRefreshInterval), Cooldown, MaxBackoff, MaxStaleness,
	// Now (nil: Now below) and Observer. Their other defaults and checks
	// are jwks.Config's.
	Keys jwks.Config

	// Leeway is the clock-skew allowance for exp and iat. Zero means
	// DefaultLeeway (5 s), claims.NoLeeway none; at most MaxLeeway.
	Leeway time.Duration
	// MaxLifetime is the longest exp - iat accepted. Zero means
	// MaxLifetime (60 s); at least 1 s.
	MaxLifetime time.Duration
	// MaxTokenBytes caps an assertion, checked before anything is decoded.
	// Zero means claims.DefaultMaxTokenBytes (16 KiB).
	MaxTokenBytes int

	// Binding says how CheckRequest and VerifyRequest find, in a request
	// as this service receives it, the host and path the gate authorized.
	Binding Binding

	// ReplayCache, when above zero, makes the Verifier remember the jti
	// of every assertion it accepts until the assertion expires (exp plus
	// the leeway), at most ReplayCache of them, and refuse a second use
	// (ErrReplayed). When that many unexpired jtis are held, further
	// assertions are refused (ErrReplayCacheFull, 500) rather than let
	// through unrecorded: size it above your peak requests per second
	// times (lifetime + leeway). Each entry costs 110 to 150 bytes (11 to
	// 15 MB for 100,000). The cache is per Verifier: replicas of a service
	// do not share it. Zero means no cache.
	ReplayCache int

	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Binding locates, in the request an upstream receives, what the gate
// authorized. The zero value compares the request's method, Host and
// escaped path (r.URL.EscapedPath) with the assertion's htm, host and
// path.
type Binding struct {
	// HostHeader, when set, names the header that holds the host the gate
	// authorized, instead of the request's Host: "X-Forwarded-Host"
	// behind `cognito-gate serve`, which sends its upstream's own host as
	// Host and sets X-Forwarded-Host to the client's. It must hold exactly
	// one value.
	HostHeader string
	// PathPrefix is the path of the gate's upstream URL ("/api" for
	// upstream http://orders:8080/api), which the gate's proxy puts
	// before the path it authorized: a request path of PathPrefix + the
	// assertion's path matches. Empty, or beginning with '/' and not
	// ending with one.
	PathPrefix string
	// SkipHost compares method and path only: for a service that serves
	// one host, or sits behind a proxy that rewrites Host and sets no
	// header with the original.
	SkipHost bool
}

// Verifier checks the gate's assertions in an upstream service. Build it
// once with NewVerifier; it is safe for concurrent use. Close it to stop
// a key fetch in flight.
type Verifier struct {
	iss, aud    string
	skipAud     bool
	leeway      time.Duration
	maxLifetime time.Duration
	maxBytes    int
	binding     Binding
	now         func() time.Time
	keys        keySource
	replay      *replayCache
}

// NewVerifier validates cfg, reporting every problem (each a *ConfigError
// matching ErrConfig), and returns a Verifier. With JWKSURL it fetches
// nothing yet: the key set is fetched when the first assertion needs it,
// or by Hydrate.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	var p problems
	v := &Verifier{
		iss:         cfg.Issuer,
		aud:         cfg.Audience,
		skipAud:     cfg.SkipAudienceCheck,
		leeway:      cfg.Leeway,
		maxLifetime: cmp.Or(cfg.MaxLifetime, MaxLifetime),
		maxBytes:    cmp.Or(cfg.MaxTokenBytes, claims.DefaultMaxTokenBytes),
		binding:     cfg.Binding,
		now:         cfg.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if problem := checkName(cfg.Issuer); problem != "" {
		p.add("Issuer", "%s", problem)
	}
	switch {
	case cfg.Audience == "" && !cfg.SkipAudienceCheck:
		p.add("Audience", "required: this service's name, the gate's assertion audience (or set SkipAudienceCheck)")
	case cfg.Audience != "" && cfg.SkipAudienceCheck:
		p.add("Audience", "set Audience or SkipAudienceCheck, not both")
	case cfg.Audience != "":
		if problem := checkName(cfg.Audience); problem != "" {
			p.add("Audience", "%s", problem)
		}
	}
	switch {
	case cfg.JWKS == nil && cfg.JWKSURL == "":
		p.add("JWKS", "required: the gate's key set, or set JWKSURL")
	case cfg.JWKS != nil && cfg.JWKSURL != "":
		p.add("JWKS", "set JWKS or JWKSURL, not both")
	case cfg.JWKS != nil:
		keys, skipped, err := parseJWKS(cfg.JWKS)
		switch {
		case err != nil:
			p.add("JWKS", "%s", problemText(err))
		case len(skipped) > 0:
			p.add("JWKS", "entry %d (kid %s): %s", skipped[0].Index, quote(skipped[0].KeyID), skipped[0].Detail)
		}
		v.keys = staticKeys(keys)
	default:
		checkJWKSURL(&p, cfg.JWKSURL, cfg.AllowHTTP)
	}
	switch {
	case v.leeway == 0:
		v.leeway = DefaultLeeway
	case v.leeway == claims.NoLeeway:
		v.leeway = 0
	case v.leeway < 0 || v.leeway > MaxLeeway:
		p.add("Leeway", "%s is outside 0 to %s (claims.NoLeeway for none)", cfg.Leeway, MaxLeeway)
	}
	if v.maxLifetime < time.Second || v.maxLifetime > MaxLifetime {
		p.add("MaxLifetime", "%s is outside 1s to %s", cfg.MaxLifetime, MaxLifetime)
	}
	if v.maxBytes < 512 {
		p.add("MaxTokenBytes", "%d is too small for any assertion", cfg.MaxTokenBytes)
	}
	b := cfg.Binding
	switch {
	case b.HostHeader != "" && b.SkipHost:
		p.add("Binding", "set HostHeader or SkipHost, not both")
	case b.HostHeader != "" && !validHeaderName(b.HostHeader):
		p.add("Binding", "HostHeader %s is not a header name", quote(b.HostHeader))
	}
	if b.PathPrefix != "" && (!strings.HasPrefix(b.PathPrefix, "/") || strings.HasSuffix(b.PathPrefix, "/")) {
		p.add("Binding", "PathPrefix %s must begin with '/' and not end with one", quote(b.PathPrefix))
	}
	if cfg.ReplayCache < 0 {
		p.add("ReplayCache", "%d is negative", cfg.ReplayCache)
	}
	var keys jwks.Config
	if cfg.JWKSURL != "" {
		keys = fetchConfig(&p, cfg.Keys, v.now)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if cfg.JWKSURL != "" {
		v.keys = newRemoteKeys(cfg.JWKSURL, cfg.Issuer, keys)
	}
	if cfg.ReplayCache > 0 {
		v.replay = newReplayCache(cfg.ReplayCache)
	}
	return v, nil
}

// checkJWKSURL records what is wrong with a key set URL.
func checkJWKSURL(p *problems, raw string, allowHTTP bool) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		p.add("JWKSURL", "%s is not a URL", quote(raw))
	case u.Scheme == "http" && !allowHTTP:
		p.add("AllowHTTP", "jwks_url %s is plain http; set allow_http only where nothing else can reach or alter the answer", quote(raw))
	case u.Scheme != "https" && u.Scheme != "http":
		p.add("JWKSURL", "%s: scheme must be https", quote(raw))
	case u.User != nil:
		p.add("JWKSURL", "must not carry credentials") // not quoted back: it holds a secret
	case u.Host == "":
		p.add("JWKSURL", "%s has no host", quote(raw))
	case u.Fragment != "" || strings.Contains(raw, "#"):
		p.add("JWKSURL", "%s has a fragment", quote(raw))
	}
}

// fetchConfig validates the key-fetch settings and fills their defaults.
func fetchConfig(p *problems, k jwks.Config, now func() time.Time) jwks.Config {
	p.addJWKS(k.Validate())
	k.FetchTimeout = cmp.Or(k.FetchTimeout, jwks.DefaultFetchTimeout)
	k.MaxResponseBytes = cmp.Or(k.MaxResponseBytes, DefaultMaxJWKSBytes)
	k.RefreshInterval = cmp.Or(k.RefreshInterval, DefaultRefreshInterval)
	k.Cooldown = cmp.Or(k.Cooldown, jwks.DefaultCooldown)
	k.MaxBackoff = cmp.Or(k.MaxBackoff, jwks.DefaultMaxBackoff)
	k.MaxStaleness = cmp.Or(k.MaxStaleness, jwks.DefaultMaxStaleness)
	if k.RefreshInterval > 0 && k.Cooldown > k.RefreshInterval {
		*p = append(*p, &ConfigError{Field: "Keys.RefreshInterval", Key: "jwks.refresh_interval",
			Problem: fmt.Sprintf("%s is shorter than jwks.cooldown (%s)", k.RefreshInterval, k.Cooldown)})
	}
	if k.Now == nil {
		k.Now = now
	}
	if k.HTTPClient == nil {
		c := jwks.DefaultHTTPClient()
		c.Timeout = k.FetchTimeout
		if t, ok := c.Transport.(*http.Transport); ok {
			t.ResponseHeaderTimeout = k.FetchTimeout
		}
		k.HTTPClient = c
	}
	return k
}

// validHeaderName reports whether s is an HTTP field name (an RFC 9110
// token).
func validHeaderName(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}

// problemText returns an error's text without the package prefix.
func problemText(err error) string { return strings.TrimPrefix(err.Error(), "assertion: ") }

// Close stops a key fetch in flight and waits for it to end. Keys already
// fetched stay usable; one that needs a fetch afterwards is
// claims.ErrJWKSUnavailable. Close is idempotent.
func (v *Verifier) Close() error {
	v.keys.close()
	return nil
}

// Hydrate fetches the key set now, if it is fetched and none is held,
// and reports whether one is usable: for a readiness check at start-up.
// A static key set is always ready.
func (v *Verifier) Hydrate(ctx context.Context) error { return v.keys.hydrate(ctx) }

// Verify checks raw, an assertion, and returns the identity it carries as
// a *claims.Token, so that a *Verifier is a middleware.Config.Verifier as
// it is (with middleware.Header("X-Auth-Assertion") as the token source),
// and claims.FromContext and a policy work as they do behind a Cognito
// token. The checks, in order, all of them before any key is fetched:
//
//   - size at most MaxTokenBytes; three unpadded base64url segments;
//   - header: strict JSON with typ, alg and kid; crit refused; typ is Type
//     (ErrWrongType), alg ES256 (claims.ErrUnsupportedAlg);
//   - payload: strict JSON, see parsePayload;
//   - iss is Issuer (claims.ErrWrongIssuer), aud names Audience
//     (ErrWrongAudience);
//   - exp after iat by at most MaxLifetime (ErrLifetime); now before exp
//     plus the leeway (claims.ErrExpired); iat at most now plus the
//     leeway (claims.ErrIssuedInFuture);
//   - the signature is 64 bytes, r||s, and verifies under the key of kid
//     (claims.ErrUnknownKID for a kid the key set does not hold,
//     claims.ErrJWKSUnavailable when there is no usable key set,
//     claims.ErrBadSignature);
//   - with ReplayCache, the jti was not seen before (ErrReplayed).
//
// Verify does not check that the assertion was minted for the request it
// came with: use VerifyRequest, or CheckRequest after the middleware.
//
// The token's Issuer is the Cognito issuer the gate verified (cognito_iss:
// a policy's pools and issuers rules read it), Use its token_use, Subject,
// Username, ClientID, Groups, Scopes, OriginJTI and AuthTime the
// token's; Email, EmailVerified, Roles and PreferredRole are read from the
// claims email, email_verified, cognito:roles and cognito:preferred_role
// when the gate copied them (SignerConfig.Claims). Expiry, IssuedAt, JTI,
// KeyID and Algorithm are the assertion's own. Claim, Claims, Decode and
// Payload read the assertion's claims as signed, the copied claims of the
// token among them under their own names. Version and Identities are not
// carried (zero).
func (v *Verifier) Verify(ctx context.Context, raw string) (*claims.Token, error) {
	tok, _, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if err := v.remember(tok); err != nil {
		return nil, err
	}
	return tok, nil
}

// VerifyRequest is Verify, for raw as it arrived with r, followed by
// CheckRequest(r, token): the assertion must have been minted for r's
// method, host and path. A replay cache records the assertion only when
// both passed.
func (v *Verifier) VerifyRequest(r *http.Request, raw string) (*claims.Token, error) {
	tok, p, err := v.verify(r.Context(), raw)
	if err != nil {
		return nil, err
	}
	if err := v.checkBinding(r, p.method, p.host, p.path); err != nil {
		return nil, err
	}
	if err := v.remember(tok); err != nil {
		return nil, err
	}
	return tok, nil
}

// CheckRequest reports whether tok, a token Verify returned, is an
// assertion minted for r: r's method is its htm; r's host (Host, or the
// Binding's HostHeader; the port left out, compared case-insensitively)
// its host, unless Binding.SkipHost; r's escaped path its path, after
// Binding.PathPrefix. Anything else, or a token that is not an assertion,
// is an error matching ErrRequestMismatch. Use it in the handler behind
// the middleware:
//
//	tok, _ := claims.FromContext(r.Context())
//	if err := v.CheckRequest(r, tok); err != nil { ... 401 ... }
//
// The query and the body are not bound (nor are they in RFC 9449's
// htu). What the binding leaves open: whoever captures an assertion (from
// the upstream's logs, a debugging proxy, a compromised upstream) can
// send it again with the same method, host and path, with any query and
// body, until it expires — at most Lifetime plus the leeway. ReplayCache
// closes that for one Verifier.
func (v *Verifier) CheckRequest(r *http.Request, tok *claims.Token) error {
	if tok == nil {
		return errorf("no assertion: %w", ErrRequestMismatch)
	}
	method, ok1 := tok.StringClaim("htm")
	host, ok2 := tok.StringClaim("host")
	path, ok3 := tok.StringClaim("path")
	if !ok1 || !ok2 || !ok3 {
		return errorf("the token names no request (no assertion?): %w", ErrRequestMismatch)
	}
	return v.checkBinding(r, method, host, path)
}

// checkBinding compares r with the method, host and path an assertion
// names.
func (v *Verifier) checkBinding(r *http.Request, method, host, path string) error {
	if r.Method != method {
		return errorf("method %s, the assertion is for %s: %w", quote(r.Method), quote(method), ErrRequestMismatch)
	}
	if !v.binding.SkipHost {
		got := r.Host
		if v.binding.HostHeader != "" {
			vals := r.Header.Values(v.binding.HostHeader)
			if len(vals) != 1 {
				return errorf("%d %s headers, want 1: %w", len(vals), v.binding.HostHeader, ErrRequestMismatch)
			}
			got = vals[0]
		}
		if !strings.EqualFold(hostName(got), hostName(host)) {
			return errorf("host %s, the assertion is for %s: %w", quote(got), quote(host), ErrRequestMismatch)
		}
	}
	if got := r.URL.EscapedPath(); got != v.binding.PathPrefix+path {
		return errorf("path %s, the assertion is for %s: %w", quote(got), quote(v.binding.PathPrefix+path), ErrRequestMismatch)
	}
	return nil
}

// hostName returns host without its port, and an IPv6 literal without
// its brackets.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// remember records tok's jti in the replay cache, if there is one.
func (v *Verifier) remember(tok *claims.Token) error {
	if v.replay == nil {
		return nil
	}
	return v.replay.add(tok.JTI, tok.Expiry.Add(v.leeway), v.now())
}

// verify runs Verify's checks but the replay cache's.
func (v *Verifier) verify(ctx context.Context, raw string) (*claims.Token, *payload, error) {
	switch {
	case raw == "":
		return nil, nil, claims.ErrMissingToken
	case len(raw) > v.maxBytes:
		return nil, nil, errorf("assertion of %d bytes, limit %d: %w", len(raw), v.maxBytes, claims.ErrMalformed)
	}
	t, err := cut(raw)
	if err != nil {
		return nil, nil, err
	}
	h, err := parseHeader(t.header)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case h.typ != Type:
		return nil, nil, errorf("typ %s: %w", quote(h.typ), ErrWrongType)
	case h.alg != "ES256":
		return nil, nil, errorf("alg %s, want ES256: %w", quote(h.alg), claims.ErrUnsupportedAlg)
	case len(h.kid) > maxKIDBytes:
		return nil, nil, errorf("kid of %d bytes: %w", len(h.kid), claims.ErrMalformed)
	}
	p, err := parsePayload(t.payload)
	if err != nil {
		return nil, nil, err
	}
	if err := v.checkClaims(&p); err != nil {
		return nil, nil, err
	}
	if len(t.sig) != es256Size {
		return nil, nil, errorf("signature of %d bytes, ES256 is %d (r||s, not ASN.1 DER): %w", len(t.sig), es256Size, claims.ErrBadSignature)
	}
	pub, err := v.keys.key(ctx, h.kid)
	if err != nil {
		return nil, nil, err
	}
	if jose.VerifyECDSA(h.alg, pub, []byte(t.signingInput), t.sig) != nil {
		return nil, nil, errorf("kid %s: %w", quote(h.kid), claims.ErrBadSignature)
	}
	tok, err := v.token(&p, h, t.payload)
	if err != nil {
		return nil, nil, err
	}
	return tok, &p, nil
}

// checkClaims checks iss, aud and the times.
func (v *Verifier) checkClaims(p *payload) error {
	const layout = "2006-01-02T15:04:05Z"
	now := v.now()
	switch life := p.exp.Sub(p.iat); {
	case p.iss != v.iss:
		return errorf("iss %s: %w", quote(p.iss), claims.ErrWrongIssuer)
	case !v.skipAud && !slices.Contains(p.aud, v.aud):
		return errorf("aud %s: %w", quote(strings.Join(p.aud, " ")), ErrWrongAudience)
	case life <= 0 || life > v.maxLifetime:
		return errorf("exp - iat is %s, limit %s: %w", life, v.maxLifetime, ErrLifetime)
	case !now.Before(p.exp.Add(v.leeway)):
		return errorf("expired at %s: %w", p.exp.UTC().Format(layout), claims.ErrExpired)
	case p.iat.After(now.Add(v.leeway)):
		return errorf("issued at %s: %w", p.iat.UTC().Format(layout), claims.ErrIssuedInFuture)
	}
	return nil
}

// token builds the Token of a verified assertion.
func (v *Verifier) token(p *payload, h header, raw []byte) (*claims.Token, error) {
	fields := claims.Token{
		Use:           claims.TokenUse(p.use),
		Issuer:        p.cognitoIss,
		Subject:       p.sub,
		Username:      p.username,
		ClientID:      p.clientID,
		Roles:         p.roles,
		PreferredRole: p.preferredRole,
		Email:         p.email,
		EmailVerified: p.emailVerified,
		Expiry:        p.exp,
		IssuedAt:      p.iat,
		AuthTime:      p.authTime,
		JTI:           p.jti,
		OriginJTI:     p.originJTI,
		KeyID:         h.kid,
		Algorithm:     h.alg,
	}
	if p.hasGroups {
		fields.Groups = p.groups
	}
	if p.hasScope {
		scopes, err := splitScopes(p.scope)
		if err != nil {
			return nil, errorf("payload: scope: %v: %w", err, claims.ErrMalformed)
		}
		fields.Scopes = scopes
	}
	return claims.NewToken(fields, raw)
}

// splitScopes splits a scope claim (RFC 6749 section 3.3): scope-tokens of
// the characters %x21 / %x23-5B / %x5D-7E separated by single spaces. ""
// is no scopes (empty, not nil).
func splitScopes(s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	out := strings.Split(s, " ")
	for i, sc := range out {
		if sc == "" || strings.ContainsFunc(sc, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) {
			return nil, errorf("scope %d is empty or has a character RFC 6749 does not allow", i)
		}
	}
	return out, nil
}
