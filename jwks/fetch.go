package jwks

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// fetch downloads and parses one key set.
func (c *Cache) fetch(ctx context.Context, url string) (map[string]*Key, []SkippedKey, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("jwks: get %s: %w: %w", url, ErrFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cognito-gate")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("jwks: get %s: %w: %w", url, ErrFetch, ctx.Err())
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrFetch, err) // err names the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused, no more.
		_, _ = io.CopyN(io.Discard, resp.Body, 4096)
		return nil, nil, fmt.Errorf("jwks: get %s: status %d: %w", url, resp.StatusCode, ErrStatus)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("jwks: get %s: status 200: read body: %w: %w", url, ErrFetch, err)
	}
	if int64(len(body)) > c.cfg.MaxResponseBytes {
		return nil, nil, fmt.Errorf("jwks: get %s: status 200: body over %d bytes: %w", url, c.cfg.MaxResponseBytes, ErrTooLarge)
	}
	keys, skipped, err := Parse(body)
	if err != nil {
		return nil, skipped, fmt.Errorf("jwks: get %s: status 200 (%s): %w", url, truncate(resp.Header.Get("Content-Type"), 64), err)
	}
	return keys, skipped, nil
}
