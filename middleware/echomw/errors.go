package echomw

import "github.com/cognito-gate/cognito-gate/middleware/internal/echoflow"

var (
	// ErrConfig is returned, wrapped with the detail, by
	// Config.ToMiddleware and New for a configuration that cannot be
	// honoured: an invalid middleware.Config, both ErrorHandler and
	// Config.ErrorHandler, ContinueOnIgnoredError without ErrorHandler, a
	// Config given to New along with the Middleware to share. The Echo v5
	// adapter (middleware/echomw/v5) returns the same error.
	ErrConfig = echoflow.ErrConfig

	// ErrRoute is returned, wrapped with the route, by RoutePattern for an
	// Echo route that no policy pattern expresses (the same error in both
	// adapters).
	ErrRoute = echoflow.ErrRoute
)
