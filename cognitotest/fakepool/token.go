package fakepool

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// TokenOption changes one aspect of a token minted by Pool.AccessToken or
// Pool.IDToken. Options apply in order; a later option wins over an earlier
// one that sets the same thing, and WithClaim, WithoutClaim, WithHeader and
// WithoutHeader apply after all the others, to the finished claims and
// header. Options that do not concern a token type (WithScopes for an ID
// token) are ignored.
type TokenOption func(*tokenSpec)

// tokenSpec collects the options of one token. Nil pointers and zero times
// mean the pool's default.
type tokenSpec struct {
	username    string
	subject     *string
	groups      []string
	scopes      []string
	scopesSet   bool
	clientID    *string
	issuer      *string
	issuedAt    time.Time
	expiry      time.Time
	lifetime    *time.Duration
	claimOps    []fieldOp
	headerOps   []fieldOp
	unpublished bool
	kid         string
	region      string // "" for the pool's own region; see Pool.InRegion
	regionPool  *Pool  // the pool whose InRegion set region
}

// fieldOp sets or removes one claim or header field.
type fieldOp struct {
	name   string
	value  any
	remove bool
}

// WithUsername sets the username (access tokens) and cognito:username (ID
// tokens), by default DefaultUsername. The sub claim is a random UUID that
// is the same for every token of the pool with this username; the email
// claim of ID tokens is username + "@example.com".
func WithUsername(username string) TokenOption {
	return func(s *tokenSpec) { s.username = username }
}

// WithSubject sets the sub claim instead of the username's UUID.
func WithSubject(sub string) TokenOption {
	return func(s *tokenSpec) { s.subject = &sub }
}

// WithGroups sets cognito:groups. Without groups (the default) the token
// has no cognito:groups claim, as with Cognito.
func WithGroups(groups ...string) TokenOption {
	return func(s *tokenSpec) { s.groups = slices.Clone(groups) }
}

// WithScopes sets the scope claim of access tokens to the scopes joined by
// single spaces, instead of DefaultScope. With no arguments the claim is
// the empty string; remove it with WithoutClaim("scope").
//
// Each scope must be an RFC 6749 scope-token: one or more printable ASCII
// characters other than space, '"' and '\\'. WithScopes panics otherwise
// (a mistake in the calling test): WithScopes("a b") would mint two scopes
// and WithScopes("a\tb") a claim that verifiers refuse as malformed. To
// mint such a claim on purpose, use WithClaim("scope", "a\tb").
func WithScopes(scopes ...string) TokenOption {
	for _, sc := range scopes {
		if !scopeToken(sc) {
			panic(fmt.Sprintf("fakepool: WithScopes: %q is not a scope token; use WithClaim(\"scope\", ...) for a malformed claim", sc))
		}
	}
	return func(s *tokenSpec) { s.scopes, s.scopesSet = slices.Clone(scopes), true }
}

// scopeToken reports whether s is an RFC 6749 scope-token:
// 1*( %x21 / %x23-5B / %x5D-7E ).
func scopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// WithClientID sets the client_id of access tokens and the aud of ID tokens
// instead of the pool's client id.
func WithClientID(id string) TokenOption {
	return func(s *tokenSpec) { s.clientID = &id }
}

// WithIssuer sets the iss claim instead of the pool's issuer.
func WithIssuer(iss string) TokenOption {
	return func(s *tokenSpec) { s.issuer = &iss }
}

// WithIssuedAt sets iat and auth_time to t (in whole seconds) instead of
// the pool clock's now; exp is t plus the lifetime unless WithExpiry is
// given.
func WithIssuedAt(t time.Time) TokenOption {
	return func(s *tokenSpec) { s.issuedAt = t }
}

// WithExpiry sets exp to t (in whole seconds), whatever iat and the
// lifetime are.
func WithExpiry(t time.Time) TokenOption {
	return func(s *tokenSpec) { s.expiry = t }
}

// WithLifetime sets exp to iat plus d instead of the pool's TokenLifetime.
// A negative d mints a token that expired before it was issued.
func WithLifetime(d time.Duration) TokenOption {
	return func(s *tokenSpec) { s.lifetime = &d }
}

// WithClaim adds the claim name or replaces its value. The value is encoded
// with encoding/json; minting panics when it cannot be.
func WithClaim(name string, value any) TokenOption {
	return func(s *tokenSpec) { s.claimOps = append(s.claimOps, fieldOp{name: name, value: value}) }
}

// WithoutClaim removes the claim name.
func WithoutClaim(name string) TokenOption {
	return func(s *tokenSpec) { s.claimOps = append(s.claimOps, fieldOp{name: name, remove: true}) }
}

// WithHeader adds the header field name or replaces its value, e.g. "alg",
// "kid", "typ" or "jku". The token is still signed with RS256 by the key
// the pool would have used, so a changed kid or alg makes a token whose
// header lies about its signature.
func WithHeader(name string, value any) TokenOption {
	return func(s *tokenSpec) { s.headerOps = append(s.headerOps, fieldOp{name: name, value: value}) }
}

// WithoutHeader removes the header field name.
func WithoutHeader(name string) TokenOption {
	return func(s *tokenSpec) { s.headerOps = append(s.headerOps, fieldOp{name: name, remove: true}) }
}

// WithUnpublishedKey signs the token with a key of the pool that is never
// in its JWKS; the header's kid is that key's, which no key set contains.
func WithUnpublishedKey() TokenOption {
	return func(s *tokenSpec) { s.unpublished, s.kid = true, "" }
}

// WithKeyID signs the token with the pool's key kid: a published one (see
// KeyIDs) or one that was retired. Minting panics when the pool never had
// such a key, which is a mistake in the calling test. An empty kid means
// the default signing key for the token type.
func WithKeyID(kid string) TokenOption {
	return func(s *tokenSpec) { s.kid, s.unpublished = kid, false }
}

// AccessToken mints a signed access token. Its header is
// {"alg":"RS256","kid":...}, without typ, and its claims are those of a
// Cognito access token: sub, cognito:groups (only when there are groups),
// iss, version (2), client_id, origin_jti, event_id, token_use ("access"),
// scope, auth_time, exp, iat, jti and username, and no aud. The sub (unless
// set), jti, origin_jti and event_id are random UUIDs.
func (p *Pool) AccessToken(opts ...TokenOption) string {
	return p.mint("access", opts)
}

// IDToken mints a signed ID token. Its header is {"alg":"RS256","kid":...},
// without typ, and its claims are those of a Cognito ID token: sub,
// cognito:groups (only when there are groups), email_verified (true), iss,
// cognito:username, origin_jti, aud (the client id), event_id, token_use
// ("id"), auth_time, exp, iat, jti and email.
func (p *Pool) IDToken(opts ...TokenOption) string {
	return p.mint("id", opts)
}

// ClientCredentialsToken mints a signed machine-to-machine access token,
// as Cognito issues one to an app client itself (the OAuth 2.0
// client-credentials grant, or GetClientToken): its header is that of
// AccessToken, and its claims are exactly sub (the client id), token_use
// ("access"), scope, auth_time, iss, exp, iat, version (2), jti and
// client_id — no username, no cognito:groups, no origin_jti or event_id,
// no aud. The scope is "gate-test/read", a custom scope of the form
// <resource server identifier>/<scope name> such as Cognito grants M2M
// clients, unless WithScopes is given. WithClientID sets client_id and sub (unless
// WithSubject sets sub); WithUsername and WithGroups are ignored (add
// such claims with WithClaim to mint what Cognito does not). The jti is a
// random UUID. The token is signed with the access token key.
func (p *Pool) ClientCredentialsToken(opts ...TokenOption) string {
	return p.mint(clientCredentials, opts)
}

// clientCredentials is mint's kind of a client-credentials access token.
const clientCredentials = "client_credentials"

// mint mints a token of kind: "access", "id" or clientCredentials.
func (p *Pool) mint(kind string, opts []TokenOption) string {
	spec := tokenSpec{username: DefaultUsername}
	for _, opt := range opts {
		if opt != nil {
			opt(&spec)
		}
	}
	tokenUse := kind
	if kind == clientCredentials {
		tokenUse = "access"
	}
	regionKey, regionIss := p.regionKey(&spec, tokenUse)

	iat := spec.issuedAt
	if iat.IsZero() {
		iat = p.cfg.Now()
	}
	lifetime := p.cfg.TokenLifetime
	if spec.lifetime != nil {
		lifetime = *spec.lifetime
	}
	exp := spec.expiry
	if exp.IsZero() {
		exp = iat.Add(lifetime)
	}
	clientID := orDefault(spec.clientID, p.ClientID)
	issuer := orDefault(spec.issuer, func() string { return regionIss })

	claims := map[string]any{
		"iss":       issuer,
		"token_use": tokenUse,
		"auth_time": iat.Unix(),
		"iat":       iat.Unix(),
		"exp":       exp.Unix(),
		"jti":       newUUID(),
	}
	if kind == clientCredentials {
		claims["sub"] = orDefault(spec.subject, func() string { return clientID })
		claims["version"] = 2
		claims["client_id"] = clientID
		claims["scope"] = defaultClientScope
		if spec.scopesSet {
			claims["scope"] = strings.Join(spec.scopes, " ")
		}
	} else {
		claims["sub"] = orDefault(spec.subject, func() string { return p.subjectOf(spec.username) })
		claims["origin_jti"] = newUUID()
		claims["event_id"] = newUUID()
		if len(spec.groups) > 0 {
			claims["cognito:groups"] = spec.groups
		}
	}
	switch kind {
	case "access":
		scope := DefaultScope
		if spec.scopesSet {
			scope = strings.Join(spec.scopes, " ")
		}
		claims["version"] = 2
		claims["client_id"] = clientID
		claims["scope"] = scope
		claims["username"] = spec.username
	case "id":
		claims["aud"] = clientID
		claims["cognito:username"] = spec.username
		claims["email"] = spec.username + "@example.com"
		claims["email_verified"] = true
	}
	applyOps(claims, spec.claimOps)

	var key *signingKey
	switch {
	case spec.unpublished:
		key = p.unpublishedKey()
	case spec.kid != "":
		key = p.mustKey("WithKeyID", spec.kid)
	default:
		key = regionKey
	}
	header := map[string]any{"kid": key.kid, "alg": "RS256"}
	applyOps(header, spec.headerOps)
	return p.sign(key, header, claims)
}

// Sign builds a token from header and claims as given, for tests of
// hostile tokens, and signs it with RS256 over exactly
// base64url(header JSON) "." base64url(claims JSON). When header has no
// "kid" it gets the kid of the current signing key for the claims'
// token_use ("id" → the ID token key, anything else → the access token
// key); when header has no "alg" it gets "RS256". The signing key is the
// pool's key named by the header's kid when there is one, else that default
// key, so a kid naming no key of the pool gives a token signed by the
// default key. The maps are not modified; Sign panics when they cannot be
// encoded as JSON.
func (p *Pool) Sign(header, claims map[string]any) string {
	tokenUse, _ := claims["token_use"].(string)
	key := p.signingKeyFor(tokenUse)
	h := maps.Clone(header)
	if h == nil {
		h = make(map[string]any, 2)
	}
	if kid, ok := h["kid"]; !ok {
		h["kid"] = key.kid
	} else if s, ok := kid.(string); ok {
		if k := p.key(s); k != nil {
			key = k
		}
	}
	if _, ok := h["alg"]; !ok {
		h["alg"] = "RS256"
	}
	return p.sign(key, h, claims)
}

// SignRaw signs the exact bytes given, for tests of duplicate keys and odd
// JSON: it returns base64url(headerJSON) "." base64url(claimsJSON) "."
// the RS256 signature by the pool's key kid (published, retired or the
// unpublished one). An empty kid means the current access token key.
// SignRaw panics when the pool has no key kid.
func (p *Pool) SignRaw(headerJSON, claimsJSON []byte, kid string) string {
	key := p.signingKeyFor("access")
	if kid != "" {
		key = p.mustKey("SignRaw", kid)
	}
	return signCompact(key, headerJSON, claimsJSON)
}

func (p *Pool) sign(key *signingKey, header, claims map[string]any) string {
	headerJSON, err := json.Marshal(header)
	if err != nil {
		panic("fakepool: encoding token header: " + err.Error())
	}
	claimsJSON, err := json.Marshal(claims)
	if err != nil {
		panic("fakepool: encoding token claims: " + err.Error())
	}
	return signCompact(key, headerJSON, claimsJSON)
}

// signCompact returns the compact JWS of header and claims signed with
// RS256 by key.
func signCompact(key *signingKey, headerJSON, claimsJSON []byte) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(headerJSON) + "." + enc.EncodeToString(claimsJSON)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key.priv, crypto.SHA256, digest[:])
	if err != nil {
		panic(fmt.Sprintf("fakepool: signing with key %s: %v", key.kid, err))
	}
	return input + "." + enc.EncodeToString(sig)
}

func applyOps(fields map[string]any, ops []fieldOp) {
	for _, op := range ops {
		if op.remove {
			delete(fields, op.name)
		} else {
			fields[op.name] = op.value
		}
	}
}

func orDefault(v *string, def func() string) string {
	if v != nil {
		return *v
	}
	return def()
}

// newUUID returns a random (version 4) UUID from crypto/rand.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand.Read crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
