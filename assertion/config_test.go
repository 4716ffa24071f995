package assertion_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// TestNewVerifierErrors: every problem of a VerifierConfig is reported,
// each naming its field; the zero configuration, which would verify
// nothing, is refused, as is every way of weakening a check by accident.
func TestNewVerifierErrors(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	doc := string(g.keys.JWKS())
	jwk := string(g.key.JWK())
	ok := assertion.VerifierConfig{Issuer: gateIssuer, Audience: audience, JWKS: []byte(doc)}
	url := func(u string, allowHTTP bool) func(*assertion.VerifierConfig) {
		return func(c *assertion.VerifierConfig) { c.JWKS, c.JWKSURL, c.AllowHTTP = nil, u, allowHTTP }
	}
	tests := []struct {
		name   string
		edit   func(*assertion.VerifierConfig)
		fields []string
	}{
		{"zero", func(c *assertion.VerifierConfig) { *c = assertion.VerifierConfig{} }, []string{"Issuer", "Audience", "JWKS"}},
		{"no audience", func(c *assertion.VerifierConfig) { c.Audience = "" }, []string{"Audience"}},
		{"audience skipped", func(c *assertion.VerifierConfig) { c.Audience, c.SkipAudienceCheck = "", true }, nil},
		{"audience and skip", func(c *assertion.VerifierConfig) { c.SkipAudienceCheck = true }, []string{"Audience"}},
		{"issuer with a space", func(c *assertion.VerifierConfig) { c.Issuer = "a b" }, []string{"Issuer"}},
		{"JWKS and JWKSURL", func(c *assertion.VerifierConfig) { c.JWKSURL = "https://gate/.well-known/jwks.json" }, []string{"JWKS"}},
		{"JWKS not a key set", func(c *assertion.VerifierConfig) { c.JWKS = []byte("[]") }, []string{"JWKS"}},
		{"JWKS empty document", func(c *assertion.VerifierConfig) { c.JWKS = []byte{} }, []string{"JWKS"}},
		{"JWKS with an unusable entry", func(c *assertion.VerifierConfig) {
			c.JWKS = []byte(`{"keys":[` + jwk + `,` + strings.Replace(jwk, `"use":"sig"`, `"use":"enc"`, 1) + `]}`)
		}, []string{"JWKS"}},
		{"JWKS of Cognito's RSA keys", func(c *assertion.VerifierConfig) { c.JWKS = pool.JWKS() }, []string{"JWKS"}},
		{"https URL", url("https://gate.internal:8081/.well-known/jwks.json", false), nil},
		{"http URL without AllowHTTP", url("http://127.0.0.1:8081/.well-known/jwks.json", false), []string{"AllowHTTP"}},
		{"http URL with AllowHTTP", url("http://127.0.0.1:8081/.well-known/jwks.json", true), nil},
		{"URL with credentials", url("https://u:p@gate/.well-known/jwks.json", false), []string{"JWKSURL"}},
		{"URL without host", url("https:///jwks.json", false), []string{"JWKSURL"}},
		{"URL with a fragment", url("https://gate/jwks.json#x", false), []string{"JWKSURL"}},
		{"URL of another scheme", url("file:///etc/jwks.json", false), []string{"JWKSURL"}},
		{"URL not a URL", url("https://gate/%zz", false), []string{"JWKSURL"}},
		{"fetch settings", func(c *assertion.VerifierConfig) {
			url("https://gate/jwks.json", false)(c)
			c.Keys = jwks.Config{FetchTimeout: -1, Cooldown: time.Hour}
		}, []string{"Keys.FetchTimeout", "Keys.MaxBackoff", "Keys.RefreshInterval"}},
		{"fetch settings of a static set are not checked", func(c *assertion.VerifierConfig) { c.Keys = jwks.Config{FetchTimeout: -1} }, nil},
		{"leeway over the maximum", func(c *assertion.VerifierConfig) { c.Leeway = 31 * time.Second }, []string{"Leeway"}},
		{"leeway negative", func(c *assertion.VerifierConfig) { c.Leeway = -2 * time.Second }, []string{"Leeway"}},
		{"no leeway", func(c *assertion.VerifierConfig) { c.Leeway = claims.NoLeeway }, nil},
		{"max lifetime over a minute", func(c *assertion.VerifierConfig) { c.MaxLifetime = 2 * time.Minute }, []string{"MaxLifetime"}},
		{"max lifetime below a second", func(c *assertion.VerifierConfig) { c.MaxLifetime = time.Millisecond }, []string{"MaxLifetime"}},
		{"max token bytes too small", func(c *assertion.VerifierConfig) { c.MaxTokenBytes = 10 }, []string{"MaxTokenBytes"}},
		{"host header and skip host", func(c *assertion.VerifierConfig) {
			c.Binding = assertion.Binding{HostHeader: "X-Forwarded-Host", SkipHost: true}
		}, []string{"Binding"}},
		{"host header not a name", func(c *assertion.VerifierConfig) { c.Binding.HostHeader = "X Host" }, []string{"Binding"}},
		{"path prefix without a slash", func(c *assertion.VerifierConfig) { c.Binding.PathPrefix = "api" }, []string{"Binding"}},
		{"path prefix with a trailing slash", func(c *assertion.VerifierConfig) { c.Binding.PathPrefix = "/api/" }, []string{"Binding"}},
		{"replay cache negative", func(c *assertion.VerifierConfig) { c.ReplayCache = -1 }, []string{"ReplayCache"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			v, err := assertion.NewVerifier(cfg)
			if got := configFields(t, err); !slices.Equal(got, tt.fields) {
				t.Errorf("fields %v, want %v (%v)", got, tt.fields, err)
			}
			if (err == nil) != (v != nil) {
				t.Errorf("Verifier %v with error %v", v, err)
			}
			if v != nil {
				v.Close()
			}
		})
	}
	t.Run("fetch setting problems keep jwks' keys", func(t *testing.T) {
		_, err := assertion.NewVerifier(assertion.VerifierConfig{Issuer: gateIssuer, Audience: audience, JWKSURL: "https://gate/jwks.json", Keys: jwks.Config{Cooldown: -1}})
		var ce *assertion.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Keys.Cooldown" || ce.Key != "jwks.cooldown" {
			t.Errorf("%v (%+v), want Keys.Cooldown, jwks.cooldown", err, ce)
		}
	})
}

// TestReplayCache: with ReplayCache, an assertion verifies once; a second
// use is revoked (401) until it expires; a full cache refuses (500)
// rather than let an assertion through unrecorded, and empties as
// assertions expire; an assertion refused for its request is not
// recorded, so that it cannot be burnt by a replay on another path.
func TestReplayCache(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	v := g.verifier(t, func(c *assertion.VerifierConfig) { c.ReplayCache = 2 })
	tok := cognitoToken(t)
	a, b, c := g.sign(t, tok, request), g.sign(t, tok, request), g.sign(t, tok, request)
	verify := func(raw string) error { return second(v.Verify(t.Context(), raw)) }

	wantReason(t, verify(a), claims.ReasonOK)
	err := verify(a)
	wantReason(t, err, claims.ReasonRevoked)
	wantIs(t, err, assertion.ErrReplayed)

	other := requestFor(t, "/other")
	wantIs(t, second(v.VerifyRequest(other, b)), assertion.ErrRequestMismatch)
	wantReason(t, second(v.VerifyRequest(requestFor(t, request.Path), b)), claims.ReasonOK)

	err = verify(c)
	wantReason(t, err, claims.ReasonInternal)
	wantIs(t, err, assertion.ErrReplayCacheFull)

	g.clock.Advance(assertion.DefaultLifetime + assertion.DefaultLeeway)
	fresh := g.sign(t, tok, request)
	wantReason(t, verify(fresh), claims.ReasonOK)
	wantReason(t, verify(a), claims.ReasonExpired)
}
