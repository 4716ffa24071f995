package middleware

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// EchoContextKey is the key under which the Echo middleware stores the
// verified *claims.Token on the echo.Context (c.Get(EchoContextKey)).
// Prefer EchoToken, which checks the type.
const EchoContextKey = "cognito-gate.token"

// EchoConfig configures the Echo middleware, in the Echo idiom. The
// embedded Config is the same as for net/http; its ErrorHandler and
// OnSuccess are not used (see ErrorHandler and SuccessHandler here).
type EchoConfig struct {
	// Skipper, when it returns true, lets the request through unchecked
	// (an echo/middleware.Skipper fits).
	Skipper func(c echo.Context) bool

	// BeforeFunc runs before the request is checked (an
	// echo/middleware.BeforeFunc fits).
	BeforeFunc func(c echo.Context)

	// SuccessHandler runs after a request is allowed, before the next
	// handler.
	SuccessHandler func(c echo.Context)

	// ErrorHandler handles a denial; err is an *Error (use errors.As). Its
	// return value is returned to Echo. Nil means returning an
	// *echo.HTTPError with the status, {"error","reason"} as message and
	// err as internal error, after setting the WWW-Authenticate header.
	ErrorHandler func(c echo.Context, err error) error

	// ContinueOnIgnoredError: when ErrorHandler returns nil for a missing
	// or failed token, go on to the next handler without a token instead
	// of stopping — but only when the policy allows the request
	// anonymously (Decide with no token allows it), so that a bad token
	// gets no more than no token would. For routes that serve both
	// anonymous and signed-in users.
	//
	// It never continues past anything else: a policy denial of a verified
	// token (403), a request that cannot be read (400), keys that could not
	// be had (503), or a route that needs a token. Those get the default
	// response (an *echo.HTTPError, as without an ErrorHandler) even though
	// ErrorHandler returned nil. An anonymous decision on a path that needed
	// cleaning redirects to the cleaned path, as an allowed request does.
	// The continued request is counted and logged as the denial it was;
	// its headers are unchanged, so the handler must take the caller's
	// identity from EchoToken (which has none) and never from the request's
	// credentials.
	ContinueOnIgnoredError bool

	Config
}

// EchoWithConfig returns the Echo middleware for cfg. It panics on an
// invalid configuration; ToMiddleware returns the error instead.
func EchoWithConfig(cfg EchoConfig) echo.MiddlewareFunc {
	mw, err := cfg.ToMiddleware()
	if err != nil {
		panic(err)
	}
	return mw
}

// ToMiddleware validates the configuration and returns the middleware.
func (cfg EchoConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	core := cfg.Config
	core.ErrorHandler, core.OnSuccess = nil, nil
	m, err := New(core)
	if err != nil {
		return nil, err
	}
	return m.Echo(cfg), nil
}

// Echo returns an Echo middleware sharing m's verifier, policy, metrics and
// logger, with the Echo-specific hooks of cfg (cfg.Config is ignored).
func (m *Middleware) Echo(cfg EchoConfig) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper != nil && cfg.Skipper(c) {
				o := outcome{result: ResultSkipped, reason: claims.ReasonOK, status: http.StatusOK}
				m.cfg.Metrics.record(&o)
				return next(c)
			}
			if cfg.BeforeFunc != nil {
				cfg.BeforeFunc(c)
			}
			r := c.Request()
			o := m.authorize(r)
			abortIfCanceled(&o) // see Handler
			if !o.allowed() {
				e := o.asError()
				h := c.Response().Header()
				closing := closeIfBodyUnread(h, r) // see Handler
				if cfg.ErrorHandler == nil {
					if closing {
						defer bodyUnreadDeadline(c.Response())
					}
					return echoError(c, m.cfg.Realm, e)
				}
				err := cfg.ErrorHandler(c, e)
				if err != nil || !cfg.ContinueOnIgnoredError {
					if closing {
						defer bodyUnreadDeadline(c.Response())
					}
					return err
				}
				// The error was ignored: go on anonymously only where no
				// token would have done as well.
				d, ok := m.anonymously(r, &o)
				if !ok {
					if closing {
						defer bodyUnreadDeadline(c.Response())
					}
					return echoError(c, m.cfg.Realm, e)
				}
				if to := redirectTarget(r, &outcome{path: d.Path}); to != "" {
					if closing {
						defer bodyUnreadDeadline(c.Response())
					}
					return c.Redirect(http.StatusPermanentRedirect, to)
				}
				if closing && !c.Response().Committed {
					h.Del("Connection") // the next handler may read the body
				}
				c.SetRequest(admit(r, &outcome{rule: d.Rule}))
				return next(c)
			}
			if to := redirectTarget(r, &o); to != "" {
				if closeIfBodyUnread(c.Response().Header(), r) {
					defer bodyUnreadDeadline(c.Response())
				}
				return c.Redirect(http.StatusPermanentRedirect, to)
			}
			c.SetRequest(admit(r, &o))
			if o.token != nil {
				c.Set(EchoContextKey, o.token)
			}
			if cfg.SuccessHandler != nil {
				cfg.SuccessHandler(c)
			}
			return next(c)
		}
	}
}

// anonymously returns the policy's decision for r without a token, and
// whether the denied outcome o may be continued as that anonymous request:
// o must be a missing token or a token that failed verification (401, or
// the verifier's own 403), with no verified token, and the policy must
// allow r anonymously. Never a policy denial of a verified token, a 400, a
// 5xx or a canceled request: continuing those would turn a denial into an
// allow.
func (m *Middleware) anonymously(r *http.Request, o *outcome) (policy.Decision, bool) {
	tokenFailed := o.status == http.StatusUnauthorized || o.status == http.StatusForbidden && o.verified
	if o.token != nil || !tokenFailed || o.result != ResultDenied {
		return policy.Decision{}, false
	}
	d := m.policy.Load().Decide(r, nil)
	return d, d.Allow
}

// echoError sets the challenge and returns the *echo.HTTPError for e.
func echoError(c echo.Context, realm string, e *Error) error {
	h := c.Response().Header()
	if ch := Challenge(realm, e); ch != "" {
		h.Set("WWW-Authenticate", ch)
	}
	h.Set("Cache-Control", "no-store")
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
	return echo.NewHTTPError(e.Status, map[string]string{"error": bodyError(e), "reason": string(e.Reason)}).SetInternal(e)
}

// EchoToken returns the verified token the middleware stored on c.
func EchoToken(c echo.Context) (*claims.Token, bool) {
	t, ok := c.Get(EchoContextKey).(*claims.Token)
	return t, ok && t != nil
}

// EchoRoutePattern converts an Echo route into the net/http.ServeMux
// pattern syntax the policy uses: ":name" segments become "{name}", a
// trailing "*" becomes "{path...}". Use it to build policy rules from
// e.Routes(). It returns an error for routes the policy cannot express
// (a "*" that is not the last segment).
func EchoRoutePattern(rt *echo.Route) (string, error) {
	segs := strings.Split(rt.Path, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, ":"):
			segs[i] = "{" + s[1:] + "}"
		case s == "*" && i == len(segs)-1:
			segs[i] = "{path...}"
		case strings.Contains(s, "*"):
			return "", errors.New("middleware: echo route " + rt.Path + ": '*' only as the last segment")
		}
	}
	p := strings.Join(segs, "/")
	switch rt.Method {
	case "", echo.RouteNotFound:
		return p, nil
	}
	return rt.Method + " " + p, nil
}
