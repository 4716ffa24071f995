package jwks

import (
	"context"
	"net"
	"net/http"
)

// WithDialer returns cfg whose default HTTP client (HTTPClient nil) dials
// with dial instead of the network.
func WithDialer(cfg Config, dial func(ctx context.Context, network, addr string) (net.Conn, error)) Config {
	cfg.dial = dial
	return cfg
}

// HTTPClientOf returns the HTTP client the cache fetches with.
func HTTPClientOf(c *Cache) *http.Client { return c.cfg.HTTPClient }

// WithRand returns cfg whose refresh jitter draws from rand (a number in
// [0, 1); 0.5 is no jitter) instead of math/rand/v2.
func WithRand(cfg Config, rand func() float64) Config {
	cfg.rand = rand
	return cfg
}
