// Package livecheck asks Amazon Cognito whether it still accepts an access
// token: the live check a route can require on top of verification.
//
// A verified token says only that Cognito signed it and that it has not
// expired. RevokeToken, GlobalSignOut, AdminUserGlobalSignOut, disabling
// or deleting the user end the token at Cognito at once, but a verifier
// that checks signatures and times accepts it until its exp, up to a day
// later. The deny list (package revocation) closes that window for what
// its file names; the live check closes it for whatever Cognito knows, at
// the price of a call: Check sends the token to the user pool's GetUser,
// which answers with the user while Cognito accepts the token and with an
// exception once it does not.
//
//	lc, err := livecheck.New(livecheck.Config{
//		Pools: []livecheck.Pool{{UserPoolID: "eu-west-1_AbC123"}},
//	})
//	...
//	tok, err := verifier.Verify(ctx, raw)
//	...
//	if err := lc.Check(ctx, tok, raw); err != nil {
//		// claims.ReasonOf(err): revoked, identity_mismatch, ...
//	}
//
// # The call
//
// GetUser is a POST of {"AccessToken": "<token>"} to the user pool API,
// https://cognito-idp.<region>.amazonaws.com/, in the AWS JSON 1.1
// protocol (X-Amz-Target AWSCognitoIdentityProviderService.GetUser,
// Content-Type application/x-amz-json-1.1). It is authorized by the access
// token itself: no AWS credentials, no signature, no SDK. The region is
// the one the token's issuer names — the issuer that verified, which must
// be one of Config.Pools' (any other is refused without a call), so the
// address is always one of the configuration's; Pool.Endpoint replaces
// it for an emulator such as cognito-local. Redirects are never followed:
// the token travels in the body.
//
// Only access tokens can be checked, and only those with the scope
// aws.cognito.signin.user.admin, which GetUser requires (the scope Cognito
// grants to tokens of its own sign-in API and to hosted sign-ins that ask
// for it). An ID token is refused with claims.ErrWrongTokenUse (401
// wrong_token_use), a token without the scope — a machine-to-machine
// token among them — with a *claims.ScopeError naming it (403
// insufficient_scope): put such callers on routes without the live check.
//
// # What the answer means
//
//   - 200 with the token's own user (Username equal to its username, the
//     one sub attribute equal to its sub): accepted.
//   - 200 with another user: refused, ErrIdentityMismatch (401
//     identity_mismatch). A misrouted or replayed answer is not believed.
//   - NotAuthorizedException ("Access Token has been revoked", "Access
//     Token has expired", "User is disabled."), UserNotFoundException,
//     PasswordResetRequiredException, UserNotConfirmedException: refused,
//     ErrRevoked (401 revoked).
//   - TooManyRequestsException or 429, a 5xx, a network error, no answer
//     within Config.Timeout: Cognito could not be asked (ErrUnavailable).
//     So are the Checker's own bounds below.
//   - Anything else — another exception, a redirect, a 200 that is not
//     GetUser's answer (strictly decoded), a body over
//     Config.MaxResponseBytes: ErrUnexpectedAnswer, which wraps
//     ErrUnavailable.
//
// When Cognito could not be asked the token is refused (fail closed, the
// default: ErrUnavailable, which package claims maps to
// live_check_unavailable, 503), or accepted with Config.FailOpen — counted (Event.FailOpen) and
// never cached. An unexpected answer is refused in either mode: it means
// the endpoint is not Cognito's, and misconfiguration does not fail open.
//
// # Cost and bounds
//
// A positive answer is cached for Config.CacheTTL (30 s), never past the
// token's exp: a token revoked at Cognito is refused at most that long
// afterwards. A negative one is cached until the token's exp. Failures are
// never cached. The cache is keyed by the SHA-256 of the token — the
// token itself is never held — and bounded (Config.MaxEntries, the least
// recently used forgotten first). Concurrent checks of one token share one
// call. At most Config.MaxConcurrent calls are under way, at most
// Config.Rate a second per endpoint (a token bucket with Config.Burst),
// and after a failed call the endpoint is left alone for Config.Cooldown,
// doubling up to Config.MaxBackoff, so that an outage or throttling is not
// made worse. GetUser's quota is per AWS account and region; see
// Config.Rate for sizing.
//
// All methods are safe for concurrent use; Close ends the calls under way.
package livecheck
