package claims

import (
	"reflect"
	"time"
)

// Denylist says whether a verified token has been revoked since Cognito
// issued it. Cognito's own revocation (RevokeToken, GlobalSignOut, a
// disabled or deleted user) ends refresh tokens at once but leaves every
// access and ID token already issued valid to any verifier that checks
// only the signature and the time claims, until its exp: a Denylist
// closes that window. Package revocation provides one, read from a file.
//
// The Verifier asks it about every token that passed every other check
// (signature, issuer, token_use, client, time claims), after those checks
// and before Config.Check, on a full verification and on every
// verified-token cache hit, so that an entry added after a token was
// cached stops that token at its next use. A revoked token is refused with
// ErrRevoked (ReasonRevoked, 401), never cached, and never shown to Check.
//
// Revoked is on the hot path of every request: it must be safe for
// concurrent use, must not block on I/O, and should not allocate. t is the
// Verifier's own token and must not be changed or kept; now is the
// Verifier's clock (Config.Now).
type Denylist interface {
	Revoked(t *Token, now time.Time) bool
}

// isNilDenylist reports whether d holds a nil pointer (or another nil
// value of a type whose methods might still be called): Config.Denylist
// set to a typed nil is a configuration mistake that New refuses rather
// than let every request fail or pass.
func isNilDenylist(d Denylist) bool {
	if d == nil {
		return false
	}
	switch v := reflect.ValueOf(d); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}
