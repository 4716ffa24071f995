package alb

import (
	"fmt"

	"github.com/cognito-gate/cognito-gate/claims"
)

// The headers a load balancer's authenticate action adds to the requests
// it forwards, in canonical form.
const (
	// DataHeader holds the data token: the user claims, signed by the
	// load balancer (VerifyData).
	DataHeader = "X-Amzn-Oidc-Data"
	// AccessTokenHeader holds the access token the identity provider
	// issued to the listener rule's app client; with Cognito, a user
	// pool access token (claims.Verifier), where groups and scopes are.
	AccessTokenHeader = "X-Amzn-Oidc-Accesstoken"
	// IdentityHeader holds the user's sub, unsigned.
	IdentityHeader = "X-Amzn-Oidc-Identity"
)

// CheckIdentity checks that the three headers of one request describe one
// user of one app client, and returns nil or an error wrapping
// ErrIdentityMismatch (claims.ErrWrongTokenUse when access is not an
// access token):
//
//   - data, the verified data token, and access, the verified access
//     token, must both be given;
//   - identity, the x-amzn-oidc-identity value, must equal data's sub
//     exactly;
//   - access must be an access token, and its sub, issuer and client_id
//     must equal data's sub, iss and client: the load balancer gets that
//     access token for the listener rule's app client, from the pool
//     whose issuer signs the user in.
//
// Each header is set by the load balancer, but a request from anything
// else can carry any of them; the signatures make each one genuine, this
// check makes them one user's: a valid data token of one user beside a
// valid access token of another (both replayed from elsewhere) is
// refused rather than judged by the other user's groups.
func CheckIdentity(data *Token, identity string, access *claims.Token) error {
	switch {
	case data == nil:
		return fmt.Errorf("alb: no data token: %w", ErrIdentityMismatch)
	case access == nil:
		return fmt.Errorf("alb: no access token: %w", ErrIdentityMismatch)
	case identity == "":
		return fmt.Errorf("alb: no %s header: %w", IdentityHeader, ErrIdentityMismatch)
	case identity != data.Subject:
		return fmt.Errorf("alb: %s %s is not the data token's sub %s: %w", IdentityHeader, quote(identity), quote(data.Subject), ErrIdentityMismatch)
	case access.Use != claims.AccessToken:
		return fmt.Errorf("alb: %s holds a %s token, want access: %w", AccessTokenHeader, quote(string(access.Use)), claims.ErrWrongTokenUse)
	case access.Subject != data.Subject:
		return fmt.Errorf("alb: access token sub %s is not the data token's sub %s: %w", quote(access.Subject), quote(data.Subject), ErrIdentityMismatch)
	case access.Issuer != data.Issuer:
		return fmt.Errorf("alb: access token iss %s is not the data token's iss %s: %w", quote(access.Issuer), quote(data.Issuer), ErrIdentityMismatch)
	case access.ClientID != data.ClientID:
		return fmt.Errorf("alb: access token client_id %s is not the data token's client %s: %w", quote(access.ClientID), quote(data.ClientID), ErrIdentityMismatch)
	}
	return nil
}
