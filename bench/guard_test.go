package bench

import (
	"net/http"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// variant is a token every verifier must reject.
type variant struct {
	name string
	tok  func(f *fixture, base string, extra []cognitotest.TokenOption) string
}

// mint mints a token with the benchmark claims plus extra and opts.
func mint(f *fixture, extra []cognitotest.TokenOption, opts ...cognitotest.TokenOption) string {
	return f.pool.AccessToken(mintOpts(append(append([]cognitotest.TokenOption(nil), extra...), opts...)...)...)
}

// rejected lists the tokens of the correctness guards: forgeries that only
// the signature check catches, and properly signed tokens that only the
// claim checks catch.
var rejected = []variant{
	{"tampered claims", func(_ *fixture, base string, _ []cognitotest.TokenOption) string {
		return tamperPayload(base, func(c map[string]any) { c["username"] = "mallory" })
	}},
	{"tampered groups", func(_ *fixture, base string, _ []cognitotest.TokenOption) string {
		return tamperPayload(base, func(c map[string]any) { c["cognito:groups"] = []string{"root"} })
	}},
	{"tampered signature", func(_ *fixture, base string, _ []cognitotest.TokenOption) string {
		return flipSignature(base)
	}},
	{"unpublished key", func(f *fixture, _ string, extra []cognitotest.TokenOption) string {
		return mint(f, extra, cognitotest.WithUnpublishedKey())
	}},
	{"alg HS256", func(f *fixture, _ string, extra []cognitotest.TokenOption) string {
		return mint(f, extra, cognitotest.WithHeader("alg", "HS256"))
	}},
	{"wrong issuer", func(f *fixture, _ string, extra []cognitotest.TokenOption) string {
		return mint(f, extra, cognitotest.WithIssuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1"))
	}},
	{"wrong client_id", func(f *fixture, _ string, extra []cognitotest.TokenOption) string {
		return mint(f, extra, cognitotest.WithClaim("client_id", "0therclient0id000000000000"))
	}},
	{"token_use id", func(f *fixture, _ string, extra []cognitotest.TokenOption) string {
		return mint(f, extra, cognitotest.WithClaim("token_use", "id"))
	}},
	{"expired", func(f *fixture, _ string, extra []cognitotest.TokenOption) string {
		return mint(f, extra, cognitotest.WithIssuedAt(f.now.Add(-2*time.Hour)))
	}},
	{"no exp", func(f *fixture, _ string, extra []cognitotest.TokenOption) string {
		return mint(f, extra, cognitotest.WithoutClaim("exp"))
	}},
}

// extraFor returns the mint options a subject's tokens need (aud for the
// peer that insists on it), so that a variant fails only for its own flaw.
func extraFor(aud bool) []cognitotest.TokenOption {
	if aud {
		return []cognitotest.TokenOption{cognitotest.WithClaim("aud", clientID)}
	}
	return nil
}

// TestGuards proves that every benchmarked verifier does the work: it
// accepts the benchmark tokens and rejects each forged, foreign or expired
// variant. The subjects are built exactly as the benchmarks build them.
func TestGuards(t *testing.T) {
	f := getFixture(t)
	for _, s := range f.subjects(t) {
		t.Run(s.name, func(t *testing.T) {
			toks := f.tokensFor(s)
			for _, tok := range toks[:8] {
				if err := s.verify(tok); err != nil {
					t.Fatalf("valid token rejected: %v", err)
				}
			}
			checkRejects(t, f, s.verify, toks[0], extraFor(s.aud), s.accepts)
		})
	}
}

// TestGuardsCached covers the verified-token cache: with the valid token
// cached, its tampered variants (which differ from it) still fail.
func TestGuardsCached(t *testing.T) {
	f := getFixture(t)
	s := verifierSubject("cognito-gate-cached", f.newVerifier(t, claims.CacheConfig{}))
	tok := f.tokens[0]
	for range 3 {
		if err := s.verify(tok); err != nil {
			t.Fatalf("valid token rejected: %v", err)
		}
	}
	checkRejects(t, f, s.verify, tok, nil, nil)
}

// TestGuardsHTTP covers the middleware benchmarks, cold and cached.
func TestGuardsHTTP(t *testing.T) {
	f := getFixture(t)
	for _, cache := range []claims.CacheConfig{{MaxEntries: coldCacheEntries}, {}} {
		for _, s := range f.httpSubjects(t, cache) {
			if s.name == "noauth" {
				continue
			}
			t.Run(s.name, func(t *testing.T) {
				w := &discard{h: make(http.Header)}
				verify := func(tok string) error { return serve(s.handler, w, newRequest(tok)) }
				toks := f.tokens
				if s.aud {
					toks = f.audTokens
				}
				for range 2 {
					if err := verify(toks[0]); err != nil {
						t.Fatalf("valid token rejected: %v", err)
					}
				}
				if err := verify(""); err == nil {
					t.Errorf("request without a token let through")
				}
				checkRejects(t, f, verify, toks[0], extraFor(s.aud), nil)
			})
		}
	}
}

// checkRejects fails t unless verify rejects every variant of base, except
// those the peer is known to accept (accepts), which it must accept.
func checkRejects(t *testing.T, f *fixture, verify func(string) error, base string, extra []cognitotest.TokenOption, accepts map[string]string) {
	t.Helper()
	for _, v := range rejected {
		tok := v.tok(f, base, extra)
		if tok == base {
			t.Fatalf("%s: variant equals the valid token", v.name)
		}
		err := verify(tok)
		switch why, known := accepts[v.name]; {
		case known && err != nil:
			t.Errorf("%s: rejected, but listed as accepted (%s): update the list", v.name, why)
		case !known && err == nil:
			t.Errorf("%s: accepted", v.name)
		}
	}
}
