package grpcmw

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/credentials"
)

// TokenFunc returns the access token to send with one call, e.g. from a
// cache of client-credentials (M2M) tokens that it refreshes before they
// expire. It is called for every call, with the call's context, and must
// be safe for concurrent use.
type TokenFunc func(ctx context.Context) (string, error)

// PerRPCCredentials returns client credentials that send the token of
// source as "authorization: Bearer <token>" with every call, for
// grpc.WithPerRPCCredentials (every call of a connection) or
// grpc.PerRPCCredentials (one call). It returns an error wrapping
// ErrConfig when source is nil.
//
// The credentials require transport security (RequireTransportSecurity is
// true): grpc-go refuses to create a client with them over
// insecure.NewCredentials(), and each call checks that its connection has
// privacy and integrity (TLS) before source is called, failing with an
// error wrapping ErrInsecure otherwise, because a bearer token sent in the
// clear can be replayed by anyone who sees it. For a plaintext connection
// that cannot be observed (a test on 127.0.0.1), use
// InsecurePerRPCCredentials.
//
// A call whose source fails, or gives a token that is empty or holds a
// space, tab or line break (ErrNoToken), fails before it is sent; grpc-go
// turns the error into the call's status (Unauthenticated for credentials
// of the connection), with the error's text in its message — so source
// must not put the token in its errors.
func PerRPCCredentials(source TokenFunc) (credentials.PerRPCCredentials, error) {
	return newBearer(source, true)
}

// InsecurePerRPCCredentials is PerRPCCredentials without the transport
// security requirement: the token is also sent over plaintext
// connections, where anyone on the path can read and replay it. Use it only
// where the connection cannot be observed: tests on 127.0.0.1, a Unix
// socket to a sidecar.
func InsecurePerRPCCredentials(source TokenFunc) (credentials.PerRPCCredentials, error) {
	return newBearer(source, false)
}

func newBearer(source TokenFunc, secure bool) (credentials.PerRPCCredentials, error) {
	if source == nil {
		return nil, fmt.Errorf("%w: the TokenFunc is nil", ErrConfig)
	}
	return bearer{source: source, secure: secure}, nil
}

// bearer is the PerRPCCredentials of a TokenFunc.
type bearer struct {
	source TokenFunc
	secure bool
}

// GetRequestMetadata returns the authorization metadata of one call.
func (b bearer) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if b.secure {
		ri, _ := credentials.RequestInfoFromContext(ctx)
		if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInsecure, err)
		}
	}
	tok, err := b.source(ctx)
	if err != nil {
		return nil, fmt.Errorf("grpcmw: token source: %w", err)
	}
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return nil, fmt.Errorf("%w: the TokenFunc gave an empty token or one with whitespace", ErrNoToken)
	}
	return map[string]string{"authorization": "Bearer " + tok}, nil
}

// RequireTransportSecurity reports whether the token may only be sent over
// a connection with transport security: true unless the credentials are
// InsecurePerRPCCredentials.
func (b bearer) RequireTransportSecurity() bool { return b.secure }
