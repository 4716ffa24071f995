package jwks

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"context"
	"io"
	"net/http"
)

// fetch downloads and parses one key set, once a slot is free (see
// Config.MaxConcurrentFetches). The request ends after FetchTimeout, or
// when the cache closes.
func (c *Cache) fetch(url string) (map[string]*Key, []SkippedKey, error) {
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-c.done:
		return nil, nil, errorf("get %s: %w", url, ErrClosed)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FetchTimeout)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer func() {
		cancel()
		<-watched
	}()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, errorf("get %s: %w: %w", url, ErrFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cognito-gate")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, errorf("get %s: %w: %w", url, ErrFetch, ctx.Err())
		}
		return nil, nil, errorf("%w: %w", ErrFetch, err) // err names the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused, no more.
		_, _ = io.CopyN(io.Discard, resp.Body, 4096)
		return nil, nil, errorf("get %s: status %d: %w", url, resp.StatusCode, ErrStatus)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, errorf("get %s: status 200: read body: %w: %w", url, ErrFetch, err)
	}
	if int64(len(body)) > c.cfg.MaxResponseBytes {
		return nil, nil, errorf("get %s: status 200: body over %d bytes: %w", url, c.cfg.MaxResponseBytes, ErrTooLarge)
	}
	keys, skipped, err := Parse(body)
	if err != nil {
		return nil, skipped, errorf("get %s: status 200 (%s): %w", url, msg.Clip(resp.Header.Get("Content-Type"), 64), err)
	}
	return keys, skipped, nil
}
