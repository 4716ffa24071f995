package echomw_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	echomw "github.com/cognito-gate/cognito-gate/middleware/echomw/v5"
)

// adapter is the Echo v5 adapter for the shared adapter tests.
var adapter = adaptertest.Adapter{Build: build, ErrConfig: echomw.ErrConfig, EchoHooks: true}

// build is adaptertest.Adapter.Build for Echo v5.
func build(spec adaptertest.Spec) (http.Handler, error) {
	h := adaptertest.EchoHooksOf[*echo.Context](spec, echomw.Token)
	cfg := echomw.Config{Config: spec.Config, Skipper: h.Skipper, BeforeFunc: h.Before, SuccessHandler: h.Success,
		ErrorHandler: h.ErrorHandler, ContinueOnIgnoredError: spec.ContinueOnIgnoredError}
	var mw echo.MiddlewareFunc
	var err error
	if spec.Shared != nil {
		mw, err = echomw.New(spec.Shared, cfg)
	} else {
		mw, err = cfg.ToMiddleware()
	}
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.Use(mw)
	e.Any("/*", h.Route)
	return e, nil
}

func TestStatuses(t *testing.T)               { adaptertest.Statuses(t, adapter) }
func TestHooks(t *testing.T)                  { adaptertest.Hooks(t, adapter) }
func TestCoreHooksAreHonoured(t *testing.T)   { adaptertest.CoreHooks(t, adapter) }
func TestConfigErrors(t *testing.T)           { adaptertest.ConfigErrors(t, adapter) }
func TestSkippersRecordAlike(t *testing.T)    { adaptertest.Skippers(t, adapter) }
func TestSharedMiddleware(t *testing.T)       { adaptertest.Shared(t, adapter) }
func TestContinueOnIgnoredError(t *testing.T) { adaptertest.ContinueOnIgnoredError(t, adapter) }

// TestDenialWithUnsentBodyIsAnsweredAtOnce guards finding 10 (see
// adaptertest.UnsentBody).
func TestDenialWithUnsentBodyIsAnsweredAtOnce(t *testing.T) { adaptertest.UnsentBody(t, adapter) }

// TestCanceledRequestIsItsOwnOutcome guards finding 18 (see
// adaptertest.Canceled).
func TestCanceledRequestIsItsOwnOutcome(t *testing.T) { adaptertest.Canceled(t, adapter) }

func TestWithConfigPanics(t *testing.T) {
	if _, err := (echomw.Config{}).ToMiddleware(); !errors.Is(err, echomw.ErrConfig) {
		t.Errorf("ToMiddleware without a verifier = %v, want ErrConfig", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("WithConfig did not panic on a bad config")
		}
	}()
	echomw.WithConfig(echomw.Config{})
}

func TestTokenWithoutMiddleware(t *testing.T) {
	c := echo.New().NewContext(adaptertest.BearerReq("GET", "/", ""), nil)
	if tok, ok := echomw.Token(c); ok || tok != nil {
		t.Errorf("Token = %v, %v on a context without one", tok, ok)
	}
	c.Set(echomw.ContextKey, "not a token")
	if _, ok := echomw.Token(c); ok {
		t.Error("Token accepted a value that is not a *claims.Token")
	}
}

func TestRoutePattern(t *testing.T) {
	adaptertest.RoutePatterns(t, func(method, path string) (string, error) {
		return echomw.RoutePattern(echo.RouteInfo{Method: method, Path: path})
	}, echo.RouteNotFound, echomw.ErrRoute)
	// The routes of a real router convert.
	e := echo.New()
	e.GET("/orders/:id", func(*echo.Context) error { return nil })
	for _, rt := range e.Router().Routes() {
		if got, err := echomw.RoutePattern(rt); err != nil || got != "GET /orders/{id}" {
			t.Errorf("RoutePattern(%+v) = %q, %v", rt, got, err)
		}
	}
}
