package middleware_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// t0 is the clock of the shared Env.
var t0 = adaptertest.T0

// The fixtures every adapter's tests share.
var (
	newEnv     = adaptertest.NewEnv
	testPolicy = adaptertest.Policy
	bearerReq  = adaptertest.BearerReq
	sample     = adaptertest.Sample
)

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

func fmtAny(v any) string { return fmt.Sprint(v) }
