package claims_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// FuzzVerify feeds arbitrary strings to a Verifier configured for a fake
// pool. Whatever the input, Verify must not panic, must return exactly one of
// a token or an error, and every error must map to a reason of the fixed
// vocabulary other than internal_error.
func FuzzVerify(f *testing.F) {
	clk := newClock(t0)
	pool := cognitotest.New(f, cognitotest.Config{Now: clk.Now})
	v, err := claims.New(claims.Config{Pools: []claims.Pool{poolConfig(pool, claims.AnyToken)}, Now: clk.Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { v.Close() })
	if err := v.Hydrate(context.Background()); err != nil {
		f.Fatal(err)
	}
	good := pool.AccessToken(cognitotest.WithGroups("admin"))
	f.Add(good)
	f.Add(pool.IDToken(cognitotest.WithClaim("identities", []map[string]any{{"userId": "1", "primary": "true", "dateCreated": "1700000000000"}})))
	f.Add(pool.AccessToken(cognitotest.WithHeader("alg", "none")))
	f.Add(pool.AccessToken(cognitotest.WithClaim("exp", "soon")))
	f.Add(pool.AccessToken(cognitotest.WithClaim("scope", "openid\temail")))
	f.Add(pool.SignRaw([]byte(`{"alg":"RS256","kid":"`+pool.KeyIDs()[0]+`","alg":"x"}`), []byte(`{"a":1,"a":2}`), pool.KeyIDs()[0]))
	f.Add("a.b.c")
	f.Add("..")
	f.Add(strings.Repeat("A", 100) + "." + strings.Repeat("_", 10) + ".-")

	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := v.Verify(context.Background(), raw)
		if (tok == nil) == (err == nil) {
			t.Fatalf("Verify returned token %v and error %v", tok, err)
		}
		if err != nil {
			if r := claims.ReasonOf(err); r == claims.ReasonInternal || r == claims.ReasonOK {
				t.Fatalf("error %v maps to reason %s", err, r)
			}
			if errors.Is(err, claims.ErrJWKSUnavailable) {
				t.Fatalf("keys became unavailable: %v", err)
			}
			return
		}
		// Only genuine tokens verify: the fuzzer cannot forge a signature,
		// so an accepted input carries the exact signed bytes of a seed.
		if tok.Issuer != pool.Issuer() || tok.Subject == "" {
			t.Fatalf("accepted token %+v", tok)
		}
	})
}
