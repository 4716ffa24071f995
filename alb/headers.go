package alb

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cognito-gate/cognito-gate/claims"
)

// AccessVerifier verifies the access token of x-amzn-oidc-accesstoken.
// *claims.Verifier implements it: configure it with the user pool and the
// listener rule's app client, token_use access.
type AccessVerifier interface {
	Verify(ctx context.Context, raw string) (*claims.Token, error)
}

var _ AccessVerifier = (*claims.Verifier)(nil)

// VerifyHeaders verifies the three headers of one request the load
// balancer forwarded and returns the data token and the access token
// (which carries the user's groups and scopes: it is what a policy
// judges). Each header must appear exactly once; then:
//
//   - no x-amzn-oidc-data at all is claims.ErrMissingToken (the request
//     is anonymous: it did not pass an authenticate action);
//   - a repeated header, or a data token without the other two, is
//     claims.ErrMalformed: the load balancer sends the three together, once
//     each, and replaces what a client sent;
//   - the data token is verified by VerifyData, the access token by
//     access, and CheckIdentity ties them and x-amzn-oidc-identity to one
//     user of one app client.
//
// access must not be nil: an application that needs no access token
// calls VerifyData instead.
func (v *Verifier) VerifyHeaders(ctx context.Context, h http.Header, access AccessVerifier) (*Token, *claims.Token, error) {
	if access == nil {
		return nil, nil, fmt.Errorf("alb: VerifyHeaders without an AccessVerifier: %w", ErrConfig)
	}
	vals := [3][]string{h.Values(DataHeader), h.Values(AccessTokenHeader), h.Values(IdentityHeader)}
	if len(vals[0]) == 0 {
		return nil, nil, fmt.Errorf("alb: no %s header: %w", DataHeader, claims.ErrMissingToken)
	}
	for i, name := range [3]string{DataHeader, AccessTokenHeader, IdentityHeader} {
		if len(vals[i]) != 1 {
			return nil, nil, fmt.Errorf("alb: %d %s headers, want 1: %w", len(vals[i]), name, claims.ErrMalformed)
		}
	}
	data, err := v.VerifyData(ctx, vals[0][0])
	if err != nil {
		return nil, nil, err
	}
	tok, err := access.Verify(ctx, vals[1][0])
	if err != nil {
		return nil, nil, err
	}
	if err := CheckIdentity(data, vals[2][0], tok); err != nil {
		return nil, nil, err
	}
	return data, tok, nil
}
