package jwks

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Cache holds the key sets of a fixed list of issuers.
type Cache struct {
	cfg  Config
	sets map[string]*Set // by issuer; never written after New
	list []*Set          // in configuration order

	ctx    context.Context // cancelled by Close; fetches run on it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex // guards closed and wg.Add
	closed bool

	ownClient bool // the HTTP client is the default one, made for this cache
}

// New validates cfg and the sources (see Validate: every problem is
// reported, each error matching ErrConfig) and returns a cache that starts
// fetching every source's key set in the background at once. Call Close to
// stop it. Use Hydrate to wait for the first fetches.
func New(cfg Config, sources ...Source) (*Cache, error) {
	ownClient := cfg.HTTPClient == nil
	cfg, urls, err := prepare(cfg, sources)
	if err != nil {
		return nil, err
	}
	c := &Cache{cfg: cfg, sets: make(map[string]*Set, len(sources)), ownClient: ownClient}
	for i, src := range sources {
		s := &Set{c: c, issuer: src.Issuer, url: urls[i]}
		c.sets[src.Issuer] = s
		c.list = append(c.list, s)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for _, s := range c.list {
		c.wg.Add(1)
		go s.loop()
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
// an unreachable endpoint.
func (c *Cache) Hydrate(ctx context.Context) error {
	errs := make([]error, len(c.list))
	var wg sync.WaitGroup
	for i, s := range c.list {
		if s.Status().Usable {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.refresh(ctx, TriggerInitial)
			if ctx.Err() != nil {
				errs[i] = fmt.Errorf("jwks: hydrate %s: %w", s.issuer, ctx.Err())
				return
			}
			if !s.Status().Usable {
				errs[i] = s.unavailable(err)
			}
		}()
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
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	if c.ownClient {
		c.cfg.HTTPClient.CloseIdleConnections()
	}
	return nil
}
