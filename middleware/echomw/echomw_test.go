package middleware_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// newEcho returns an Echo app with the middleware and a few routes whose
// handlers answer with what they saw.
func newEcho(t *testing.T, cfg middleware.EchoConfig) *echo.Echo {
	t.Helper()
	mw, err := cfg.ToMiddleware()
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(mw)
	h := func(c echo.Context) error {
		tok, ok := middleware.EchoToken(c)
		ctxTok, _ := claims.FromContext(c.Request().Context())
		rule, _ := middleware.RuleFromContext(c.Request().Context())
		user := ""
		if ok {
			user = tok.Username
		}
		return c.JSON(http.StatusOK, map[string]any{"user": user, "same": tok == ctxTok, "rule": rule})
	}
	e.GET("/me", h)
	e.GET("/admin/*", h)
	e.GET("/public/*", h)
	return e
}

func TestEcho(t *testing.T) {
	env := newEnv(t)
	admin := env.pool.AccessToken(cognitotest.WithUsername("ann"), cognitotest.WithGroups("admin"))
	reader := env.pool.AccessToken(cognitotest.WithUsername("rob"))
	app := newEcho(t, middleware.EchoConfig{Config: middleware.Config{Verifier: env.v, Policy: testPolicy(t)}})

	tests := []struct {
		name, path, tok string
		want            int
		wantUser        string
		wantChallenge   string
	}{
		{"admin", "/admin/x", admin, 200, "ann", ""},
		{"reader on admin route", "/admin/x", reader, 403, "", `Bearer realm="cognito-gate", error="insufficient_scope", error_description="group_denied"`},
		{"no token", "/me", "", 401, "", `Bearer realm="cognito-gate"`},
		{"bad token", "/me", "x.y.z", 401, "", `Bearer realm="cognito-gate", error="invalid_token", error_description="malformed"`},
		{"anonymous", "/public/a", "", 200, "", ""},
		{"anonymous with token", "/public/a", reader, 200, "rob", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, bearerReq("GET", tt.path, tt.tok))
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if tt.want == 200 {
				if body["user"] != tt.wantUser || body["same"] != true {
					t.Errorf("handler saw %v", body)
				}
				return
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %s, want %s", got, tt.wantChallenge)
			}
			// Echo's default error handler writes the message as it is: the
			// same body as the net/http adapter's.
			if body["reason"] == nil || body["error"] == nil || len(body) != 2 {
				t.Errorf("error body = %s", rec.Body)
			}
		})
	}
}

func TestEchoHooks(t *testing.T) {
	env := newEnv(t)
	var order []string
	var handled error
	app := newEcho(t, middleware.EchoConfig{
		Config:     middleware.Config{Verifier: env.v, Policy: testPolicy(t)},
		Skipper:    func(c echo.Context) bool { return c.Request().Header.Get("X-Skip") == "yes" },
		BeforeFunc: func(echo.Context) { order = append(order, "before") },
		SuccessHandler: func(c echo.Context) {
			order = append(order, "success")
		},
		ErrorHandler: func(c echo.Context, err error) error {
			order = append(order, "error")
			handled = err
			return nil // ignore: continue anonymously
		},
		ContinueOnIgnoredError: true,
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, bearerReq("GET", "/public/a", "x.y.z"))
	var me *middleware.Error
	if rec.Code != 200 || !errors.As(handled, &me) || me.Reason != claims.ReasonMalformed {
		t.Fatalf("ignored error: status %d, handled %v", rec.Code, handled)
	}
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, bearerReq("GET", "/me", env.pool.AccessToken()))
	if rec.Code != 200 {
		t.Fatalf("valid token: %d", rec.Code)
	}
	r := bearerReq("GET", "/admin/x", "")
	r.Header.Set("X-Skip", "yes")
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("skipped: %d", rec.Code)
	}
	if got := len(order); got != 4 || order[0] != "before" || order[1] != "error" || order[2] != "before" || order[3] != "success" {
		t.Errorf("hook order = %v", order)
	}

	// Without ContinueOnIgnoredError, the handler's error (nil) stops the
	// chain: nothing is written by the route.
	stop := newEcho(t, middleware.EchoConfig{
		Config:       middleware.Config{Verifier: env.v},
		ErrorHandler: func(c echo.Context, err error) error { return c.String(http.StatusTeapot, "no") },
	})
	rec = httptest.NewRecorder()
	stop.ServeHTTP(rec, bearerReq("GET", "/me", ""))
	if rec.Code != http.StatusTeapot {
		t.Errorf("custom error handler: %d", rec.Code)
	}
}

func TestEchoConfigErrors(t *testing.T) {
	if _, err := (middleware.EchoConfig{}).ToMiddleware(); err == nil {
		t.Error("ToMiddleware without a verifier succeeded")
	}
	defer func() {
		if recover() == nil {
			t.Error("EchoWithConfig did not panic on a bad config")
		}
	}()
	middleware.EchoWithConfig(middleware.EchoConfig{})
}

func TestEchoRoutePattern(t *testing.T) {
	tests := []struct {
		route   echo.Route
		want    string
		wantErr bool
	}{
		{echo.Route{Method: "GET", Path: "/users/:sub/files/*"}, "GET /users/{sub}/files/{path...}", false},
		{echo.Route{Method: "POST", Path: "/orders"}, "POST /orders", false},
		{echo.Route{Method: echo.RouteNotFound, Path: "/*"}, "/{path...}", false},
		{echo.Route{Method: "GET", Path: "/a/*/b"}, "", true},
	}
	for _, tt := range tests {
		got, err := middleware.EchoRoutePattern(&tt.route)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("EchoRoutePattern(%+v) = %q, %v; want %q", tt.route, got, err, tt.want)
		}
		if err == nil && tt.route.Method != echo.RouteNotFound {
			// The pattern is one the policy accepts.
			if _, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: got}}}); err != nil {
				t.Errorf("policy rejects %q: %v", got, err)
			}
		}
	}
}

// TestEchoContinueOnIgnoredError guards finding 15: with
// ContinueOnIgnoredError, an ErrorHandler that returned nil let every
// denial through — a 403 group_denied became an allow. It may now only
// continue past a missing or failed token where the policy allows the
// request anonymously; everything else gets the default response.
func TestEchoContinueOnIgnoredError(t *testing.T) {
	env := newEnv(t)
	reader := env.pool.AccessToken(cognitotest.WithUsername("rob"), cognitotest.WithGroups("readers"))
	expired := env.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-3 * time.Hour)))
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantUser   string // the handler ran, seeing this user ("" for none)
		wantReason string // for a refusal
	}{
		{name: "policy denies a verified token", req: bearerReq("GET", "/admin/x", reader), wantStatus: 403, wantReason: "group_denied"},
		{name: "policy denies a verified token on a cleaned path", req: bearerReq("GET", "/public/../admin/x", reader), wantStatus: 403, wantReason: "group_denied"},
		{name: "missing token on a token-required route", req: bearerReq("GET", "/me", ""), wantStatus: 401, wantReason: "missing_token"},
		{name: "invalid token on a token-required route", req: bearerReq("GET", "/me", "x.y.z"), wantStatus: 401, wantReason: "malformed"},
		{name: "expired token on a token-required route", req: bearerReq("GET", "/admin/x", expired), wantStatus: 401, wantReason: "expired"},
		{name: "unreadable request", req: func() *http.Request {
			r := bearerReq("GET", "/public/a", reader)
			r.Header.Add("Authorization", "Bearer x.y.z")
			return r
		}(), wantStatus: 400, wantReason: "malformed"},
		{name: "missing token on an anonymous route", req: bearerReq("GET", "/public/a", ""), wantStatus: 200},
		{name: "invalid token on an anonymous route", req: bearerReq("GET", "/public/a", "x.y.z"), wantStatus: 200},
		{name: "expired token on an anonymous route", req: bearerReq("GET", "/public/a", expired), wantStatus: 200},
		{name: "valid token on an anonymous route", req: bearerReq("GET", "/public/a", reader), wantStatus: 200, wantUser: "rob"},
		{name: "invalid token on an anonymous route, cleaned path", req: bearerReq("GET", "/admin/../public/a", "x.y.z"), wantStatus: 308},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled int
			app := newEcho(t, middleware.EchoConfig{
				Config:                 middleware.Config{Verifier: env.v, Policy: testPolicy(t)},
				ErrorHandler:           func(echo.Context, error) error { handled++; return nil },
				ContinueOnIgnoredError: true,
			})
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus != 200 && tt.wantStatus != 308 && handled != 1 {
				t.Errorf("ErrorHandler ran %d times", handled)
			}
			var body map[string]any
			if tt.wantStatus == 308 {
				if got := rec.Header().Get("Location"); got != "/public/a" {
					t.Errorf("Location = %q", got)
				}
				return
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			if tt.wantStatus == 200 {
				if body["user"] != tt.wantUser || body["rule"] != "public" {
					t.Errorf("handler saw %v, want user %q under rule public", body, tt.wantUser)
				}
				return
			}
			// The default response, as without an ErrorHandler.
			if body["reason"] != tt.wantReason || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("refusal = %s (WWW-Authenticate %q), want reason %s", rec.Body, rec.Header().Get("WWW-Authenticate"), tt.wantReason)
			}
		})
	}

	// Keys unavailable, even on an anonymous route: never continued.
	app := newEcho(t, middleware.EchoConfig{
		Config:                 middleware.Config{Verifier: lyingVerifier{claims.ErrJWKSUnavailable}, Policy: testPolicy(t)},
		ErrorHandler:           func(echo.Context, error) error { return nil },
		ContinueOnIgnoredError: true,
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, bearerReq("GET", "/public/a", reader))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("keys unavailable: status %d, want 503", rec.Code)
	}
}
