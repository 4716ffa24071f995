package cognitotest

import (
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// TokenOption changes one aspect of a token minted by Pool.AccessToken or
// Pool.IDToken. See fakepool.TokenOption for how options combine; each
// option below is the fakepool option of the same name.
type TokenOption = fakepool.TokenOption

// WithUsername sets the username and cognito:username claims; the sub is a
// UUID stable per username (fakepool.WithUsername).
func WithUsername(username string) TokenOption { return fakepool.WithUsername(username) }

// WithSubject sets the sub claim (fakepool.WithSubject).
func WithSubject(sub string) TokenOption { return fakepool.WithSubject(sub) }

// WithGroups sets cognito:groups (fakepool.WithGroups).
func WithGroups(groups ...string) TokenOption { return fakepool.WithGroups(groups...) }

// WithScopes sets the scope claim of access tokens; it panics on a scope
// that is not an RFC 6749 scope-token (fakepool.WithScopes).
func WithScopes(scopes ...string) TokenOption { return fakepool.WithScopes(scopes...) }

// WithClientID sets the client_id of access tokens and the aud of ID
// tokens (fakepool.WithClientID).
func WithClientID(id string) TokenOption { return fakepool.WithClientID(id) }

// WithIssuer sets the iss claim (fakepool.WithIssuer).
func WithIssuer(iss string) TokenOption { return fakepool.WithIssuer(iss) }

// WithIssuedAt sets iat and auth_time; exp follows unless WithExpiry is
// given (fakepool.WithIssuedAt).
func WithIssuedAt(t time.Time) TokenOption { return fakepool.WithIssuedAt(t) }

// WithExpiry sets exp (fakepool.WithExpiry).
func WithExpiry(t time.Time) TokenOption { return fakepool.WithExpiry(t) }

// WithLifetime sets exp to iat plus d (fakepool.WithLifetime).
func WithLifetime(d time.Duration) TokenOption { return fakepool.WithLifetime(d) }

// WithClaim adds or replaces a claim (fakepool.WithClaim).
func WithClaim(name string, value any) TokenOption { return fakepool.WithClaim(name, value) }

// WithoutClaim removes a claim (fakepool.WithoutClaim).
func WithoutClaim(name string) TokenOption { return fakepool.WithoutClaim(name) }

// WithHeader adds or replaces a header field; the token is still signed
// with RS256 by the key the pool would have used (fakepool.WithHeader).
func WithHeader(name string, value any) TokenOption { return fakepool.WithHeader(name, value) }

// WithoutHeader removes a header field (fakepool.WithoutHeader).
func WithoutHeader(name string) TokenOption { return fakepool.WithoutHeader(name) }

// WithUnpublishedKey signs with a key of the pool that is never in its
// JWKS (fakepool.WithUnpublishedKey).
func WithUnpublishedKey() TokenOption { return fakepool.WithUnpublishedKey() }

// WithKeyID signs with the pool's key kid, published or retired; minting
// panics when the pool never had it (fakepool.WithKeyID).
func WithKeyID(kid string) TokenOption { return fakepool.WithKeyID(kid) }
