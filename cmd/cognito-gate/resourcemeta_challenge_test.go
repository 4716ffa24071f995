package main

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestResourceMetadataChallengeServed: with resource_metadata, every 401
// of serve names the document in its challenge (RFC 9728 section 5.1),
// with or without a token; 403s and 400s do not.
func TestResourceMetadataChallengeServed(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, up.URL, e2ePolicy, "resource_metadata:\n  resource: https://api.example.com/mcp\n"))
	const rm = `, resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"`
	for _, tc := range []struct {
		name, path, tok string
		status          int
		challenge       string
	}{
		{"no token", "/me", "", 401, `Bearer realm="cognito-gate"` + rm},
		{"bad token", "/me", "a.b.c", 401, `Bearer realm="cognito-gate", error="invalid_token", error_description="malformed"` + rm},
		{"not allowed", "/admin/x", pool.AccessToken(), 403, `Bearer realm="cognito-gate", error="insufficient_scope", error_description="group_denied"`},
	} {
		resp := get(t, "GET", p.addr["proxy"]+tc.path, tc.tok, nil)
		if resp.StatusCode != tc.status || resp.Header.Get("WWW-Authenticate") != tc.challenge {
			t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tc.status, tc.challenge)
		}
	}
}
