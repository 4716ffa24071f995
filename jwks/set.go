package jwks

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Set is the key set of one issuer. Get it from Cache.Set.
type Set struct {
	c      *Cache
	issuer string
	url    string

	// snap is the current key set; readers load it without locks.
	snap atomic.Pointer[snapshot]

	mu          sync.Mutex        // guards the fields below
	flight      *flight           // the fetch in progress, if any
	lastAttempt time.Time         // start of the latest fetch attempt
	failures    int               // consecutive failed fetches
	lastErr     error             // error of the latest fetch, nil after a success
	fetches     map[string]uint64 // fetches by FetchEvent.Result, since New
	interval    time.Duration     // from the last success to the next refresh (jittered)
}

// snapshot is an immutable key set.
type snapshot struct {
	keys      map[string]*Key
	fetchedAt time.Time // zero for a static set, never fetched
	static    bool      // from Source.Keys: never refreshed, never stale
}

// fresh reports whether the snapshot may be served at now: it is static, or
// not older than MaxStaleness.
func (sn *snapshot) fresh(now time.Time, maxStaleness time.Duration) bool {
	return sn.static || now.Sub(sn.fetchedAt) <= maxStaleness
}

// flight is one fetch that any number of callers may wait for.
type flight struct {
	done chan struct{}
	err  error
}

// errCooldown is returned by refresh when the previous attempt was too
// recent; it never leaves the package.
var errCooldown = errors.New("jwks: refresh not allowed yet")

// Issuer returns the issuer the set belongs to.
func (s *Set) Issuer() string { return s.issuer }

// URL returns the address the set is fetched from, or "" for a static set.
func (s *Set) URL() string { return s.url }

// Key returns the key with the given kid. On the common path — the kid is in
// a set that is not stale — it takes no lock and makes no call. Otherwise it
// triggers a refresh (or joins the one in flight) and waits for it, unless
// the cooldown forbids a new attempt, in which case it fails at once with
// ErrKeyNotFound (or ErrUnavailable when no usable set is held). A static
// set is never refreshed: a kid it does not hold is ErrKeyNotFound at once.
//
// A fetch that fails, its own FetchTimeout included, leaves ErrUnavailable
// (when no usable set is held) or ErrKeyNotFound, never a bare context
// error. When ctx ends while Key waits, the error wraps ctx.Err() and no
// sentinel of this package: the caller gave up, the fetch goes on for the
// others.
func (s *Set) Key(ctx context.Context, kid string) (*Key, error) {
	if k := s.FreshKey(kid); k != nil {
		return k, nil
	}
	return s.slowKey(ctx, kid)
}

// FreshKey returns the key with the given kid when Key would return it at
// once — the kid is in a set that is not stale — and nil otherwise
// (then Key may fetch, wait or fail). It never blocks.
func (s *Set) FreshKey(kid string) *Key {
	if sn := s.snap.Load(); sn != nil {
		if k := sn.keys[kid]; k != nil && sn.fresh(s.c.cfg.Now(), s.c.cfg.MaxStaleness) {
			return k
		}
	}
	return nil
}

func (s *Set) slowKey(ctx context.Context, kid string) (*Key, error) {
	trigger := TriggerUnknownKID
	switch sn := s.snap.Load(); {
	case sn == nil:
		trigger = TriggerInitial
	case sn.static:
		return nil, s.keyNotFound(kid)
	case !sn.fresh(s.c.cfg.Now(), s.c.cfg.MaxStaleness):
		trigger = TriggerStale
	}
	err := s.refresh(ctx, trigger)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, errorf("%s: waiting for key set: %w", s.issuer, ctxErr)
	}
	sn := s.snap.Load()
	if sn == nil || !sn.fresh(s.c.cfg.Now(), s.c.cfg.MaxStaleness) {
		return nil, s.unavailable(err)
	}
	if k := sn.keys[kid]; k != nil {
		return k, nil
	}
	return nil, s.keyNotFound(kid)
}

// keyNotFound is the error for a kid the set does not hold.
func (s *Set) keyNotFound(kid string) error {
	return errorf("%s: kid %q: %w", s.issuer, msg.Clip(kid, 64), ErrKeyNotFound)
}

// unavailable builds the error for "no usable key set", carrying the cause.
func (s *Set) unavailable(err error) error {
	if err == nil || errors.Is(err, errCooldown) {
		s.mu.Lock()
		err = s.lastErr
		s.mu.Unlock()
	}
	if errors.Is(err, ErrClosed) {
		return err
	}
	sn := s.snap.Load()
	switch {
	case sn != nil && err != nil:
		return errorf("%s: keys older than %s: %w: %w", s.issuer, s.c.cfg.MaxStaleness, ErrUnavailable, err)
	case sn != nil:
		return errorf("%s: keys older than %s: %w", s.issuer, s.c.cfg.MaxStaleness, ErrUnavailable)
	case err != nil:
		return errorf("%s: %w: %w", s.issuer, ErrUnavailable, err)
	default:
		return errorf("%s: not fetched yet: %w", s.issuer, ErrUnavailable)
	}
}

// gap is the shortest time allowed between the previous attempt and the
// next one: Cooldown after a success, doubling per consecutive failure up to
// MaxBackoff. s.mu must be held.
func (s *Set) gap() time.Duration {
	g := s.c.cfg.Cooldown
	for i := 1; i < s.failures && g < s.c.cfg.MaxBackoff; i++ {
		g *= 2
	}
	return min(g, s.c.cfg.MaxBackoff)
}

// refresh fetches the set, joining a fetch already in flight, and waits for
// it (or for ctx). It returns errCooldown without fetching when the previous
// attempt is more recent than gap(). The fetch itself is the cache's (it
// ends with FetchTimeout or Close), so a caller that gives up does not
// cancel it for the others.
func (s *Set) refresh(ctx context.Context, trigger Trigger) error {
	s.mu.Lock()
	f := s.flight
	if f == nil {
		now := s.c.cfg.Now()
		if !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < s.gap() {
			s.mu.Unlock()
			return errCooldown
		}
		if !s.c.track() {
			s.mu.Unlock()
			return ErrClosed
		}
		f = &flight{done: make(chan struct{})}
		s.flight = f
		s.lastAttempt = now
		go s.run(f, trigger, now)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run performs one fetch and publishes its outcome.
func (s *Set) run(f *flight, trigger Trigger, start time.Time) {
	defer s.c.wg.Done()
	keys, skipped, err := s.c.fetch(s.url)
	end := s.c.cfg.Now()

	ev := FetchEvent{
		Issuer: s.issuer, URL: s.url, Trigger: trigger,
		Start: start, Duration: end.Sub(start), Err: err, Skipped: skipped,
	}
	s.mu.Lock()
	prev := s.snap.Load()
	if err == nil {
		next := &snapshot{keys: keys, fetchedAt: end}
		s.snap.Store(next)
		s.failures, s.lastErr = 0, nil
		s.interval = s.c.refreshDelay()
		ev.Added, ev.Removed = diffKIDs(prev, next)
		prev = next
	} else {
		s.failures++
		s.lastErr = err
	}
	if prev != nil {
		ev.Keys, ev.LastSuccess = len(prev.keys), prev.fetchedAt
	}
	if s.fetches == nil {
		s.fetches = make(map[string]uint64)
	}
	s.fetches[fetchResult(err)]++
	s.flight = nil
	s.mu.Unlock()

	// Observe before releasing the waiters, so that whoever waited for this
	// fetch finds it already reported (logged, counted).
	if s.c.cfg.Observer != nil {
		s.c.cfg.Observer.ObserveFetch(ev)
	}
	f.err = err
	close(f.done)
}

// diffKIDs returns the kids in next but not prev, and in prev but not next,
// sorted.
func diffKIDs(prev, next *snapshot) (added, removed []string) {
	for kid := range next.keys {
		if prev == nil || prev.keys[kid] == nil {
			added = append(added, kid)
		}
	}
	if prev != nil {
		for kid := range prev.keys {
			if next.keys[kid] == nil {
				removed = append(removed, kid)
			}
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// takeOver gives s, not running yet, the state of old, a set of another
// cache (Config.Carry), when old is fetched from the same address; see
// Config.Carry. A fetch of old in flight is not waited for: s refreshes on
// its own schedule.
func (s *Set) takeOver(old *Set) {
	if old == nil || old.url == "" || old.url != s.url {
		return
	}
	old.mu.Lock()
	defer old.mu.Unlock()
	if sn := old.snap.Load(); sn != nil {
		s.snap.Store(sn) // immutable: shared, not copied
		s.interval = s.c.refreshDelay()
	}
	s.lastAttempt, s.failures, s.lastErr = old.lastAttempt, old.failures, old.lastErr
	s.fetches = maps.Clone(old.fetches)
}

// nextRefresh returns when the background loop should next fetch the set,
// and why.
func (s *Set) nextRefresh() (time.Time, Trigger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := s.snap.Load()
	switch {
	case s.flight != nil:
		// Join the fetch in flight and decide again when it is over.
		return time.Time{}, TriggerInitial
	case s.lastAttempt.IsZero():
		return time.Time{}, TriggerInitial
	case s.failures > 0:
		if sn == nil {
			return s.lastAttempt.Add(s.gap()), TriggerInitial
		}
		return s.lastAttempt.Add(s.gap()), TriggerRetry
	case sn == nil:
		return s.lastAttempt.Add(s.gap()), TriggerInitial
	default:
		return sn.fetchedAt.Add(s.interval), TriggerInterval
	}
}

// refreshJitter is the largest fraction of RefreshInterval by which a
// background refresh runs early or late.
const refreshJitter = 0.1

// refreshDelay returns how long after a successful fetch the next
// background refresh runs: RefreshInterval moved by a random amount of up
// to refreshJitter of it either way, so that a fleet of gates started
// together spreads its refreshes instead of hitting the key endpoint at
// the same instant every interval; never less than Cooldown.
func (c *Cache) refreshDelay() time.Duration {
	d := c.cfg.RefreshInterval
	jitter := time.Duration((2*c.cfg.rand() - 1) * refreshJitter * float64(d))
	return max(d+jitter, c.cfg.Cooldown)
}

// loop refreshes the set in the background until the cache closes.
func (s *Set) loop() {
	defer s.c.wg.Done()
	for {
		at, trigger := s.nextRefresh()
		if !s.c.sleep(at.Sub(s.c.cfg.Now())) {
			return
		}
		// The fetch ends with Close, and with it the wait.
		err := s.refresh(context.Background(), trigger)
		switch {
		case errors.Is(err, ErrClosed) || s.c.isClosed():
			return
		case errors.Is(err, errCooldown):
			// The clock says it is too early (an injected clock that does not
			// follow real time): wait one cooldown of real time.
			if !s.c.sleep(s.c.cfg.Cooldown) {
				return
			}
		}
	}
}

// Status is a point-in-time view of a set, for health checks and metrics.
type Status struct {
	Issuer string
	URL    string
	// Keys is the number of usable keys held (0 before the first success).
	Keys int
	// KeyIDs lists them, sorted.
	KeyIDs []string
	// LastSuccess is when the held set was fetched (zero if never, and
	// always for a static set, which is never fetched: an alert on the age
	// of the last success should skip zero, as it does for a set not
	// fetched yet).
	LastSuccess time.Time
	// LastAttempt is when the latest fetch started (zero if never).
	LastAttempt time.Time
	// LastError is the latest fetch's error, nil after a success.
	LastError error
	// Failures counts consecutive failed fetches.
	Failures int
	// Usable reports that a set is held and not older than MaxStaleness
	// (a static set always is).
	Usable bool
	// Fetches counts finished fetches by result (see FetchEvent.Result).
	Fetches map[string]uint64
}

// Status reports the set's state.
func (s *Set) Status() Status {
	s.mu.Lock()
	st := Status{Issuer: s.issuer, URL: s.url, LastAttempt: s.lastAttempt, LastError: s.lastErr, Failures: s.failures,
		Fetches: maps.Clone(s.fetches)}
	s.mu.Unlock()
	if sn := s.snap.Load(); sn != nil {
		st.Keys = len(sn.keys)
		for kid := range sn.keys {
			st.KeyIDs = append(st.KeyIDs, kid)
		}
		slices.Sort(st.KeyIDs)
		st.LastSuccess = sn.fetchedAt
		st.Usable = sn.fresh(s.c.cfg.Now(), s.c.cfg.MaxStaleness)
	}
	return st
}
