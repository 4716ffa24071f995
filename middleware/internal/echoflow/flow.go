// Package echoflow is the request flow that the Echo adapters
// (middleware/echomw for Echo v4, middleware/echomw/v5 for Echo v5) share:
// the Echo idiom — Skipper, BeforeFunc, SuccessHandler, ErrorHandler,
// ContinueOnIgnoredError — on the middleware core (middleware.Check). It
// is generic over the Echo context type and imports no Echo version: each
// adapter supplies what differs (how to reach the response, the default
// error value).
package echoflow

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// ContextKey is the key under which the adapters store the verified
// *claims.Token on the Echo context.
const ContextKey = "cognito-gate.token"

// ErrConfig is the error of an adapter configuration that cannot be
// honoured; the adapters export it as their ErrConfig.
var ErrConfig = errors.New("echomw: invalid config")

// Context is what the flow needs of an Echo context; echo.Context (v4) and
// *echo.Context (v5) have it.
type Context interface {
	Request() *http.Request
	SetRequest(r *http.Request)
	Set(key string, val any)
	Redirect(code int, url string) error
}

// Hooks are an adapter's Echo-idiom settings, as its Config documents them.
type Hooks[C Context] struct {
	Skipper                func(c C) bool
	BeforeFunc             func(c C)
	SuccessHandler         func(c C)
	ErrorHandler           func(c C, err error) error
	ContinueOnIgnoredError bool
}

// Echo is what differs between the Echo versions.
type Echo[C Context] struct {
	// Response returns c's response writer.
	Response func(c C) http.ResponseWriter
	// Committed reports whether c's response has been written.
	Committed func(c C) bool
	// Error returns the default answer of a denial: the error value for
	// Echo's HTTPErrorHandler. The headers are already set.
	Error func(e *middleware.Error) error
}

// Flow is one Echo middleware on a core.
type Flow[C Context] struct {
	m    *middleware.Middleware
	h    Hooks[C]
	echo Echo[C]
	// onError and onSuccess are the core's net/http hooks
	// (Config.ErrorHandler, Config.OnSuccess), honoured by the flow.
	onError   func(http.ResponseWriter, *http.Request, error)
	onSuccess func(http.ResponseWriter, *http.Request, *claims.Token)
}

// New returns the flow of hooks on m. It refuses settings that would be
// ignored: an ErrorHandler both in hooks and in m's Config (which one
// answers?), and ContinueOnIgnoredError without hooks.ErrorHandler (only
// its nil return continues).
func New[C Context](m *middleware.Middleware, h Hooks[C], e Echo[C]) (*Flow[C], error) {
	f := &Flow[C]{m: m, h: h, echo: e, onError: m.ErrorHandler(), onSuccess: m.OnSuccess()}
	switch {
	case h.ErrorHandler != nil && f.onError != nil:
		return nil, fmt.Errorf("%w: both ErrorHandler and Config.ErrorHandler are set; keep one (Config.ErrorHandler answers like net/http's, ErrorHandler returns an error to Echo)", ErrConfig)
	case h.ContinueOnIgnoredError && h.ErrorHandler == nil:
		return nil, fmt.Errorf("%w: ContinueOnIgnoredError without ErrorHandler: only an ErrorHandler that returns nil continues", ErrConfig)
	}
	return f, nil
}

// Must returns mw and panics on err: the adapters' WithConfig.
func Must[F any](mw F, err error) F {
	if err != nil {
		panic(err)
	}
	return mw
}

// Build is the adapters' ToMiddleware: it builds a Middleware from cfg,
// with errors wrapping ErrConfig, and returns the adapter's middleware on
// it, made by newMW.
func Build[F any](cfg middleware.Config, newMW func(*middleware.Middleware) (F, error)) (F, error) {
	m, err := middleware.New(cfg)
	if err != nil {
		var zero F
		return zero, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return newMW(m)
}

// CheckShared refuses a Config given along with a Middleware to share: the
// Middleware's own configuration applies, so cfg's would be ignored.
func CheckShared(cfg middleware.Config) error {
	if !reflect.ValueOf(cfg).IsZero() {
		return fmt.Errorf("%w: Config is set, but the shared Middleware's configuration applies; build the Middleware with it", ErrConfig)
	}
	return nil
}

// Serve checks the request of c and goes on to next or answers.
func (f *Flow[C]) Serve(c C, next func(C) error) error {
	if f.h.Skipper != nil && f.h.Skipper(c) {
		f.m.Skip(c.Request())
		return next(c)
	}
	if f.h.BeforeFunc != nil {
		f.h.BeforeFunc(c)
	}
	r := c.Request()
	o := f.m.Check(r)
	if o.Canceled() {
		panic(http.ErrAbortHandler) // answer nothing; see middleware.Check
	}
	w := f.echo.Response(c)
	if !o.Allowed() {
		return f.deny(c, w, r, &o, next)
	}
	if to := o.Redirect(); to != "" {
		if middleware.CloseIfBodyUnread(w.Header(), r) {
			defer middleware.BoundUnreadBody(w)
		}
		return c.Redirect(http.StatusPermanentRedirect, to)
	}
	r = o.Request()
	c.SetRequest(r)
	tok := o.Token()
	if tok != nil {
		c.Set(ContextKey, tok)
	}
	if f.onSuccess != nil {
		f.onSuccess(w, r, tok)
	}
	if f.h.SuccessHandler != nil {
		f.h.SuccessHandler(c)
	}
	return next(c)
}

// deny answers the denied request of c, or continues it anonymously when
// the ErrorHandler ignored the denial and the core allows that.
func (f *Flow[C]) deny(c C, w http.ResponseWriter, r *http.Request, o *middleware.Outcome, next func(C) error) error {
	e := o.Err()
	// Before anything may write the answer: the body is not read.
	closing := middleware.CloseIfBodyUnread(w.Header(), r)
	answered := func() {
		if closing {
			middleware.BoundUnreadBody(w)
		}
	}
	switch {
	case f.h.ErrorHandler == nil && f.onError != nil:
		defer answered()
		f.onError(w, r, e)
		return nil
	case f.h.ErrorHandler == nil:
		defer answered()
		return f.defaultError(w, e)
	}
	err := f.h.ErrorHandler(c, e)
	if err != nil || !f.h.ContinueOnIgnoredError {
		defer answered()
		return err
	}
	// The error was ignored: go on anonymously only where no token would
	// have done as well; anything else gets the default answer.
	anon, ok := o.Anonymous()
	if !ok {
		defer answered()
		return f.defaultError(w, e)
	}
	if to := anon.Redirect(); to != "" {
		defer answered()
		return c.Redirect(http.StatusPermanentRedirect, to)
	}
	if closing && !f.echo.Committed(c) {
		w.Header().Del("Connection") // the next handler may read the body
	}
	c.SetRequest(anon.Request())
	return next(c)
}

// defaultError sets the denial's headers and returns the adapter's error
// value for it.
func (f *Flow[C]) defaultError(w http.ResponseWriter, e *middleware.Error) error {
	middleware.SetErrorHeaders(w.Header(), f.m.Realm(), e)
	return f.echo.Error(e)
}

// RoutePattern converts an Echo route (method and path) into the
// net/http.ServeMux pattern syntax the policy uses: ":name" segments become
// "{name}", a trailing "*" becomes "{path...}". notFound is the Echo
// version's RouteNotFound method, whose routes get no method. It returns an
// error wrapping ErrRoute for routes the policy cannot express.
func RoutePattern(method, path, notFound string) (string, error) {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, ":"):
			segs[i] = "{" + s[1:] + "}"
		case s == "*" && i == len(segs)-1:
			segs[i] = "{path...}"
		case strings.Contains(s, "*"):
			return "", fmt.Errorf("%w: %s: '*' only as the last segment", ErrRoute, path)
		}
	}
	p := strings.Join(segs, "/")
	if method == "" || method == notFound {
		return p, nil
	}
	return method + " " + p, nil
}

// ErrRoute is the error of an Echo route that has no policy pattern; the
// adapters export it as their ErrRoute.
var ErrRoute = errors.New("echomw: echo route the policy cannot express")
