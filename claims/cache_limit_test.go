package claims_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
		// A full cache stored none of the tokens past its limit at their
		// first verification (the doorkeeper), and takes a new token at
		// its second (evicting an old one), even into a shard that held
		// none: the last token is then answered from it.
		if got := f.v.CacheStats().Deferred; got != uint64(2*n) {
			t.Errorf("MaxEntries %d: %d tokens deferred by the full cache, want %d", n, got, 2*n)
		}
		last := toks[len(toks)-1]
		if _, err := f.v.Verify(context.Background(), last); err != nil {
			t.Fatal(err)
		}
		before := f.v.CacheStats().Hits
		if _, err := f.v.Verify(context.Background(), last); err != nil {
			t.Fatal(err)
		}
		if f.v.CacheStats().Hits != before+1 {
			t.Errorf("MaxEntries %d: the newest token, verified twice, is not in the full cache", n)
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

// TestFullCacheKeepsTokensInUse: a flood of tokens that come once (valid
// ones: invalid tokens are never stored) does not push the tokens in use
// out of a full cache, nor pays for their copies; each of them is
// counted as deferred. A token that comes again is stored.
func TestFullCacheKeepsTokensInUse(t *testing.T) {
	const n = 50
	probe := newFixture(t, nil)
	inUse := mintCacheTokens(probe.pool, n)
	flood := mintCacheTokens(probe.pool, 10*n)
	f := newFixtureWith(t, probe.pool, probe.clock, func(c *claims.Config) { c.Cache = claims.CacheConfig{MaxEntries: n} })
	verify := func(raw string) {
		t.Helper()
		if _, err := f.v.Verify(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	for _, raw := range inUse {
		verify(raw)
	}
	for i, raw := range flood {
		verify(raw)
		verify(inUse[i%n])
	}
	st := f.v.CacheStats()
	if st.Hits != uint64(len(flood)) || st.Deferred != uint64(len(flood)) || st.Entries != n {
		t.Errorf("hits %d, deferred %d, entries %d; want %d hits (every token in use), %d deferred, %d entries", st.Hits, st.Deferred, st.Entries, len(flood), len(flood), n)
	}
	// A new token verified twice in a row: deferred, then stored
	// (evicting one entry), then a hit. (flood[0]'s doorkeeper slot has
	// long been taken by later tokens of the flood.)
	again := mintCacheTokens(probe.pool, 1)[0]
	verify(again)
	verify(again)
	hits := f.v.CacheStats().Hits
	verify(again)
	if f.v.CacheStats().Hits != hits+1 {
		t.Error("a token verified twice is not in the full cache")
	}
}

// TestFullCacheOfExpiredEntriesAdmits: a cache that filled once and whose
// entries have all expired is not "full" to the doorkeeper: a new token
// is stored at its first verification (evicting an expired entry), as
// before the doorkeeper.
func TestFullCacheOfExpiredEntriesAdmits(t *testing.T) {
	const n = 8
	probe := newFixture(t, nil)
	old := make([]string, n)
	for i := range old {
		old[i] = probe.pool.AccessToken(cognitotest.WithLifetime(time.Minute))
	}
	f := newFixtureWith(t, probe.pool, probe.clock, func(c *claims.Config) { c.Cache = claims.CacheConfig{MaxEntries: n} })
	for _, raw := range old {
		if _, err := f.v.Verify(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	probe.clock.Advance(2 * time.Minute)
	fresh := probe.pool.AccessToken()
	for range 2 {
		if _, err := f.v.Verify(context.Background(), fresh); err != nil {
			t.Fatal(err)
		}
	}
	if st := f.v.CacheStats(); st.Deferred != 0 || st.Hits != 1 {
		t.Errorf("deferred %d, hits %d; want the fresh token stored at once (0 deferred) and hit at its second use", st.Deferred, st.Hits)
	}
}
