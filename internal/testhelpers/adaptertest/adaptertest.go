// Package adaptertest holds the tests that every adapter of the middleware
// (net/http's Handler, middleware/echomw for Echo v4, middleware/echomw/v5
// for Echo v5) must pass, written once: each adapter's test package
// describes how to build its middleware from a neutral Spec (an Adapter)
// and calls the suite functions from tests of its own names. The tests
// include the security guards (ContinueOnIgnoredError, the unread body,
// the canceled request), so that no adapter can miss one. It also holds
// the fixtures those tests and the middleware's own share: the Env, the
// Policy, raw exchanges and metric samples.
package adaptertest

import (
	"context"
	"encoding/json"
	"errors"
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

// Adapter describes the adapter under test.
type Adapter struct {
	// Build returns an application with the adapter's middleware for spec
	// (Config.ToMiddleware, or New when spec.Shared is set) in front of
	// one route for every method and path ("/*"), whose handler calls
	// spec.Handler when set and answers 200 with Answer's JSON. It returns
	// the configuration error of ToMiddleware or New.
	Build func(spec Spec) (http.Handler, error)
	// ErrConfig is the adapter's ErrConfig.
	ErrConfig error
	// EchoHooks reports whether the adapter has the Echo hooks of Spec
	// (Skipper, Before, Success, ErrorHandler, ContinueOnIgnoredError).
	// Suites skip, by name, the cases that need them when it has not.
	EchoHooks bool
}

// NetHTTP is net/http's adapter: middleware.Handler in front of the
// route. It has no Echo hooks.
var NetHTTP = Adapter{Build: func(spec Spec) (http.Handler, error) {
	if spec.needsEchoHooks() {
		return nil, errors.New("adaptertest: net/http's Handler has no Echo hooks")
	}
	m := spec.Shared
	if m == nil {
		var err error
		if m, err = middleware.New(spec.Config); err != nil {
			return nil, err
		}
	}
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if spec.Handler != nil {
			spec.Handler()
		}
		tok, ok := claims.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Answer(r, tok, ok))
	})), nil
}}

// Action is what a Spec's ErrorHandler does.
type Action int

// The actions of an ErrorHandler.
const (
	ReturnErr   Action = iota // return the error it was given
	ReturnNil                 // return nil: ignore the denial
	WriteTeapot               // answer 418 "no" itself and return that write's error
)

// Spec is an adapter configuration in neutral form; each field stands for
// the adapter's field of the same name.
type Spec struct {
	Config middleware.Config      // the embedded middleware.Config
	Shared *middleware.Middleware // when set: New(Shared, ...), Config must then be empty

	Skipper func(r *http.Request) bool // given the Echo request
	Before  func()                     // BeforeFunc
	Success func()                     // SuccessHandler
	// ErrorHandler, when set, becomes the adapter's ErrorHandler: it is
	// given the error, then does what it returns.
	ErrorHandler           func(err error) Action
	ContinueOnIgnoredError bool

	// Handler, when set, is called by the route's handler.
	Handler func()
}

// needsEchoHooks reports whether spec sets a hook only Echo adapters have.
func (s Spec) needsEchoHooks() bool {
	return s.Skipper != nil || s.Before != nil || s.Success != nil || s.ErrorHandler != nil || s.ContinueOnIgnoredError
}

// Answer is what the route's handler answers: the user of the token the
// adapter stored on the Echo context ("" for none), whether that is the
// token in the request's context, and the rule in the request's context.
func Answer(r *http.Request, tok *claims.Token, ok bool) map[string]any {
	ctxTok, _ := claims.FromContext(r.Context())
	rule, _ := middleware.RuleFromContext(r.Context())
	user := ""
	if ok {
		user = tok.Username
	}
	return map[string]any{"user": user, "same": tok == ctxTok, "rule": rule}
}

// T0 is the clock of Env's pool and verifier.
var T0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// Env is a fake pool and a hydrated verifier for it (clock T0).
type Env struct {
	Pool     *cognitotest.Pool
	Verifier *claims.Verifier
}

var (
	envOnce sync.Once
	shared  *Env
	envErr  error
)

// NewEnv returns the test binary's Env, started on first use. Tests share
// it: they only read from it.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	envOnce.Do(func() {
		pool, err := cognitotest.Start(cognitotest.Config{Now: func() time.Time { return T0 }})
		if err != nil {
			envErr = err
			return
		}
		v, err := claims.New(claims.Config{
			Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AnyToken}},
			Now:   func() time.Time { return T0 },
		})
		if err != nil {
			envErr = err
			return
		}
		if err := v.Hydrate(context.Background()); err != nil {
			envErr = err
			return
		}
		shared = &Env{Pool: pool, Verifier: v}
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return shared
}

// CloseEnv closes the test binary's Env when it was started, for TestMain.
func CloseEnv() {
	if shared != nil {
		shared.Verifier.Close()
		shared.Pool.Close()
	}
}

// Policy is the suite's policy: anonymous /healthz and /public/, any token
// for GET /me, group admin for /admin/, a scope for POST /orders, and
// /users/{sub}/ for the user sub.
func Policy(t testing.TB) *policy.Policy {
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

// requireAll is a policy under which every request needs a token.
func requireAll(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "all", Route: "/"}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BearerReq returns a request with the token (none when "") as a bearer
// credential.
func BearerReq(method, target, token string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// build is a.Build that fails the test on a configuration error.
func build(t *testing.T, a Adapter, spec Spec) http.Handler {
	t.Helper()
	h, err := a.Build(spec)
	if err != nil {
		t.Fatalf("building the middleware: %v", err)
	}
	return h
}

// LyingVerifier is a middleware.Verifier that returns Err for every token.
type LyingVerifier struct{ Err error }

// Verify returns l.Err.
func (l LyingVerifier) Verify(context.Context, string) (*claims.Token, error) { return nil, l.Err }
