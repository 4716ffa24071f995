package alb

import (
	"context"
	"fmt"
	"slices"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jose"
)

// es256Size is the length of an ES256 signature, r||s (RFC 7518 section
// 3.4).
const es256Size = 64

// Verifier checks data tokens. Build it once with New; it is safe for
// concurrent use. Close it to stop the key fetches in flight.
type Verifier struct {
	cc   *compiled
	keys *keyCache
}

// New validates cfg (see Config.Validate: every problem is reported, each
// a *ConfigError matching ErrConfig) and returns a Verifier. It fetches
// nothing: a key is fetched when a token first names its kid.
func New(cfg Config) (*Verifier, error) {
	cc, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	return &Verifier{cc: cc, keys: newKeyCache(cc)}, nil
}

// Close cancels the key fetches in flight and waits for them to end, and
// closes the idle connections of the default HTTP client. Keys already
// held stay usable; a kid that needs a fetch afterwards is
// claims.ErrJWKSUnavailable. Close is idempotent.
func (v *Verifier) Close() error {
	v.keys.close()
	return nil
}

// Keys reports the key cache's state.
func (v *Verifier) Keys() KeyStatus { return v.keys.status() }

// Verify is VerifyData returning the token as a *claims.Token
// (Token.ClaimsToken), so that a *Verifier serves wherever a
// *claims.Verifier does: middleware.Config.Verifier with
// middleware.Header("X-Amzn-Oidc-Data") as the token source.
func (v *Verifier) Verify(ctx context.Context, raw string) (*claims.Token, error) {
	t, err := v.VerifyData(ctx, raw)
	if err != nil {
		return nil, err
	}
	return t.ClaimsToken(), nil
}

// VerifyData checks raw, the value of an x-amzn-oidc-data header, and
// returns its claims. The checks, in order, all of them before any key is
// looked up, so that no token makes the verifier fetch unless it names a
// configured load balancer, app client and issuer, is unexpired and well
// formed:
//
//   - size at most MaxTokenBytes;
//   - three base64url segments, all padded as the load balancer writes
//     them or all unpadded (see split);
//   - header: strict JSON with alg, kid, signer, client, iss and exp; crit
//     refused, every other member ignored;
//   - alg is "ES256" (anything else: claims.ErrUnsupportedAlg);
//   - kid is a UUID in canonical form (isUUID) — it becomes part of a
//     URL, so nothing else is ever fetched;
//   - iss is Config.Issuer exactly (claims.ErrWrongIssuer), signer one of
//     Config.Signers exactly (ErrWrongSigner), client one of
//     Config.ClientIDs exactly (claims.ErrWrongClient);
//   - payload: strict JSON with a sub; iss, when present, equal to the
//     header's (claims.ErrWrongIssuer);
//   - now < exp + leeway, for the header's exp and the payload's when
//     present (claims.ErrExpired); a payload nbf at most now + leeway
//     (claims.ErrNotYetValid) and iat at most now + leeway
//     (claims.ErrIssuedInFuture), when present;
//   - the signature is 64 bytes, r||s; an ASN.1 DER signature is refused
//     (claims.ErrBadSignature);
//   - the key of kid (fetched once, subject to the key cache's rules: a
//     kid the endpoint does not know is claims.ErrUnknownKID, an endpoint
//     that fails claims.ErrJWKSUnavailable) verifies the signature over
//     the first two segments as sent, padding included
//     (claims.ErrBadSignature).
//
// Every error matches a sentinel of package claims (or ErrWrongSigner,
// which matches claims.ErrWrongIssuer), so claims.ReasonOf names it. When
// ctx ends while VerifyData waits for a key, the error wraps
// claims.ErrCanceled.
func (v *Verifier) VerifyData(ctx context.Context, raw string) (*Token, error) {
	if raw == "" {
		return nil, claims.ErrMissingToken
	}
	if len(raw) > v.cc.maxBytes {
		return nil, fmt.Errorf("alb: token of %d bytes, limit %d: %w", len(raw), v.cc.maxBytes, claims.ErrMalformed)
	}
	seg, err := split(raw)
	if err != nil {
		return nil, err
	}
	var h header
	if err := parseHeader(seg.header, &h); err != nil {
		return nil, err
	}
	if err := v.checkHeader(&h); err != nil {
		return nil, err
	}
	t := &Token{Issuer: h.iss, ClientID: h.client, Signer: h.signer, KeyID: h.kid, Algorithm: h.alg, Expiry: h.exp}
	var p payload
	if err := parsePayload(seg.payload, t, &p); err != nil {
		return nil, err
	}
	if p.hasIss && p.iss != h.iss {
		return nil, fmt.Errorf("alb: payload iss %s is not the header's: %w", quote(p.iss), claims.ErrWrongIssuer)
	}
	if p.hasExp && p.exp.Before(t.Expiry) {
		t.Expiry = p.exp
	}
	if err := v.checkTime(t); err != nil {
		return nil, err
	}
	if len(seg.sig) != es256Size {
		return nil, fmt.Errorf("alb: signature of %d bytes, ES256 is %d (r||s, not ASN.1 DER): %w", len(seg.sig), es256Size, claims.ErrBadSignature)
	}
	key, err := v.keys.lookup(ctx, h.kid)
	if err != nil {
		return nil, err
	}
	if err := jose.VerifyECDSA(h.alg, key, []byte(seg.signingInput), seg.sig); err != nil {
		return nil, fmt.Errorf("alb: kid %s: %w", h.kid, claims.ErrBadSignature)
	}
	v.keys.prove(h.kid, key)
	return t, nil
}

// checkHeader checks the header's values against the configuration.
func (v *Verifier) checkHeader(h *header) error {
	switch {
	case h.alg != "ES256":
		return fmt.Errorf("alb: alg %s, want ES256: %w", quote(h.alg), claims.ErrUnsupportedAlg)
	case !isUUID(h.kid):
		return fmt.Errorf("alb: kid %s is not a UUID: %w", quote(h.kid), claims.ErrMalformed)
	case h.iss != v.cc.issuer:
		return fmt.Errorf("alb: iss %s: %w", quote(h.iss), claims.ErrWrongIssuer)
	case !slices.Contains(v.cc.signers, h.signer):
		return fmt.Errorf("alb: signer %s: %w", quote(h.signer), ErrWrongSigner)
	case !slices.Contains(v.cc.clients, h.client):
		return fmt.Errorf("alb: client %s: %w", quote(h.client), claims.ErrWrongClient)
	}
	return nil
}

// checkTime checks exp, nbf and iat against the clock, with the leeway.
func (v *Verifier) checkTime(t *Token) error {
	now, lw := v.cc.now(), v.cc.leeway
	const layout = "2006-01-02T15:04:05Z"
	switch {
	case !now.Before(t.Expiry.Add(lw)):
		return fmt.Errorf("alb: expired at %s: %w", t.Expiry.UTC().Format(layout), claims.ErrExpired)
	case !t.NotBefore.IsZero() && t.NotBefore.After(now.Add(lw)):
		return fmt.Errorf("alb: not valid before %s: %w", t.NotBefore.UTC().Format(layout), claims.ErrNotYetValid)
	case t.IssuedAt.After(now.Add(lw)):
		return fmt.Errorf("alb: issued at %s: %w", t.IssuedAt.UTC().Format(layout), claims.ErrIssuedInFuture)
	}
	return nil
}
