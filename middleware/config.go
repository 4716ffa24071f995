package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// Verifier checks a raw token. *claims.Verifier implements it.
type Verifier interface {
	Verify(ctx context.Context, raw string) (*claims.Token, error)
}

var _ Verifier = (*claims.Verifier)(nil)

// DefaultRealm is the realm of WWW-Authenticate challenges when
// Config.Realm is empty.
const DefaultRealm = "cognito-gate"

// Config configures a Middleware. Verifier is required; every other field
// has a safe zero value.
type Config struct {
	// Verifier checks tokens. Required, unless Headers is set.
	Verifier Verifier

	// Headers, when set, verifies credentials spread over several request
	// headers (a load balancer's x-amzn-oidc-*: alb.Headers) in place of
	// TokenSources and Verifier, which must then be unset. An error
	// wrapping claims.ErrMissingToken makes the request anonymous, as no
	// token from a TokenSource does; any other error is the request's
	// outcome, as a Verify error is.
	Headers HeaderVerifier

	// Policy decides which requests may pass, by route. Nil means Require
	// applies to every request.
	Policy *policy.Policy

	// Require, used when Policy is nil, is what every request's token must
	// satisfy. Nil means any valid token: no request passes without one.
	Require *policy.Requirement

	// LiveCheck asks Cognito, for the requests a rule with live_check
	// allows (policy.Decision.LiveCheck), whether it still accepts the
	// token (a *livecheck.Checker); its error is the request's outcome, as
	// a Verify error is. Required when the policy has such a rule: New
	// refuses a policy with live_check rules and no LiveCheck (or a typed
	// nil one), and SetPolicy refuses such a policy, so that a rule
	// cannot silently go unchecked. Not with Headers, which has no raw
	// access token to send.
	LiveCheck LiveChecker

	// TokenSources are tried in order; the first that holds a token is
	// used. Nil means AuthorizationHeader() only. Query sources are never
	// added unless listed here.
	TokenSources []TokenSource

	// Realm is the realm of WWW-Authenticate challenges. Empty means
	// DefaultRealm.
	Realm string

	// Skipper, when it returns true, lets the request through unchecked
	// (counted as "skipped"). Use it for health checks outside the policy.
	Skipper func(r *http.Request) bool

	// AllowCORSPreflight lets CORS preflight requests (OPTIONS with Origin
	// and Access-Control-Request-Method) through without a token, counted
	// as "preflight". Browsers send preflights without credentials, so a
	// cross-origin API needs this (or an anonymous OPTIONS rule).
	//
	// A preflight is still refused when it carries a body (400
	// bad_request), when the policy refuses it as non-canonical or
	// malformed (400, as Decide says), or when the policy judges its path
	// only in cleaned form (401, never a redirect). Its token, if any, is never verified and never reaches
	// the next handler's context; the request's headers are passed on as
	// they are, so the next handler must answer the preflight and nothing
	// more (a proxy should strip its credentials, and pass back only the
	// status and CORS headers of the upstream's answer, as cognito-gate
	// serve does; see IsPreflight).
	AllowCORSPreflight bool

	// ErrorHandler writes the response for a denied request; err is an
	// *Error (use errors.As). Nil means WriteError.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)

	// OnSuccess, when set, runs for every allowed request before the next
	// handler, with the verified token (nil on anonymous access).
	OnSuccess func(w http.ResponseWriter, r *http.Request, tok *claims.Token)

	// Metrics records outcomes; nil records nothing. Create it with
	// NewMetrics.
	Metrics *Metrics

	// Logger logs outcomes; nil logs nothing.
	Logger *zap.Logger

	// DenialLogSampling, when set, thins the log lines of denials under a
	// flood (see LogSampling); the lines left out are counted in
	// cognito_gate_log_denials_sampled_total, so it needs Metrics. Nil
	// logs every denial.
	DenialLogSampling *LogSampling
}

// HeaderVerifier verifies the credentials of a request that are spread
// over several headers, returning the token the policy judges. See
// Config.Headers.
type HeaderVerifier interface {
	VerifyHeaders(ctx context.Context, h http.Header) (*claims.Token, error)
}

// compile validates cfg and fills defaults.
func (cfg Config) compile() (Config, *policy.Policy, error) {
	switch {
	case cfg.Headers != nil && (cfg.Verifier != nil || cfg.TokenSources != nil):
		return cfg, nil, errors.New("middleware: config: Headers replaces Verifier and TokenSources: set Headers alone")
	case cfg.Headers != nil:
	case cfg.Verifier == nil:
		return cfg, nil, errors.New("middleware: config: Verifier is required")
	}
	if v, ok := cfg.Verifier.(*claims.Verifier); ok && v == nil {
		return cfg, nil, errors.New("middleware: config: Verifier is a nil *claims.Verifier")
	}
	p := cfg.Policy
	switch {
	case p != nil && cfg.Require != nil:
		return cfg, nil, errors.New("middleware: config: set Policy or Require, not both")
	case p == nil:
		var req policy.Requirement
		if cfg.Require != nil {
			req = *cfg.Require
		}
		var err error
		p, err = policy.New(policy.Config{Rules: []policy.Rule{{Name: "require", Routes: []string{"/"}, Requirement: req}}})
		if err != nil {
			return cfg, nil, fmt.Errorf("middleware: config: Require: %w", err)
		}
	}
	if err := cfg.serves(p); err != nil {
		return cfg, nil, err
	}
	if cfg.TokenSources == nil && cfg.Headers == nil {
		cfg.TokenSources = []TokenSource{AuthorizationHeader()}
	}
	if len(cfg.TokenSources) == 0 && cfg.Headers == nil {
		return cfg, nil, errors.New("middleware: config: TokenSources is empty; leave it nil for the Authorization header")
	}
	for i, s := range cfg.TokenSources {
		if s == nil {
			return cfg, nil, fmt.Errorf("middleware: config: TokenSources[%d] is nil", i)
		}
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if strings.ContainsAny(cfg.Realm, "\"\\\r\n") {
		return cfg, nil, fmt.Errorf("middleware: config: Realm %q contains quotes, backslashes or line breaks", cfg.Realm)
	}
	if cfg.DenialLogSampling != nil && cfg.Metrics == nil {
		// The lines left out would then be counted nowhere.
		return cfg, nil, errors.New("middleware: config: DenialLogSampling needs Metrics, where the denials it leaves out of the log are counted")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return cfg, p, nil
}
