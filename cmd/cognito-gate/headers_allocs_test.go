//go:build !race

package main

import (
	"net/http"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestSetIdentityAllocs: setIdentity makes one allocation for all the
// values, plus one for each joined list (groups, scopes) whose header is
// on; a header that is off costs nothing. (Not under the race detector,
// which changes allocation counts.)
func TestSetIdentityAllocs(t *testing.T) {
	tok := &claims.Token{Use: claims.AccessToken, Subject: "s", Username: "alice", ClientID: "web",
		Groups: []string{"a", "b"}, Scopes: []string{"x", "y"}, Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"}
	allocs := func(extra string) float64 {
		cfg, err := parseConfig([]byte(validConfig+extra), "gate.yaml", nil)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		cfg.headers.setIdentity(h, tok) // the map's own growth, once
		return testing.AllocsPerRun(100, func() { cfg.headers.setIdentity(h, tok) })
	}
	if got := allocs(""); got != 3 {
		t.Errorf("groups and scopes on: %v allocations, want 3 (the values, two joins)", got)
	}
	if got := allocs("identity_headers:\n  groups: \"-\"\n  scopes: \"-\"\n"); got != 1 {
		t.Errorf("groups and scopes off: %v allocations, want 1 (the values)", got)
	}
}

// TestForwardAuthAllocs: a forward-auth subrequest whose token the cache
// answers costs four allocations — the judged request's shallow copy and
// its URL (originalRequest), the identity values (one for all of them:
// the token has no groups and one scope, so nothing is joined) and the
// Cache-Control value — and no copy of the token (authorizeExact: see
// TestForwardAuthReadsTheCachedToken; with the copy it was five).
func TestForwardAuthAllocs(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	g := newExtAuthzGate(t, pool, servePathPolicy, "", zapcore.NewNopCore())
	h := g.forwardAuthHandler()
	r := servePathRequest("/auth", pool.AccessToken())
	r.Header.Set("X-Forwarded-Method", "GET")
	r.Header.Set("X-Forwarded-Uri", "/orders/42")
	r.Header.Set("X-Forwarded-Host", "api.example.com")
	w := &bodyWriter{h: make(http.Header)}
	serve := func() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, r)
	}
	serve() // caches the token
	if w.code != http.StatusOK {
		t.Fatalf("status %d, want 200", w.code)
	}
	if got := testing.AllocsPerRun(200, serve); got > 4 {
		t.Errorf("a cached forward-auth subrequest: %v allocations, want at most 4", got)
	}
}
