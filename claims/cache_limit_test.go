package claims_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// mintCacheTokens mints n distinct access tokens shaped like the bench
// module's: a user in two groups with three scopes, ~1.1 KB.
func mintCacheTokens(pool *cognitotest.Pool, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = pool.AccessToken(
			cognitotest.WithUsername("7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01"),
			cognitotest.WithGroups("admins", "us-east-1_GateTest1_Google"),
			cognitotest.WithScopes("openid", "email", "aws.cognito.signin.user.admin"))
	}
	return out
}

// TestCacheHoldsMaxEntries: MaxEntries tokens fit, whatever shards they
// fall in, and never more: the limit is the whole cache's (with a limit
// split over the shards, 10,000 distinct tokens left about 9,700).
func TestCacheHoldsMaxEntries(t *testing.T) {
	for _, n := range []int{1, 31, 100, 1000} {
		probe := newFixture(t, nil)
		toks := mintCacheTokens(probe.pool, 3*n)
		f := newFixtureWith(t, probe.pool, probe.clock, func(c *claims.Config) { c.Cache = claims.CacheConfig{MaxEntries: n} })
		for i, raw := range toks {
			if _, err := f.v.Verify(context.Background(), raw); err != nil {
				t.Fatal(err)
			}
			if got, want := f.v.CacheStats().Entries, min(i+1, n); got != want {
				t.Fatalf("MaxEntries %d: %d entries after %d tokens, want %d", n, got, i+1, want)
			}
		}
		// A full cache keeps taking new tokens (evicting old ones), even
		// into a shard that held none: the last token is answered from it.
		before := f.v.CacheStats().Hits
		if _, err := f.v.Verify(context.Background(), toks[len(toks)-1]); err != nil {
			t.Fatal(err)
		}
		if f.v.CacheStats().Hits != before+1 {
			t.Errorf("MaxEntries %d: the newest token is not in the full cache", n)
		}
	}
}

// TestCacheLimitUnderConcurrency: puts from many goroutines at once never
// take the cache past MaxEntries, and fill it.
func TestCacheLimitUnderConcurrency(t *testing.T) {
	const n, workers = 50, 8
	probe := newFixture(t, nil)
	toks := mintCacheTokens(probe.pool, workers*40)
	f := newFixtureWith(t, probe.pool, probe.clock, func(c *claims.Config) { c.Cache = claims.CacheConfig{MaxEntries: n} })
	var wg sync.WaitGroup
	var over atomic.Int64
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(toks); i += workers {
				if _, err := f.v.Verify(context.Background(), toks[i]); err != nil {
					t.Error(err)
					return
				}
				if e := f.v.CacheStats().Entries; e > n {
					over.Store(int64(e))
				}
			}
		})
	}
	wg.Wait()
	if e := over.Load(); e != 0 {
		t.Errorf("%d entries seen, limit %d", e, n)
	}
	if e := f.v.CacheStats().Entries; e != n {
		t.Errorf("%d entries after %d tokens, want %d", e, len(toks), n)
	}
}
