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
// too), and it asks Config.Denylist and runs Check again. The
// limits are split evenly over 32 shards (chosen by a seeded hash of the
// token's last bytes); when a shard is full, it evicts an expired entry if
// one of the first eight it looks at has expired, and otherwise an
// arbitrary one. Failures are never stored, so invalid tokens cannot grow
// it. A hit returns a copy of the cached token (see Token): the cached one
// itself never leaves the cache, so no caller can change it.
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
//
// Reads never serialise: a hit on the token a shard answered last is a
// single atomic load (no lock), other lookups take the shard's read lock.
// The hit and miss counters are two plain atomics: striping them over
// cache lines (by stack address) made no difference bench/ could measure,
// cached or not, on one core or two.
type tokenCache struct {
	seed         maphash.Seed
	shards       [cacheShards]cacheShard
	hits, misses atomic.Uint64
}

type cacheShard struct {
	// last is the entry of the shard's most recent hit, read without the
	// lock. It is always an entry of m, or nil: removal clears it.
	last       atomic.Pointer[cacheEntry]
	mu         sync.RWMutex
	m          map[string]*cacheEntry
	bytes      int64
	maxEntries int
	maxBytes   int64
	_          [64]byte // keep shards on separate cache lines
}

// cacheEntry is one verified token. It is immutable once stored: its tok
// is never handed out (Verify returns copies of it, see Token.clone), so
// no caller can change what a later hit is judged by.
type cacheEntry struct {
	raw string
	tok *Token
	key *jwks.Key // the key that verified it
	p   *pool
}

// size is the memory an entry is counted for: its token text, its claims
// JSON and a fixed overhead.
func (e *cacheEntry) size() int64 { return int64(len(e.raw) + len(e.tok.payload) + entryOverhead) }

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
		c.shards[i].m = make(map[string]*cacheEntry)
		c.shards[i].maxEntries = max(1, entries/cacheShards)
		c.shards[i].maxBytes = max(1, bytes/cacheShards)
	}
	return c
}

// shardTail is how many bytes at the end of a token choose its shard.
const shardTail = 16

// shard returns the shard of raw, chosen by the (seeded) hash of its last
// bytes: the end of the signature, which a cached token cannot choose
// without the signing key. The shard's map still hashes the whole token.
func (c *tokenCache) shard(raw string) *cacheShard {
	return &c.shards[maphash.String(c.seed, raw[max(0, len(raw)-shardTail):])%cacheShards]
}

// get returns the cached entry for raw.
func (c *tokenCache) get(raw string) (*cacheEntry, bool) {
	s := c.shard(raw)
	e := s.last.Load()
	if e == nil || e.raw != raw {
		s.mu.RLock()
		e = s.m[raw]
		if e != nil && s.last.Load() != e {
			// Under the read lock, so that no removal can come between
			// the lookup and the store.
			s.last.Store(e)
		}
		s.mu.RUnlock()
	}
	if e == nil {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return e, true
}

// put stores a verified token, evicting to stay within the limits.
func (c *tokenCache) put(e *cacheEntry, now time.Time) {
	raw := e.raw
	size := e.size()
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
		s.last.CompareAndSwap(e, nil)
		s.bytes -= e.size()
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
	var st CacheStats
	st.Hits, st.Misses = c.hits.Load(), c.misses.Load()
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		st.Entries += len(s.m)
		s.mu.RUnlock()
	}
	return st
}
