package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// escalate is what a careless (or hostile) handler does to the token it is
// given: makes it an admin's.
func escalate(tok *claims.Token) {
	if len(tok.Groups) > 0 {
		tok.Groups[0] = "admin"
	}
	tok.Groups = append(tok.Groups, "admin")
	tok.Subject, tok.ClientID = "root", "other"
}

// TestSharedTokenStaysTheCaches: the middleware takes a cache hit's token
// without copying it (internal/tokenshare) and copies it only when it
// leaves for code that is not this module's: the handler's
// claims.FromContext, Config.OnSuccess, Check's Outcome.Token, Authorize's
// Result.Token, a LiveChecker. Whatever any of them writes into its token,
// the next request with the same token is judged on the token as signed
// (/admin/ needs the group admin, which the token lacks) and hands out the
// token as signed.
func TestSharedTokenStaysTheCaches(t *testing.T) {
	e := newEnv(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "profile", Route: "GET /me"},
		{Name: "pay", Route: "POST /pay", LiveCheck: true},
		{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	type writer struct {
		name string
		// write gets the middleware's configuration (to set hooks in) and
		// returns a function that makes one request of tok write into
		// the token it is handed.
		write func(cfg *middleware.Config) func(t *testing.T, m *middleware.Middleware, tok string)
	}
	handler := func(m *middleware.Middleware, method, target, tok string, next func(*http.Request)) int {
		rec := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next(r) })).ServeHTTP(rec, bearerReq(method, target, tok))
		return rec.Code
	}
	writers := []writer{
		{"handler's claims.FromContext", func(*middleware.Config) func(*testing.T, *middleware.Middleware, string) {
			return func(t *testing.T, m *middleware.Middleware, tok string) {
				handler(m, "GET", "/me", tok, func(r *http.Request) {
					got, _ := claims.FromContext(r.Context())
					escalate(got)
				})
			}
		}},
		{"OnSuccess", func(cfg *middleware.Config) func(*testing.T, *middleware.Middleware, string) {
			cfg.OnSuccess = func(_ http.ResponseWriter, _ *http.Request, tok *claims.Token) { escalate(tok) }
			return func(t *testing.T, m *middleware.Middleware, tok string) {
				handler(m, "GET", "/me", tok, func(*http.Request) {})
			}
		}},
		{"Check's Outcome.Token", func(*middleware.Config) func(*testing.T, *middleware.Middleware, string) {
			return func(t *testing.T, m *middleware.Middleware, tok string) {
				o := m.Check(bearerReq("GET", "/me", tok))
				escalate(o.Token())
				got, _ := claims.FromContext(o.Request().Context())
				escalate(got)
			}
		}},
		{"Authorize's Result.Token", func(*middleware.Config) func(*testing.T, *middleware.Middleware, string) {
			return func(t *testing.T, m *middleware.Middleware, tok string) {
				escalate(m.Authorize(bearerReq("GET", "/me", tok)).Token)
				escalate(m.AuthorizeExact(bearerReq("GET", "/me", tok)).Token)
			}
		}},
		{"LiveChecker", func(cfg *middleware.Config) func(*testing.T, *middleware.Middleware, string) {
			cfg.LiveCheck = liveFunc(func(_ context.Context, tok *claims.Token, _ string) error { escalate(tok); return nil })
			return func(t *testing.T, m *middleware.Middleware, tok string) {
				if code := handler(m, "POST", "/pay", tok, func(*http.Request) {}); code != 200 {
					t.Fatalf("POST /pay: %d", code)
				}
			}
		}},
	}
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			raw := e.Pool.AccessToken(cognitotest.WithSubject("sub-shared-"+w.name), cognitotest.WithGroups("readers"))
			want, err := e.Verifier.Verify(context.Background(), raw) // cached now
			if err != nil {
				t.Fatal(err)
			}
			cfg := middleware.Config{Verifier: e.Verifier, Policy: p,
				LiveCheck: liveFunc(func(context.Context, *claims.Token, string) error { return nil })}
			write := w.write(&cfg)
			m, err := middleware.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			hits := e.Verifier.CacheStats().Hits
			for range 3 {
				write(t, m, raw)
			}
			if e.Verifier.CacheStats().Hits == hits {
				t.Fatal("no cache hit: the test does not reach the shared path")
			}
			if code := handler(m, "GET", "/admin/x", raw, func(*http.Request) {}); code != http.StatusForbidden {
				t.Errorf("GET /admin/x after the writes: %d, want 403", code)
			}
			// A middleware without the hooks (OnSuccess would write into the
			// handler's copy first): the cache is the verifier's.
			plain, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: p, LiveCheck: cfg.LiveCheck})
			if err != nil {
				t.Fatal(err)
			}
			handler(plain, "GET", "/me", raw, func(r *http.Request) {
				got, _ := claims.FromContext(r.Context())
				if !reflect.DeepEqual(got, want) {
					t.Errorf("the next request's token\n%+v\nwant\n%+v", got, want)
				}
			})
		})
	}
}

// liveFunc is a LiveChecker.
type liveFunc func(ctx context.Context, tok *claims.Token, raw string) error

func (f liveFunc) Check(ctx context.Context, tok *claims.Token, raw string) error {
	return f(ctx, tok, raw)
}

// TestSharedTokenOneCopyPerRequest: within one request, claims.FromContext
// answers one copy, from any number of calls and goroutines, and
// OnSuccess is given that same copy; two requests never share one.
func TestSharedTokenOneCopyPerRequest(t *testing.T) {
	e := newEnv(t)
	raw := e.Pool.AccessToken(cognitotest.WithSubject("sub-one-copy"), cognitotest.WithGroups("readers", "writers"))
	if _, err := e.Verifier.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	var hook *claims.Token
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t),
		OnSuccess: func(_ http.ResponseWriter, _ *http.Request, tok *claims.Token) { hook = tok }})
	if err != nil {
		t.Fatal(err)
	}
	var seen []*claims.Token
	h := m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var wg sync.WaitGroup
		got := make([]*claims.Token, 8)
		for i := range got {
			wg.Go(func() { got[i], _ = claims.FromContext(r.Context()) })
		}
		wg.Wait()
		for _, g := range got {
			if g != got[0] || g == nil {
				t.Fatalf("FromContext answered %p and %p in one request", g, got[0])
			}
		}
		if hook != got[0] {
			t.Errorf("OnSuccess got %p, the handler %p", hook, got[0])
		}
		seen = append(seen, got[0])
	}))
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), bearerReq("GET", "/me", raw))
	}
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Fatalf("two requests shared a token: %p", seen)
	}
	if !slices.Equal(seen[0].Groups, []string{"readers", "writers"}) {
		t.Errorf("groups %q", seen[0].Groups)
	}
}
