package policy_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// t0 is the fixed "now" of the tests: tokens are minted and verified at t0.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func now() time.Time { return t0 }

// examplePolicy is the policy shipped under examples/.
const examplePolicy = "../examples/policy/policy.yaml"

// Fixed subjects, so that paths with {sub} can be written down.
const (
	subAlice = "2f6d1a7e-4b1c-4c8e-9d0a-1a2b3c4d5e6f"
	subBob   = "7c9e0f21-8a3b-4d5c-b6e7-f8091a2b3c4d"
	subCarol = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

// fixture is a fake user pool and a real verifier for it, with the clock
// fixed at t0. It accepts access and ID tokens.
type fixture struct {
	pool *cognitotest.Pool
	v    *claims.Verifier
}

var (
	sharedOnce sync.Once
	shared     *fixture
	sharedErr  error
)

// newFixture returns the package's fixture, started on first use. Pools
// and verifiers are shared: they are immutable for these tests.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	sharedOnce.Do(func() {
		pool, err := cognitotest.Start(cognitotest.Config{Now: now})
		if err != nil {
			sharedErr = err
			return
		}
		v, err := claims.New(claims.Config{
			Pools: []claims.Pool{{
				UserPoolID: pool.PoolID(),
				JWKSURL:    pool.JWKSURL(),
				AllowHTTP:  true,
				ClientIDs:  []string{pool.ClientID()},
				TokenUse:   claims.AnyToken,
			}},
			Now: now,
		})
		if err != nil {
			sharedErr = err
			return
		}
		if err := v.Hydrate(context.Background()); err != nil {
			sharedErr = err
			return
		}
		shared = &fixture{pool: pool, v: v}
	})
	if sharedErr != nil {
		t.Fatalf("fixture: %v", sharedErr)
	}
	return shared
}

// verify verifies raw with the real verifier.
func (f *fixture) verify(t testing.TB, raw string) *claims.Token {
	t.Helper()
	tok, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return tok
}

// access mints and verifies an access token.
func (f *fixture) access(t testing.TB, opts ...cognitotest.TokenOption) *claims.Token {
	t.Helper()
	return f.verify(t, f.pool.AccessToken(opts...))
}

// id mints and verifies an ID token.
func (f *fixture) id(t testing.TB, opts ...cognitotest.TokenOption) *claims.Token {
	t.Helper()
	return f.verify(t, f.pool.IDToken(opts...))
}

// users mints the tokens of the tests' cast, by name.
func (f *fixture) users(t testing.TB) map[string]*claims.Token {
	t.Helper()
	alice := []cognitotest.TokenOption{cognitotest.WithUsername("alice"), cognitotest.WithSubject(subAlice)}
	bob := []cognitotest.TokenOption{cognitotest.WithUsername("bob"), cognitotest.WithSubject(subBob), cognitotest.WithGroups("admin", "users")}
	return map[string]*claims.Token{
		"none":         nil,
		"alice":        f.access(t, alice...),
		"alice-read":   f.access(t, append(alice, cognitotest.WithScopes("openid", "orders/read"))...),
		"alice-write":  f.access(t, append(alice, cognitotest.WithScopes("orders/write"))...),
		"alice-id":     f.id(t, append(alice, cognitotest.WithClaim("custom:tenant", "acme"))...),
		"alice-id-unv": f.id(t, append(alice, cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithClaim("email_verified", false))...),
		"bob":          f.access(t, bob...),
		"bob-id":       f.id(t, bob...),
		"carol":        f.access(t, cognitotest.WithUsername("carol"), cognitotest.WithSubject(subCarol), cognitotest.WithGroups("support")),
		"dave":         f.access(t, cognitotest.WithUsername("dave"), cognitotest.WithGroups("staff")),
		"erin":         f.access(t, cognitotest.WithUsername("erin"), cognitotest.WithClaim("tenant", tenantClaim("team", 25, "erin"))),
		"frank":        f.access(t, cognitotest.WithUsername("frank"), cognitotest.WithClaim("tenant", tenantClaim("team", "25", "frank"))),
		"gina":         f.access(t, cognitotest.WithUsername("gina"), cognitotest.WithClaim("tenant", tenantClaim("free", 25, "gina"))),
	}
}

// tenantClaim is the tenant object a pre-token-generation trigger writes
// for the example's billing rule.
func tenantClaim(plan string, seats any, admin string) map[string]any {
	return map[string]any{"id": "acme", "plan": plan, "seats": seats, "admins": []string{admin}}
}

// loadExample loads the example policy.
func loadExample(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.Load(examplePolicy)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePolicy, err)
	}
	return p
}

// request builds a server-side request as net/http would: target is a path
// with query, or an absolute URL to set the host.
func request(t testing.TB, method, target string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, target, nil)
}

// The user pools of twoPools: tokens of both are valid, and both have a
// user bob in a group admin.
const (
	poolA = "eu-west-1_PoolA1111"
	poolB = "eu-west-1_PoolB2222"
	// issuerA and issuerB are the pools' issuers in the classic form;
	// issuerANew is pool A's in the newer issuer-cognito-idp form.
	issuerA    = "https://cognito-idp.eu-west-1.amazonaws.com/" + poolA
	issuerANew = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/" + poolA
	issuerB    = "https://cognito-idp.eu-west-1.amazonaws.com/" + poolB
)

// pools is two fake user pools and one verifier that accepts tokens of
// both (and of pool A under both issuer forms), access or ID.
type pools struct {
	a, b *cognitotest.Pool
	v    *claims.Verifier
}

var (
	poolsOnce   sync.Once
	sharedPools *pools
	poolsErr    error
)

// twoPools returns the package's two-pool fixture, started on first use.
func twoPools(t testing.TB) *pools {
	t.Helper()
	poolsOnce.Do(func() {
		a, err := cognitotest.Start(cognitotest.Config{PoolID: poolA, Now: now})
		if err != nil {
			poolsErr = err
			return
		}
		b, err := cognitotest.Start(cognitotest.Config{PoolID: poolB, Now: now})
		if err != nil {
			a.Close()
			poolsErr = err
			return
		}
		pool := func(p *cognitotest.Pool, issuer string) claims.Pool {
			return claims.Pool{UserPoolID: p.PoolID(), Issuer: issuer, JWKSURL: p.JWKSURL(), AllowHTTP: true,
				ClientIDs: []string{p.ClientID()}, TokenUse: claims.AnyToken}
		}
		v, err := claims.New(claims.Config{Pools: []claims.Pool{pool(a, ""), pool(a, issuerANew), pool(b, "")}, Now: now})
		if err == nil {
			err = v.Hydrate(context.Background())
		}
		if err != nil {
			a.Close()
			b.Close()
			poolsErr = err
			return
		}
		sharedPools = &pools{a: a, b: b, v: v}
	})
	if poolsErr != nil {
		t.Fatalf("two pools: %v", poolsErr)
	}
	return sharedPools
}

// verify verifies raw with the two-pool verifier.
func (ps *pools) verify(t testing.TB, raw string) *claims.Token {
	t.Helper()
	tok, err := ps.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return tok
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.v.Close()
		shared.pool.Close()
	}
	if sharedPools != nil {
		sharedPools.v.Close()
		sharedPools.a.Close()
		sharedPools.b.Close()
	}
	os.Exit(code)
}

// mustRead reads a file of the tests.
func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parse parses a policy named policy.yaml.
func parse(data []byte) (*policy.Policy, error) { return policy.Parse(data, "policy.yaml") }
