package jwks

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Cache holds the key sets of a fixed list of issuers.
type Cache struct {
	cfg  Config
	sets map[string]*Set // by issuer; never written after New
	list []*Set          // in configuration order

	// done is closed by Close: the background loops stop and the fetches
	// in flight are cancelled (see fetch).
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex // guards closed and wg.Add
	closed bool

	ownClient bool // the HTTP client is the default one, made for this cache

	// slots holds a token per fetch in flight (MaxConcurrentFetches).
	slots chan struct{}
}

// New validates cfg and the sources (see Validate: every problem is
// reported, each error a *ConfigError matching ErrConfig) and returns a
// cache that starts fetching every fetched source's key set in the
// background at once; a static source's keys (Source.Keys) are held from
// the start. Call Close to stop it. Use Hydrate to wait for the first
// fetches.
func New(cfg Config, sources ...Source) (*Cache, error) {
	ownClient := cfg.HTTPClient == nil
	cfg, prepared, err := prepare(cfg, sources)
	if err != nil {
		return nil, err
	}
	carry := cfg.Carry
	cfg.Carry = nil // not kept: a chain of reloads must not keep every old cache
	c := &Cache{cfg: cfg, sets: make(map[string]*Set, len(sources)), done: make(chan struct{}), ownClient: ownClient,
		slots: make(chan struct{}, cfg.MaxConcurrentFetches)}
	for _, src := range prepared {
		s := &Set{c: c, issuer: src.issuer, url: src.url}
		switch {
		case src.keys != nil:
			s.snap.Store(&snapshot{keys: src.keys, static: true})
		case carry != nil:
			s.takeOver(carry.sets[src.issuer])
		}
		c.sets[src.issuer] = s
		c.list = append(c.list, s)
	}
	for _, s := range c.list {
		if s.url != "" {
			c.wg.Add(1)
			go s.loop()
		}
	}
	return c, nil
}

// track registers one more goroutine with the cache, unless it is closed.
func (c *Cache) track() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	return true
}

// isClosed reports whether Close has been called.
func (c *Cache) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// sleep waits d (real time, or a testing/synctest bubble's) and reports
// whether the cache is still open.
func (c *Cache) sleep(d time.Duration) bool {
	if d <= 0 {
		return !c.isClosed()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
		return false
	case <-t.C:
		return true
	}
}

// Set returns the key set of issuer, or nil when the issuer is not
// configured. It never fetches.
func (c *Cache) Set(issuer string) *Set { return c.sets[issuer] }

// Sets returns every key set in configuration order.
func (c *Cache) Sets() []*Set { return append([]*Set(nil), c.list...) }

// Key returns the key with kid for issuer; see Set.Key. An issuer that is
// not configured yields ErrUnknownIssuer without any network request.
func (c *Cache) Key(ctx context.Context, issuer, kid string) (*Key, error) {
	s := c.sets[issuer]
	if s == nil {
		return nil, ErrUnknownIssuer
	}
	return s.Key(ctx, kid)
}

// Hydrate waits until every set holds usable keys, fetching those that do
// not (subject to the cooldown), and returns the joined errors of the sets
// that still have none. Call it at start-up to fail fast on a wrong pool or
// an unreachable endpoint. Static sets are usable from the start.
func (c *Cache) Hydrate(ctx context.Context) error {
	errs := make([]error, len(c.list))
	var wg sync.WaitGroup
	for i, s := range c.list {
		if s.Status().Usable {
			continue
		}
		wg.Go(func() {
			err := s.refresh(ctx, TriggerInitial)
			if ctx.Err() != nil {
				errs[i] = errorf("hydrate %s: %w", s.issuer, ctx.Err())
				return
			}
			if !s.Status().Usable {
				errs[i] = s.unavailable(err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Ready reports whether every set holds usable keys.
func (c *Cache) Ready() bool {
	for _, s := range c.list {
		if !s.Status().Usable {
			return false
		}
	}
	return true
}

// Close stops background refreshes and waits for fetches in flight to end
// (they are cancelled), and closes the idle connections of the default HTTP
// client. Keys already held stay readable. Close is idempotent.
func (c *Cache) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
	c.wg.Wait()
	if c.ownClient {
		c.cfg.HTTPClient.CloseIdleConnections()
	}
	return nil
}
