package assertion

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// Errors of Verify, VerifyRequest and CheckRequest that package claims has
// no sentinel of its own for. Each wraps one of claims' sentinels, so that
// claims.ReasonOf names it with a reason of the fixed list and the
// middleware answers it as it answers any token's. Every other failure
// wraps a claims sentinel directly: claims.ErrMissingToken,
// claims.ErrMalformed, claims.ErrUnsupportedAlg, claims.ErrUnknownKID,
// claims.ErrBadSignature, claims.ErrExpired, claims.ErrIssuedInFuture,
// claims.ErrWrongIssuer, claims.ErrJWKSUnavailable, claims.ErrCanceled.
var (
	// ErrWrongType means the header's typ is not Type: the token is no
	// assertion of this gate (a Cognito token, which has no typ, or
	// another kind of JWT signed by a key the verifier happens to hold).
	// RFC 8725 section 3.11: explicit typing keeps one kind of JWT from
	// being accepted as another. It wraps claims.ErrWrongTokenUse (reason
	// wrong_token_use, 401).
	ErrWrongType = errorf("typ is not %s: %w", Type, claims.ErrWrongTokenUse)

	// ErrWrongAudience means the assertion's aud does not name
	// VerifierConfig.Audience: it was minted for another upstream. It
	// wraps claims.ErrWrongClient (reason wrong_client, 401).
	ErrWrongAudience = errorf("audience: %w", claims.ErrWrongClient)

	// ErrLifetime means exp is more than VerifierConfig.MaxLifetime after
	// iat, or not after it: no gate configured as this package allows
	// mints such an assertion. It wraps claims.ErrMalformed (reason
	// malformed, 401).
	ErrLifetime = errorf("lifetime out of bounds: %w", claims.ErrMalformed)

	// ErrRequestMismatch means the assertion was minted for another
	// request: its htm, host or path is not the method, host or path of
	// the request it arrived with (CheckRequest), or it names none. It
	// wraps claims.ErrIdentityMismatch (reason identity_mismatch, 401):
	// the credential and the request name different things.
	ErrRequestMismatch = errorf("minted for another request: %w", claims.ErrIdentityMismatch)

	// ErrReplayed means the assertion's jti was seen before by this
	// Verifier (VerifierConfig.ReplayCache): it was used once already. It
	// wraps claims.ErrRevoked (reason revoked, 401): a genuine credential
	// that is no longer accepted.
	ErrReplayed = errorf("jti seen before: %w", claims.ErrRevoked)
)

// ErrReplayCacheFull is the error of an assertion that could not be
// recorded because the replay cache holds ReplayCache unexpired jtis. It
// matches no claims sentinel (reason internal_error, 500): the cache is
// sized too small for the traffic, which is the operator's to fix, and
// letting the assertion pass unrecorded would open the hole the cache
// closes.
var ErrReplayCacheFull = errors.New("assertion: replay cache full")

// ErrSign is matched by every error of Signer.Sign: the token or the
// request cannot be put into an assertion (no token, no subject, a
// method, host or path that is empty or not valid UTF-8, an assertion
// over SignerConfig.MaxBytes). The gate must then refuse the request
// rather than forward it without its assertion.
var ErrSign = errors.New("assertion: cannot sign")

// ErrConfig is matched by every error of NewSigner, NewVerifier,
// NewKeySet, KeySet.Set and the key loaders (ParseKey, LoadKeyFile,
// NewKey): each is a *ConfigError.
var ErrConfig = errors.New("assertion: invalid configuration")

// ConfigError is one problem of a configuration or a key. The
// constructors return the errors.Join of one ConfigError per problem, in
// the order the configuration declares its fields. Get at the fields with
// errors.As; every ConfigError matches ErrConfig.
type ConfigError struct {
	// Field is the Go field at fault: of SignerConfig ("Issuer",
	// "Audience", "Lifetime", "Claims", "MaxBytes", "Keys"), of
	// VerifierConfig ("Issuer", "Audience", "JWKS", "JWKSURL",
	// "AllowHTTP", "Leeway", "MaxLifetime", "MaxTokenBytes", "Binding",
	// "ReplayCache", or "Keys." and a field of jwks.Config), of
	// KeySetConfig ("Retain"), or "Key" for a key given to NewKeySet or
	// Set, or read by ParseKey or LoadKeyFile.
	Field string
	// Key is the same setting as cognito-gate's configuration file names
	// it, under its assertion section: "issuer", "audience", "lifetime",
	// "claims", "max_bytes", "key_files", "retain". Settings that only
	// upstream services have (the Verifier's) are named as an upstream's
	// configuration would most likely name them ("jwks_url", "leeway", ...).
	Key string
	// Problem says what is wrong; values are quoted Go-style. It does not
	// repeat Field or Key.
	Problem string
}

// Error returns "assertion: config: ", the Go field and the problem.
func (e *ConfigError) Error() string {
	return "assertion: config: " + e.Field + ": " + e.Problem
}

// Is reports whether target is ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// keyOfField maps each field a ConfigError names to its key.
var keyOfField = map[string]string{
	"Issuer":        "issuer",
	"Audience":      "audience",
	"Lifetime":      "lifetime",
	"Claims":        "claims",
	"MaxBytes":      "max_bytes",
	"Keys":          "key_files",
	"Key":           "key_files",
	"Retain":        "retain",
	"JWKS":          "jwks",
	"JWKSURL":       "jwks_url",
	"AllowHTTP":     "allow_http",
	"Leeway":        "leeway",
	"MaxLifetime":   "max_lifetime",
	"MaxTokenBytes": "max_token_bytes",
	"Binding":       "binding",
	"ReplayCache":   "replay_cache",
}

// problems collects the ConfigErrors of one configuration.
type problems []*ConfigError

// add records a problem of field.
func (p *problems) add(field, format string, a ...any) {
	*p = append(*p, &ConfigError{Field: field, Key: keyOfField[field], Problem: fmt.Sprintf(format, a...)})
}

// addJWKS records the problems of VerifierConfig.Keys that
// jwks.Config.Validate found (joined *jwks.ConfigErrors), under "Keys."
// and their fields.
func (p *problems) addJWKS(err error) {
	if err == nil {
		return
	}
	found := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		found = joined.Unwrap()
	}
	for _, e := range found {
		je := &jwks.ConfigError{Problem: e.Error()}
		errors.As(e, &je)
		*p = append(*p, &ConfigError{Field: "Keys." + je.Field, Key: je.Key, Problem: je.Problem})
	}
}

// err returns the joined problems, or nil when there are none.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	list := make([]error, len(p))
	for i, e := range p {
		list[i] = e
	}
	return errors.Join(list...)
}

// errorf is msg.Errorf for this package's errors, prefixed "assertion: ".
func errorf(format string, a ...any) error { return msg.Errorf("assertion: ", format, a...) }

// quote returns s, which may come from a token or a request, clipped to 64
// bytes (msg.Clip) and Go-quoted, for an error message.
func quote(s string) string { return strconv.Quote(msg.Clip(s, 64)) }
