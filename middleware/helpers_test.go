package middleware_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// testPolicy is a small realistic policy.
func testPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "health", Route: "GET /healthz", Anonymous: true},
		{Name: "public", Route: "/public/", Anonymous: true},
		{Name: "profile", Route: "GET /me"},
		{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "orders-write", Route: "POST /orders", Requirement: policy.Requirement{ScopesAny: []string{"orders/write"}}},
		{Name: "own-files", Route: "/users/{sub}/", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "sub", Op: policy.OpEquals, Value: "{sub}"}}}},
	}})
	if err != nil {
		t.Fatalf("policy.New: %v", err)
	}
	return p
}

// env is a fake pool, a verifier for it and the shared test policy.
type env struct {
	pool *cognitotest.Pool
	v    *claims.Verifier
}

var (
	envOnce sync.Once
	shared  *env
	envErr  error
)

// newEnv returns a pool and hydrated verifier (fixed clock t0). Tests share
// one: they only read from it.
func newEnv(t testing.TB) *env {
	t.Helper()
	envOnce.Do(func() {
		pool, err := cognitotest.Start(cognitotest.Config{Now: func() time.Time { return t0 }})
		if err != nil {
			envErr = err
			return
		}
		v, err := claims.New(claims.Config{
			Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AnyToken}},
			Now:   func() time.Time { return t0 },
		})
		if err != nil {
			envErr = err
			return
		}
		if err := v.Hydrate(context.Background()); err != nil {
			envErr = err
			return
		}
		shared = &env{pool: pool, v: v}
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return shared
}

// seen is what the protected handler observed.
type seen struct {
	called bool
	tok    *claims.Token
	rule   string
	path   string
}

// serve runs req through a middleware built from cfg (Verifier defaults to
// the env's) in front of a handler that records what it sees.
func serve(t testing.TB, cfg middleware.Config, req *http.Request) (*httptest.ResponseRecorder, seen) {
	t.Helper()
	m, err := middleware.New(cfg)
	if err != nil {
		t.Fatalf("middleware.New: %v", err)
	}
	var s seen
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.called = true
		s.tok, _ = claims.FromContext(r.Context())
		s.rule, _ = middleware.RuleFromContext(r.Context())
		s.path = r.URL.Path
		io.WriteString(w, "ok")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, s
}

func bearerReq(method, target, token string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func fmtAny(v any) string { return fmt.Sprint(v) }
