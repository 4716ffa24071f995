package middleware

import (
	"net/http"

	"github.com/cognito-gate/cognito-gate/claims"
)

// This file is the API for adapters: packages that put the middleware in
// front of another framework's handlers (middleware/echomw, say) and
// answer in that framework's idiom. Handler is built on it too, so every
// adapter shares one core: extraction, verification, policy, and one
// recorded outcome per request.

// Outcome is what the middleware decided for one request, as returned by
// Check. It has already been recorded (counted and logged); its methods
// only read it. The zero Outcome is not allowed and has no Err: get one
// from Check.
type Outcome struct {
	o outcome
	r *http.Request
	m *Middleware
}

// Check runs the whole check of r — Config.Skipper, the CORS preflight
// bypass, extraction, verification, policy — records its outcome once
// (metrics, log line) and returns it, leaving the answer to the caller.
//
// The caller then, in this order:
//   - if Canceled, answers nothing: panic(http.ErrAbortHandler), never a
//     denial and never a 2xx;
//   - if not Allowed, answers the denial Err (the status, the RFC 6750
//     challenge of Challenge, no body from the token), after
//     CloseIfBodyUnread;
//   - if Redirect is not empty, redirects there (308) instead of serving
//     the request, after CloseIfBodyUnread;
//   - otherwise hands Request, which carries the token and the rule in its
//     context, to the next handler, after Config.OnSuccess (see
//     Middleware.OnSuccess).
func (m *Middleware) Check(r *http.Request) Outcome {
	o := m.authorize(r)
	o.own() // Token and Request hand it out
	return Outcome{o: o, r: r, m: m}
}

// Skip records r as let through unchecked by an adapter's own skipper
// (Echo's Skipper, say): counted and logged exactly as a request that
// Config.Skipper skips, result "skipped".
func (m *Middleware) Skip(r *http.Request) {
	m.record(r, outcome{result: ResultSkipped, reason: claims.ReasonOK, status: http.StatusOK})
}

// ErrorHandler returns Config.ErrorHandler, nil when it was not set
// (Handler then answers with WriteError). An adapter that answers denials
// in its own idiom must either use it or refuse a Middleware that has one,
// never ignore it.
func (m *Middleware) ErrorHandler() func(w http.ResponseWriter, r *http.Request, err error) {
	return m.cfg.ErrorHandler
}

// OnSuccess returns Config.OnSuccess, nil when it was not set. An adapter
// calls it for every allowed request, before the next handler, as Handler
// does.
func (m *Middleware) OnSuccess() func(w http.ResponseWriter, r *http.Request, tok *claims.Token) {
	return m.cfg.OnSuccess
}

// Allowed reports whether the request may go on: the policy allowed it,
// or it was skipped or a CORS preflight let through.
func (o *Outcome) Allowed() bool { return o.o.allowed() }

// Canceled reports whether the client went away while the request was
// checked (reason canceled): nothing may be answered.
func (o *Outcome) Canceled() bool { return o.o.result == ResultCanceled }

// Err describes a denial, nil when the request is allowed. Each call
// returns a new *Error.
func (o *Outcome) Err() *Error {
	if o.Allowed() {
		return nil
	}
	return o.o.asError()
}

// Token returns the verified token, nil when none was presented, it failed
// verification, or the request was not checked (skipped, preflight).
func (o *Outcome) Token() *claims.Token { return o.o.token }

// Redirect returns where to redirect an allowed request whose path the
// policy judged only in cleaned form ("/a/../b" as "/b"), or "" when the
// request may be served as it is. Routers may match the uncleaned path
// differently from the policy, so such a request must never be served.
func (o *Outcome) Redirect() string {
	if !o.Allowed() {
		return ""
	}
	return redirectTarget(o.r, &o.o)
}

// Request returns the request for the next handler: the checked request
// with the verified token (claims.FromContext) and the deciding rule
// (RuleFromContext) in its context. It returns nil when the request is not
// allowed.
func (o *Outcome) Request() *http.Request {
	if !o.Allowed() {
		return nil
	}
	return admit(o.r, &o.o)
}

// Anonymous is for an adapter whose user chose to ignore a denial (Echo's
// ContinueOnIgnoredError): it returns the outcome of the request taken as
// anonymous, and whether the denial may be continued so. It may only when
// the denial is a missing token or a token that failed verification (401,
// or the verifier's own 403), never a policy denial of a verified token, a
// request that cannot be read (400), a failure to check (5xx) or a
// canceled request, and when the policy allows the request without a
// token: a bad token gets no more than no token would. The anonymous
// outcome is not recorded again (the request counts as the denial it was);
// it has no token, and its Redirect and Request are those of the anonymous
// decision.
func (o *Outcome) Anonymous() (Outcome, bool) {
	x := &o.o
	tokenFailed := x.status == http.StatusUnauthorized || x.status == http.StatusForbidden && x.verified
	if o.m == nil || x.token != nil || !tokenFailed || x.result != ResultDenied {
		return Outcome{}, false
	}
	d := o.m.policy.Load().Decide(o.r, nil)
	if !d.Allow {
		return Outcome{}, false
	}
	return Outcome{o: outcome{result: ResultAllowed, reason: d.Reason, status: d.Status, rule: d.Rule, path: d.Path}, r: o.r, m: o.m}, true
}
