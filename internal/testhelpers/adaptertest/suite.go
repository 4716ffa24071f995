package adaptertest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// Statuses: the adapter answers like net/http's Handler — the same
// statuses, challenges and {"error","reason"} body — and hands allowed
// requests on with the token on the Echo context and in the request's.
func Statuses(t *testing.T, a Adapter) {
	env := NewEnv(t)
	admin := env.Pool.AccessToken(cognitotest.WithUsername("ann"), cognitotest.WithGroups("admin"))
	reader := env.Pool.AccessToken(cognitotest.WithUsername("rob"))
	app := build(t, a, Spec{Config: middleware.Config{Verifier: env.Verifier, Policy: Policy(t)}})

	tests := []struct {
		name, method, path, tok string
		want                    int
		wantUser                string
		wantChallenge           string
		wantBody                string
	}{
		{"admin", "GET", "/admin/x", admin, 200, "ann", "", ""},
		{"reader on admin route", "GET", "/admin/x", reader, 403, "", `Bearer realm="cognito-gate", error="insufficient_scope", error_description="group_denied"`,
			`{"error":"insufficient_scope","reason":"group_denied"}`},
		{"no token", "GET", "/me", "", 401, "", `Bearer realm="cognito-gate"`, `{"error":"unauthorized","reason":"missing_token"}`},
		{"bad token", "GET", "/me", "x.y.z", 401, "", `Bearer realm="cognito-gate", error="invalid_token", error_description="malformed"`,
			`{"error":"invalid_token","reason":"malformed"}`},
		{"scope missing", "POST", "/orders", reader, 403, "", `Bearer realm="cognito-gate", error="insufficient_scope", error_description="insufficient_scope", scope="orders/write"`,
			`{"error":"insufficient_scope","reason":"insufficient_scope"}`},
		{"anonymous", "GET", "/public/a", "", 200, "", "", ""},
		{"anonymous with token", "GET", "/public/a", reader, 200, "rob", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, BearerReq(tt.method, tt.path, tt.tok))
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
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			// Echo's default error handler writes the error as the
			// adapter made it: the same body as net/http's.
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.wantBody), &want); err != nil {
				t.Fatal(err)
			}
			if len(body) != 2 || body["error"] != want["error"] || body["reason"] != want["reason"] {
				t.Errorf("error body = %s, want %s", rec.Body, tt.wantBody)
			}
		})
	}

	// Keys unavailable: 503 with Retry-After.
	down := build(t, a, Spec{Config: middleware.Config{Verifier: LyingVerifier{claims.ErrJWKSUnavailable}, Policy: Policy(t)}})
	rec := httptest.NewRecorder()
	down.ServeHTTP(rec, BearerReq("GET", "/me", reader))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("keys unavailable: status %d, headers %v; want 503 with Retry-After and no challenge", rec.Code, rec.Header())
	}
}

// Hooks: BeforeFunc, ErrorHandler and SuccessHandler run in order, the
// Skipper skips, and an ErrorHandler's own answer stands.
func Hooks(t *testing.T, a Adapter) {
	env := NewEnv(t)
	var order []string
	var handled error
	app := build(t, a, Spec{
		Config:  middleware.Config{Verifier: env.Verifier, Policy: Policy(t)},
		Skipper: func(r *http.Request) bool { return r.Header.Get("X-Skip") == "yes" },
		Before:  func() { order = append(order, "before") },
		Success: func() { order = append(order, "success") },
		ErrorHandler: func(err error) Action {
			order = append(order, "error")
			handled = err
			return ReturnNil // ignore: continue anonymously
		},
		ContinueOnIgnoredError: true,
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, BearerReq("GET", "/public/a", "x.y.z"))
	var me *middleware.Error
	if rec.Code != 200 || !errors.As(handled, &me) || me.Reason != claims.ReasonMalformed {
		t.Fatalf("ignored error: status %d, handled %v", rec.Code, handled)
	}
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, BearerReq("GET", "/me", env.Pool.AccessToken()))
	if rec.Code != 200 {
		t.Fatalf("valid token: %d", rec.Code)
	}
	r := BearerReq("GET", "/admin/x", "")
	r.Header.Set("X-Skip", "yes")
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	if rec.Code != 200 {
		t.Fatalf("skipped: %d", rec.Code)
	}
	if got := len(order); got != 4 || order[0] != "before" || order[1] != "error" || order[2] != "before" || order[3] != "success" {
		t.Errorf("hook order = %v", order)
	}

	// Without ContinueOnIgnoredError, the ErrorHandler's answer stands
	// and the route is not run.
	var ran bool
	stop := build(t, a, Spec{
		Config:       middleware.Config{Verifier: env.Verifier},
		ErrorHandler: func(error) Action { return WriteTeapot },
		Handler:      func() { ran = true },
	})
	rec = httptest.NewRecorder()
	stop.ServeHTTP(rec, BearerReq("GET", "/me", ""))
	if rec.Code != http.StatusTeapot || ran {
		t.Errorf("custom error handler: %d, route ran %v", rec.Code, ran)
	}
}

// CoreHooks: the hooks of the embedded middleware.Config are honoured,
// never ignored: Config.ErrorHandler answers denials (the adapter returns
// nil to Echo), Config.OnSuccess runs with the token before
// SuccessHandler, and Config.Skipper skips — its requests are allowed
// ones, as with net/http's Handler, so the success hooks run for them too
// (with no token).
func CoreHooks(t *testing.T, a Adapter) {
	env := NewEnv(t)
	var order []string
	var seen *claims.Token
	cfg := middleware.Config{Verifier: env.Verifier, Policy: Policy(t),
		Skipper: func(r *http.Request) bool { return r.URL.Path == "/admin/skip" },
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			var me *middleware.Error
			if !errors.As(err, &me) {
				t.Errorf("Config.ErrorHandler given %T", err)
			}
			order = append(order, "Config.ErrorHandler")
			http.Error(w, "no", http.StatusTeapot)
		},
		OnSuccess: func(w http.ResponseWriter, r *http.Request, tok *claims.Token) {
			if got, _ := claims.FromContext(r.Context()); got != tok {
				t.Error("Config.OnSuccess: the request does not carry the token")
			}
			seen = tok
			order = append(order, "Config.OnSuccess")
		},
	}
	for _, shared := range []bool{false, true} {
		order, seen = nil, nil
		spec := Spec{Config: cfg, Success: func() { order = append(order, "SuccessHandler") }}
		name := "ToMiddleware"
		if shared {
			m, err := middleware.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			spec.Config, spec.Shared, name = middleware.Config{}, m, "New"
		}
		app := build(t, a, spec)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, BearerReq("GET", "/me", ""))
		if rec.Code != http.StatusTeapot {
			t.Errorf("%s: denial answered %d, want Config.ErrorHandler's 418", name, rec.Code)
		}
		rec = httptest.NewRecorder()
		tok := env.Pool.AccessToken(cognitotest.WithUsername("oscar"))
		app.ServeHTTP(rec, BearerReq("GET", "/me", tok))
		if rec.Code != 200 || seen == nil || seen.Username != "oscar" {
			t.Errorf("%s: allowed: %d, OnSuccess saw %v", name, rec.Code, seen)
		}
		seen = nil
		rec = httptest.NewRecorder()
		app.ServeHTTP(rec, BearerReq("GET", "/admin/skip", ""))
		if rec.Code != 200 || seen != nil {
			t.Errorf("%s: Config.Skipper: %d", name, rec.Code)
		}
		if want := []string{"Config.ErrorHandler", "Config.OnSuccess", "SuccessHandler", "Config.OnSuccess", "SuccessHandler"}; !equal(order, want) {
			t.Errorf("%s: hooks ran %v, want %v", name, order, want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ConfigErrors: settings that could not be honoured are errors wrapping
// ErrConfig, at construction, never silently ignored.
func ConfigErrors(t *testing.T, a Adapter) {
	env := NewEnv(t)
	netErr := func(http.ResponseWriter, *http.Request, error) {}
	withNetErr, err := middleware.New(middleware.Config{Verifier: env.Verifier, ErrorHandler: netErr})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := middleware.New(middleware.Config{Verifier: env.Verifier})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec Spec
	}{
		{"no verifier", Spec{}},
		{"two error handlers", Spec{Config: middleware.Config{Verifier: env.Verifier, ErrorHandler: netErr}, ErrorHandler: func(error) Action { return ReturnErr }}},
		{"two error handlers, shared", Spec{Shared: withNetErr, ErrorHandler: func(error) Action { return ReturnErr }}},
		{"ContinueOnIgnoredError without ErrorHandler", Spec{Config: middleware.Config{Verifier: env.Verifier}, ContinueOnIgnoredError: true}},
		{"ContinueOnIgnoredError with Config.ErrorHandler only", Spec{Config: middleware.Config{Verifier: env.Verifier, ErrorHandler: netErr}, ContinueOnIgnoredError: true}},
		{"Config with a shared Middleware", Spec{Shared: plain, Config: middleware.Config{Verifier: env.Verifier}}},
		{"Config.Realm with a shared Middleware", Spec{Shared: plain, Config: middleware.Config{Realm: "api"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := a.Build(tt.spec); !errors.Is(err, a.ErrConfig) {
				t.Errorf("Build = %v, want ErrConfig", err)
			}
		})
	}
	if _, err := a.Build(Spec{Shared: plain}); err != nil {
		t.Errorf("a shared Middleware without Config: %v", err)
	}
}

// Skippers: a request skipped by the adapter's Skipper is counted and
// logged exactly as one skipped by Config.Skipper (it used to be counted
// only).
func Skippers(t *testing.T, a Adapter) {
	env := NewEnv(t)
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	app := build(t, a, Spec{
		Config: middleware.Config{Verifier: env.Verifier, Policy: Policy(t), Metrics: metrics, Logger: zap.New(core),
			Skipper: func(r *http.Request) bool { return r.URL.Path == "/admin/core" }},
		Skipper: func(r *http.Request) bool { return r.URL.Path == "/admin/echo" },
	})
	for _, path := range []string{"/admin/core", "/admin/echo"} {
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, BearerReq("GET", path, ""))
		if rec.Code != 200 {
			t.Errorf("%s: %d, want 200 (skipped)", path, rec.Code)
		}
	}
	if got := Sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "skipped", "reason": "ok"}); got != 2 {
		t.Errorf("skipped requests counted: %v, want 2", got)
	}
	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("%d log lines, want one per skipped request: %+v", len(entries), entries)
	}
	for i, e := range entries {
		fields := e.ContextMap()
		if e.Level != zapcore.DebugLevel || e.Message != "request not checked" || fields["result"] != "skipped" || fields["path"] == nil {
			t.Errorf("log line %d = %s %q %v", i, e.Level, e.Message, fields)
		}
		delete(fields, "path")
		if i == 1 {
			first := entries[0].ContextMap()
			delete(first, "path")
			if len(first) != len(fields) {
				t.Errorf("the two skippers log different fields: %v and %v", first, fields)
			}
		}
	}
}

// Shared: New on a Middleware shares its policy (SetPolicy applies to the
// adapter) and its metrics with m.Handler.
func Shared(t *testing.T, a Adapter) {
	env := NewEnv(t)
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: env.Verifier, Policy: Policy(t), Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	app := build(t, a, Spec{Shared: m})
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, s := range []http.Handler{app, h} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, BearerReq("GET", "/public/x", ""))
		if rec.Code != 200 {
			t.Fatalf("anonymous route: %d", rec.Code)
		}
	}
	if got := Sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "allowed", "reason": "ok"}); got != 2 {
		t.Errorf("allowed requests counted: %v, want 2 (one per adapter)", got)
	}
	// A policy in which /public/ needs a token.
	m.SetPolicy(requireAll(t))
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, BearerReq("GET", "/public/x", ""))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("after SetPolicy: %d, want 401", rec.Code)
	}
}

// ContinueOnIgnoredError guards finding 15: with ContinueOnIgnoredError,
// an ErrorHandler that returned nil let every denial through — a 403
// group_denied became an allow. It may now only continue past a missing
// or failed token where the policy allows the request anonymously;
// everything else gets the default response.
func ContinueOnIgnoredError(t *testing.T, a Adapter) {
	env := NewEnv(t)
	reader := env.Pool.AccessToken(cognitotest.WithUsername("rob"), cognitotest.WithGroups("readers"))
	expired := env.Pool.AccessToken(cognitotest.WithIssuedAt(T0.Add(-3 * time.Hour)))
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantUser   string // the handler ran, seeing this user ("" for none)
		wantReason string // for a refusal
	}{
		{name: "policy denies a verified token", req: BearerReq("GET", "/admin/x", reader), wantStatus: 403, wantReason: "group_denied"},
		{name: "policy denies a verified token on a cleaned path", req: BearerReq("GET", "/public/../admin/x", reader), wantStatus: 403, wantReason: "group_denied"},
		{name: "missing token on a token-required route", req: BearerReq("GET", "/me", ""), wantStatus: 401, wantReason: "missing_token"},
		{name: "invalid token on a token-required route", req: BearerReq("GET", "/me", "x.y.z"), wantStatus: 401, wantReason: "malformed"},
		{name: "expired token on a token-required route", req: BearerReq("GET", "/admin/x", expired), wantStatus: 401, wantReason: "expired"},
		{name: "unreadable request", req: func() *http.Request {
			r := BearerReq("GET", "/public/a", reader)
			r.Header.Add("Authorization", "Bearer x.y.z")
			return r
		}(), wantStatus: 400, wantReason: "malformed"},
		{name: "missing token on an anonymous route", req: BearerReq("GET", "/public/a", ""), wantStatus: 200},
		{name: "invalid token on an anonymous route", req: BearerReq("GET", "/public/a", "x.y.z"), wantStatus: 200},
		{name: "expired token on an anonymous route", req: BearerReq("GET", "/public/a", expired), wantStatus: 200},
		{name: "valid token on an anonymous route", req: BearerReq("GET", "/public/a", reader), wantStatus: 200, wantUser: "rob"},
		{name: "invalid token on an anonymous route, cleaned path", req: BearerReq("GET", "/admin/../public/a", "x.y.z"), wantStatus: 308},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled int
			app := build(t, a, Spec{
				Config:                 middleware.Config{Verifier: env.Verifier, Policy: Policy(t)},
				ErrorHandler:           func(error) Action { handled++; return ReturnNil },
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
			if tt.wantStatus == 308 {
				if got := rec.Header().Get("Location"); got != "/public/a" {
					t.Errorf("Location = %q", got)
				}
				return
			}
			var body map[string]any
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
	app := build(t, a, Spec{
		Config:                 middleware.Config{Verifier: LyingVerifier{claims.ErrJWKSUnavailable}, Policy: Policy(t)},
		ErrorHandler:           func(error) Action { return ReturnNil },
		ContinueOnIgnoredError: true,
	})
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, BearerReq("GET", "/public/a", reader))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("keys unavailable: status %d, want 503", rec.Code)
	}
}
