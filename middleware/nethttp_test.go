package middleware_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

func TestHandlerStatuses(t *testing.T) {
	e := newEnv(t)
	p := testPolicy(t)
	admin := e.Pool.AccessToken(cognitotest.WithSubject("sub-admin"), cognitotest.WithGroups("admin"), cognitotest.WithScopes("orders/read"))
	reader := e.Pool.AccessToken(cognitotest.WithSubject("sub-reader"), cognitotest.WithGroups("readers"))
	expired := e.Pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-2*time.Hour)), cognitotest.WithExpiry(t0.Add(-time.Hour)))

	tests := []struct {
		name          string
		req           *http.Request
		wantStatus    int
		wantChallenge string // exact WWW-Authenticate, "" for none
		wantBody      string
		wantRule      string // rule seen by the handler when allowed
	}{
		{name: "anonymous route without token", req: bearerReq("GET", "/healthz", ""), wantStatus: 200, wantRule: "health"},
		{name: "anonymous route with valid token", req: bearerReq("GET", "/public/x", reader), wantStatus: 200, wantRule: "public"},
		{name: "anonymous route with expired token", req: bearerReq("GET", "/public/x", expired), wantStatus: 401,
			wantChallenge: `Bearer realm="cognito-gate", error="invalid_token", error_description="expired"`,
			wantBody:      `{"error":"invalid_token","reason":"expired"}`},
		{name: "no token", req: bearerReq("GET", "/me", ""), wantStatus: 401,
			wantChallenge: `Bearer realm="cognito-gate"`, wantBody: `{"error":"unauthorized","reason":"missing_token"}`},
		{name: "basic auth is no bearer token", req: func() *http.Request {
			r := bearerReq("GET", "/me", "")
			r.SetBasicAuth("u", "p")
			return r
		}(), wantStatus: 401, wantChallenge: `Bearer realm="cognito-gate"`},
		{name: "valid token", req: bearerReq("GET", "/me", reader), wantStatus: 200, wantRule: "profile"},
		{name: "lowercase bearer scheme", req: func() *http.Request {
			r := bearerReq("GET", "/me", "")
			r.Header.Set("Authorization", "bearer "+reader)
			return r
		}(), wantStatus: 200, wantRule: "profile"},
		{name: "garbage token", req: bearerReq("GET", "/me", "not.a.token"), wantStatus: 401,
			wantChallenge: `Bearer realm="cognito-gate", error="invalid_token", error_description="malformed"`},
		{name: "empty bearer", req: func() *http.Request {
			r := bearerReq("GET", "/me", "")
			r.Header.Set("Authorization", "Bearer ")
			return r
		}(), wantStatus: 400, wantChallenge: `Bearer realm="cognito-gate", error="invalid_request", error_description="malformed"`},
		{name: "two authorization headers", req: func() *http.Request {
			r := bearerReq("GET", "/me", reader)
			r.Header.Add("Authorization", "Bearer "+admin)
			return r
		}(), wantStatus: 400},
		{name: "admin route, admin", req: bearerReq("DELETE", "/admin/users/7", admin), wantStatus: 200, wantRule: "admin"},
		{name: "admin route, reader", req: bearerReq("GET", "/admin/", reader), wantStatus: 403,
			wantChallenge: `Bearer realm="cognito-gate", error="insufficient_scope", error_description="group_denied"`,
			wantBody:      `{"error":"insufficient_scope","reason":"group_denied"}`},
		{name: "scope missing", req: bearerReq("POST", "/orders", admin), wantStatus: 403,
			wantChallenge: `Bearer realm="cognito-gate", error="insufficient_scope", error_description="insufficient_scope", scope="orders/write"`},
		{name: "own files", req: bearerReq("GET", "/users/sub-reader/a", reader), wantStatus: 200, wantRule: "own-files"},
		{name: "someone else's files", req: bearerReq("GET", "/users/sub-admin/a", reader), wantStatus: 403,
			wantChallenge: `Bearer realm="cognito-gate", error="insufficient_scope", error_description="claim_denied"`},
		{name: "unmatched route denied by default", req: bearerReq("GET", "/elsewhere", admin), wantStatus: 403},
		{name: "unmatched route without token", req: bearerReq("GET", "/elsewhere", ""), wantStatus: 401, wantChallenge: `Bearer realm="cognito-gate"`},
		{name: "other pool", req: bearerReq("GET", "/me", cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Other"}).AccessToken()), wantStatus: 401,
			wantChallenge: `Bearer realm="cognito-gate", error="invalid_token", error_description="wrong_issuer"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Policy: p}, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); tt.wantChallenge != "" && got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %s, want %s", got, tt.wantChallenge)
			}
			if tt.wantStatus != 200 {
				if s.called {
					t.Error("the handler was called for a denied request")
				}
				if rec.Header().Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate on a denial")
				}
				if got := strings.TrimSpace(rec.Body.String()); tt.wantBody != "" && got != tt.wantBody {
					t.Errorf("body = %s, want %s", got, tt.wantBody)
				}
				if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Content-Type") != "application/json" {
					t.Errorf("headers = %v", rec.Header())
				}
				return
			}
			if !s.called || s.rule != tt.wantRule {
				t.Errorf("handler called %v with rule %q, want rule %q", s.called, s.rule, tt.wantRule)
			}
			if auth := tt.req.Header.Get("Authorization"); auth != "" && (s.tok == nil || s.tok.Subject == "") {
				t.Error("the handler saw no claims")
			}
		})
	}
}

func TestHandlerKeysUnavailable(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Down"})
	pool.SetFault(cognitotest.Fault{Status: http.StatusInternalServerError})
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	rec, s := serve(t, middleware.Config{Verifier: v}, bearerReq("GET", "/", pool.AccessToken()))
	if rec.Code != http.StatusServiceUnavailable || s.called {
		t.Fatalf("status = %d, called %v; want 503", rec.Code, s.called)
	}
	if rec.Header().Get("Retry-After") == "" || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("headers = %v", rec.Header())
	}
	if got := strings.TrimSpace(rec.Body.String()); got != `{"error":"temporarily_unavailable","reason":"jwks_unavailable"}` {
		t.Errorf("body = %s", got)
	}
}

func TestRequireWithoutPolicy(t *testing.T) {
	e := newEnv(t)
	cfg := middleware.Config{Verifier: e.Verifier, Require: &policy.Requirement{GroupsAny: []string{"admin"}}}
	if rec, _ := serve(t, cfg, bearerReq("GET", "/anything", e.Pool.AccessToken(cognitotest.WithGroups("admin")))); rec.Code != 200 {
		t.Errorf("admin: %d", rec.Code)
	}
	if rec, _ := serve(t, cfg, bearerReq("GET", "/anything", e.Pool.AccessToken())); rec.Code != 403 {
		t.Errorf("non-admin: %d", rec.Code)
	}
	// No policy and no requirement: any valid token, and only that.
	if rec, _ := serve(t, middleware.Config{Verifier: e.Verifier}, bearerReq("POST", "/x/y", e.Pool.IDToken())); rec.Code != 200 {
		t.Errorf("valid token: %d", rec.Code)
	}
	if rec, _ := serve(t, middleware.Config{Verifier: e.Verifier}, bearerReq("GET", "/", "")); rec.Code != 401 {
		t.Errorf("no token: %d", rec.Code)
	}
}

func TestSkipperAndPreflight(t *testing.T) {
	e := newEnv(t)
	preflight := bearerReq("OPTIONS", "/admin/x", "")
	preflight.Header.Set("Origin", "https://app.example.com")
	preflight.Header.Set("Access-Control-Request-Method", "DELETE")

	if rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t)}, preflight); rec.Code != 401 || s.called {
		t.Errorf("preflight without AllowCORSPreflight: %d, called %v", rec.Code, s.called)
	}
	if rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), AllowCORSPreflight: true}, preflight); rec.Code != 200 || !s.called || s.tok != nil {
		t.Errorf("preflight allowed: %d, called %v", rec.Code, s.called)
	}
	// An OPTIONS request that is not a preflight is checked.
	if rec, _ := serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), AllowCORSPreflight: true}, bearerReq("OPTIONS", "/admin/x", "")); rec.Code != 401 {
		t.Errorf("plain OPTIONS: %d", rec.Code)
	}
	skip := func(r *http.Request) bool { return r.URL.Path == "/internal/metrics" }
	if rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Skipper: skip}, bearerReq("GET", "/internal/metrics", "")); rec.Code != 200 || !s.called {
		t.Errorf("skipped: %d", rec.Code)
	}
	if rec, _ := serve(t, middleware.Config{Verifier: e.Verifier, Skipper: skip}, bearerReq("GET", "/internal/metrics2", "")); rec.Code != 401 {
		t.Errorf("not skipped: %d", rec.Code)
	}
}

func TestTokenSources(t *testing.T) {
	e := newEnv(t)
	tok := e.Pool.AccessToken()
	withCookie := func(name string) *http.Request {
		r := bearerReq("GET", "/me", "")
		r.AddCookie(&http.Cookie{Name: name, Value: tok})
		return r
	}
	withHeader := func(name, v string) *http.Request {
		r := bearerReq("GET", "/me", "")
		r.Header.Set(name, v)
		return r
	}
	tests := []struct {
		name    string
		sources []middleware.TokenSource
		req     *http.Request
		want    int
	}{
		{"default ignores cookies", nil, withCookie("access_token"), 401},
		{"default ignores the query", nil, bearerReq("GET", "/me?access_token="+tok, ""), 401},
		{"cookie", []middleware.TokenSource{middleware.AuthorizationHeader(), middleware.Cookie("access_token")}, withCookie("access_token"), 200},
		{"other cookie", []middleware.TokenSource{middleware.Cookie("access_token")}, withCookie("session"), 401},
		{"custom header, bare", []middleware.TokenSource{middleware.Header("X-Access-Token")}, withHeader("X-Access-Token", tok), 200},
		{"custom header, bearer", []middleware.TokenSource{middleware.Header("x-access-token")}, withHeader("X-Access-Token", "Bearer "+tok), 200},
		{"custom header with spaces", []middleware.TokenSource{middleware.Header("X-Access-Token")}, withHeader("X-Access-Token", "a b"), 400},
		{"query when opted in", []middleware.TokenSource{middleware.Query("access_token")}, bearerReq("GET", "/me?access_token="+tok, ""), 200},
		{"query twice", []middleware.TokenSource{middleware.Query("access_token")}, bearerReq("GET", "/me?access_token="+tok+"&access_token=x", ""), 400},
		{"first source wins", []middleware.TokenSource{middleware.AuthorizationHeader(), middleware.Cookie("access_token")},
			func() *http.Request {
				r := withCookie("access_token")
				r.Header.Set("Authorization", "Bearer bad.token.x")
				return r
			}(), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, _ := serve(t, middleware.Config{Verifier: e.Verifier, TokenSources: tt.sources}, tt.req)
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
		})
	}
}

func TestHooksAndErrorHandler(t *testing.T) {
	e := newEnv(t)
	var gotErr error
	var successFor string
	cfg := middleware.Config{
		Verifier: e.Verifier,
		Realm:    "orders",
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			gotErr = err
			w.WriteHeader(http.StatusTeapot)
		},
		OnSuccess: func(w http.ResponseWriter, r *http.Request, tok *claims.Token) {
			successFor = tok.Username
			w.Header().Set("X-User", tok.Username)
		},
	}
	rec, _ := serve(t, cfg, bearerReq("GET", "/", e.Pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-3*time.Hour)))))
	var me *middleware.Error
	if rec.Code != http.StatusTeapot || !errors.As(gotErr, &me) || me.Reason != claims.ReasonExpired || me.Status != 401 || !me.TokenSent || !errors.Is(gotErr, claims.ErrExpired) {
		t.Fatalf("error handler got %v (status %d)", gotErr, rec.Code)
	}
	rec, _ = serve(t, cfg, bearerReq("GET", "/", e.Pool.AccessToken(cognitotest.WithUsername("dora"))))
	if rec.Code != 200 || successFor != "dora" || rec.Header().Get("X-User") != "dora" {
		t.Fatalf("success hook: status %d, user %q", rec.Code, successFor)
	}
	// The realm is quoted in the default challenge.
	rec, _ = serve(t, middleware.Config{Verifier: e.Verifier, Realm: "orders api"}, bearerReq("GET", "/", ""))
	if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="orders api"` {
		t.Errorf("challenge = %s", got)
	}
}

func TestNonCanonicalPathIsRedirected(t *testing.T) {
	e := newEnv(t)
	reader := e.Pool.AccessToken(cognitotest.WithGroups("readers"))
	// Judged as /admin/x: denied for a reader, never served as /public/..
	rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t)}, bearerReq("GET", "/public/../admin/x", reader))
	if rec.Code != 403 || s.called {
		t.Fatalf("/public/../admin/x: %d, called %v", rec.Code, s.called)
	}
	// Judged as /public/x and allowed: redirected there, not served as
	// /admin/../public/x, which a router might send to an admin handler.
	rec, s = serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t)}, bearerReq("GET", "/admin/../public/x?q=1", ""))
	if rec.Code != http.StatusPermanentRedirect || s.called || rec.Header().Get("Location") != "/public/x?q=1" {
		t.Fatalf("/admin/../public/x: %d, called %v, Location %q", rec.Code, s.called, rec.Header().Get("Location"))
	}
}

func TestSetPolicy(t *testing.T) {
	e := newEnv(t)
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	code := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, bearerReq("GET", "/elsewhere", ""))
		return rec.Code
	}
	if got := code(); got != 401 {
		t.Fatalf("before: %d", got)
	}
	open, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "all", Route: "/", Anonymous: true}}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetPolicy(open)
	if got := code(); got != 200 {
		t.Fatalf("after: %d", got)
	}
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		cfg  middleware.Config
		want string
	}{
		{"no verifier", middleware.Config{}, "Verifier is required"},
		{"nil verifier", middleware.Config{Verifier: (*claims.Verifier)(nil)}, "nil *claims.Verifier"},
		{"policy and require", middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), Require: &policy.Requirement{}}, "not both"},
		{"bad require", middleware.Config{Verifier: e.Verifier, Require: &policy.Requirement{GroupsAny: []string{}}}, "Require"},
		{"empty sources", middleware.Config{Verifier: e.Verifier, TokenSources: []middleware.TokenSource{}}, "TokenSources is empty"},
		{"nil source", middleware.Config{Verifier: e.Verifier, TokenSources: []middleware.TokenSource{nil}}, "TokenSources[0] is nil"},
		{"quote in realm", middleware.Config{Verifier: e.Verifier, Realm: `a"b`}, "Realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := middleware.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := claims.FromContext(r.Context()); !ok || !tok.HasGroup("admin") {
			t.Error("handler without admin claims")
		}
	}))
	admin := e.Pool.AccessToken(cognitotest.WithGroups("admin"))
	reader := e.Pool.AccessToken(cognitotest.WithGroups("readers"))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				tok, want := admin, 200
				if (g+i)%2 == 0 {
					tok, want = reader, 403
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, bearerReq("GET", "/admin/x", tok).WithContext(context.Background()))
				if rec.Code != want {
					t.Errorf("status %d, want %d", rec.Code, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// countingVerifier counts calls to Verify.
type countingVerifier struct {
	middleware.Verifier
	calls int
}

func (c *countingVerifier) Verify(ctx context.Context, raw string) (*claims.Token, error) {
	c.calls++
	return c.Verifier.Verify(ctx, raw)
}

// TestPreflightBypassIsNarrow guards finding 11: AllowCORSPreflight let
// any OPTIONS request with Origin and Access-Control-Request-Method
// through before path and host canonicalization, with a body and with any
// token. A preflight must now pass the policy's canonical checks (no
// redirect), carry no body, and is never verified.
func TestPreflightBypassIsNarrow(t *testing.T) {
	e := newEnv(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "public", Route: "/public/", Anonymous: true},
		{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "internal", Route: "internal.example.com/", Requirement: policy.Requirement{GroupsAny: []string{"ops"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.Pool.AccessToken(cognitotest.WithGroups("admin"))
	preflight := func(target string, f func(r *http.Request)) *http.Request {
		r := httptest.NewRequest("OPTIONS", target, nil)
		r.Header.Set("Origin", "https://app.example.com")
		r.Header.Set("Access-Control-Request-Method", "DELETE")
		if f != nil {
			f(r)
		}
		return r
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantReason string
	}{
		{"preflight of a protected route", preflight("/admin/x", nil), 200, "ok"},
		{"preflight with Content-Length 0", preflight("/admin/x", func(r *http.Request) { r.Header.Set("Content-Length", "0") }), 200, "ok"},
		{"preflight with a valid token", preflight("/admin/x", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+admin) }), 200, "ok"},
		{"preflight with an invalid token", preflight("/admin/x", func(r *http.Request) { r.Header.Set("Authorization", "Bearer x.y.z") }), 200, "ok"},
		{"dot-dot path", preflight("/public/../admin/x", nil), 401, "missing_token"},
		{"dot-dot path to an anonymous route", preflight("/admin/../public/x", nil), 401, "missing_token"},
		{"double slash", preflight("//admin/x", nil), 401, "missing_token"},
		{"encoded dot-dot", preflight("/public/%2e%2e/admin/x", nil), 400, "non_canonical_path"},
		{"encoded slash", preflight("/public%2F..%2Fadmin/x", nil), 400, "non_canonical_path"},
		{"host in upper case with a trailing dot", preflight("/x", func(r *http.Request) { r.Host = "INTERNAL.example.com." }), 400, "non_canonical_path"},
		{"host with a trailing dot", preflight("/x", func(r *http.Request) { r.Host = "internal.example.com." }), 400, "non_canonical_path"},
		{"list of hosts", preflight("/x", func(r *http.Request) { r.Host = "internal.example.com,example.com" }), 400, "bad_request"},
		{"body", func() *http.Request {
			r := preflight("/admin/x", nil)
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader("DELETE /admin/x")), 15
			return r
		}(), 400, "bad_request"},
		{"chunked body", func() *http.Request {
			r := preflight("/admin/x", nil)
			r.Body, r.ContentLength, r.TransferEncoding = io.NopCloser(strings.NewReader("x")), -1, []string{"chunked"}
			return r
		}(), 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cv := &countingVerifier{Verifier: e.Verifier}
			var gotErr *middleware.Error
			rec, s := serve(t, middleware.Config{Verifier: cv, Policy: p, AllowCORSPreflight: true,
				ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
					errors.As(err, &gotErr)
					middleware.WriteError(w, "cognito-gate", gotErr)
				}}, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s, Location %q)", rec.Code, tt.wantStatus, rec.Body, rec.Header().Get("Location"))
			}
			if cv.calls != 0 {
				t.Errorf("the preflight's token was verified (%d calls)", cv.calls)
			}
			if tt.wantStatus == 200 {
				if !s.called || s.tok != nil || s.rule != "" {
					t.Errorf("handler called %v with token %v, rule %q; want called without either", s.called, s.tok, s.rule)
				}
				return
			}
			if s.called || gotErr == nil || string(gotErr.Reason) != tt.wantReason || rec.Header().Get("Location") != "" {
				t.Errorf("handler called %v, error %+v, Location %q; want a refusal with reason %s", s.called, gotErr, rec.Header().Get("Location"), tt.wantReason)
			}
		})
	}
}
