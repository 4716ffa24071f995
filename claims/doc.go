// Package claims verifies Amazon Cognito access and ID tokens.
//
// A Verifier is built once from a Config naming the accepted user pools,
// their app clients and token kinds; New refuses a configuration that would
// silently weaken a check (Config.Validate makes the same checks, the key
// cache's included, and reports every problem at once). Verify then checks
// one compact JWT: its shape, its header (alg allowlist, kid), exact claim
// decoding, the issuer, the RS256 signature against the pool's key set
// (package jwks: fetched, or given as Pool.Keys), token_use, client_id or
// aud, exp, nbf and iat with a bounded leeway, an optional deny list
// (Config.Denylist; package revocation reads one from a file) and an
// optional custom Check. The result is a *Token with typed accessors for Cognito's claims
// (and Token.Decode for an application's own), and it is the caller's own
// copy: changing it changes nothing for anyone else, the verified-token
// cache included. What a verified token may do on a route (scopes, groups, claim
// conditions) is decided by package policy, not here.
//
// A pool configured by id accepts both Cognito issuer formats and its
// replica regions' issuers, each with its own key set; only the primary
// issuer's is fetched at start-up, the others when their first token
// arrives (see Pool).
//
// # Strict decoding
//
// The header and the claims are decoded by an exact JSON decoder
// (internal/jsonstrict), because a token is only as safe as the agreement
// of everyone who reads it: the gate, the upstream behind it, and the
// logs. Each of the following makes the token malformed (ErrMalformed,
// 401), in any member, known to this package or not, and in the header as
// in the claims:
//
//   - A string with a lone UTF-16 surrogate escape ("\ud800" not followed
//     by a low surrogate, or a lone "\udc00"), or with bytes that are not
//     valid UTF-8 (a UTF-8 encoded surrogate among them). Other decoders
//     replace these with U+FFFD, so two different names or values would
//     compare equal after decoding in one reader and not in another.
//   - A member name that appears twice in one object, also when spelled
//     with escapes ("token_use" and "\u0074oken_use"): otherwise a later
//     member could override the one another parser read. Names are
//     case-sensitive: "Token_Use" is not token_use.
//   - Arrays and objects nested more than 64 levels deep (the claims object
//     itself is the first level), which bounds the work and stack an
//     attacker's document can cost.
//   - Anything RFC 8259 does not allow (trailing commas, leading zeros,
//     control characters in strings, data after the object).
//   - A known claim of the wrong type: iss, sub, token_use, client_id, aud,
//     username and the other string claims must be strings; cognito:groups
//     and cognito:roles arrays of strings; email_verified a boolean or
//     "true"/"false".
//   - A NumericDate (exp, iat, nbf, auth_time) that is not an integer from
//     0 to 253402300799 (the last second of year 9999): fractions,
//     exponents, strings and negative values are refused, and so are
//     milliseconds or microseconds since the epoch (any such value for a
//     date after 1978 is past year 9999), instead of being read as a date
//     thousands of years ahead that would never expire. Dates inside the
//     range are taken as they are; exp and iat must be present. (The
//     identities claim's dateCreated is in milliseconds, as Cognito writes
//     it.)
//   - A scope claim that is not scope-tokens separated by single spaces
//     (RFC 6749 section 3.3): a tab, a doubled, leading or trailing space, a
//     quote, a backslash, a control or non-ASCII byte. Splitting such a
//     claim on any whitespace, as strings.Fields does, would grant scopes
//     that an upstream splitting on spaces does not see. The empty string
//     is no scopes.
//
// # Errors
//
// Every failure wraps one of the sentinel errors in errors.go; ReasonOf maps
// it to a Reason, the fixed vocabulary shared by metrics, logs and HTTP
// responses, and Reason.Status gives the HTTP status (400, 401, 403, 499 or
// 503). A caller whose context ends while Verify waits is ErrCanceled
// (ReasonCanceled), never ErrJWKSUnavailable: a client that goes away is no
// key endpoint outage. Configuration problems are *ConfigError values
// (joined, one per problem) that match ErrConfig and name the pool and the
// setting at fault, both as the Go field and as cognito-gate's
// configuration file key.
//
// NewContext and FromContext carry a verified Token in a context.Context.
package claims
