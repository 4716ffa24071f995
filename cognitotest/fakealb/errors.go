package fakealb

import "errors"

// ErrInvalidConfig is returned by New, wrapped with the detail, when a
// Config field is malformed: a region that does not look like an AWS
// region, or a negative token lifetime.
var ErrInvalidConfig = errors.New("fakealb: invalid config")

// ErrStart is returned by New, wrapped with the cause, when the key
// endpoint cannot listen on 127.0.0.1.
var ErrStart = errors.New("fakealb: cannot start the key endpoint")
