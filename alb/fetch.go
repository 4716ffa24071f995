package alb

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"

	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// Fetch errors wrap the sentinels of package jwks (jwks.ErrFetch,
// jwks.ErrStatus, jwks.ErrTooLarge, jwks.ErrMalformed,
// jwks.ErrNoUsableKeys), so that jwks.FetchEvent.Result classifies them
// and an Observer made for key sets (middleware.LogJWKS) reports them.

// errNoKey is the error of an endpoint that answered 404 or 403 for a
// kid: it has no such key (an S3-backed endpoint, as the GovCloud ones
// are, answers a missing object with 403 unless listing is allowed). The
// kid is unknown, not the endpoint unavailable.
var errNoKey = msg.Sentinel("no such key", jwks.ErrStatus)

// fetch gets the PEM key of kid from the endpoint. ctx bounds it
// (FetchTimeout, Close).
func (c *keyCache) fetch(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	u := c.url(kid)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w: %w", u, jwks.ErrFetch, err)
	}
	req.Header.Set("User-Agent", "cognito-gate")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("get %s: %w: %w", u, jwks.ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused, no more.
		_, _ = io.CopyN(io.Discard, resp.Body, 4096)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden {
			return nil, fmt.Errorf("get %s: status %d: %w", u, resp.StatusCode, errNoKey)
		}
		return nil, fmt.Errorf("get %s: status %d: %w", u, resp.StatusCode, jwks.ErrStatus)
	}
	limit := c.cfg.MaxResponseBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("get %s: read body: %w: %w", u, jwks.ErrFetch, ctx.Err())
	case err != nil:
		return nil, fmt.Errorf("get %s: read body: %w: %w", u, jwks.ErrFetch, err)
	case int64(len(body)) > limit:
		return nil, fmt.Errorf("get %s: body over %d bytes: %w", u, limit, jwks.ErrTooLarge)
	}
	key, err := parsePEM(body)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", u, err)
	}
	return key, nil
}

// parsePEM reads the one key an endpoint answers: exactly one PEM block of
// type "PUBLIC KEY" without headers, nothing but whitespace around it,
// holding a PKIX (SubjectPublicKeyInfo) ECDSA key on P-256. A second
// block, data before or after the block (pem.Decode skips it), headers,
// another key type or curve are refused: the answer must say one thing.
func parsePEM(body []byte) (*ecdsa.PublicKey, error) {
	begin := []byte("-----BEGIN")
	i := bytes.Index(body, begin)
	switch {
	case i < 0:
		return nil, fmt.Errorf("no PEM block: %w", jwks.ErrMalformed)
	case len(bytes.TrimSpace(body[:i])) > 0:
		return nil, fmt.Errorf("data before the PEM block: %w", jwks.ErrMalformed)
	case bytes.Count(body, begin) > 1:
		return nil, fmt.Errorf("more than one PEM block: %w", jwks.ErrMalformed)
	}
	block, rest := pem.Decode(body)
	switch {
	case block == nil:
		return nil, fmt.Errorf("bad PEM block: %w", jwks.ErrMalformed)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("data after the PEM block: %w", jwks.ErrMalformed)
	case len(block.Headers) > 0:
		return nil, fmt.Errorf("PEM block with headers: %w", jwks.ErrMalformed)
	case block.Type != "PUBLIC KEY":
		return nil, fmt.Errorf("PEM block %s, want PUBLIC KEY: %w", quote(block.Type), jwks.ErrNoUsableKeys)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a public key: %v: %w", err, jwks.ErrMalformed)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s, want an EC P-256 key: %w", keyKind(pub), jwks.ErrNoUsableKeys)
	}
	return ec, nil
}

// keyKind names a parsed public key's type (and curve) for an error.
func keyKind(pub any) string {
	if ec, ok := pub.(*ecdsa.PublicKey); ok {
		return "an EC " + ec.Curve.Params().Name + " key"
	}
	return fmt.Sprintf("a %T", pub)
}
