package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/tokenkey"
	"github.com/cognito-gate/cognito-gate/internal/tokenshare"
	"github.com/cognito-gate/cognito-gate/policy"
)

// Middleware authenticates and authorizes requests: it extracts the bearer
// token, verifies it, asks the policy, records the outcome (metrics and a
// log line), and either answers the denial or hands the request on with the
// token in its context. Handler is its net/http adapter; adapters for other
// frameworks (middleware/echomw) are built on Check. It is safe for
// concurrent use.
type Middleware struct {
	cfg     Config
	policy  atomic.Pointer[policy.Policy]
	sampler *denialSampler // nil: every denial logged
	// shares is Config.Verifier when it is a *claims.Verifier: its cache
	// hits are taken shared (internal/tokenshare) and copied only when
	// they leave the module's read-only code.
	shares *claims.Verifier
}

// New validates cfg and returns a Middleware.
func New(cfg Config) (*Middleware, error) {
	cfg, p, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	sampler, err := newDenialSampler(cfg.DenialLogSampling)
	if err != nil {
		return nil, err
	}
	m := &Middleware{cfg: cfg, sampler: sampler}
	m.shares, _ = cfg.Verifier.(*claims.Verifier)
	m.policy.Store(p)
	cfg.Metrics.initRules(p.Rules())
	return m, nil
}

// SetPolicy replaces the policy atomically, e.g. on a configuration reload.
// Requests in flight finish with the policy they started with. It refuses
// (keeping the policy in force) a policy with live_check rules when
// Config.LiveCheck is not set, or Config.Headers is: New would refuse it.
// A nil p is ignored.
func (m *Middleware) SetPolicy(p *policy.Policy) error {
	if p == nil {
		return nil
	}
	if err := m.cfg.serves(p); err != nil {
		return err
	}
	m.cfg.Metrics.initRules(p.Rules())
	m.policy.Store(p)
	return nil
}

// Policy returns the policy in force.
func (m *Middleware) Policy() *policy.Policy { return m.policy.Load() }

// outcome is what happened to one request. Exactly one outcome is recorded
// per request.
type outcome struct {
	result     string // one of the Result constants
	reason     claims.Reason
	status     int
	rule       string
	scopes     []string
	path       string // the path the policy judged
	token      *claims.Token
	shared     bool        // token is the verifier's cached one: see own
	source     TokenSource // the source that held token
	tokenSent  bool
	verified   bool // Verify ran
	timed      bool // verifyTime is its time: it did more than a cache lookup (see tokenshare.Verify)
	verifyTime time.Duration
	err        error
}

// own makes o's token its own copy when it was shared, before it goes to
// code outside this module's read-only paths (see internal/tokenshare).
func (o *outcome) own() {
	if o.shared {
		o.token, o.shared = tokenshare.Clone(o.token).(*claims.Token), false
	}
}

func (o *outcome) allowed() bool {
	return o.result == ResultAllowed || o.result == ResultSkipped || o.result == ResultPreflight
}

// asError converts a denial into the *Error given to error handlers.
func (o *outcome) asError() *Error {
	return &Error{Status: o.status, Reason: o.reason, Rule: o.rule, Scopes: o.scopes, TokenSent: o.tokenSent, Err: o.err}
}

// authorize decides one request and records the outcome.
func (m *Middleware) authorize(r *http.Request) outcome {
	return m.record(r, m.decide(r))
}

// record counts and logs one outcome and returns it. A denial that
// Config.DenialLogSampling leaves out of the log is counted as sampled
// instead (only when the logger would have written its line).
func (m *Middleware) record(r *http.Request, o outcome) outcome {
	m.cfg.Metrics.record(&o)
	if m.sampler != nil && o.result == ResultDenied && m.cfg.Logger.Core().Enabled(zapcore.InfoLevel) && !m.sampler.keep(o.reason) {
		m.cfg.Metrics.logSampled(o.reason)
		return o
	}
	logOutcome(m.cfg.Logger, r, &o)
	return o
}

func (m *Middleware) decide(r *http.Request) (o outcome) {
	if m.cfg.Skipper != nil && m.cfg.Skipper(r) {
		return outcome{result: ResultSkipped, reason: claims.ReasonOK, status: http.StatusOK}
	}
	if m.cfg.AllowCORSPreflight && IsPreflight(r) {
		return m.preflight(r)
	}
	if m.cfg.Headers != nil {
		start := tokenshare.Since()
		tok, err := m.cfg.Headers.VerifyHeaders(r.Context(), r.Header)
		if errors.Is(err, claims.ErrMissingToken) {
			return m.judge(r, o, nil, "") // anonymous, as without a token
		}
		o.tokenSent, o.verified, o.timed, o.verifyTime = true, true, true, tokenshare.Since()-start
		if err != nil {
			return m.verifyFailed(r, o, err)
		}
		o.token = tok
		return m.judge(r, o, tok, "")
	}
	var tok *claims.Token
	// In front of a *claims.Verifier, the whitespace check of a bearer
	// token is made only if it fails verification (a token with a space or
	// tab never passes, nor is one cached): the answer is the same 400.
	raw, src, unchecked, err := extractFor(r, m.cfg.TokenSources, m.shares != nil)
	if err != nil {
		return malformedRequest(err)
	}
	if raw != "" {
		o.tokenSent, o.verified = true, true
		if m.shares != nil {
			var t any
			t, o.shared, o.verifyTime, o.timed, err = tokenshare.Verify(m.shares, r.Context(), raw)
			tok, _ = t.(*claims.Token)
		} else {
			start := tokenshare.Since()
			tok, err = m.cfg.Verifier.Verify(r.Context(), raw)
			o.verifyTime, o.timed = tokenshare.Since()-start, true
		}
		if err != nil {
			if unchecked && hasBlank(raw) {
				return malformedRequest(errBlankToken)
			}
			return m.verifyFailed(r, o, err)
		}
		o.token, o.source = tok, src
	}
	return m.judge(r, o, tok, raw)
}

// malformedRequest is the outcome of a request whose credentials cannot be
// read (err, from extract).
func malformedRequest(err error) outcome {
	return outcome{result: ResultDenied, reason: claims.ReasonMalformed, status: http.StatusBadRequest, tokenSent: true, err: err}
}

// verifyFailed is the outcome o of a request whose credentials failed
// verification with err.
func (m *Middleware) verifyFailed(r *http.Request, o outcome, err error) outcome {
	o.err = err
	o.reason = verifyReason(r, err)
	o.status = o.reason.Status()
	switch {
	case o.reason == claims.ReasonCanceled:
		o.result = ResultCanceled
		return o
	case o.status >= 500:
		o.result = ResultUnavailable
	default:
		o.result = ResultDenied
	}
	// A verifier's own check (claims.Config.Check, say) may name the
	// scopes that would do.
	if se := (*claims.ScopeError)(nil); o.status == http.StatusForbidden && errors.As(err, &se) {
		o.scopes = se.AnyOf
	}
	return o
}

// judge is the outcome o of a request whose token (nil: none) verified,
// raw its compact form: the policy's decision, then the live check when
// the rule that allowed the request requires it.
func (m *Middleware) judge(r *http.Request, o outcome, tok *claims.Token, raw string) outcome {
	d := m.policy.Load().Decide(r, tok)
	o.rule, o.path, o.reason, o.status = d.Rule, d.Path, d.Reason, d.Status
	if !d.Allow {
		o.result, o.scopes = ResultDenied, d.Scopes
		return o
	}
	o.result = ResultAllowed
	if d.LiveCheck {
		o.own() // the LiveChecker is not this module's code
		return m.liveCheck(r, o, o.token, raw)
	}
	return o
}

// verifyReason is the reason of a verification error for request r. The
// request is canceled when, and only when, its context has ended: a
// failure to check the token (jwks_unavailable, live_check_unavailable,
// internal_error) while the client is gone is the client's doing, not the
// key endpoint's or Cognito's (no 503, no page), and a Verifier that says canceled while the request is live is
// not believed (internal_error, 500), because a canceled request is not
// answered.
func verifyReason(r *http.Request, err error) claims.Reason {
	reason := claims.ReasonOf(err)
	gone := r.Context().Err() != nil
	switch {
	case reason == claims.ReasonCanceled && !gone:
		return claims.ReasonInternal
	case gone && reason.Status() >= 500:
		return claims.ReasonCanceled
	}
	return reason
}

// errPreflightBody refuses a CORS preflight that carries a body.
var errPreflightBody = fmt.Errorf("middleware: a CORS preflight with a body: %w", errInvalidRequest)

// preflight decides a CORS preflight that AllowCORSPreflight lets through
// without a token. The bypass is for the browser's bodiless, credential-
// less OPTIONS request, and nothing else may ride on it:
//
//   - a body (Content-Length other than 0, or any Transfer-Encoding) is
//     refused, 400 bad_request: browsers never send one, and an upstream
//     would read it as a request of its own;
//   - the request must pass the policy's canonical checks as any request
//     does: Decide with no token, and a refusal of the request as
//     non-canonical or malformed (a dot-segment, an encoded slash, a Host
//     in upper case or with a trailing dot, a list of hosts) is answered
//     as Decide says (400 non_canonical_path, or bad_request for a
//     malformed Host); a path that
//     Decide judged only in cleaned form ("/public/../admin/x") is refused
//     under RuleNonCanonical, 401, and never redirected — a router may
//     send the uncleaned path elsewhere than the policy judged;
//   - the token is never verified and never put in the request's context:
//     a preflight that passes reaches the next handler with no token,
//     whatever credentials it carries.
//
// Whether the policy would allow the route anonymously does not matter:
// preflights of protected routes are what the bypass is for.
func (m *Middleware) preflight(r *http.Request) outcome {
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return outcome{result: ResultDenied, reason: claims.ReasonBadRequest, status: http.StatusBadRequest, err: errPreflightBody}
	}
	escaped := r.URL.EscapedPath()
	d := m.policy.Load().Decide(r, nil)
	switch {
	case d.Rule == policy.RuleNonCanonical:
		return outcome{result: ResultDenied, rule: d.Rule, reason: d.Reason, status: d.Status, path: d.Path}
	case d.Path != escaped:
		return outcome{result: ResultDenied, rule: policy.RuleNonCanonical, reason: claims.ReasonMissingToken,
			status: http.StatusUnauthorized, path: escaped}
	}
	return outcome{result: ResultPreflight, reason: claims.ReasonOK, status: http.StatusOK}
}

// IsPreflight reports whether r is a CORS preflight request (OPTIONS with
// Origin and Access-Control-Request-Method), as Config.AllowCORSPreflight
// reads one. With AllowCORSPreflight the next handler sees such a request
// without a token check, and should answer it with nothing but CORS
// headers: cognito-gate serve drops everything else of the upstream's
// answer.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// admissionKey is the context key of an admitted request's *admission.
type admissionKey struct{}

// admission is what the middleware tells the next handler besides the
// token: the deciding rule and the source that held the verified token.
type admission struct {
	rule   string
	source TokenSource
}

// RuleFromContext returns the name of the policy rule that allowed the
// request, and whether there was one (skipped and preflight requests have
// none).
func RuleFromContext(ctx context.Context) (string, bool) {
	a, _ := ctx.Value(admissionKey{}).(*admission)
	if a == nil || a.rule == "" {
		return "", false
	}
	return a.rule, true
}

// SourceFromContext returns the TokenSource (one of Config.TokenSources)
// that held the token the middleware verified, and whether there was one.
// A proxy uses it to forward that credential, and only that one: the
// request may carry other, unverified ones.
func SourceFromContext(ctx context.Context) (TokenSource, bool) {
	a, _ := ctx.Value(admissionKey{}).(*admission)
	if a == nil || a.source == nil {
		return nil, false
	}
	return a.source, true
}

// admittedContext is the context of an admitted request: its parent, plus
// the verified token (claims.FromContext) and the admission
// (RuleFromContext, SourceFromContext), in one allocation where
// claims.NewContext and a context.WithValue of the admission took three.
// Every other key, and Deadline, Done, Err, are the parent's.
type admittedContext struct {
	context.Context
	tok *claims.Token // nil: the parent's token, if any, shows through
	// shared: tok is the verifier's cached token, and claims.FromContext
	// answers own, a copy made at its first call.
	shared bool
	own    atomic.Pointer[claims.Token]
	a      admission
}

// The keys admittedContext answers for, as interface values to compare
// with.
var (
	tokenKeyAny     = any(tokenkey.Key{}) // claims.FromContext's
	sharedKeyAny    = any(tokenshare.ContextKey{})
	admissionKeyAny = any(admissionKey{})
)

// Value returns the admission for admissionKey, the token for the claims
// package's key (when the middleware verified one), and the parent's
// value for any other key.
func (c *admittedContext) Value(key any) any {
	if key == admissionKeyAny {
		return &c.a
	}
	if c.tok != nil {
		switch key {
		case tokenKeyAny:
			return c.token()
		case sharedKeyAny:
			return c.tok
		}
	}
	return c.Context.Value(key)
}

// token returns the token for claims.FromContext: tok, or when it is
// shared, one copy of it for every caller of this context.
func (c *admittedContext) token() *claims.Token {
	if !c.shared {
		return c.tok
	}
	if t := c.own.Load(); t != nil {
		return t
	}
	c.own.CompareAndSwap(nil, tokenshare.Clone(c.tok).(*claims.Token))
	return c.own.Load()
}

// admit returns r prepared for the next handler: the token, the rule and
// the token's source in its context. It costs one allocation, the
// request's copy with its context (admittedRequest), and a second, the
// token's copy, if the token was shared and the handler asks for it.
func admit(r *http.Request, o *outcome) *http.Request {
	r, _ = admitted(r, o)
	return r
}

// admitted is admit, and also returns the new context (nil when r is
// returned as it was).
func admitted(r *http.Request, o *outcome) (*http.Request, *admittedContext) {
	if o.token == nil && o.rule == "" {
		return r, nil
	}
	a := &admittedRequest{c: admittedContext{Context: r.Context(), tok: o.token, shared: o.shared, a: admission{rule: o.rule, source: o.source}}}
	// WithContext's copy is inlined and does not escape: the request the
	// handler gets is a's, one allocation with its context.
	a.r = *r.WithContext(&a.c)
	return &a.r, &a.c
}

// admittedRequest is an admitted request and its context, allocated
// together (two allocations were a fifth of a cached request's cost).
type admittedRequest struct {
	r http.Request
	c admittedContext
}

// redirectTarget returns where to send an allowed request whose path the
// policy judged in cleaned form ("/a/../b" as "/b"), or "" when the path
// was already clean. Routers may match the uncleaned path differently from
// the policy, so such a request is never served as it is: like ServeMux, the
// middleware redirects it to the path that was judged.
func redirectTarget(r *http.Request, o *outcome) string {
	if o.path == "" || o.path == r.URL.EscapedPath() {
		return ""
	}
	u := url.URL{Path: o.path, RawQuery: r.URL.RawQuery}
	if up, err := url.PathUnescape(o.path); err == nil {
		u.Path, u.RawPath = up, o.path
	}
	return u.RequestURI()
}
