package claims

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// Errors returned by Verify, one per reason. They are wrapped with detail;
// test them with errors.Is, and map any error to its Reason with ReasonOf.
var (
	// ErrMissingToken means no token was presented.
	ErrMissingToken = errors.New("claims: no token")
	// ErrMalformed means the token is not a well-formed compact JWS with
	// exactly typed JSON header and claims (size, segments, base64url, JSON,
	// duplicate or missing required claims, wrong claim types).
	ErrMalformed = errors.New("claims: malformed token")
	// ErrUnsupportedAlg means the header's alg is not allowed (none, HS*,
	// ES*, PS*, ...) or not one the key may be used with.
	ErrUnsupportedAlg = errors.New("claims: unsupported alg")
	// ErrUnknownKID means the issuer's key set has no key with the token's
	// kid, even after a refresh (or the refresh cooldown had not passed).
	ErrUnknownKID = jwks.ErrKeyNotFound
	// ErrBadSignature means the signature does not verify.
	ErrBadSignature = jwks.ErrBadSignature
	// ErrExpired means exp (plus leeway) has passed.
	ErrExpired = errors.New("claims: token expired")
	// ErrNotYetValid means nbf (minus leeway) is still in the future.
	ErrNotYetValid = errors.New("claims: token not yet valid")
	// ErrIssuedInFuture means iat is later than now plus leeway.
	ErrIssuedInFuture = errors.New("claims: token issued in the future")
	// ErrWrongIssuer means iss is not a configured user pool.
	ErrWrongIssuer = errors.New("claims: issuer not accepted")
	// ErrWrongClient means client_id (access token) or aud (ID token) is not
	// an allowed app client.
	ErrWrongClient = errors.New("claims: app client not accepted")
	// ErrWrongTokenUse means token_use is not "access" or "id", or not the
	// kind the pool accepts.
	ErrWrongTokenUse = errors.New("claims: token_use not accepted")
	// ErrInsufficientScope means a required scope is missing. The error
	// is a *ScopeError naming the scopes that would do.
	ErrInsufficientScope = errors.New("claims: insufficient scope")
	// ErrGroupDenied means the user is in none of the required groups.
	ErrGroupDenied = errors.New("claims: not in a required group")
	// ErrClaimDenied means a claim condition or the custom check failed.
	ErrClaimDenied = errors.New("claims: claim check failed")
	// ErrRevoked means the token is genuine but Config.Denylist reports it
	// revoked (its jti, its sign-in, its user or its app client is on the
	// deny list).
	ErrRevoked = errors.New("claims: token revoked")
	// ErrWrongSigner means a load balancer's data token (package alb) was
	// signed by a load balancer that is not configured.
	ErrWrongSigner = errors.New("claims: not signed by a configured load balancer")
	// ErrIdentityMismatch means credentials that must name one caller (a
	// load balancer's data token, its identity header and access token)
	// name different users or app clients.
	ErrIdentityMismatch = errors.New("claims: credentials name different callers")
	// ErrJWKSUnavailable means the issuer's keys could not be had (never
	// fetched, stale past the limit, or the fetch failed, its own
	// FetchTimeout included): the token could not be checked.
	ErrJWKSUnavailable = jwks.ErrUnavailable
	// ErrCanceled means the caller's context ended (it was cancelled or
	// its deadline passed) while Verify waited — for the issuer's keys, or
	// in Check — so nothing was decided about the token. The error also
	// wraps ctx.Err(). Its reason is ReasonCanceled, never a 503: a client
	// that goes away while keys are fetched is no failure of the key
	// endpoint.
	ErrCanceled = errors.New("claims: request canceled")
	// ErrLiveCheckUnavailable means a live check of the token at Cognito
	// (package livecheck) could not be made: throttling, a 5xx, a timeout,
	// the checker's own bounds or cooldown, or an answer GetUser never
	// gives. The token could not be checked; it says nothing of the token.
	ErrLiveCheckUnavailable = errors.New("claims: live check unavailable")
)

// ErrConfig is matched by every error of New and Config.Validate, each a
// *ConfigError: the configuration would weaken a check or cannot work. It
// is no verification outcome, so ReasonOf maps it to ReasonInternal.
var ErrConfig = errors.New("claims: invalid configuration")

// ConfigError is one problem of a Config. New and Config.Validate return
// the errors.Join of one *ConfigError per problem (nothing else), in a
// fixed order: Pools first (no pool at all, then each pool's problems in
// pool order, each pool's in the order Pool declares its fields), then
// the other fields in the order Config declares them, the key cache's
// (JWKS) in the order jwks.Config declares them. Get at the fields with
// errors.As; every ConfigError matches ErrConfig, and one found by the key
// cache's own checks (a pool's issuer, key set URL or static keys, or the
// JWKS timings) matches jwks.ErrConfig too.
type ConfigError struct {
	// Pool is the index in Config.Pools of the pool at fault, or -1 when
	// the problem is not one pool's.
	Pool int
	// Field is the Go field at fault, relative to the pool for a pool's
	// fields: "UserPoolID", "Region", "Issuer", "IssuerFormats", "Regions",
	// "JWKSURL", "Keys", "AllowHTTP", "ClientIDs", "SkipClientIDCheck",
	// "TokenUse"; otherwise
	// relative to Config: "Pools", "Algorithms", "Leeway", "Denylist", "MaxTokenBytes",
	// "JWKS.FetchTimeout" (and the other jwks.Config fields),
	// "Cache.MaxEntries", "Cache.MaxBytes".
	Field string
	// Key is the same setting as cognito-gate's configuration file names
	// it, relative to the pool for a pool's fields: "user_pool_id",
	// "region", "issuer", "issuer_formats", "regions", "jwks_url", "keys",
	// "allow_http", "client_ids",
	// "skip_client_id_check", "token_use"; otherwise top-level: "pools",
	// "algorithms", "leeway", "revocation", "max_token_bytes", "jwks.fetch_timeout",
	// "jwks.refresh_interval", "jwks.cooldown", "jwks.max_backoff",
	// "jwks.max_staleness", "jwks.max_response_bytes",
	// "token_cache.max_entries", "token_cache.max_bytes".
	Key string
	// Problem says what is wrong, for whoever edits the configuration file:
	// other settings are named by their keys (as in `plain http; set
	// allow_http for local development only`), values are quoted Go-style.
	// It does not repeat Field or Key.
	Problem string

	jwks bool // found by the key cache's checks: also matches jwks.ErrConfig
}

// Error returns the problem for a Go reader: "claims: config: ", "pool
// <n>: " for a pool's problem, the Go field, and the problem with the
// settings it names written as Go fields, e.g. `claims: config: pool 0:
// AllowHTTP: jwks_url "http://..." is plain http; set AllowHTTP for local
// development only` reads `... JWKSURL "http://..." ...`.
func (e *ConfigError) Error() string {
	return msg.ConfigText("claims", msg.Indexed("pool", e.Pool), e.Field, msg.GoNames(e.Problem, fieldOfKey))
}

// Is reports whether target is ErrConfig, or jwks.ErrConfig for a problem
// the key cache's checks found.
func (e *ConfigError) Is(target error) bool {
	return target == ErrConfig || e.jwks && target == jwks.ErrConfig
}

// configErrorf returns the ConfigError of pool (or -1) at field, whose Key
// is the field's key and whose Problem is the formatted text.
func configErrorf(pool int, field, format string, a ...any) *ConfigError {
	return &ConfigError{Pool: pool, Field: field, Key: keyOfField[field], Problem: fmt.Sprintf(format, a...)}
}

// keyOfField maps each field a ConfigError names (or its problem may name)
// to its key.
var keyOfField = map[string]string{
	"UserPoolID":            "user_pool_id",
	"Region":                "region",
	"Issuer":                "issuer",
	"JWKSURL":               "jwks_url",
	"Keys":                  "keys",
	"AllowHTTP":             "allow_http",
	"ClientIDs":             "client_ids",
	"SkipClientIDCheck":     "skip_client_id_check",
	"TokenUse":              "token_use",
	"IssuerFormats":         "issuer_formats",
	"Regions":               "regions",
	"Pools":                 "pools",
	"Algorithms":            "algorithms",
	"Leeway":                "leeway",
	"NoLeeway":              "no_leeway",
	"Denylist":              "revocation",
	"MaxTokenBytes":         "max_token_bytes",
	"JWKS.FetchTimeout":     "jwks.fetch_timeout",
	"JWKS.MaxResponseBytes": "jwks.max_response_bytes",
	"JWKS.RefreshInterval":  "jwks.refresh_interval",
	"JWKS.Cooldown":         "jwks.cooldown",
	"JWKS.MaxBackoff":       "jwks.max_backoff",
	"JWKS.MaxStaleness":     "jwks.max_staleness",
	"Cache.Disabled":        "token_cache.disabled",
	"Cache.MaxEntries":      "token_cache.max_entries",
	"Cache.MaxBytes":        "token_cache.max_bytes",
}

// fieldOfKey is keyOfField reversed, for GoNames.
var fieldOfKey = msg.FieldsOfKeys(keyOfField)

// errorf is msg.Errorf for this package's errors, prefixed "claims: ".
func errorf(format string, a ...any) error { return msg.Errorf("claims: ", format, a...) }

// ScopeError reports a missing scope and the scopes of which one would
// have done (the middleware names them in its WWW-Authenticate challenge).
// The verifier requires no scopes of its own (route requirements are
// package policy's); a Config.Check hook may return a ScopeError. It
// matches ErrInsufficientScope.
type ScopeError struct {
	// AnyOf lists the scopes of which one was required. It belongs to the
	// receiver of the error.
	AnyOf []string
}

func (e *ScopeError) Error() string {
	return "claims: insufficient scope: requires one of " + strings.Join(e.AnyOf, " ")
}

// Unwrap returns ErrInsufficientScope.
func (e *ScopeError) Unwrap() error { return ErrInsufficientScope }

// Reason is the stable, fixed-vocabulary name of an authentication or
// authorization outcome. It is what metrics use as a label, logs as the
// "reason" field and responses as the error_description.
type Reason string

// The reasons. The list is closed: ReasonOf never returns anything else.
const (
	ReasonOK                Reason = "ok"
	ReasonMissingToken      Reason = "missing_token"
	ReasonMalformed         Reason = "malformed"
	ReasonUnsupportedAlg    Reason = "unsupported_alg"
	ReasonUnknownKID        Reason = "unknown_kid"
	ReasonBadSignature      Reason = "bad_signature"
	ReasonExpired           Reason = "expired"
	ReasonNotYetValid       Reason = "not_yet_valid"
	ReasonIssuedInFuture    Reason = "issued_in_future"
	ReasonWrongIssuer       Reason = "wrong_issuer"
	ReasonWrongClient       Reason = "wrong_client"
	ReasonWrongTokenUse     Reason = "wrong_token_use"
	ReasonInsufficientScope Reason = "insufficient_scope"
	ReasonGroupDenied       Reason = "group_denied"
	ReasonClaimDenied       Reason = "claim_denied"
	ReasonJWKSUnavailable   Reason = "jwks_unavailable"
	ReasonInternal          Reason = "internal_error"
	// ReasonBadRequest is a request that cannot be judged as sent: a
	// forward-auth subrequest without the headers that describe the
	// original request, one that carries a spelling of an identity header,
	// a Host that is not a host name or IP literal with at most one port.
	// Answered 400.
	ReasonBadRequest Reason = "bad_request"
	// ReasonNoRule is a request with a valid token that no policy rule
	// matched, denied by the policy's default (403). Without a token such
	// a request is missing_token (401).
	ReasonNoRule Reason = "no_rule"
	// ReasonNonCanonicalPath is a request whose path routers could read
	// differently from the policy (encoded '/', '.', '%', '\\' or ';',
	// control characters, invalid UTF-8), refused unjudged; or one judged
	// only in cleaned form where it cannot be redirected (forward-auth).
	// Answered 400: the request is malformed, whoever sent it.
	ReasonNonCanonicalPath Reason = "non_canonical_path"
	// ReasonCanceled is a request whose client went away (its context was
	// cancelled, or its deadline passed) before it could be checked. It is
	// no failure of the gate or of the key endpoint, and never a 503:
	// nothing is answered (Status is StatusClientClosed, for the record
	// only). Errors wrapping ErrCanceled, and bare context errors, have it.
	ReasonCanceled Reason = "canceled"
	// ReasonRevoked is a genuine token that Config.Denylist reports
	// revoked (ErrRevoked). Answered 401 (invalid_token): the token no
	// longer authenticates anyone.
	ReasonRevoked Reason = "revoked"
	// ReasonWrongSigner is a load balancer's data token signed by a load
	// balancer that is not configured (ErrWrongSigner). Answered 401.
	ReasonWrongSigner Reason = "wrong_signer"
	// ReasonIdentityMismatch is a request whose credentials name different
	// callers (ErrIdentityMismatch), e.g. a load balancer's headers of two
	// users. Answered 401.
	ReasonIdentityMismatch Reason = "identity_mismatch"
	// ReasonLiveCheckUnavailable is a token whose live check at Cognito
	// could not be made (ErrLiveCheckUnavailable) and that the failure
	// mode refused (fail_closed). Answered 503, as jwks_unavailable, but
	// its own label: it pages whoever looks after the Cognito quota or the
	// network path to it, not the key endpoint.
	ReasonLiveCheckUnavailable Reason = "live_check_unavailable"
)

// reasonTable maps sentinels to reasons, most specific first.
var reasonTable = []struct {
	err    error
	reason Reason
}{
	// First: whatever else went wrong, a caller that gave up was given
	// up on.
	{ErrCanceled, ReasonCanceled},
	{ErrMissingToken, ReasonMissingToken},
	{ErrMalformed, ReasonMalformed},
	{ErrUnsupportedAlg, ReasonUnsupportedAlg},
	{jwks.ErrAlgMismatch, ReasonUnsupportedAlg},
	{ErrUnknownKID, ReasonUnknownKID},
	{ErrBadSignature, ReasonBadSignature},
	{ErrExpired, ReasonExpired},
	{ErrNotYetValid, ReasonNotYetValid},
	{ErrIssuedInFuture, ReasonIssuedInFuture},
	{ErrWrongIssuer, ReasonWrongIssuer},
	{jwks.ErrUnknownIssuer, ReasonWrongIssuer},
	{ErrWrongClient, ReasonWrongClient},
	{ErrWrongTokenUse, ReasonWrongTokenUse},
	{ErrInsufficientScope, ReasonInsufficientScope},
	{ErrGroupDenied, ReasonGroupDenied},
	{ErrClaimDenied, ReasonClaimDenied},
	{ErrRevoked, ReasonRevoked},
	{ErrWrongSigner, ReasonWrongSigner},
	{ErrIdentityMismatch, ReasonIdentityMismatch},
	{ErrJWKSUnavailable, ReasonJWKSUnavailable},
	{jwks.ErrClosed, ReasonJWKSUnavailable},
	{ErrLiveCheckUnavailable, ReasonLiveCheckUnavailable},
	// Last: a bare context error. Verify never returns one (a fetch's own
	// timeout is wrapped in ErrJWKSUnavailable, the caller's end in
	// ErrCanceled, a Check hook's context error on a live request in
	// ErrClaimDenied), so one that gets here came from the caller's own
	// context, e.g. through another Verifier implementation.
	{context.Canceled, ReasonCanceled},
	{context.DeadlineExceeded, ReasonCanceled},
}

// ReasonOf maps an error from this package (or jwks) to its Reason: nil is
// ReasonOK, an error outside the vocabulary is ReasonInternal.
//
// An error that wraps ErrCanceled is ReasonCanceled whatever else it
// wraps. A bare context.Canceled or context.DeadlineExceeded (one that
// wraps no sentinel of this package or jwks) is ReasonCanceled too: errors
// of Verify never are bare context errors, so such an error can only be
// the caller's own context ending, and it must never read as
// jwks_unavailable (503, which pages whoever runs the gate). A context
// error wrapped in a sentinel takes the sentinel's reason: a key fetch
// that timed out is jwks_unavailable, a Check hook that returned
// context.Canceled for a live request is claim_denied.
func ReasonOf(err error) Reason {
	if err == nil {
		return ReasonOK
	}
	for _, e := range reasonTable {
		if errors.Is(err, e.err) {
			return e.reason
		}
	}
	return ReasonInternal
}

// Reasons returns every reason, ReasonOK first, e.g. to initialise metric
// label values.
func Reasons() []Reason {
	return []Reason{
		ReasonOK, ReasonMissingToken, ReasonMalformed, ReasonUnsupportedAlg, ReasonUnknownKID,
		ReasonBadSignature, ReasonExpired, ReasonNotYetValid, ReasonIssuedInFuture,
		ReasonWrongIssuer, ReasonWrongClient, ReasonWrongTokenUse, ReasonInsufficientScope,
		ReasonGroupDenied, ReasonClaimDenied, ReasonJWKSUnavailable, ReasonInternal,
		ReasonBadRequest, ReasonNoRule, ReasonNonCanonicalPath, ReasonCanceled, ReasonRevoked,
		ReasonWrongSigner, ReasonIdentityMismatch, ReasonLiveCheckUnavailable,
	}
}

// StatusClientClosed is the status recorded (never sent) for
// ReasonCanceled: nginx's 499, "client closed request".
const StatusClientClosed = 499

// Status returns the HTTP status for the reason: 200 for ReasonOK, 403 for
// an authenticated caller who lacks a scope, group or claim, 503 when keys
// were unavailable or a live check could not be made, 500 for ReasonInternal, and 401 for everything else.
func (r Reason) Status() int {
	switch r {
	case ReasonOK:
		return http.StatusOK
	case ReasonInsufficientScope, ReasonGroupDenied, ReasonClaimDenied, ReasonNoRule:
		return http.StatusForbidden
	case ReasonJWKSUnavailable, ReasonLiveCheckUnavailable:
		return http.StatusServiceUnavailable
	case ReasonInternal:
		return http.StatusInternalServerError
	case ReasonBadRequest, ReasonNonCanonicalPath:
		return http.StatusBadRequest
	case ReasonCanceled:
		return StatusClientClosed
	default:
		return http.StatusUnauthorized
	}
}
