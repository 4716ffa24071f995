// Package echomw protects Echo v5 handlers with Cognito tokens; it is the
// Echo v5 twin of middleware/echomw (Echo v4), with the same API on
// *echo.Context: the middleware package's checks — token extraction,
// verification, policy, metrics and logs, RFC 6750 denials — in the Echo
// idiom (Skipper, BeforeFunc, SuccessHandler, ErrorHandler,
// ContinueOnIgnoredError, ToMiddleware). Both adapters run one shared
// flow on the middleware core, so they behave alike.
//
//	import echomw "github.com/cognito-gate/cognito-gate/middleware/echomw/v5"
//
//	e.Use(echomw.WithConfig(echomw.Config{Config: middleware.Config{Verifier: v, Policy: p}}))
//
// Handlers read the verified token with Token(c) or
// claims.FromContext(c.Request().Context()), and the rule that allowed the
// request with middleware.RuleFromContext. To share one middleware.Middleware
// between net/http and Echo (one policy to reload with SetPolicy), use New.
//
// A denial is returned to Echo as an error that carries its status
// (echo.HTTPStatusCoder) and marshals as {"error","reason"}
// (json.Marshaler), so that Echo's default HTTPErrorHandler answers as
// net/http's Handler does; the RFC 6750 challenge is already set on the
// response. A request whose client went away is aborted
// (panic(http.ErrAbortHandler)), as in middleware.Handler; Echo's Recover
// middleware re-panics http.ErrAbortHandler. A denial or a redirect of a
// request whose body is unread closes the connection, as
// middleware.CloseIfBodyUnread describes.
package echomw
