package adaptertest

import (
	"errors"
	"net/http"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// EchoContext is what EchoHooksOf needs of an Echo context: v4's
// echo.Context and v5's *echo.Context have it.
type EchoContext interface {
	Request() *http.Request
	String(code int, s string) error
	JSON(code int, i any) error
}

// EchoHooks are a Spec's hooks in the form an Echo adapter's Config takes
// them (nil where the Spec sets none), and the handler of the "/*" route.
type EchoHooks[C EchoContext] struct {
	Skipper      func(C) bool
	Before       func(C)
	Success      func(C)
	ErrorHandler func(C, error) error
	// Route calls spec.Handler when set and answers Answer's JSON for the
	// token that token(c) returns.
	Route func(C) error
}

// EchoHooksOf turns spec into an Echo adapter's hooks; token is the
// adapter's Token.
func EchoHooksOf[C EchoContext](spec Spec, token func(C) (*claims.Token, bool)) EchoHooks[C] {
	var h EchoHooks[C]
	if spec.Skipper != nil {
		h.Skipper = func(c C) bool { return spec.Skipper(c.Request()) }
	}
	if spec.Before != nil {
		h.Before = func(C) { spec.Before() }
	}
	if spec.Success != nil {
		h.Success = func(C) { spec.Success() }
	}
	if spec.ErrorHandler != nil {
		h.ErrorHandler = func(c C, err error) error {
			switch spec.ErrorHandler(err) {
			case ReturnNil:
				return nil
			case WriteTeapot:
				return c.String(http.StatusTeapot, "no")
			}
			return err
		}
	}
	h.Route = func(c C) error {
		if spec.Handler != nil {
			spec.Handler()
		}
		tok, ok := token(c)
		return c.JSON(http.StatusOK, Answer(c.Request(), tok, ok))
	}
	return h
}

// RoutePatterns checks an adapter's RoutePattern: convert turns an Echo
// route (method, path) into a policy pattern; notFound is the Echo
// version's RouteNotFound method; errRoute is the adapter's ErrRoute.
func RoutePatterns(t *testing.T, convert func(method, path string) (string, error), notFound string, errRoute error) {
	tests := []struct {
		method, path string
		want         string
		wantErr      bool
	}{
		{"GET", "/users/:sub/files/*", "GET /users/{sub}/files/{path...}", false},
		{"POST", "/orders", "POST /orders", false},
		{notFound, "/*", "/{path...}", false},
		{"GET", "/a/*/b", "", true},
	}
	for _, tt := range tests {
		got, err := convert(tt.method, tt.path)
		if (err != nil) != tt.wantErr || got != tt.want || tt.wantErr && !errors.Is(err, errRoute) {
			t.Errorf("RoutePattern(%s %s) = %q, %v; want %q", tt.method, tt.path, got, err, tt.want)
		}
		if err == nil && tt.method != notFound {
			// The pattern is one the policy accepts.
			if _, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: got}}}); err != nil {
				t.Errorf("policy rejects %q: %v", got, err)
			}
		}
	}
}
