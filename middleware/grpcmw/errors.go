package grpcmw

import "errors"

var (
	// ErrConfig is returned, wrapped with the detail, by New for a
	// middleware that the interceptors cannot honour (nil, or with an
	// HTTP-only hook set), and by PerRPCCredentials and
	// InsecurePerRPCCredentials for a nil TokenFunc.
	ErrConfig = errors.New("grpcmw: invalid config")

	// ErrNoToken is returned, wrapped, by the credentials of
	// PerRPCCredentials when the TokenFunc gave a token that cannot be
	// sent as a bearer credential: empty, or with a space, tab or line
	// break. The call fails before anything is sent.
	ErrNoToken = errors.New("grpcmw: no usable token")

	// ErrInsecure is returned, wrapped, by the credentials of
	// PerRPCCredentials when a call would carry the token over a
	// connection without privacy and integrity (no TLS). The TokenFunc is
	// not called.
	ErrInsecure = errors.New("grpcmw: the token would be sent without transport security")
)
