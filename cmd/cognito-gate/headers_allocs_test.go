//go:build !race

package main

import (
	"net/http"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
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
