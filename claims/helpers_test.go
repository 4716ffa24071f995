package claims_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// clock is the tests' injected clock.
type clock = fakeclock.Clock

func newClock(t time.Time) *clock { return fakeclock.New(t) }

// fixture is a fake pool and a verifier configured for it.
type fixture struct {
	pool  *cognitotest.Pool
	clock *clock
	v     *claims.Verifier
}

// newFixture starts a pool whose tokens are minted at t0 and a verifier for
// it (access tokens, the pool's client). mutate may change the config.
func newFixture(t testing.TB, mutate func(*claims.Config)) *fixture {
	t.Helper()
	clk := newClock(t0)
	return newFixtureWith(t, cognitotest.New(t, cognitotest.Config{Now: clk.Now}), clk, mutate)
}

// newFixtureWith is newFixture for an existing pool, whose clock is clk.
// (Pools are cheap to share and costly to create once the embedded keys are
// used up.)
func newFixtureWith(t testing.TB, pool *cognitotest.Pool, clk *clock, mutate func(*claims.Config)) *fixture {
	t.Helper()
	cfg := claims.Config{
		Pools: []claims.Pool{poolConfig(pool, claims.AccessToken)},
		Now:   clk.Now,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := claims.New(cfg)
	if err != nil {
		t.Fatalf("claims.New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	if err := v.Hydrate(context.Background()); err != nil {
		t.Fatalf("Hydrate: %v", err)
	}
	return &fixture{pool: pool, clock: clk, v: v}
}

// poolConfig describes a fake pool to the verifier.
func poolConfig(p *cognitotest.Pool, use claims.TokenUse) claims.Pool {
	return claims.Pool{
		UserPoolID: p.PoolID(),
		JWKSURL:    p.JWKSURL(),
		AllowHTTP:  true,
		ClientIDs:  []string{p.ClientID()},
		TokenUse:   use,
	}
}

// jwksConfig returns a key cache config whose HTTP client never reaches
// the network (every request fails at once), with the given refresh
// interval (zero for the default).
func jwksConfig(interval time.Duration) jwks.Config {
	return jwks.Config{
		RefreshInterval: interval,
		HTTPClient: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("no network in this test")
		})},
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// checkNoStutter fails the test when err's text names a package more than
// once ("claims: claims: request canceled", "jwks: ... jwks: ...").
func checkNoStutter(t *testing.T, err error) {
	t.Helper()
	for _, prefix := range []string{"claims: ", "jwks: "} {
		if n := strings.Count(err.Error(), prefix); n > 1 {
			t.Errorf("%q names %q %d times", err, prefix, n)
		}
	}
}
