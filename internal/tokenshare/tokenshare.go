// Package tokenshare lets this module's own code read a verified token
// from the verified-token cache of a claims.Verifier without the copy that
// Verify makes for every caller (a new struct and new Groups, Scopes,
// Roles and Identities: one allocation of about 600 bytes per cached
// request).
//
// A shared token is the cache's own: whatever writes to it is seen by
// every later request with the same token, and judged by the policy. So
// it is given only to code of this module that reads it (the policy, the
// middleware's log and metrics, cognito-gate serve's identity headers,
// assertion and upgrade watch, its forward-auth and ext_authz answers),
// and every path that hands a token to
// other code — claims.FromContext, middleware.Outcome.Token,
// middleware.Result.Token, Config.OnSuccess, a LiveChecker, a
// claims.Config.Check hook — hands out a copy (Clone), made when it is
// first asked for. Being internal, no package outside this module can
// import it.
package tokenshare

import (
	"context"
	"time"
)

// Verify verifies raw with v, a *claims.Verifier, exactly as its Verify
// does, and returns the token (a *claims.Token) and whether it is shared:
// the cache's own token, which must not be written. A token that is not
// shared (a miss, or a hit with a claims.Config.Check, which runs on a
// copy) is the caller's. Set by package claims.
//
// timed reports whether the verification did anything that takes time —
// a signature check, a wait for a key set, a Check hook — and took how
// long it did, from the first such step to the end; a cache hit that
// needed none of them is not timed (no clock is read for it).
var Verify func(v any, ctx context.Context, raw string) (tok any, shared bool, took time.Duration, timed bool, err error)

// Since is the monotonic time since a fixed origin, for timing an interval
// with one clock read at each end (time.Now reads the wall clock too).
func Since() time.Duration { return time.Since(origin) }

var origin = time.Now()

// Stopwatch times the part of one verification that can take time: Start
// at the first such step (again is a no-op), Elapsed at the end.
type Stopwatch struct {
	start time.Duration
	on    bool
}

// Start starts the stopwatch unless it runs; on a nil Stopwatch (nothing
// is timed) it does nothing.
func (s *Stopwatch) Start() {
	if s != nil && !s.on {
		s.start, s.on = Since(), true
	}
}

// Elapsed returns the time since Start, and false if it never started.
func (s *Stopwatch) Elapsed() (time.Duration, bool) {
	if !s.on {
		return 0, false
	}
	return Since() - s.start, true
}

// Clone returns a deep copy of tok, a *claims.Token, as Verify gives each
// caller. Set by package claims.
var Clone func(tok any) any

// AuthorizeExact is a func(*middleware.Middleware, *http.Request)
// middleware.Result: AuthorizeExact, for this module's forward-auth and
// ext_authz answers, with Result.Token as the middleware holds it — when
// the cache answered, the cache's own, which they only read (identity
// headers, the assertion). Held as an any of that func type (this package
// cannot name the middleware's types; a Result returned as an any would
// cost an allocation). Set by package middleware.
var AuthorizeExact any

// ContextKey is the context key under which the middleware's context of an
// admitted request answers the token it verified as it is, shared or not
// (a *claims.Token), for this module's readers; claims.FromContext answers
// a copy of a shared one.
type ContextKey struct{}
