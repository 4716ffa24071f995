//go:build !race

package claims_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
)

// memTokens is how many distinct tokens the memory measurements cache.
const memTokens = 1000

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// cachedBytesPerToken verifies each of toks once (each a fresh copy, as a
// server's header value is) and returns the live heap the cache grew by,
// per token.
func cachedBytesPerToken(t *testing.T, v *claims.Verifier, toks []string) float64 {
	t.Helper()
	before := liveHeap()
	for _, raw := range toks {
		if _, err := v.Verify(context.Background(), strings.Clone(raw)); err != nil {
			t.Fatal(err)
		}
	}
	after := liveHeap()
	if st := v.CacheStats(); st.Entries != len(toks) {
		t.Fatalf("%d entries cached, want %d", st.Entries, len(toks))
	}
	runtime.KeepAlive(v)
	return float64(after-before) / float64(len(toks))
}

// TestCacheMemoryPerToken: a cached token costs at most 2.5 times its own
// size in live heap (the cache's map, its entry, the claims and the text
// it compares on a hit), and what the cache counts against
// CacheConfig.MaxBytes (CacheStats.Bytes) is, within 10%, that heap, so
// that the 64 MiB default means 64 MiB. (Not under the race detector,
// which changes the heap.)
func TestCacheMemoryPerToken(t *testing.T) {
	f := newFixture(t, nil)
	toks := mintCacheTokens(f.pool, memTokens)
	per := cachedBytesPerToken(t, f.v, toks)
	size := float64(len(toks[0]))
	st := f.v.CacheStats()
	counted := float64(st.Bytes) / float64(st.Entries)
	t.Logf("%.0f bytes per cached token of %.0f bytes (%.2fx), %.0f counted", per, size, per/size, counted)
	if per > 2.5*size {
		t.Errorf("%.0f bytes per cached token of %.0f bytes (%.2fx), want at most 2.5x", per, size, per/size)
	}
	if counted < 0.9*per || counted > 1.1*per {
		t.Errorf("counted %.0f bytes per entry, measured %.0f: want within 10%%", counted, per)
	}
}

// TestCacheByteLimit: with MaxBytes set to what n entries take, the cache
// holds no more than that many bytes, and about n entries.
func TestCacheByteLimit(t *testing.T) {
	const n = 64 // 2 per shard
	probe := newFixture(t, nil)
	toks := mintCacheTokens(probe.pool, 4*n)
	if _, err := probe.v.Verify(context.Background(), toks[0]); err != nil {
		t.Fatal(err)
	}
	entry := probe.v.CacheStats().Bytes
	limit := n * entry
	f := newFixtureWith(t, probe.pool, probe.clock, func(c *claims.Config) {
		c.Cache = claims.CacheConfig{MaxBytes: limit, MaxEntries: 100 * n}
	})
	for _, raw := range toks {
		if _, err := f.v.Verify(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	st := f.v.CacheStats()
	if st.Bytes > limit {
		t.Errorf("cache counts %d bytes, limit %d", st.Bytes, limit)
	}
	if st.Entries != n {
		t.Errorf("%d entries of %d bytes under a limit of %d bytes, want %d (the limit is the whole cache's, not a shard's)", st.Entries, entry, limit, n)
	}
}
