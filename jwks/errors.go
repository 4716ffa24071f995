package jwks

import (
	"errors"
	"fmt"
)

// Errors returned by this package. They are wrapped with context; test them
// with errors.Is.
var (
	// ErrUnknownIssuer means the issuer is not one the cache was configured
	// with. No network request is made for it.
	ErrUnknownIssuer = errors.New("jwks: issuer not configured")

	// ErrKeyNotFound means the issuer's current key set holds no key with the
	// requested kid, and a refresh either ran and did not find it or was not
	// allowed yet (cooldown).
	ErrKeyNotFound = errors.New("jwks: no key with this kid")

	// ErrUnavailable means no usable key set is held for the issuer: none was
	// ever fetched, or the last good one is older than Config.MaxStaleness.
	// The failure is on the cache's side, not the token's.
	ErrUnavailable = errors.New("jwks: key set unavailable")

	// ErrFetch means the HTTP request for the key set failed (connection,
	// timeout, or the body could not be read).
	ErrFetch = errors.New("jwks: fetch failed")

	// ErrStatus means the endpoint answered with a status other than 200.
	ErrStatus = errors.New("jwks: unexpected http status")

	// ErrTooLarge means the response body exceeded Config.MaxResponseBytes.
	ErrTooLarge = errors.New("jwks: response too large")

	// ErrMalformed means the response is not a JSON object with a "keys"
	// array.
	ErrMalformed = errors.New("jwks: malformed key set")

	// ErrNoUsableKeys means the key set parsed but every key in it was
	// skipped.
	ErrNoUsableKeys = errors.New("jwks: no usable keys")

	// ErrBadSignature means a signature did not verify under the key.
	ErrBadSignature = errors.New("jwks: signature mismatch")

	// ErrAlgMismatch means the token's algorithm is not one the key may be
	// used with.
	ErrAlgMismatch = errors.New("jwks: algorithm not allowed for key")

	// ErrClosed means the cache was closed.
	ErrClosed = errors.New("jwks: cache closed")

	// ErrConfig is matched by every error of New, Validate, Config.Validate
	// and Source.Validate: the configuration or a source cannot work.
	ErrConfig = errors.New("jwks: invalid configuration")
)

// configError is a configuration problem: its text is the detail alone,
// and it matches ErrConfig and whatever the detail wraps.
type configError struct{ err error }

func (e *configError) Error() string   { return e.err.Error() }
func (e *configError) Unwrap() []error { return []error{ErrConfig, e.err} }

// configErrorf returns a configError with the formatted detail.
func configErrorf(format string, a ...any) error {
	return &configError{fmt.Errorf(format, a...)}
}
