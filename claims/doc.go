// Package claims verifies Amazon Cognito access and ID tokens.
//
// A Verifier is built once from a Config naming the accepted user pools,
// their app clients and token kinds; New refuses a configuration that would
// silently weaken a check. Verify then checks one compact JWT: its shape,
// its header (alg allowlist, kid), exact claim decoding, the issuer, the
// RS256 signature against the pool's key set (package jwks), token_use,
// client_id or aud, exp, nbf and iat with a bounded leeway, and optional
// scope, group and custom requirements. The result is a *Token with typed
// accessors for Cognito's claims.
//
// Every failure wraps one of the sentinel errors in errors.go; ReasonOf maps
// it to a Reason, the fixed vocabulary shared by metrics, logs and HTTP
// responses, and Reason.Status gives the HTTP status (401, 403 or 503).
//
// NewContext and FromContext carry a verified Token in a context.Context.
package claims
