package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

func TestForwardAuth(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	cfg := writeConfig(t, pool, "", e2ePolicy, "")
	p := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)
	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"))
	reader := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	fa := func(method, uri string) map[string]string {
		return map[string]string{"X-Forwarded-Method": method, "X-Forwarded-Uri": uri, "X-Forwarded-Host": "api.example.com"}
	}

	tests := []struct {
		name     string
		path     string // the subrequest's own path
		hdr      map[string]string
		token    string
		want     int
		wantSub  string
		wantAuth string // WWW-Authenticate fragment
	}{
		{"traefik, admin", "/auth", map[string]string{"X-Forwarded-Method": "DELETE", "X-Forwarded-Uri": "/admin/users/1", "X-Forwarded-Host": "api.example.com"}, admin, 200, "sub-alice", ""},
		{"traefik, reader", "/auth", fa("GET", "/admin/users/1"), reader, 403, "", `error="insufficient_scope"`},
		{"nginx, no token", "/auth", fa("GET", "/me"), "", 401, "", `Bearer realm="cognito-gate"`},
		{"nginx, anonymous route", "/auth", fa("GET", "/public/x?a=1"), "", 200, "", ""},
		{"nginx, bad token", "/auth", fa("GET", "/me"), "x.y.z", 401, "", `error="invalid_token"`},
		{"the subrequest alone is not judged", "/admin/x", nil, admin, 400, "", `error="invalid_request"`},
		{"non-canonical path is refused", "/auth", fa("GET", "/admin/../public/x"), "", 400, "", `error_description="non_canonical_path"`},
		{"non-canonical path with a token", "/auth", fa("GET", "/public//../me"), reader, 400, "", `error_description="non_canonical_path"`},
		{"absolute URI is rejected", "/auth", fa("GET", "http://evil.example/admin/"), admin, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, "GET", p.addr["forward-auth"]+tt.path, tt.token, tt.hdr)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if got := resp.Header.Get("X-Auth-Sub"); got != tt.wantSub {
				t.Errorf("X-Auth-Sub = %q, want %q", got, tt.wantSub)
			}
			if tt.wantAuth != "" && !strings.Contains(resp.Header.Get("WWW-Authenticate"), tt.wantAuth) {
				t.Errorf("WWW-Authenticate = %q, want %q", resp.Header.Get("WWW-Authenticate"), tt.wantAuth)
			}
		})
	}
	if resp := get(t, "GET", p.addr["admin"]+"/readyz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d (forward-auth needs no upstream)", resp.StatusCode)
	}
}
