package middleware

import (
	"net/http"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/tokenshare"
	"github.com/cognito-gate/cognito-gate/policy"
)

// Result is the outcome of Authorize.
type Result struct {
	// Allowed reports whether the request may go on.
	Allowed bool
	// Token is the verified token, nil when none was presented (or it
	// failed).
	Token *claims.Token
	// Rule is the policy rule that decided, if the policy decided.
	Rule string
	// Path is the escaped path the policy judged. When it differs from
	// r.URL.EscapedPath() the request was judged in cleaned form, and must
	// be forwarded with Path or not at all.
	Path string
	// Err describes a denial; nil when Allowed.
	Err *Error
}

// Authorize runs the whole check for r — extraction, verification, policy
// — and records its outcome (metrics, log) exactly as Handler does, but
// leaves the response to the caller. It is for integrations that answer on
// another's behalf, such as a forward-auth endpoint.
//
// When the client went away during the check, the Result is not allowed
// and Err.Reason is claims.ReasonCanceled (Status 499): answer nothing —
// panic(http.ErrAbortHandler) as Handler does — rather than a denial,
// and never a 2xx.
func (m *Middleware) Authorize(r *http.Request) Result {
	return result(m.authorize(r))
}

// AuthorizeExact is Authorize for callers that cannot change the request
// they authorize, such as a forward-auth endpoint whose gateway forwards
// the path as the client wrote it: a request the policy allowed only in
// cleaned form ("/a/../b" judged as "/b") is denied instead, under the rule
// "non_canonical" with reason non_canonical_path (400, token or not), and
// recorded so.
func (m *Middleware) AuthorizeExact(r *http.Request) Result {
	return result(m.authorizeExact(r))
}

func init() {
	tokenshare.AuthorizeExact = func(m *Middleware, r *http.Request) Result {
		return resultShared(m.authorizeExact(r))
	}
}

// authorizeExact is AuthorizeExact's outcome, recorded, its token possibly
// the cache's (o.shared).
func (m *Middleware) authorizeExact(r *http.Request) outcome {
	o := m.decide(r)
	if o.result == ResultAllowed && o.path != "" && o.path != r.URL.EscapedPath() {
		o.result, o.rule, o.status, o.reason = ResultDenied, policy.RuleNonCanonical, http.StatusBadRequest, claims.ReasonNonCanonicalPath
	}
	return m.record(r, o)
}

// result is the Result of o, its token the caller's own.
func result(o outcome) Result {
	o.own()
	return resultShared(o)
}

// resultShared is the Result of o as it is: its Token may be the cache's
// (o.shared), for this module's read-only callers (internal/tokenshare).
func resultShared(o outcome) Result {
	res := Result{Allowed: o.allowed(), Token: o.token, Rule: o.rule, Path: o.path}
	if !res.Allowed {
		res.Err = o.asError()
	}
	return res
}

// Realm returns the realm of the middleware's challenges.
func (m *Middleware) Realm() string { return m.cfg.Realm }
