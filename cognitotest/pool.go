package cognitotest

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// Pool is a fake Cognito user pool: a JWKS server on 127.0.0.1 and a
// minter of access and ID tokens. See fakepool.Pool for its methods.
type Pool = fakepool.Pool

// Config describes a fake user pool; the zero value is a valid pool. See
// fakepool.Config.
type Config = fakepool.Config

// Fault makes the JWKS endpoint misbehave (Pool.SetFault). See
// fakepool.Fault.
type Fault = fakepool.Fault

// New starts a pool for the test tb: it fails tb when the pool cannot
// start and closes the pool when the test ends (tb.Cleanup).
func New(tb testing.TB, cfg Config) *Pool {
	tb.Helper()
	p, err := fakepool.New(cfg)
	if err != nil {
		tb.Fatalf("cognitotest.New: %v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

// Start starts a pool that the caller must Close; it is fakepool.New. Use
// it for a pool shared by several tests (started in TestMain, say).
func Start(cfg Config) (*Pool, error) { return fakepool.New(cfg) }

// Defaults of the zero Config; see fakepool's constants of the same names.
const (
	DefaultRegion        = fakepool.DefaultRegion
	DefaultPoolSuffix    = fakepool.DefaultPoolSuffix
	DefaultClientID      = fakepool.DefaultClientID
	DefaultTokenLifetime = fakepool.DefaultTokenLifetime
	DefaultUsername      = fakepool.DefaultUsername
	DefaultScope         = fakepool.DefaultScope
)

// Errors of Start and New; they are fakepool's (errors.Is matches either
// name).
var (
	// ErrInvalidConfig is fakepool.ErrInvalidConfig: a malformed Config.
	ErrInvalidConfig = fakepool.ErrInvalidConfig
	// ErrStart is fakepool.ErrStart: the JWKS server cannot listen.
	ErrStart = fakepool.ErrStart
)
