package livecheck

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// Errors of Check. A token the check refuses gets an error that wraps
// one of package claims' sentinels, so that claims.ReasonOf names it with
// a reason of the fixed list and the middleware answers it as it answers
// a token that fails verification: ErrRevoked (claims.ErrRevoked),
// ErrIdentityMismatch (claims.ErrIdentityMismatch), and for tokens that
// cannot be checked at all claims.ErrWrongIssuer (an issuer of no
// configured pool), claims.ErrWrongTokenUse (an ID token),
// claims.ErrInsufficientScope (a *claims.ScopeError: no
// aws.cognito.signin.user.admin scope), claims.ErrExpired,
// claims.ErrMissingToken (a nil token) and claims.ErrCanceled (the
// caller's context ended).
var (
	// ErrRevoked means Cognito no longer accepts the token: GetUser
	// answered NotAuthorizedException (revoked by RevokeToken or a global
	// sign-out, expired, the user disabled), UserNotFoundException (the
	// user deleted), PasswordResetRequiredException or
	// UserNotConfirmedException. It wraps claims.ErrRevoked (reason
	// revoked, 401).
	ErrRevoked error = msg.Sentinel("livecheck: cognito no longer accepts the token", claims.ErrRevoked)

	// ErrIdentityMismatch means GetUser accepted the token for another user
	// than the token names (its Username or its sub attribute differ from
	// the token's username and sub), or that raw is not the token the
	// caller verified. Cognito never answers so for its own token: the
	// answer is another's (a misrouted or replayed response) and is not
	// believed. It wraps claims.ErrIdentityMismatch (reason
	// identity_mismatch, 401).
	ErrIdentityMismatch error = msg.Sentinel("livecheck: the answer names another user", claims.ErrIdentityMismatch)

	// ErrUnavailable means Cognito could not be asked, or did not answer
	// usefully: a timeout, a network error, a 5xx, throttling
	// (TooManyRequestsException, 429), the Checker's own bounds (rate,
	// concurrency, the cooldown after a failure), or an unexpected answer
	// (ErrUnexpectedAnswer), or the Checker is closed (ErrClosed). With
	// Config.FailOpen the token is accepted instead, except for an
	// unexpected answer and a closed Checker. It wraps
	// claims.ErrLiveCheckUnavailable (reason live_check_unavailable, 503):
	// refused, never let through, and never reported as a
	// jwks_unavailable that would send whoever is paged to the key
	// endpoint.
	ErrUnavailable error = msg.Sentinel("livecheck: cognito could not be asked", claims.ErrLiveCheckUnavailable)

	// ErrUnexpectedAnswer means GetUser answered what it never answers:
	// a status other than 200, 4xx and 5xx (a redirect, say, which is
	// never followed), a 200 that is not a JSON object of its shape with
	// Content-Type application/x-amz-json-1.1 and exactly one sub
	// attribute, a body over Config.MaxResponseBytes, an exception Check
	// does not know (ResourceNotFoundException for a pool that does not
	// exist, InvalidParameterException, ForbiddenException from a web
	// ACL). It wraps ErrUnavailable but is never accepted by FailOpen: it
	// is a misconfiguration (an endpoint that is not Cognito's) or an
	// attack, and misconfiguration does not fail open.
	ErrUnexpectedAnswer error = msg.Sentinel("livecheck: unexpected answer", ErrUnavailable)

	// ErrClosed means Check was called after Close, or Close ended the
	// call it waited for. It wraps ErrUnavailable and is never accepted
	// by FailOpen.
	ErrClosed error = msg.Sentinel("livecheck: checker closed", ErrUnavailable)
)

// ErrConfig is matched by every error of New and Config.Validate, each a
// *ConfigError.
var ErrConfig = errors.New("livecheck: invalid configuration")

// ConfigError is one problem of a Config. New and Config.Validate return
// the errors.Join of one *ConfigError per problem: Pools first, each
// pool's in the order Pool declares its fields, then the other fields in
// the order Config declares them. Get at the fields with errors.As; every
// ConfigError matches ErrConfig.
type ConfigError struct {
	// Pool is the index in Config.Pools of the pool at fault, or -1 when
	// the problem is not one pool's.
	Pool int
	// Field is the Go field at fault, relative to the pool for a pool's
	// fields ("UserPoolID", "Regions", "Issuer", "Endpoint", "AllowHTTP"),
	// otherwise relative to Config ("Pools", "Timeout", ...).
	Field string
	// Key is the same setting as cognito-gate's configuration file names
	// it: relative to the pool's entry of the file's pools list for a
	// pool's fields ("user_pool_id", "regions", "issuer",
	// "live_check_endpoint", "allow_http"), otherwise the key of the
	// file's live_check section ("live_check.timeout", ...); "pools" for
	// a Config without pools.
	Key string
	// Problem says what is wrong, for whoever edits the configuration
	// file; values are quoted Go-style. It does not repeat Field or Key.
	Problem string
}

// Error returns "livecheck: config: ", "pool <n>: " for a pool's problem,
// the Go field and the problem.
func (e *ConfigError) Error() string {
	return msg.ConfigText("livecheck", msg.Indexed("pool", e.Pool), e.Field, e.Problem)
}

// Is reports whether target is ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// configErrorf returns the ConfigError of pool (or -1) at field, with its
// key.
func configErrorf(pool int, field, format string, a ...any) *ConfigError {
	return &ConfigError{Pool: pool, Field: field, Key: keyOfField[field], Problem: fmt.Sprintf(format, a...)}
}

// keyOfField maps each field a ConfigError names to its key.
var keyOfField = map[string]string{
	"UserPoolID":       "user_pool_id",
	"Regions":          "regions",
	"Issuer":           "issuer",
	"Endpoint":         "live_check_endpoint",
	"AllowHTTP":        "allow_http",
	"Pools":            "pools",
	"Timeout":          "live_check.timeout",
	"MaxResponseBytes": "live_check.max_response_bytes",
	"CacheTTL":         "live_check.cache_ttl",
	"MaxEntries":       "live_check.max_entries",
	"MaxConcurrent":    "live_check.max_concurrent",
	"Rate":             "live_check.rate",
	"Burst":            "live_check.burst",
	"Cooldown":         "live_check.cooldown",
	"MaxBackoff":       "live_check.max_backoff",
}

// errorf is msg.Errorf for this package's errors, prefixed "livecheck: ".
func errorf(format string, a ...any) error { return msg.Errorf("livecheck: ", format, a...) }

// quote returns s, which may come from a response or a token, clipped to
// 64 bytes (msg.Clip) and Go-quoted, for an error message.
func quote(s string) string { return strconv.Quote(msg.Clip(s, 64)) }
