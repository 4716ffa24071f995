package claims

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// Defaults of the verified-token cache.
const (
	// DefaultCacheEntries is the entry limit when CacheConfig.MaxEntries is
	// zero.
	DefaultCacheEntries = 10_000
	// DefaultCacheBytes is the memory limit when CacheConfig.MaxBytes is
	// zero.
	DefaultCacheBytes = 64 << 20
	// cacheShards splits the cache so concurrent requests rarely share a
	// lock.
	cacheShards = 32
	// entryOverhead approximates the memory of one entry besides the token
	// text and the claims JSON.
	entryOverhead = 512
)

// CacheConfig configures the verified-token cache, which lets a token that
// was fully verified skip the signature check when it comes again.
//
// The cache is keyed on the whole token string, so any change to a token —
// header, claims or signature — misses. It stores only tokens that passed
// every check. On a hit it still checks, against the clock, that the token
// has not expired and that the key that signed it is still the issuer's
// current key for its kid (so a retired or stale key stops cached tokens
// too), and it runs RequiredScopes, RequiredGroups and Check again. When
// full, it evicts expired entries first and otherwise arbitrary ones.
type CacheConfig struct {
	// Disabled turns the cache off: every call verifies the signature.
	Disabled bool
	// MaxEntries bounds the number of tokens held. Zero means
	// DefaultCacheEntries (10,000).
	MaxEntries int
	// MaxBytes bounds the memory held, counted as the token text plus its
	// decoded claims plus a fixed overhead per entry. Zero means
	// DefaultCacheBytes (64 MiB).
	MaxBytes int64
}

// CacheStats counts cache lookups.
type CacheStats struct {
	Hits, Misses uint64
	// Entries is the number of tokens held now.
	Entries int
}

// tokenCache is a sharded map from token text to verified token.
type tokenCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
	hits   atomic.Uint64
	misses atomic.Uint64
}

type cacheShard struct {
	mu         sync.RWMutex
	m          map[string]cacheEntry
	bytes      int64
	maxEntries int
	maxBytes   int64
	_          [40]byte // keep shards on separate cache lines
}

type cacheEntry struct {
	tok *Token
	key *jwks.Key // the key that verified it
	p   *pool
}

func newTokenCache(cfg CacheConfig) *tokenCache {
	if cfg.Disabled {
		return nil
	}
	entries, bytes := cfg.MaxEntries, cfg.MaxBytes
	if entries <= 0 {
		entries = DefaultCacheEntries
	}
	if bytes <= 0 {
		bytes = DefaultCacheBytes
	}
	c := &tokenCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]cacheEntry)
		c.shards[i].maxEntries = max(1, entries/cacheShards)
		c.shards[i].maxBytes = max(1, bytes/cacheShards)
	}
	return c
}

func (c *tokenCache) shard(raw string) *cacheShard {
	return &c.shards[maphash.String(c.seed, raw)%cacheShards]
}

// get returns the cached entry for raw.
func (c *tokenCache) get(raw string) (cacheEntry, bool) {
	s := c.shard(raw)
	s.mu.RLock()
	e, ok := s.m[raw]
	s.mu.RUnlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok
}

// put stores a verified token, evicting to stay within the limits.
func (c *tokenCache) put(raw string, e cacheEntry, now time.Time) {
	size := int64(len(raw) + len(e.tok.payload) + entryOverhead)
	s := c.shard(raw)
	if size > s.maxBytes {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[raw]; ok {
		return
	}
	for len(s.m) > 0 && (len(s.m) >= s.maxEntries || s.bytes+size > s.maxBytes) {
		s.evictOne(now)
	}
	s.m[raw] = e
	s.bytes += size
}

// evictOne removes an expired entry if it finds one among the first few it
// looks at, and otherwise the first one. s.mu must be held.
func (s *cacheShard) evictOne(now time.Time) {
	var victim string
	n := 0
	for k, e := range s.m {
		if victim == "" || !now.Before(e.tok.Expiry) {
			victim = k
			if !now.Before(e.tok.Expiry) {
				break
			}
		}
		if n++; n >= 8 {
			break
		}
	}
	s.removeLocked(victim)
}

func (s *cacheShard) removeLocked(raw string) {
	if e, ok := s.m[raw]; ok {
		delete(s.m, raw)
		s.bytes -= int64(len(raw) + len(e.tok.payload) + entryOverhead)
	}
}

// remove drops raw from the cache.
func (c *tokenCache) remove(raw string) {
	s := c.shard(raw)
	s.mu.Lock()
	s.removeLocked(raw)
	s.mu.Unlock()
}

func (c *tokenCache) stats() CacheStats {
	st := CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		st.Entries += len(s.m)
		s.mu.RUnlock()
	}
	return st
}
