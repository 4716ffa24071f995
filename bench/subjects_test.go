package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	auth0jwks "github.com/auth0/go-jwt-middleware/v2/jwks"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v2/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// subject is one verifier under test: verify is exactly what its benchmark
// calls, and what its correctness guard checks.
type subject struct {
	name   string
	verify func(tok string) error
	// aud marks the peer that needs an aud claim in access tokens: it gets
	// the fixture's audTokens and aud-carrying variants.
	aud bool
	// note says which check the peer cannot do, or how it was configured
	// to do it.
	note string
	// accepts names the guard variants the peer lets through, with why;
	// the guard fails if it rejects them after all, so the list stays true.
	accepts map[string]string
}

// tokensFor returns the cold token pool of s.
func (f *fixture) tokensFor(s subject) []string {
	if s.aud {
		return f.audTokens
	}
	return f.tokens
}

// coldCacheEntries bounds the verified-token cache of the "cold" Verifier
// far below poolSize, so cycling through the pool never hits.
const coldCacheEntries = 256

// newVerifier returns a hydrated cognito-gate Verifier for the pool.
func (f *fixture) newVerifier(tb testing.TB, cache claims.CacheConfig) *claims.Verifier {
	tb.Helper()
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: f.pool.PoolID(),
			JWKSURL:    f.pool.JWKSURL(),
			AllowHTTP:  true,
			ClientIDs:  []string{clientID},
			TokenUse:   claims.AccessToken,
		}},
		Leeway: leeway,
		Now:    f.fixedNow,
		Cache:  cache,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { v.Close() })
	if err := v.Hydrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return v
}

func verifierSubject(name string, v *claims.Verifier) subject {
	return subject{name: name, verify: func(tok string) error {
		_, err := v.Verify(ctx, tok)
		return err
	}}
}

// subjects returns the floor, cognito-gate and every peer, each warmed
// (keys fetched) and configured for iss, client_id, token_use and exp.
func (f *fixture) subjects(tb testing.TB) []subject {
	tb.Helper()
	return []subject{
		{name: "floor", verify: f.newFloor().verify},
		verifierSubject("cognito-gate", f.newVerifier(tb, claims.CacheConfig{MaxEntries: coldCacheEntries})),
		verifierSubject("cognito-gate-nocache", f.newVerifier(tb, claims.CacheConfig{Disabled: true})),
		f.jwxSubject(tb),
		f.golangJWTSubject(tb),
		f.goOIDCSubject(tb),
		f.auth0Subject(tb),
	}
}

// warm verifies one token so that lazily fetched keys are in place.
func warm(tb testing.TB, s subject, tok string) {
	tb.Helper()
	if err := s.verify(tok); err != nil {
		tb.Fatalf("%s: warming with a valid token: %v", s.name, err)
	}
}

// jwxSubject is lestrrat-go/jwx v2's jwt.Parse with a cached remote key
// set; client_id and token_use are checked with WithClaimValue.
func (f *fixture) jwxSubject(tb testing.TB) subject {
	tb.Helper()
	cctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	c := jwk.NewCache(cctx)
	if err := c.Register(f.pool.JWKSURL()); err != nil {
		tb.Fatal(err)
	}
	if _, err := c.Refresh(cctx, f.pool.JWKSURL()); err != nil {
		tb.Fatal(err)
	}
	set := jwk.NewCachedSet(c, f.pool.JWKSURL())
	clock := jwxjwt.ClockFunc(f.fixedNow)
	iss := f.pool.Issuer()
	s := subject{name: "jwx", accepts: map[string]string{
		"alg HS256": "jwx verifies with the key's alg (RS256) and ignores a different header alg",
	}, verify: func(tok string) error {
		_, err := jwxjwt.ParseString(tok,
			jwxjwt.WithKeySet(set),
			jwxjwt.WithValidate(true),
			jwxjwt.WithIssuer(iss),
			jwxjwt.WithClock(clock),
			jwxjwt.WithAcceptableSkew(leeway),
			jwxjwt.WithRequiredClaim("exp"),
			jwxjwt.WithClaimValue("client_id", clientID),
			jwxjwt.WithClaimValue("token_use", "access"),
		)
		return err
	}}
	warm(tb, s, f.tokens[0])
	return s
}

// golangJWTClaims are the claims golang-jwt decodes; Validate adds the
// Cognito checks (jwt v5 runs it after the registered-claim checks).
type golangJWTClaims struct {
	jwt.RegisteredClaims
	ClientID string `json:"client_id"`
	TokenUse string `json:"token_use"`
}

var errPeerClaims = errors.New("client_id or token_use not accepted")

func (c *golangJWTClaims) Validate() error {
	if c.ClientID != clientID || c.TokenUse != "access" {
		return errPeerClaims
	}
	return nil
}

// golangJWTSubject is golang-jwt v5 with MicahParks/keyfunc v3 for the
// remote key set.
func (f *fixture) golangJWTSubject(tb testing.TB) subject {
	tb.Helper()
	cctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	k, err := keyfunc.NewDefaultCtx(cctx, []string{f.pool.JWKSURL()})
	if err != nil {
		tb.Fatal(err)
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(f.pool.Issuer()),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(f.fixedNow),
		jwt.WithLeeway(leeway),
	)
	s := subject{name: "golang-jwt", verify: func(tok string) error {
		_, err := p.ParseWithClaims(tok, &golangJWTClaims{}, k.Keyfunc)
		return err
	}}
	warm(tb, s, f.tokens[0])
	return s
}

// oidcClaims are the Cognito claims go-oidc leaves to the caller.
type oidcClaims struct {
	ClientID string `json:"client_id"`
	TokenUse string `json:"token_use"`
}

// goOIDCSubject is coreos/go-oidc v3's IDTokenVerifier with a remote key
// set. Its client check reads aud, which access tokens lack, so it is
// skipped and client_id and token_use are decoded and compared after
// Verify. Its exp check has no leeway.
func (f *fixture) goOIDCSubject(tb testing.TB) subject {
	tb.Helper()
	ks := oidc.NewRemoteKeySet(ctx, f.pool.JWKSURL())
	v := oidc.NewVerifier(f.pool.Issuer(), ks, &oidc.Config{
		SkipClientIDCheck:    true,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  f.fixedNow,
	})
	s := subject{name: "go-oidc", verify: func(tok string) error {
		t, err := v.Verify(ctx, tok)
		if err != nil {
			return err
		}
		var c oidcClaims
		if err := t.Claims(&c); err != nil {
			return err
		}
		if c.ClientID != clientID || c.TokenUse != "access" {
			return errPeerClaims
		}
		return nil
	}, note: "client check reads aud: skipped, client_id/token_use compared after Verify; exp without leeway"}
	warm(tb, s, f.tokens[0])
	return s
}

// auth0Claims are the custom claims auth0's validator decodes and checks.
type auth0Claims struct {
	ClientID string `json:"client_id"`
	TokenUse string `json:"token_use"`
	Exp      *int64 `json:"exp"`
}

func (c *auth0Claims) Validate(context.Context) error {
	if c.ClientID != clientID || c.TokenUse != "access" || c.Exp == nil {
		return errPeerClaims
	}
	return nil
}

// newAuth0Validator returns auth0/go-jwt-middleware v2's validator with a
// caching key provider.
func (f *fixture) newAuth0Validator(tb testing.TB) *validator.Validator {
	tb.Helper()
	issURL, err := url.Parse(f.pool.Issuer())
	if err != nil {
		tb.Fatal(err)
	}
	jwksURL, err := url.Parse(f.pool.JWKSURL())
	if err != nil {
		tb.Fatal(err)
	}
	prov := auth0jwks.NewCachingProvider(issURL, time.Hour, auth0jwks.WithCustomJWKSURI(jwksURL))
	v, err := validator.New(prov.KeyFunc, validator.RS256, f.pool.Issuer(), []string{clientID},
		validator.WithCustomClaims(func() validator.CustomClaims { return &auth0Claims{} }),
		validator.WithAllowedClockSkew(leeway),
	)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// auth0Subject is auth0's validator. It requires an aud claim matching its
// audience list, which Cognito access tokens never carry, so it is run on
// the same tokens with "aud": client id added (signed afresh). Its clock is
// time.Now, not injectable; exp is required through the custom claims.
func (f *fixture) auth0Subject(tb testing.TB) subject {
	tb.Helper()
	v := f.newAuth0Validator(tb)
	s := subject{name: "auth0", aud: true, verify: func(tok string) error {
		_, err := v.ValidateToken(ctx, tok)
		return err
	}, note: "requires aud (absent from Cognito access tokens): run on the tokens plus aud; real clock only"}
	warm(tb, s, f.audTokens[0])
	return s
}

// discard is a minimal http.ResponseWriter, reset between requests.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

func (d *discard) reset() {
	clear(d.h)
	d.code = http.StatusOK
}

// okHandler is the protected handler: it answers 204 and does nothing else.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNoContent)
})

// httpSubject is a handler under test.
type httpSubject struct {
	name    string
	handler http.Handler
	aud     bool
}

// httpSubjects returns the no-auth handler, cognito-gate's net/http
// middleware (with Prometheus metrics and the default no-op logger), and
// auth0's middleware.
func (f *fixture) httpSubjects(tb testing.TB, cache claims.CacheConfig) []httpSubject {
	tb.Helper()
	v := f.newVerifier(tb, cache)
	metrics, err := middleware.NewMetrics(nil, v)
	if err != nil {
		tb.Fatal(err)
	}
	mw, err := middleware.New(middleware.Config{Verifier: v, Metrics: metrics})
	if err != nil {
		tb.Fatal(err)
	}
	a0 := jwtmiddleware.New(f.newAuth0Validator(tb).ValidateToken)
	return []httpSubject{
		{name: "noauth", handler: okHandler},
		{name: "cognito-gate", handler: mw.Handler(okHandler)},
		{name: "auth0", handler: a0.CheckJWT(okHandler), aud: true},
	}
}

// newRequest returns a GET request carrying tok as a bearer token.
func newRequest(tok string) *http.Request {
	r, err := http.NewRequest(http.MethodGet, "http://api.example.com/orders/42", nil)
	if err != nil {
		panic(err)
	}
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

// serve runs one request and returns an error unless it was let through.
func serve(h http.Handler, w *discard, r *http.Request) error {
	w.reset()
	h.ServeHTTP(w, r)
	if w.code != http.StatusNoContent {
		return fmt.Errorf("status %d", w.code)
	}
	return nil
}
