// Package middleware protects net/http handlers with Cognito tokens: it
// extracts the bearer token, verifies it with a claims.Verifier, asks a
// policy.Policy whether the request may pass, records the outcome, and
// either answers the denial or hands the request on with the verified
// token in its context.
//
// Two lines for net/http (any router that takes an http.Handler):
//
//	m, err := middleware.New(middleware.Config{Verifier: v, Policy: p})
//	http.ListenAndServe(addr, m.Handler(mux))
//
// Handlers read the token with claims.FromContext(r.Context()) and the rule
// that allowed the request with RuleFromContext.
//
// The package imports no web framework. Adapters for other frameworks live
// in packages of their own, so that their dependencies never reach
// net/http programs: middleware/echomw (Echo v4) and middleware/echomw/v5
// (Echo v5). They are built on the adapter API here — Check and its
// Outcome, Skip, CloseIfBodyUnread and BoundUnreadBody, SetErrorHeaders and
// Error.ErrorCode — which Handler uses too, so that every adapter extracts,
// verifies, decides and records a request exactly as Handler does.
//
// Denials follow RFC 6750: 401 with a bare `Bearer realm="..."` challenge
// when no token was sent; 401 with error="invalid_token" and the reason as
// error_description when the token failed verification; 403 with
// error="insufficient_scope" (and scope="..." when scopes would help) when
// the policy refused an authenticated caller; 400 with
// error="invalid_request" when the token could not be read unambiguously
// (repeated headers or cookies, an empty bearer, "Bearer" followed by
// anything but spaces and a b64token, a query that does not parse); 503
// when the keys to check the token were unavailable, or when the live
// check could not be made (live_check_unavailable). The JSON body is
// {"error": "...", "reason": "..."}, the reason from claims' fixed
// vocabulary. Nothing about the token or the keys reaches the client.
//
// The live check: a request that a rule with live_check allowed
// (policy.Decision.LiveCheck) is let through only if Config.LiveCheck (a
// *livecheck.Checker) reports that Cognito still accepts its token, sent
// as presented; its refusal is the request's outcome under the rule's
// name, as a verification failure is: 401 revoked or identity_mismatch,
// 401 wrong_token_use for an ID token, 403 insufficient_scope without
// aws.cognito.signin.user.admin, 503 live_check_unavailable. New and
// SetPolicy refuse a policy with such rules when LiveCheck is not set.
// The raw token is passed to the checker only: it is never kept on the
// outcome, logged or put in an error.
//
// A request whose client went away while it was checked (its context
// ended, e.g. while keys were fetched) is neither a denial nor a 503: its
// result and reason are "canceled", it is logged at debug, and its response
// is aborted (panic(http.ErrAbortHandler)) so that nothing, not even an
// empty 200, is answered.
//
// Every request is recorded once: a Prometheus counter by result and
// reason (see Metrics), a verification-time histogram, a policy decision
// counter by rule, and one zap log line (denials at info, 503s at warn,
// allowed, skipped and canceled requests at debug). The token, its
// signature and key material are never logged. LogJWKS turns key set
// fetches into log lines.
package middleware
