//go:build !race

package middleware_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// nopWriter is a ResponseWriter that allocates nothing.
type nopWriter struct{ h http.Header }

func (w nopWriter) Header() http.Header         { return w.h }
func (w nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w nopWriter) WriteHeader(int)             {}

// TestCachedRequestAllocs: a request with a cached token costs the
// middleware one allocation of its own — the admitted request's copy and
// its context, allocated together (admittedRequest) — besides the
// verifier's copy of the token and the policy's decision, which are
// counted on their own here and allocates nothing for a route it has
// looked up before. (Issue 18: at
// most 4 over a no-auth handler; the metrics, the outcome and the log
// check allocate nothing.) Not under the race detector, which changes
// allocation counts.
func TestCachedRequestAllocs(t *testing.T) {
	env := newEnv(t)
	metrics, err := middleware.NewMetrics(nil, env.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: env.Verifier, Metrics: metrics, Policy: testPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	raw := env.Pool.AccessToken()
	req := bearerReq(http.MethodGet, "http://api.example.com/me", raw)
	var admitted bool
	h := m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, admitted = claims.FromContext(r.Context())
	}))
	w := nopWriter{h: make(http.Header)}
	h.ServeHTTP(w, req) // caches the token
	if !admitted {
		t.Fatal("the request was not admitted with its token")
	}
	total := testing.AllocsPerRun(500, func() { h.ServeHTTP(w, req) })
	tok, err := env.Verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	verify := testing.AllocsPerRun(500, func() { _, _ = env.Verifier.Verify(context.Background(), raw) })
	decide := testing.AllocsPerRun(500, func() { _ = m.Policy().Decide(req, tok) })
	own := total - verify - decide
	t.Logf("%v allocations a request: %v the middleware's own, %v Verify's, %v the policy's", total, own, verify, decide)
	if decide != 0 {
		t.Errorf("the policy allocates %v times deciding a request it has routed before, want 0 (its route memo)", decide)
	}
	if own > 1 {
		t.Errorf("the middleware allocates %v times a cached request besides Verify (%v) and Decide (%v), want at most 1", own, verify, decide)
	}
	// A handler that does not ask for the token: the cache's token is
	// never copied (internal/tokenshare), so the request's copy with its
	// context is all.
	blind := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if n := testing.AllocsPerRun(500, func() { blind.ServeHTTP(w, req) }); n > 1 {
		t.Errorf("a cached request whose handler does not read the token allocates %v times, want at most 1", n)
	}
}
