package middleware

import (
	"context"
	"errors"
	"net/http"
	"reflect"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// LiveChecker asks Cognito whether it still accepts a verified token; raw
// is the token as presented, the string that verified. *livecheck.Checker
// is one. Its errors wrap package claims' sentinels, so that
// claims.ReasonOf names them (revoked, identity_mismatch, wrong_token_use,
// insufficient_scope with a *claims.ScopeError, expired,
// live_check_unavailable, canceled). It must be safe for concurrent use
// and must never put raw in its errors.
type LiveChecker interface {
	Check(ctx context.Context, tok *claims.Token, raw string) error
}

// errNoRawToken refuses a live check with no raw token to send; serves
// makes it unreachable, and it is refused (500), never let through.
var errNoRawToken = errors.New("middleware: a rule requires the live check and the request has no raw token to check")

// serves reports why cfg cannot act on p's decisions: p has live_check
// rules and cfg no LiveCheck, a typed nil one, or Headers (no raw token).
func (cfg *Config) serves(p *policy.Policy) error {
	switch {
	case isNilLiveChecker(cfg.LiveCheck):
		return errors.New("middleware: config: LiveCheck is a nil " + reflect.TypeOf(cfg.LiveCheck).String())
	case !p.LiveCheck():
		return nil
	case cfg.LiveCheck == nil:
		return errors.New("middleware: config: the policy has rules with live_check and LiveCheck is not set: they would go unchecked")
	case cfg.Headers != nil:
		return errors.New("middleware: config: the policy has rules with live_check and Headers has no raw access token to check; use them with TokenSources")
	}
	return nil
}

// isNilLiveChecker reports whether lc holds a nil pointer, map, slice,
// func, channel or interface: a configuration mistake New refuses rather
// than let every live check panic.
func isNilLiveChecker(lc LiveChecker) bool {
	if lc == nil {
		return false
	}
	switch v := reflect.ValueOf(lc); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// liveCheck is the outcome o of a request that rule o.rule allowed with
// tok, whose compact form is raw, and that requires the live check: o
// itself when Cognito still accepts the token, else the checker's refusal,
// attributed to the rule. raw lives only for this call: it is never put on
// the outcome, in a log line or in an error.
func (m *Middleware) liveCheck(r *http.Request, o outcome, tok *claims.Token, raw string) outcome {
	if tok == nil || raw == "" {
		return m.verifyFailed(r, o, errNoRawToken)
	}
	if err := m.cfg.LiveCheck.Check(r.Context(), tok, raw); err != nil {
		return m.verifyFailed(r, o, err)
	}
	return o
}
