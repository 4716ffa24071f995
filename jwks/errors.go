package jwks

import (
	"errors"
	"fmt"

	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// Errors returned by this package. They are wrapped with context; test them
// with errors.Is.
var (
	// ErrUnknownIssuer means the issuer is not one the cache was configured
	// with. No network request is made for it.
	ErrUnknownIssuer = errors.New("jwks: issuer not configured")

	// ErrKeyNotFound means the issuer's current key set holds no key with the
	// requested kid, and a refresh either ran and did not find it or was not
	// allowed yet (cooldown), or the set is static (Source.Keys).
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
	// and Source.Validate: the configuration or a source cannot work. Each
	// such error is a *ConfigError.
	ErrConfig = errors.New("jwks: invalid configuration")
)

// ConfigError is one problem of a Config or a Source. New, Validate,
// Config.Validate and Source.Validate return the errors.Join of one
// ConfigError per problem, in a fixed order: the Config's fields in the
// order Config declares them, then the sources in order, each source's
// fields in the order Source declares them. Every ConfigError matches
// ErrConfig; get at its fields with errors.As.
type ConfigError struct {
	// Source is the index of the source in the list given to New or
	// Validate (0 for Source.Validate), or -1 when the problem is not one
	// source's: a Config field, or no source at all.
	Source int
	// Field is the Go field at fault: "Issuer", "URL", "AllowHTTP" or
	// "Keys" of a Source; "FetchTimeout", "MaxResponseBytes",
	// "RefreshInterval", "Cooldown", "MaxBackoff", "MaxStaleness" or
	// "MaxConcurrentFetches" of a Config. Empty when the problem is no one
	// field's (no sources).
	Field string
	// Key is the same setting as cognito-gate's configuration file names
	// it: "issuer", "jwks_url", "allow_http" or "keys" for a source's fields
	// (relative to the pool whose keys the source holds); "jwks.fetch_timeout",
	// "jwks.max_response_bytes", "jwks.refresh_interval", "jwks.cooldown",
	// "jwks.max_backoff", "jwks.max_staleness" or
	// "jwks.max_concurrent_fetches" for a Config's. Empty when Field is.
	Key string
	// Problem says what is wrong, for whoever edits the configuration file:
	// other settings are named by their keys, values are quoted Go-style.
	// It does not repeat Field or Key.
	Problem string
}

// Error returns the problem for a Go reader: "jwks: config: " (and
// "source <n>: " for a source's problem), the Go field, and the problem
// with the settings it names written as Go fields.
func (e *ConfigError) Error() string {
	return msg.ConfigText("jwks", msg.Indexed("source", e.Source), e.Field, msg.GoNames(e.Problem, fieldOfKey))
}

// Is reports whether target is ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// configErrorf returns the ConfigError of source (or -1) at field; its Key
// is the field's key, its Problem the formatted text.
func configErrorf(source int, field, format string, a ...any) *ConfigError {
	return &ConfigError{Source: source, Field: field, Key: keyOfField[field], Problem: fmt.Sprintf(format, a...)}
}

// keyOfField maps each field a ConfigError can name to its key.
var keyOfField = map[string]string{
	"Issuer":           "issuer",
	"URL":              "jwks_url",
	"AllowHTTP":        "allow_http",
	"Keys":             "keys",
	"FetchTimeout":     "jwks.fetch_timeout",
	"MaxResponseBytes": "jwks.max_response_bytes",
	"RefreshInterval":  "jwks.refresh_interval",
	"Cooldown":         "jwks.cooldown",
	"MaxBackoff":       "jwks.max_backoff",
	"MaxStaleness":     "jwks.max_staleness",

	"MaxConcurrentFetches": "jwks.max_concurrent_fetches",
}

// fieldOfKey is keyOfField reversed, for GoNames.
var fieldOfKey = msg.FieldsOfKeys(keyOfField)

// errorf is msg.Errorf for this package's errors, prefixed "jwks: ".
func errorf(format string, a ...any) error { return msg.Errorf("jwks: ", format, a...) }
