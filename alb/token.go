package alb

import (
	"bytes"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// DataTokenUse is the claims.Token.Use of the tokens ClaimsToken returns:
// a data token is neither an access token nor an ID token, so a policy
// rule that requires either does not match it, and one that requires
// scopes or groups (which the data token does not carry: they are the
// access token's) denies it.
const DataTokenUse claims.TokenUse = "alb_data"

// Token is a verified data token (x-amzn-oidc-data). VerifyData returns
// it only when every check passed; each Token is the caller's own.
type Token struct {
	// Subject is the payload's sub: the user's id at the identity provider
	// (with Cognito, the user pool's sub).
	Subject string
	// Username, Email, EmailVerified and Name are the payload's username,
	// email, email_verified and name, when present.
	Username      string
	Email         string
	EmailVerified bool
	Name          string

	// Issuer is the header's iss, ClientID its client, Signer its signer
	// (the load balancer's ARN), KeyID its kid and Algorithm its alg
	// ("ES256").
	Issuer, ClientID, Signer, KeyID, Algorithm string

	// Expiry is the header's exp, or the payload's when it has an earlier
	// one. IssuedAt and NotBefore are the payload's iat and nbf (zero when
	// absent: the load balancer writes neither).
	Expiry, IssuedAt, NotBefore time.Time

	payload []byte // the decoded user claims, exactly as signed; never written
}

// Payload returns a copy of the user claims JSON exactly as signed. Verify
// read all of it with the strict decoder: it is one JSON object, valid
// UTF-8, with no member name twice in any object.
func (t *Token) Payload() []byte { return bytes.Clone(t.payload) }

// ClaimsToken returns the token as a *claims.Token, for
// claims.NewContext, the policy and the middleware: Use DataTokenUse,
// Issuer, Subject, Username, ClientID, Email, EmailVerified, the times,
// KeyID and Algorithm set from t; no groups, scopes or roles. Its Claim,
// Claims, Decode and Payload read the signed user claims (of a Token from
// VerifyData), so policy conditions on any claim of the payload work.
func (t *Token) ClaimsToken() *claims.Token {
	fields := claims.Token{
		Use:           DataTokenUse,
		Issuer:        t.Issuer,
		Subject:       t.Subject,
		Username:      t.Username,
		ClientID:      t.ClientID,
		Email:         t.Email,
		EmailVerified: t.EmailVerified,
		Expiry:        t.Expiry,
		IssuedAt:      t.IssuedAt,
		NotBefore:     t.NotBefore,
		KeyID:         t.KeyID,
		Algorithm:     t.Algorithm,
	}
	tok, err := claims.NewToken(fields, t.payload)
	if err != nil {
		// Not a Token of VerifyData (whose payload the same strict decoder
		// read): the fields alone, no claims.
		return &fields
	}
	return tok
}
