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
