// Package alb verifies the user claims an Application Load Balancer
// passes to its targets after an authenticate-cognito (or
// authenticate-oidc) action: the x-amzn-oidc-data header, a JWT the load
// balancer signs with ES256.
//
// A Verifier is built once from a Config naming the region, the load
// balancers (Signers, by ARN), the app clients of their listener rules
// and the issuer; New refuses a Config without any of them. VerifyData
// then checks one header value and returns a *Token; Verify returns the
// same as a *claims.Token, so a *Verifier is a middleware.Config.Verifier
// as it is. VerifyHeaders verifies all three headers of a request: the
// data token, the access token (x-amzn-oidc-accesstoken, by a
// *claims.Verifier: it is where a Cognito user's groups and scopes are,
// and what a policy judges) and x-amzn-oidc-identity, tied to one user of
// one app client by CheckIdentity.
//
// # What AWS documents, and what is checked
//
// The Elastic Load Balancing user guide ("User claims encoding and
// signature verification") describes the token: a header with alg, kid,
// signer (the load balancer's ARN), iss, client and exp; a payload with
// the user claims of the identity provider's userinfo endpoint (sub,
// email, username, …); the signature ECDSA P-256 SHA-256; the segments
// base64url "with padding characters at the end"; the key a PEM public
// key at https://public-keys.auth.elb.<region>.amazonaws.com/<kid> (and
// an S3 address in each GovCloud region). This package checks, before
// looking up any key (see Verifier.VerifyData for the order):
//
//   - alg is ES256, and the signature is r||s, 64 bytes (RFC 7518 section
//     3.4); an ASN.1 DER signature, what crypto/ecdsa.SignASN1 and most
//     hand-written verifiers produce, is refused. The signature is checked
//     by internal/jose, over the first two segments exactly as sent.
//   - kid is a UUID in canonical text form: 8-4-4-4-12 hex digits, all
//     lowercase or all uppercase (never mixed), version and variant not
//     checked (AWS's own example has neither). The kid becomes the last
//     path segment of the key URL, so anything else (a "../x", a "%2F",
//     a "?", a longer string) is refused as malformed and never fetched.
//     The kid is used as sent: an uppercase spelling of a lowercase kid
//     is another kid.
//   - iss, signer and client equal Config.Issuer, one of Config.Signers
//     and one of Config.ClientIDs, byte for byte. The signer matters
//     most: the key endpoint is the region's, not one load balancer's,
//     so a token of another account's load balancer in the region
//     verifies under a key it serves, and only its signer tells it apart.
//     (ARN prefixes, regular expressions or case folding are not
//     offered.)
//   - exp, a NumericDate (an integer from 0 to year 9999; a string, a
//     fraction or milliseconds are malformed), has not passed, with the
//     leeway (at most claims.MaxLeeway); the token expires at the earlier
//     of the header's exp and the payload's, when the payload has one.
//   - The payload is one JSON object with a non-empty string sub; its iss,
//     when present, equals the header's; its nbf and iat, when present,
//     are checked as package claims checks them. sub, username, email and
//     name must be strings, email_verified a boolean or "true"/"false".
//     Other claims are kept (Token.Payload) and not interpreted.
//   - Header and payload are decoded by internal/jsonstrict, as package
//     claims decodes a Cognito token's: a duplicate member name (also
//     spelled with escapes), invalid UTF-8 or a lone surrogate escape,
//     nesting deeper than 64 levels or anything RFC 8259 does not allow
//     is malformed. A crit header is refused; jku, x5u, jwk, x5c, typ and
//     unknown header members are ignored — the key comes only from the
//     configured endpoint.
//
// The region is configuration, never taken from a token or an ARN at
// verification time; Config.KeyURL overrides the endpoint (required in
// partitions where AWS documents none).
//
// # Padding
//
// RFC 7515 forbids padding in a JWS; the load balancer writes it. For
// this header only, and unlike package claims, a token is accepted in
// exactly two forms: every segment padded as base64url with padding
// encodes it (RFC 4648 section 5: the length a multiple of four, "=" or
// "==" where the bytes need it, none where they do not), or every
// segment unpadded. A token mixing the two, with a wrong amount of
// padding, with '+' or '/' (the standard alphabet, which early load
// balancer tokens used, as reported in 2018), with whitespace or line breaks, or
// with non-zero trailing bits (a second spelling of the same bytes) is
// malformed. Every accepted token has one encoding of its bytes per form.
//
// # Keys
//
// Keys are fetched per kid, each answer exactly one PEM "PUBLIC KEY"
// block holding a P-256 ECDSA key, nothing around it but whitespace, at
// most Config.Keys.MaxResponseBytes (8 KiB by default). The cache holds at
// most Config.MaxKeys keys (a key that has verified a token outlasts any
// that has not: forged tokens naming the real kids of other load balancers
// of the region cannot push it out) and follows the rules of package jwks per kid:
// one fetch at a time per kid, a cooldown between attempts that doubles
// after failures, keys refreshed in the background after
// RefreshInterval and refused once MaxStaleness old without a successful
// fetch, a 404 or 403 answer meaning "no such key". Fetches of kids the
// cache does not hold share a budget of Config.MaxNewKeyFetches per
// cooldown: a flood of tokens with made-up UUIDs (which must also carry a
// configured signer, client and issuer and a future exp to get that far)
// costs at most that many requests per cooldown, and the tokens beyond it
// fail at once as unknown_kid. The residual: during such a flood, a
// genuinely new kid (after AWS rotates keys) may wait for the budget too,
// and its users see unknown_kid until a fetch of it gets through; keys
// already held are unaffected, and kids that never had a key cannot push
// them out of the cache.
//
// Fetch errors wrap package jwks' sentinels, and Config.Keys.Observer
// receives a jwks.FetchEvent per fetch (Issuer is the endpoint's base
// URL), so the observers made for key sets report these fetches too.
//
// # Errors
//
// Every error of VerifyData wraps a sentinel of package claims (the ones
// here, ErrWrongSigner and ErrIdentityMismatch, wrap claims.ErrWrongSigner
// and claims.ErrIdentityMismatch), so claims.ReasonOf maps
// it to the fixed reason list and Reason.Status to 401, 499 or 503 as for
// any token. Configuration problems are *ConfigError values, joined, one
// per problem, naming the Go field and the configuration file key.
//
// # Not cached
//
// Verified data tokens are not cached: each VerifyData checks the
// signature again (about 0.1 ms for ES256, see internal/jose).
package alb
