package alb

import (
	"context"
	"errors"
	"net/http"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Headers verifies the three headers of a request for the middleware
// (middleware.Config.Headers): the token the policy judges is the access
// token, which carries the user's groups and scopes, tied to the data
// token and x-amzn-oidc-identity by VerifyHeaders.
type Headers struct {
	Data   *Verifier      // the load balancer's data token
	Access AccessVerifier // the access token: the pool and the rule's app client, token_use access
}

// VerifyHeaders is Data.VerifyHeaders(ctx, h, Access), returning the
// access token.
func (hv Headers) VerifyHeaders(ctx context.Context, h http.Header) (*claims.Token, error) {
	if hv.Data == nil || hv.Access == nil {
		return nil, errors.New("alb: Headers needs Data and Access")
	}
	_, tok, err := hv.Data.VerifyHeaders(ctx, h, hv.Access)
	return tok, err
}
