package alb

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// Errors of Verify that package claims has no sentinel for. Every other
// failure wraps one of claims' sentinels (claims.ErrMalformed,
// claims.ErrUnsupportedAlg, claims.ErrUnknownKID, claims.ErrBadSignature,
// claims.ErrExpired, claims.ErrNotYetValid, claims.ErrIssuedInFuture,
// claims.ErrWrongIssuer, claims.ErrWrongClient, claims.ErrJWKSUnavailable,
// claims.ErrCanceled, claims.ErrMissingToken), so that claims.ReasonOf
// names every error of this package with a reason of the fixed list and
// the middleware answers it as it answers a Cognito token's.
var (
	// ErrWrongSigner means the header's signer is not one of
	// Config.Signers: the token was signed by another load balancer (one
	// in another account, say, whose keys the region's endpoint serves
	// too). It wraps claims.ErrWrongSigner (reason wrong_signer, 401).
	ErrWrongSigner error = msg.Sentinel("alb: signer not accepted", claims.ErrWrongSigner)

	// ErrIdentityMismatch means the headers of one request do not name
	// the same user and app client: the data token's sub, the
	// x-amzn-oidc-identity header and the access token's sub, issuer and
	// client (see CheckIdentity). Only something other than the load
	// balancer writes such a request. It wraps claims.ErrIdentityMismatch
	// (reason identity_mismatch, 401).
	ErrIdentityMismatch error = msg.Sentinel("alb: identity headers disagree", claims.ErrIdentityMismatch)
)

// ErrConfig is matched by every error of New and Config.Validate, each a
// *ConfigError, and by the error of VerifyHeaders called without an
// AccessVerifier (a mistake in the program, reason internal_error).
var ErrConfig = errors.New("alb: invalid configuration")

// ConfigError is one problem of a Config. New and Config.Validate return
// the errors.Join of one ConfigError per problem, in the order Config
// declares its fields. Get at the fields with errors.As; every ConfigError
// matches ErrConfig, and one the key settings' own checks found
// (Config.Keys, a jwks.Config) matches jwks.ErrConfig too.
type ConfigError struct {
	// Field is the Go field at fault, relative to Config: "Region",
	// "KeyURL", "AllowHTTP", "Issuer", "Signers", "ClientIDs", "Leeway",
	// "MaxTokenBytes", "MaxKeys", "MaxNewKeyFetches", or "Keys." and a
	// field of jwks.Config ("Keys.Cooldown").
	Field string
	// Key is the same setting as cognito-gate's configuration file names
	// it: relative to the file's alb section ("region", "key_url",
	// "allow_http", "issuer", "signers", "client_ids", "leeway",
	// "max_token_bytes", "max_keys", "max_new_key_fetches"), except for
	// the key fetch timings, which are the file's top-level jwks settings
	// ("jwks.cooldown"): one set of timings for every key the gate
	// fetches.
	Key string
	// Problem says what is wrong, for whoever edits the configuration
	// file; values are quoted Go-style. It does not repeat Field or Key.
	Problem string

	jwks bool // found by jwks.Config.Validate
}

// Error returns "alb: config: ", the Go field and the problem.
func (e *ConfigError) Error() string {
	return msg.ConfigText("alb", "", e.Field, e.Problem)
}

// Is reports whether target is ErrConfig, or jwks.ErrConfig for a problem
// of Config.Keys.
func (e *ConfigError) Is(target error) bool {
	return target == ErrConfig || e.jwks && target == jwks.ErrConfig
}

// configErrorf returns the ConfigError of field, with its key.
func configErrorf(field, format string, a ...any) *ConfigError {
	return &ConfigError{Field: field, Key: keyOfField[field], Problem: fmt.Sprintf(format, a...)}
}

// keyOfField maps each Config field to its configuration file key.
var keyOfField = map[string]string{
	"Region":           "region",
	"KeyURL":           "key_url",
	"AllowHTTP":        "allow_http",
	"Issuer":           "issuer",
	"Signers":          "signers",
	"ClientIDs":        "client_ids",
	"Leeway":           "leeway",
	"MaxTokenBytes":    "max_token_bytes",
	"MaxKeys":          "max_keys",
	"MaxNewKeyFetches": "max_new_key_fetches",
}

// fromJWKS turns the joined *jwks.ConfigErrors of Config.Keys.Validate
// into this package's, their fields prefixed with "Keys.".
func fromJWKS(err error) []*ConfigError {
	var out []*ConfigError
	for _, e := range unjoin(err) {
		je := &jwks.ConfigError{Problem: strings.TrimPrefix(e.Error(), "jwks: config: ")}
		errors.As(e, &je)
		out = append(out, &ConfigError{Field: "Keys." + je.Field, Key: je.Key, Problem: je.Problem, jwks: true})
	}
	return out
}

// unjoin returns the errors joined in err (err itself when it joins none;
// nothing for nil).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// quote returns s, which may come from a token, clipped to 64 bytes
// (msg.Clip) and Go-quoted, for an error message.
func quote(s string) string { return strconv.Quote(msg.Clip(s, 64)) }
