package cognitotest

import "github.com/cognito-gate/cognito-gate/cognitotest/fakepool"

// Session is fakepool.Session: the access, ID and refresh tokens of one
// sign-in (Pool.SignIn), which Pool.Refresh renews and Pool.RevokeToken
// ends.
type Session = fakepool.Session

// APIError is fakepool.APIError: an error answer of the pool's user pool
// API (Pool.APIURL) and of its revocation methods, such as
// NotAuthorizedException "Access Token has been revoked".
type APIError = fakepool.APIError
