package alb

import (
	"container/list"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// keyCache holds the load balancers' public keys, one per kid, fetched
// from base + "/" + kid. Its rules follow jwks.Cache's, per kid instead of
// per key set:
//
//   - one fetch at a time per kid, which every caller that needs the kid
//     waits for (a caller that gives up does not cancel it);
//   - never two fetch attempts of one kid within Cooldown, the wait
//     doubling after each consecutive failure up to MaxBackoff; a kid
//     inside its wait fails at once, without a request;
//   - a held key older than RefreshInterval is fetched again in the
//     background when next used, and served meanwhile; while such fetches
//     fail it is served until it is MaxStaleness old, then refused
//     (jwks_unavailable) until a fetch succeeds;
//   - an endpoint that answers 404 or 403 for a kid has no such key: the
//     kid is unknown (a held key it answers so for is dropped, as a key
//     set that no longer lists a kid drops it);
//   - fetches of kids not held (new ones, and retries of failed ones)
//     share a token bucket of MaxNewKeyFetches per Cooldown, so that a
//     flood of made-up kids costs at most that many requests per cooldown;
//     a kid beyond it fails at once with claims.ErrUnknownKID;
//   - at most MaxKeys keys are held (the least recently used forgotten
//     first, but keys that have verified no token before any that has)
//     and at most MaxKeys kids without a key are remembered (the least
//     recently tried forgotten first), so that kids which never had a key
//     cannot push out the keys in use, and neither can the real keys of
//     other load balancers of the region, named by forged tokens whose
//     signature then fails.
//
// Fetches in flight at a time are therefore at most MaxNewKeyFetches per
// Cooldown for the length of FetchTimeout, plus one per held key.
type keyCache struct {
	cfg       jwks.Config // with its defaults
	base      string
	maxKeys   int
	burst     float64 // MaxNewKeyFetches
	ownClient bool

	wg    sync.WaitGroup
	obsMu sync.Mutex // one Observer call at a time, as jwks promises

	mu       sync.Mutex // guards everything below and every entry
	closed   bool
	entries  map[string]*entry
	held     list.List // entries with a key, most recently used first
	misses   list.List // entries without one, least recently tried first
	inflight map[*flight]struct{}
	tokens   float64 // fetches of kids not held allowed now
	tokensAt time.Time
	fetches  map[string]uint64 // by jwks.FetchEvent.Result
}

// entry is what the cache knows of one kid.
type entry struct {
	kid         string
	key         *ecdsa.PublicKey // nil when none is held
	fetchedAt   time.Time        // when key was fetched
	lastAttempt time.Time        // start of the latest fetch
	failures    int              // consecutive failed fetches
	lastErr     error            // of the latest fetch; nil after a success
	absent      bool             // the latest fetch was answered 404 or 403
	proven      bool             // key has verified a token (see prove)
	flight      *flight          // the fetch in progress, if any
	elem        *list.Element    // in held (key != nil) or misses
}

// flight is one fetch that any number of callers may wait for.
type flight struct {
	done   chan struct{}
	cancel context.CancelFunc
	key    *ecdsa.PublicKey // the usable key after the fetch, or nil
	err    error            // why there is none
}

func newKeyCache(cc *compiled) *keyCache {
	return &keyCache{
		cfg:       cc.keys,
		base:      cc.keyURL,
		maxKeys:   cc.maxKeys,
		burst:     float64(cc.maxNewFetches),
		ownClient: cc.ownClient,
		entries:   make(map[string]*entry),
		inflight:  make(map[*flight]struct{}),
		tokens:    float64(cc.maxNewFetches),
		tokensAt:  cc.keys.Now(),
		fetches:   make(map[string]uint64),
	}
}

// url is where the key of kid is fetched from. kid is a UUID (isUUID):
// nothing in it can leave the path segment.
func (c *keyCache) url(kid string) string { return c.base + "/" + kid }

// lookup returns the key of kid, fetching it when it is not held (or held
// but older than MaxStaleness), subject to the rules of keyCache. When
// ctx ends while it waits, the error wraps claims.ErrCanceled and
// ctx.Err().
func (c *keyCache) lookup(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	c.mu.Lock()
	now := c.cfg.Now()
	e := c.entries[kid]
	trigger := jwks.TriggerUnknownKID
	if e != nil && e.key != nil {
		age := now.Sub(e.fetchedAt)
		if age <= c.cfg.MaxStaleness {
			c.held.MoveToFront(e.elem)
			if age >= c.cfg.RefreshInterval && e.flight == nil && c.mayFetch(e, now) && !c.closed {
				c.start(e, jwks.TriggerInterval, now)
			}
			key := e.key
			c.mu.Unlock()
			return key, nil
		}
		trigger = jwks.TriggerStale
	}
	var f *flight
	if e != nil {
		f = e.flight
	}
	if f == nil {
		var err error
		if f, err = c.begin(e, kid, trigger, now); err != nil {
			c.mu.Unlock()
			return nil, err
		}
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		if f.key != nil {
			return f.key, nil
		}
		return nil, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("alb: kid %s: waiting for its key: %w: %w", kid, claims.ErrCanceled, ctx.Err())
	}
}

// begin starts a fetch of kid, whose entry e may be nil, unless a rule
// forbids it. c.mu must be held.
func (c *keyCache) begin(e *entry, kid string, trigger jwks.Trigger, now time.Time) (*flight, error) {
	switch {
	case e != nil && !c.mayFetch(e, now):
		return nil, c.notHeld(e)
	case c.closed:
		return nil, fmt.Errorf("alb: kid %s: %w", kid, jwks.ErrClosed)
	case (e == nil || e.key == nil) && !c.take(now):
		return nil, fmt.Errorf("alb: kid %s: not held, and %g fetches of kids not held have started within %s: %w",
			kid, c.burst, c.cfg.Cooldown, claims.ErrUnknownKID)
	}
	if e == nil {
		e = &entry{kid: kid}
		e.elem = c.misses.PushBack(e)
		c.entries[kid] = e
	}
	f := c.start(e, trigger, now)
	c.trimMisses() // after start: an entry in flight is never forgotten
	return f, nil
}

// start runs a fetch of e in the background. c.mu must be held and the
// cache open.
func (c *keyCache) start(e *entry, trigger jwks.Trigger, now time.Time) *flight {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FetchTimeout)
	f := &flight{done: make(chan struct{}), cancel: cancel}
	e.flight, e.lastAttempt = f, now
	if e.key == nil {
		c.misses.MoveToBack(e.elem)
	}
	c.inflight[f] = struct{}{}
	c.wg.Add(1)
	go c.run(ctx, e, f, trigger, now)
	return f
}

// run performs one fetch and publishes its outcome.
func (c *keyCache) run(ctx context.Context, e *entry, f *flight, trigger jwks.Trigger, start time.Time) {
	defer c.wg.Done()
	key, err := c.fetch(ctx, e.kid)
	f.cancel()
	end := c.cfg.Now()

	c.mu.Lock()
	ev := jwks.FetchEvent{
		Issuer: c.base, URL: c.url(e.kid), Trigger: trigger,
		Start: start, Duration: end.Sub(start), Err: err,
	}
	attached := c.entries[e.kid] == e // not forgotten meanwhile
	switch {
	case err == nil:
		if e.key == nil || !e.key.Equal(key) {
			ev.Added = []string{e.kid}
			if e.key != nil {
				ev.Removed = []string{e.kid} // the endpoint changed the key
			}
		}
		wasHeld := e.key != nil
		if wasHeld && !e.key.Equal(key) {
			e.proven = false // another key: it has verified nothing yet
		}
		e.key, e.fetchedAt, e.failures, e.lastErr, e.absent = key, end, 0, nil, false
		if attached && !wasHeld {
			c.misses.Remove(e.elem)
			e.elem = c.held.PushFront(e)
			c.trimHeld()
		}
	default:
		e.failures++
		e.lastErr = err
		e.absent = errors.Is(err, errNoKey)
		if e.absent && e.key != nil {
			ev.Removed = []string{e.kid}
			e.key = nil
			if attached {
				c.held.Remove(e.elem)
				e.elem = c.misses.PushBack(e)
				c.trimMisses()
			}
		}
	}
	e.flight = nil
	delete(c.inflight, f)
	if e.key != nil && end.Sub(e.fetchedAt) <= c.cfg.MaxStaleness {
		f.key = e.key
		ev.LastSuccess = e.fetchedAt
	} else {
		f.err = c.notHeld(e)
	}
	c.fetches[ev.Result()]++
	ev.Keys = c.held.Len()
	c.mu.Unlock()

	// Observe before releasing the waiters, so that whoever waited for
	// this fetch finds it already reported.
	if obs := c.cfg.Observer; obs != nil {
		c.obsMu.Lock()
		obs.ObserveFetch(ev)
		c.obsMu.Unlock()
	}
	close(f.done)
}

// notHeld is the error for a kid whose usable key the cache does not
// have: unknown when the endpoint said it has none, unavailable
// otherwise. c.mu must be held.
func (c *keyCache) notHeld(e *entry) error {
	var err error
	switch {
	case e.absent:
		err = fmt.Errorf("alb: kid %s: %w", e.kid, claims.ErrUnknownKID)
	case e.key != nil:
		err = fmt.Errorf("alb: kid %s: key older than %s: %w", e.kid, c.cfg.MaxStaleness, claims.ErrJWKSUnavailable)
	default:
		err = fmt.Errorf("alb: kid %s: %w", e.kid, claims.ErrJWKSUnavailable)
	}
	if e.lastErr != nil {
		err = fmt.Errorf("%w: %w", err, e.lastErr)
	}
	return err
}

// mayFetch reports whether e may be fetched at now: never tried, or the
// latest attempt at least gap ago. c.mu must be held.
func (c *keyCache) mayFetch(e *entry, now time.Time) bool {
	return e.lastAttempt.IsZero() || now.Sub(e.lastAttempt) >= c.gap(e.failures)
}

// gap is the shortest time between two attempts for one kid: Cooldown,
// doubled for each consecutive failure after the first, at most
// MaxBackoff.
func (c *keyCache) gap(failures int) time.Duration {
	g := c.cfg.Cooldown
	for ; failures > 1 && g < c.cfg.MaxBackoff; failures-- {
		g *= 2
	}
	return min(g, c.cfg.MaxBackoff)
}

// take spends one fetch of a kid not held from the bucket, refilled at
// MaxNewKeyFetches per Cooldown up to MaxNewKeyFetches, and reports
// whether there was one. c.mu must be held.
func (c *keyCache) take(now time.Time) bool {
	if el := now.Sub(c.tokensAt); el > 0 {
		c.tokens = min(c.burst, c.tokens+c.burst*float64(el)/float64(c.cfg.Cooldown))
		c.tokensAt = now
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// trimHeld forgets the keys beyond MaxKeys: the least recently used of
// those that have verified no token, the newest (just fetched, about to
// verify its first) aside; else the least recently used. c.mu must be
// held.
func (c *keyCache) trimHeld() {
	for c.held.Len() > c.maxKeys {
		victim := c.held.Back()
		for el := victim; el != nil && el != c.held.Front(); el = el.Prev() {
			if !el.Value.(*entry).proven {
				victim = el
				break
			}
		}
		c.forget(c.held.Remove(victim).(*entry))
	}
}

// prove records that key, held for kid, has verified a token, so that
// trimHeld keeps it ahead of keys that have not.
func (c *keyCache) prove(kid string, key *ecdsa.PublicKey) {
	c.mu.Lock()
	if e := c.entries[kid]; e != nil && e.key == key {
		e.proven = true
	}
	c.mu.Unlock()
}

// trimMisses forgets the least recently tried kids without a key beyond
// MaxKeys, but none whose fetch is in flight (its waiters need the
// entry's outcome; there are at most MaxNewKeyFetches of them). c.mu must
// be held.
func (c *keyCache) trimMisses() {
	for el := c.misses.Front(); el != nil && c.misses.Len() > c.maxKeys; {
		next := el.Next()
		if e := el.Value.(*entry); e.flight == nil {
			c.misses.Remove(el)
			c.forget(e)
		}
		el = next
	}
}

// forget removes e, already out of its list, from the index.
func (c *keyCache) forget(e *entry) { delete(c.entries, e.kid) }

// close stops the fetches in flight (they are cancelled) and waits for
// them. Keys held stay usable; no fetch starts after it.
func (c *keyCache) close() {
	c.mu.Lock()
	c.closed = true
	for f := range c.inflight {
		f.cancel()
	}
	c.mu.Unlock()
	c.wg.Wait()
	if c.ownClient {
		c.cfg.HTTPClient.CloseIdleConnections()
	}
}

// KeyStatus is a point-in-time view of the key cache, for health checks
// and metrics.
type KeyStatus struct {
	// URL is the key endpoint's base.
	URL string
	// KeyIDs lists the kids whose keys are held, sorted.
	KeyIDs []string
	// Fetches counts finished fetches by result (jwks.FetchEvent.Result).
	Fetches map[string]uint64
}

// status reports the cache's state.
func (c *keyCache) status() KeyStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := KeyStatus{URL: c.base, Fetches: maps.Clone(c.fetches)}
	for el := c.held.Front(); el != nil; el = el.Next() {
		st.KeyIDs = append(st.KeyIDs, el.Value.(*entry).kid)
	}
	slices.Sort(st.KeyIDs)
	return st
}
