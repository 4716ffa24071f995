package fakepool

import "errors"

// ErrInvalidConfig is returned by New, wrapped with the detail, when a
// Config field is malformed: a region or user pool id that does not look like
// Cognito's, a region that disagrees with the pool id, or a lifetime that is
// not positive.
var ErrInvalidConfig = errors.New("fakepool: invalid config")

// ErrStart is returned by New, wrapped with the cause, when the JWKS
// server cannot listen on 127.0.0.1.
var ErrStart = errors.New("fakepool: cannot start the jwks server")
