// Package echomw protects Echo (v4) handlers with Cognito tokens: the
// middleware package's checks — token extraction, verification, policy,
// metrics and logs, RFC 6750 denials — in the Echo idiom (Skipper,
// BeforeFunc, SuccessHandler, ErrorHandler, ContinueOnIgnoredError,
// ToMiddleware). It is a package of its own so that net/http programs and
// the cognito-gate binary do not link Echo; for Echo v5, use
// middleware/echomw/v5, which has the same API.
//
//	e.Use(echomw.WithConfig(echomw.Config{Config: middleware.Config{Verifier: v, Policy: p}}))
//
// Handlers read the verified token with Token(c) or
// claims.FromContext(c.Request().Context()), and the rule that allowed the
// request with middleware.RuleFromContext. To share one middleware.Middleware
// between net/http and Echo (one policy to reload with SetPolicy), use New.
//
// A denial is returned to Echo as an *echo.HTTPError (status, message
// {"error","reason"}), with the RFC 6750 challenge already set on the
// response, unless an ErrorHandler takes it. A request whose client went
// away is aborted (panic(http.ErrAbortHandler)), as in middleware.Handler;
// Echo's Recover middleware re-panics http.ErrAbortHandler. A denial or a
// redirect of a request whose body is unread closes the connection, as
// middleware.CloseIfBodyUnread describes.
package echomw
