//go:build !race

package claims_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestCacheHitAllocs: a hit makes the caller's copy of the token and
// nothing else — one allocation for a token with up to eight groups,
// scopes and roles (the struct and its strings together), two past that.
// (Not under the race detector, which changes allocation counts.)
func TestCacheHitAllocs(t *testing.T) {
	f := newFixture(t, nil)
	many := make([]string, 9)
	for i := range many {
		many[i] = fmt.Sprintf("group-%d", i)
	}
	for _, tt := range []struct {
		name string
		raw  string
		want float64
	}{
		{"no groups", f.pool.AccessToken(cognitotest.WithGroups(), cognitotest.WithScopes()), 1},
		{"groups and scopes", f.pool.AccessToken(cognitotest.WithGroups("admins", "readers"), cognitotest.WithScopes("openid", "email", "profile")), 1},
		{"nine groups", f.pool.AccessToken(cognitotest.WithGroups(many...)), 2},
	} {
		if _, err := f.v.Verify(context.Background(), tt.raw); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(200, func() { _, _ = f.v.Verify(context.Background(), tt.raw) }); n != tt.want {
			t.Errorf("%s: a cache hit makes %v allocations, want %v", tt.name, n, tt.want)
		}
	}
}

// TestCacheMissAllocs: a cache miss costs, besides a verification with the
// cache off, only the cache's compact copy of the token — the text and
// strings, the claims JSON, the entry and the groups' and scopes' array,
// four allocations — and no second copy for the caller: the caller gets
// the token the verification built, which the cache does not hold.
func TestCacheMissAllocs(t *testing.T) {
	const runs = 100
	pool := cognitotest.New(t, cognitotest.Config{Now: newClock(t0).Now})
	misses := func(mutate func(*claims.Config)) float64 {
		f := newFixtureWith(t, pool, newClock(t0), mutate)
		toks := make([]string, runs+1) // AllocsPerRun calls once more, to warm up
		for i := range toks {
			toks[i] = f.pool.AccessToken(cognitotest.WithSubject(fmt.Sprintf("user-%d", i)),
				cognitotest.WithGroups("admins", "readers"), cognitotest.WithScopes("openid", "email"))
		}
		i := 0
		return testing.AllocsPerRun(runs, func() {
			if _, err := f.v.Verify(context.Background(), toks[i]); err != nil {
				t.Fatal(err)
			}
			i++
		})
	}
	off := misses(func(c *claims.Config) { c.Cache.Disabled = true })
	on := misses(nil)
	if on-off != 4 {
		t.Errorf("a cache miss makes %v allocations, a verification without the cache %v: the miss adds %v, want 4 (the compact copy only)", on, off, on-off)
	}
}
