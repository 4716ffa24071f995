package echomw

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/internal/echoflow"
)

// ContextKey is the key under which the middleware stores the verified
// *claims.Token on the *echo.Context (c.Get(ContextKey)). Prefer Token,
// which checks the type.
const ContextKey = echoflow.ContextKey

// Config configures the Echo middleware, in the Echo idiom. The embedded
// Config is the same as for net/http (middleware.Config) and every field of
// it is honoured: its Skipper and the Skipper here both skip, recorded
// alike; its OnSuccess runs before SuccessHandler; its ErrorHandler, when
// set, answers denials (the middleware then returns nil to Echo) and
// cannot be combined with ErrorHandler here.
type Config struct {
	// Skipper, when it returns true, lets the request through unchecked,
	// counted and logged as "skipped" like middleware.Config.Skipper (an
	// echo/middleware.Skipper fits).
	Skipper func(c *echo.Context) bool

	// BeforeFunc runs before the request is checked (an
	// echo/middleware.BeforeFunc fits).
	BeforeFunc func(c *echo.Context)

	// SuccessHandler runs after a request is allowed, before the next
	// handler (after Config.OnSuccess, when both are set).
	SuccessHandler func(c *echo.Context)

	// ErrorHandler handles a denial; err is a *middleware.Error (use
	// errors.As). Its return value is returned to Echo. Nil means
	// Config.ErrorHandler when that is set, else returning an error that
	// carries the status (echo.HTTPStatusCoder), marshals as the
	// {"error","reason"} body of net/http's denials (json.Marshaler) and
	// unwraps to the *middleware.Error, after setting the
	// WWW-Authenticate, Cache-Control and (503) Retry-After headers: Echo's
	// default HTTPErrorHandler answers it as net/http's Handler would.
	// Setting both ErrorHandler and Config.ErrorHandler is an error.
	ErrorHandler func(c *echo.Context, err error) error

	// ContinueOnIgnoredError: when ErrorHandler returns nil for a missing
	// or failed token, go on to the next handler without a token instead
	// of stopping — but only when the policy allows the request
	// anonymously (Decide with no token allows it), so that a bad token
	// gets no more than no token would. For routes that serve both
	// anonymous and signed-in users. It requires ErrorHandler.
	//
	// It never continues past anything else: a policy denial of a verified
	// token (403), a request that cannot be read (400), keys that could not
	// be had (503), or a route that needs a token. Those get the default
	// response (as without an ErrorHandler) even though ErrorHandler
	// returned nil. An anonymous decision on a path that needed cleaning
	// redirects to the cleaned path, as an allowed request does. The
	// continued request is counted and logged as the denial it was; its
	// headers are unchanged, so the handler must take the caller's identity
	// from Token (which has none) and never from the request's
	// credentials.
	ContinueOnIgnoredError bool

	middleware.Config
}

// WithConfig returns the Echo middleware for cfg. It panics on an invalid
// configuration; ToMiddleware returns the error instead.
func WithConfig(cfg Config) echo.MiddlewareFunc { return echoflow.Must(cfg.ToMiddleware()) }

// ToMiddleware validates the configuration and returns the middleware. Its
// errors wrap ErrConfig.
func (cfg Config) ToMiddleware() (echo.MiddlewareFunc, error) {
	return echoflow.Build(cfg.Config, func(m *middleware.Middleware) (echo.MiddlewareFunc, error) {
		cfg.Config = middleware.Config{}
		return New(m, cfg)
	})
}

// New returns an Echo middleware on m, sharing its verifier, policy
// (m.SetPolicy applies), metrics, logger and hooks with m.Handler, with
// the Echo hooks of cfg. cfg.Config must be empty: m's configuration
// applies, and New returns an error wrapping ErrConfig otherwise, as it
// does for the combinations Config documents as errors.
func New(m *middleware.Middleware, cfg Config) (echo.MiddlewareFunc, error) {
	if err := echoflow.CheckShared(cfg.Config); err != nil {
		return nil, err
	}
	f, err := echoflow.New(m, echoflow.Hooks[*echo.Context]{
		Skipper:                cfg.Skipper,
		BeforeFunc:             cfg.BeforeFunc,
		SuccessHandler:         cfg.SuccessHandler,
		ErrorHandler:           cfg.ErrorHandler,
		ContinueOnIgnoredError: cfg.ContinueOnIgnoredError,
	}, echoflow.Echo[*echo.Context]{
		Response: func(c *echo.Context) http.ResponseWriter { return c.Response() },
		Committed: func(c *echo.Context) bool {
			r, err := echo.UnwrapResponse(c.Response())
			return err == nil && r.Committed
		},
		Error: func(e *middleware.Error) error { return &denial{e} },
	})
	if err != nil {
		return nil, err
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { return f.Serve(c, next) }
	}, nil
}

// denial is the default answer of a denial for Echo's HTTPErrorHandler.
type denial struct{ e *middleware.Error }

var (
	_ echo.HTTPStatusCoder                       = (*denial)(nil)
	_ interface{ MarshalJSON() ([]byte, error) } = (*denial)(nil)
)

func (d *denial) Error() string   { return d.e.Error() }
func (d *denial) Unwrap() error   { return d.e }
func (d *denial) StatusCode() int { return d.e.Status }

// MarshalJSON returns the body of net/http's denials; nothing from the
// token or the verification error's text.
func (d *denial) MarshalJSON() ([]byte, error) {
	return []byte(`{"error":"` + d.e.ErrorCode() + `","reason":"` + string(d.e.Reason) + `"}`), nil
}

// Token returns the verified token the middleware stored on c.
func Token(c *echo.Context) (*claims.Token, bool) {
	t, ok := c.Get(ContextKey).(*claims.Token)
	return t, ok && t != nil
}

// RoutePattern converts an Echo route into the net/http.ServeMux pattern
// syntax the policy uses: ":name" segments become "{name}", a trailing
// "*" becomes "{path...}". Use it to build policy rules from
// e.Router().Routes() or the RouteInfo that e.GET and the like return. It
// returns an error wrapping ErrRoute for routes the policy cannot express
// (a "*" that is not the last segment).
func RoutePattern(rt echo.RouteInfo) (string, error) {
	return echoflow.RoutePattern(rt.Method, rt.Path, echo.RouteNotFound)
}
