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
)

// CacheConfig configures the verified-token cache, which lets a token that
// was fully verified skip the signature check when it comes again.
//
// A hit is a token whose whole text equals a cached one's, byte for byte,
// so any change to a token — header, claims or signature — misses. (The
// entries are found by a seeded hash of the token's last bytes and then
// compared in full; see tokenCache.) It stores only tokens that passed
// every check. On a hit it still checks, against the clock, that the token
// has not expired and that the key that signed it is still the issuer's
// current key for its kid (so a retired or stale key stops cached tokens
// too), and it asks Config.Denylist and runs Check again. The entries
// live in 32 shards (chosen by a seeded hash of the token's last bytes);
// the limits hold for the whole cache (MaxEntries tokens fit, not fewer):
// when the cache is full, a new token evicts from its own shard (or, when
// that holds none, another) an expired entry if one of the first eight it
// looks at has expired, and otherwise an arbitrary one. A full cache
// admits a token only at its second verification (a doorkeeper of 8 bytes
// a slot, one slot per entry rounded up to a power of two: 128 KiB for
// the default), so that a flood of tokens that never come again neither
// evicts the tokens in use nor pays for their copy; while there is room,
// a token is stored at its first. Failures are never
// stored, so invalid tokens cannot grow it. A hit returns a copy of the
// cached token (see Token): the cached one itself never leaves the cache
// for code outside this module, so no caller can change it. (This
// module's read-only code — the middleware's policy, log and metrics, and
// cognito-gate serve — reads it uncopied through internal/tokenshare;
// Config.Denylist is given it too, and must not change or keep it.)
type CacheConfig struct {
	// Disabled turns the cache off: every call verifies the signature.
	Disabled bool
	// MaxEntries bounds the number of tokens held. Zero means
	// DefaultCacheEntries (10,000).
	MaxEntries int
	// MaxBytes bounds the memory held: the live heap of the entries, each
	// counted as the allocations it is made of (its text, claims JSON,
	// strings, slices, the entry itself and its share of the shard's map),
	// rounded up to the allocator's size classes, so that the limit is what
	// the process holds for the cache. TestCacheBytesAreRealBytes keeps the
	// count within 10% of the measured heap. Zero means DefaultCacheBytes
	// (64 MiB): with ~1.1 KB Cognito access tokens, ~2.6 KB an entry,
	// more than DefaultCacheEntries fit.
	MaxBytes int64
}

// CacheStats counts cache lookups.
type CacheStats struct {
	Hits, Misses uint64
	// Deferred counts verified tokens a full cache did not store because
	// it had not seen them before (see CacheConfig).
	Deferred uint64
	// Entries is the number of tokens held now, and Bytes the memory they
	// are counted for against CacheConfig.MaxBytes.
	Entries int
	Bytes   int64
}

// tokenCache is a sharded map from token text to verified token.
//
// Reads never serialise: a hit on the token a shard answered last is a
// single atomic load (no lock), other lookups take the shard's read lock.
// The hit and miss counters are two plain atomics: striping them over
// cache lines (by stack address) made no difference bench/ could measure,
// cached or not, on one core or two.
//
// Each shard's map is keyed by a seeded 64-bit hash of the token's last
// bytes (the end of its signature), and a hit is a hit only when the
// entry's whole text equals the token presented, byte for byte: the hash
// only finds the candidate. So a collision, chosen or not, can never
// answer for a token that was not verified; at worst two verified tokens
// share a key, and then the second is not cached (put keeps the first).
// The map does not hash the whole 1 KB token, and no key is stored
// besides the text the entry keeps anyway. A 256-bit digest instead of
// the text (collision-resistant without the comparison) was measured:
// SHA-256 of a 1.1 KB token takes ~2 µs here, more than a whole cached
// check, on every lookup, hit or miss.
type tokenCache struct {
	seed         maphash.Seed
	shards       [cacheShards]cacheShard
	hits, misses atomic.Uint64

	// entries and bytes are what the shards hold, against maxEntries and
	// maxBytes: a put reserves its room here before it stores.
	entries, bytes       atomic.Int64
	maxEntries, maxBytes int64

	// seen is the doorkeeper of a full cache: the hash of the last token
	// refused at each slot (hash & seenMask), admitted when it comes again.
	seen     []atomic.Uint64
	seenMask uint64
	deferred atomic.Uint64
}

type cacheShard struct {
	// last is the entry of the shard's most recent hit, read without the
	// lock. It is always an entry of m, or nil: removal clears it.
	last atomic.Pointer[cacheEntry]
	mu   sync.RWMutex
	m    map[uint64]*cacheEntry
	c    *tokenCache
	_    [64]byte // keep shards on separate cache lines
}

// cacheEntry is one verified token. It is immutable once stored: its tok
// is never handed out to code outside this module (Verify returns copies
// of it, see Token.clone; the exceptions, all read-only, are listed in
// internal/tokenshare), so no caller can change what a later hit is
// judged by.
//
// A stored entry is compact's copy of the verified token: the text and
// every string of the token in one allocation, the claims JSON in another,
// the token itself inside the entry.
type cacheEntry struct {
	raw string
	tok *Token
	key *jwks.Key // the key that verified it
	p   *pool

	hash  uint64 // the map key: tokenCache.hash(raw)
	bytes int64  // the memory it is counted for (see compact)
	val   Token  // tok points here in a stored entry
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
	c := &tokenCache{seed: maphash.MakeSeed(), maxEntries: int64(entries), maxBytes: bytes}
	slots := 64
	for slots < entries && slots < 1<<20 {
		slots *= 2
	}
	c.seen, c.seenMask = make([]atomic.Uint64, slots), uint64(slots-1)
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cacheEntry)
		c.shards[i].c = c
	}
	return c
}

// shardTail is how many bytes at the end of a token choose its shard and
// its map key.
const shardTail = 16

// hash is the (seeded) hash of raw's last bytes: the end of the
// signature, which a cached token cannot choose without the signing key.
// It chooses the shard and is the key in the shard's map; a hit compares
// the whole text (see tokenCache).
func (c *tokenCache) hash(raw string) uint64 {
	return maphash.String(c.seed, raw[max(0, len(raw)-shardTail):])
}

func (c *tokenCache) shard(h uint64) *cacheShard { return &c.shards[h%cacheShards] }

// get returns the cached entry for raw.
func (c *tokenCache) get(raw string) (*cacheEntry, bool) {
	h := c.hash(raw)
	s := c.shard(h)
	e := s.last.Load()
	if e == nil || e.raw != raw {
		s.mu.RLock()
		e = s.m[h]
		if e != nil && e.raw != raw {
			e = nil
		}
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

// admit reports whether a token of raw's text, just verified, is to be
// stored: always while the cache has room for it without evicting, or
// when the shard put would evict from shows an expired entry among those
// eviction looks at (put looks again, in the map's own order); in a full
// cache of live entries only the second time in a row that its
// doorkeeper slot sees it. A refusal is counted (Deferred). Room is
// judged by a lower bound of the entry's size (admitEstimate): a token
// admitted into room that then does not fit evicts as before. now is read
// only when the cache is full.
func (c *tokenCache) admit(raw string, now func() time.Time) bool {
	if c.entries.Load() < c.maxEntries && c.bytes.Load()+admitEstimate(len(raw)) <= c.maxBytes {
		return true
	}
	h := c.hash(raw)
	if c.victimExpired(c.shard(h), now()) {
		return true
	}
	slot := &c.seen[h&c.seenMask]
	if slot.Load() == h {
		return true
	}
	slot.Store(h)
	c.deferred.Add(1)
	return false
}

// admitEstimate is a lower bound of what compact counts an entry for a
// token of n bytes: its text and the entry itself.
func admitEstimate(n int) int64 { return int64(n) + entryStructBytes }

// put stores ce, the compact copy of a verified token (see compact; made
// by the caller, outside the lock, since it allocates), evicting to stay
// within the limits.
func (c *tokenCache) put(ce *cacheEntry, now time.Time) {
	h := c.hash(ce.raw)
	s := c.shard(h)
	size := ce.bytes
	if size > c.maxBytes {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; ok {
		// The token itself (cached by a concurrent call), or, once in
		// 2^64, another verified token with the same key: the first
		// stays, the second is verified in full each time.
		return
	}
	for !c.reserve(size) {
		if len(s.m) > 0 {
			s.evictOne(now)
		} else if !c.evictElsewhere(s, now) {
			return // full of entries whose shards are busy: not stored
		}
	}
	ce.hash = h
	s.m[h] = ce
}

// evictElsewhere evicts an entry of another shard than s (whose lock is
// held), for a put into an empty shard of a full cache. It only tries
// each lock (two puts holding one each must not wait for each other's),
// and reports whether it evicted.
func (c *tokenCache) evictElsewhere(s *cacheShard, now time.Time) bool {
	for i := range c.shards {
		o := &c.shards[i]
		if o == s || !o.mu.TryLock() {
			continue
		}
		evicted := len(o.m) > 0
		if evicted {
			o.evictOne(now)
		}
		o.mu.Unlock()
		if evicted {
			return true
		}
	}
	return false
}

// reserve takes room for one entry of size bytes, if the cache has it.
func (c *tokenCache) reserve(size int64) bool {
	for {
		b := c.bytes.Load()
		if b+size > c.maxBytes {
			return false
		}
		if c.bytes.CompareAndSwap(b, b+size) {
			break
		}
	}
	for {
		n := c.entries.Load()
		if n >= c.maxEntries {
			c.bytes.Add(-size)
			return false
		}
		if c.entries.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// victimExpired reports whether the shard a put into s would evict from —
// s, or when s is empty the first other shard with entries, as
// evictElsewhere picks it — shows an expired candidate (see candidate).
func (c *tokenCache) victimExpired(s *cacheShard, now time.Time) bool {
	if victim, expired := s.peek(now); victim != nil {
		return expired
	}
	for i := range c.shards {
		if o := &c.shards[i]; o != s {
			if victim, expired := o.peek(now); victim != nil {
				return expired
			}
		}
	}
	return false
}

// peek is candidate under s's read lock.
func (s *cacheShard) peek(now time.Time) (*cacheEntry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.candidate(now)
}

// evictOne removes an expired entry if it finds one among the first few it
// looks at, and otherwise the first one. s.mu must be held.
func (s *cacheShard) evictOne(now time.Time) {
	victim, _ := s.candidate(now)
	s.removeLocked(victim)
}

// candidate is the entry evictOne takes: the first expired one among the
// first eight the map's iteration meets, else the first; nil when s is
// empty. s.mu must be held, for reading at least.
func (s *cacheShard) candidate(now time.Time) (victim *cacheEntry, expired bool) {
	n := 0
	for _, e := range s.m {
		if !now.Before(e.tok.Expiry) {
			return e, true
		}
		if victim == nil {
			victim = e
		}
		if n++; n >= 8 {
			break
		}
	}
	return victim, false
}

// removeLocked drops e, an entry of s. s.mu must be held.
func (s *cacheShard) removeLocked(e *cacheEntry) {
	delete(s.m, e.hash)
	s.last.CompareAndSwap(e, nil)
	s.c.bytes.Add(-e.bytes)
	s.c.entries.Add(-1)
}

// remove drops raw from the cache.
func (c *tokenCache) remove(raw string) {
	h := c.hash(raw)
	s := c.shard(h)
	s.mu.Lock()
	if e := s.m[h]; e != nil && e.raw == raw {
		s.removeLocked(e)
	}
	s.mu.Unlock()
}

func (c *tokenCache) stats() CacheStats {
	var st CacheStats
	st.Hits, st.Misses, st.Deferred = c.hits.Load(), c.misses.Load(), c.deferred.Load()
	// The counters the limits are held to (a put's reservation included):
	// a sum over the shards, read one after another, could count an entry
	// moving between them twice.
	st.Entries, st.Bytes = int(c.entries.Load()), c.bytes.Load()
	return st
}
