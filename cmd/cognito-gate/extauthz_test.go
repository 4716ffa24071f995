package main

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestExtAuthzCheck judges CheckRequests built as Envoy builds them, over
// gRPC: every allow and deny path, the attacks of the HTTP forward-auth
// tests translated to the CheckRequest (spoofed identity headers in the
// map, keys that differ only in case, path tricks, host lists), and the
// CheckRequest's own (pseudo-headers that disagree, both header forms).
// Each call is counted exactly once, under the expected reason, and
// logged once.
func TestExtAuthzCheck(t *testing.T) {
	rig := newExtAuthzRig(t, nil, extAuthzPolicy, "")
	admin := rig.pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"))
	bob := rig.pool.AccessToken(cognitotest.WithSubject("sub-bob"), cognitotest.WithScopes("orders/read"))
	const host = "api.example.com"
	get := func(path string, h map[string]string) *authv3.CheckRequest {
		return envoyCheck("GET", host, path, h, nil)
	}
	tests := []struct {
		name   string
		req    *authv3.CheckRequest
		status int // 200 for allowed
		code   codes.Code
		reason string // the recorded reason
		sub    string // x-auth-sub set upstream
		auth   string // a fragment of the denial's WWW-Authenticate
		body   string // the denial's body
	}{
		{"admin", envoyCheck("DELETE", host, "/admin/users/1", bearer(admin), nil), 200, codes.OK, "ok", "sub-alice", "", ""},
		{"own profile", get("/users/sub-bob/profile", bearer(bob)), 200, codes.OK, "ok", "sub-bob", "", ""},
		{"scope", get("/orders/7?expand=items", bearer(bob)), 200, codes.OK, "ok", "sub-bob", "", ""},
		{"anonymous route with a query", get("/public/x?a=1&b=2", nil), 200, codes.OK, "ok", "", "", ""},
		{"anonymous route, a bad token is not read", get("/public/x", bearer("x.y.z")), 401, codes.Unauthenticated, "malformed", "", `error="invalid_token"`, `{"error":"invalid_token","reason":"malformed"}` + "\n"},
		{"no token", get("/me", nil), 401, codes.Unauthenticated, "missing_token", "", `Bearer realm="cognito-gate"`, `{"error":"unauthorized","reason":"missing_token"}` + "\n"},
		{"someone else's profile", get("/users/sub-carol/profile", bearer(bob)), 403, codes.PermissionDenied, "claim_denied", "", `error="insufficient_scope"`, `{"error":"insufficient_scope","reason":"claim_denied"}` + "\n"},
		{"group", get("/admin/x", bearer(bob)), 403, codes.PermissionDenied, "group_denied", "", `error="insufficient_scope"`, ""},
		{"missing scope", get("/orders/7", bearer(admin)), 403, codes.PermissionDenied, "insufficient_scope", "", `scope="orders/read"`, ""},
		{"no rule", get("/other", bearer(bob)), 403, codes.PermissionDenied, "no_rule", "", "", ""},
		{"host rule", envoyCheck("GET", "internal.example.com", "/public/x", nil, nil), 401, codes.Unauthenticated, "missing_token", "", "", ""},
		{"host rule with a port", envoyCheck("GET", "internal.example.com:443", "/x", bearer(admin), nil), 200, codes.OK, "ok", "sub-alice", "", ""},
		{"bearer twice", get("/me", map[string]string{"authorization": "Bearer " + bob + ",Bearer " + admin}), 400, codes.InvalidArgument, "malformed", "", `error="invalid_request"`, ""},

		// Path tricks: Envoy forwards the path it sent.
		{"dot-dot", get("/admin/../public/x", nil), 400, codes.InvalidArgument, "non_canonical_path", "", `error="invalid_request"`, `{"error":"invalid_request","reason":"non_canonical_path"}` + "\n"},
		{"dot-dot into a protected area is judged there", get("/public/../admin/x", nil), 401, codes.Unauthenticated, "missing_token", "", "", ""},
		{"dot-dot with a token", get("/public//../me", bearer(bob)), 400, codes.InvalidArgument, "non_canonical_path", "", "", ""},
		{"double slash", get("//admin/x", bearer(admin)), 400, codes.InvalidArgument, "non_canonical_path", "", "", ""},
		{"encoded dot-dot", get("/public/%2e%2e/admin/x", nil), 400, codes.InvalidArgument, "non_canonical_path", "", "", ""},
		{"encoded slash", get("/public%2F..%2Fadmin/x", nil), 400, codes.InvalidArgument, "non_canonical_path", "", "", ""},
		{"fragment", get("/public/x#/admin", nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"fragment ending a segment", get("/admin#/public/x", nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"absolute URI", get("http://evil.example/admin/x", bearer(admin)), 400, codes.InvalidArgument, "bad_request", "", "", `{"error":"invalid_request","reason":"bad_request"}` + "\n"},
		{"asterisk", envoyCheck("OPTIONS", host, "*", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"empty path (CONNECT)", envoyCheck("CONNECT", host, "", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"lower-case method", envoyCheck("get", host, "/public/x", nil, nil), 400, codes.InvalidArgument, "non_canonical_path", "", "", ""},
		{"method with a space", envoyCheck("GET /admin", host, "/public/x", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"empty method", envoyCheck("", host, "/public/x", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},

		// Hosts.
		{"host list", envoyCheck("GET", "www.example.com,internal.example.com", "/public/x", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"host with two ports", envoyCheck("GET", "internal.example.com:1:2", "/public/x", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"empty host", envoyCheck("GET", "", "/public/x", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},

		// Headers the client chose.
		{"identity header", get("/public/x", map[string]string{"x-auth-groups": "admin"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"identity header beside a token", get("/me", plus(bearer(bob), "x-auth-sub", "sub-alice")), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"identity header, underscores", get("/public/x", map[string]string{"x_auth_groups": "admin"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"identity header, dots", get("/public/x", map[string]string{"x.auth.sub": "spoofed"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"identity header, renamed default", get("/public/x", map[string]string{"x-auth-token_use": "id"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"routing override", get("/public/x", map[string]string{"x-original-url": "/admin/x"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"method override", envoyCheck("POST", host, "/public/x", map[string]string{"x-http-method-override": "DELETE"}, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"forwarded header, underscores", get("/public/x", map[string]string{"x_forwarded_host": "internal.example.com"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"override header, dots", get("/public/x", map[string]string{"x.real.ip": "10.0.0.1"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"method override parameter", envoyCheck("POST", host, "/public/x?_method=DELETE", nil, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"method override parameter, later", get("/public/x?a=1&_method=DELETE", nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"method override parameter, encoded", get("/public/x?%5Fmethod=DELETE", nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"method override parameter, array", get("/public/x?_method[]=DELETE", nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"method override parameter, dot", get("/public/x?.method=DELETE", nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"a parameter like it", get("/public/x?my_method=1&_methods=2", nil), 200, codes.OK, "ok", "", "", ""},
		{"spoofed forwarded URI is not read", get("/admin/x", map[string]string{"x-forwarded-uri": "/public/x"}), 401, codes.Unauthenticated, "missing_token", "", "", ""},
		{"upper-case key", get("/public/x", map[string]string{"X-Auth-Sub": "spoofed"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"keys differing in case", get("/me", map[string]string{"authorization": "Bearer " + bob, "Authorization": "Bearer " + admin}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"control character", get("/public/x", map[string]string{"x-note": "a\r\nx-auth-sub: spoofed"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"header name not a token", get("/public/x", map[string]string{"x auth": "1"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},

		// The CheckRequest itself.
		{":path disagrees", get("/admin/x", map[string]string{":path": "/public/x"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{":authority disagrees", envoyCheck("GET", "internal.example.com", "/x", map[string]string{":authority": host}, nil), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{":method disagrees", get("/public/x", map[string]string{":method": "DELETE"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"raw headers", rawHeaders(get("/me", bearer(bob))), 200, codes.OK, "ok", "sub-bob", "", ""},
		{"raw headers, bearer twice", rawHeaders(get("/me", bearer(bob)), [2]string{"authorization", "Bearer " + admin}), 400, codes.InvalidArgument, "malformed", "", "", ""},
		{"raw headers, identity header", rawHeaders(get("/public/x", nil), [2]string{"x-auth-sub", "spoofed"}), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"both header forms", func() *authv3.CheckRequest {
			r := rawHeaders(get("/public/x", nil))
			r.Attributes.Request.Http.Headers = map[string]string{"x-auth-sub": "spoofed"}
			return r
		}(), 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"no http attributes", &authv3.CheckRequest{Attributes: &authv3.AttributeContext{}}, 400, codes.InvalidArgument, "bad_request", "", "", ""},
		{"empty CheckRequest", &authv3.CheckRequest{}, 400, codes.InvalidArgument, "bad_request", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result := middleware.ResultDenied
			if tt.status == 200 {
				result = middleware.ResultAllowed
			}
			total, counted := rig.totalRequests(t), rig.requests(t, result, tt.reason)
			lines := rig.logs.Len()
			a := rig.check(t, tt.req)
			if got := codes.Code(a.code); got != tt.code {
				t.Errorf("status code %v, want %v", got, tt.code)
			}
			switch {
			case tt.status == 200 && !a.allowed:
				t.Fatalf("denied %d %s, want allowed", a.status, a.body)
			case tt.status != 200 && (a.allowed || a.status != tt.status):
				t.Fatalf("allowed %v, status %d, want denied %d", a.allowed, a.status, tt.status)
			}
			if got := a.header.Get("X-Auth-Sub"); tt.status == 200 && got != tt.sub {
				t.Errorf("x-auth-sub = %q, want %q", got, tt.sub)
			}
			if tt.auth != "" && !strings.Contains(a.header.Get("Www-Authenticate"), tt.auth) {
				t.Errorf("www-authenticate = %q, want %q in it", a.header.Get("Www-Authenticate"), tt.auth)
			}
			if tt.body != "" && a.body != tt.body {
				t.Errorf("body %q, want %q", a.body, tt.body)
			}
			if tt.status != 200 && a.header.Get("Content-Type") != "application/json" {
				t.Errorf("content-type %q", a.header.Get("Content-Type"))
			}
			if got := rig.totalRequests(t); got != total+1 {
				t.Errorf("%v requests counted, want 1", got-total)
			}
			if got := rig.requests(t, result, tt.reason); got != counted+1 {
				t.Errorf("not counted as %s/%s", result, tt.reason)
			}
			if got := rig.logs.Len() - lines; got != 1 {
				t.Errorf("%d log lines, want 1: %v", got, rig.logs.All()[lines:])
			}
		})
	}
	for _, e := range rig.logs.All() {
		for _, f := range e.Context {
			if strings.Contains(f.String, "spoofed") || strings.Contains(f.String, bob) || strings.Contains(f.String, admin) {
				t.Errorf("a header value or a token was logged: %s %s=%q", e.Message, f.Key, f.String)
			}
		}
	}
}

// TestExtAuthzHeaderMutations checks the header lists of allowed answers:
// identity headers set (replacing a client's), every other identity name
// and the credentials the gate did not verify removed, never a header both
// set and removed (Envoy removes after it sets).
func TestExtAuthzHeaderMutations(t *testing.T) {
	identity := []string{"x-auth-caller", "x-auth-caller-type", "x-auth-client-id", "x-auth-groups", "x-auth-issuer", "x-auth-pool-id",
		"x-auth-scopes", "x-auth-sub", "x-auth-token-use", "x-auth-username"}
	pool := cognitotest.New(t, cognitotest.Config{})
	alice := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin", "ops"), cognitotest.WithScopes("orders/read"))
	aliceSet := map[string]string{
		"x-auth-sub": "sub-alice", "x-auth-username": "alice", "x-auth-groups": "admin,ops", "x-auth-scopes": "orders/read",
		"x-auth-client-id": pool.ClientID(), "x-auth-token-use": "access", "x-auth-issuer": pool.Issuer(),
		"x-auth-caller": "alice", "x-auth-caller-type": "user",
	}
	// A verified answer removes the identity names it does not set:
	// X-Auth-Pool-Id (identity_headers.pool_id is off).
	verifiedRemove := func(names ...string) []string { return append(names, "x-auth-pool-id") }
	anonymousRemove := append([]string{"authorization"}, identity...)
	tests := []struct {
		name   string
		extra  string // configuration
		req    *authv3.CheckRequest
		set    map[string]string // every header set upstream
		remove []string          // every header removed
	}{
		{
			name: "verified token, forwarded",
			req:  envoyCheck("GET", "api.example.com", "/admin/x", bearer(alice), nil),
			set:  aliceSet, remove: verifiedRemove(),
		},
		{
			name: "anonymous: an Authorization the gate did not verify goes",
			req:  envoyCheck("GET", "api.example.com", "/public/x", map[string]string{"authorization": "Basic dXNlcjpwdw=="}, nil),
			set:  map[string]string{}, remove: anonymousRemove,
		},
		{
			name:  "forward_authorization: false",
			extra: "forward_authorization: false\n",
			req:   envoyCheck("GET", "api.example.com", "/admin/x", bearer(alice), nil),
			set:   aliceSet, remove: verifiedRemove("authorization"),
		},
		{
			name:  "renamed, turned off and claim headers",
			extra: "identity_headers:\n  sub: X-User\n  scopes: \"-\"\n  claims:\n    email: X-User-Email\n",
			req:   envoyCheck("GET", "api.example.com", "/admin/x", bearer(alice), nil),
			set: map[string]string{
				"x-user": "sub-alice", "x-auth-username": "alice", "x-auth-groups": "admin,ops",
				"x-auth-client-id": pool.ClientID(), "x-auth-token-use": "access", "x-auth-issuer": pool.Issuer(),
				"x-auth-caller": "alice", "x-auth-caller-type": "user",
			},
			remove: verifiedRemove("x-auth-scopes", "x-auth-sub", "x-user-email"),
		},
		{
			name:  "an empty token cookie on an anonymous route",
			extra: "tokens:\n  cookie: session\n",
			req:   envoyCheck("GET", "api.example.com", "/public/x", map[string]string{"cookie": "theme=dark; session=; lang=en"}, nil),
			set:   map[string]string{"cookie": "theme=dark; lang=en"}, remove: anonymousRemove,
		},
		{
			name:  "only the token cookie",
			extra: "tokens:\n  cookie: session\n",
			req:   envoyCheck("GET", "api.example.com", "/public/x", map[string]string{"cookie": "session="}, nil),
			set:   map[string]string{}, remove: append([]string{"cookie"}, anonymousRemove...),
		},
		{
			name:  "verified token cookie, forwarded",
			extra: "tokens:\n  authorization: false\n  cookie: session\n",
			req:   envoyCheck("GET", "api.example.com", "/admin/x", map[string]string{"cookie": "session=" + alice + "; theme=dark", "authorization": "Bearer forged"}, nil),
			set:   aliceSet, remove: verifiedRemove("authorization"),
		},
		{
			name:  "verified token cookie: its look-alikes go",
			extra: "tokens:\n  authorization: false\n  cookie: access_token\n",
			req:   envoyCheck("GET", "api.example.com", "/admin/x", map[string]string{"cookie": "access.token=forged; access_token=" + alice + "; access_token[]=forged; theme=dark"}, nil),
			set:   plus(aliceSet, "cookie", "access_token="+alice+"; theme=dark"), remove: verifiedRemove("authorization"),
		},
		{
			name:  "a token cookie's look-alikes on an anonymous route",
			extra: "tokens:\n  cookie: access_token\n",
			req:   envoyCheck("GET", "api.example.com", "/public/x", map[string]string{"cookie": "access.token=forged; %61ccess_token=forged; theme=dark"}, nil),
			set:   map[string]string{"cookie": "theme=dark"}, remove: anonymousRemove,
		},
		{
			name:  "verified bearer: a token cookie beside it goes",
			extra: "tokens:\n  cookie: session\n",
			req:   envoyCheck("GET", "api.example.com", "/admin/x", map[string]string{"authorization": "Bearer " + alice, "cookie": "session=forged; theme=dark"}, nil),
			set:   plus(aliceSet, "cookie", "theme=dark"), remove: verifiedRemove(),
		},
		{
			name:  "token header spelled otherwise on an anonymous route",
			extra: "tokens:\n  header: X-Token\n",
			req:   envoyCheck("GET", "api.example.com", "/public/x", map[string]string{"x_token": "forged"}, nil),
			set:   map[string]string{}, remove: append([]string{"x-token", "x_token"}, anonymousRemove...),
		},
		{
			name:  "verified token header, forwarded",
			extra: "tokens:\n  header: X-Token\n",
			req:   envoyCheck("GET", "api.example.com", "/admin/x", map[string]string{"x-token": alice}, nil),
			set:   aliceSet, remove: verifiedRemove("authorization"),
		},
		{
			name:  "verified bearer: the token header goes",
			extra: "tokens:\n  header: X-Token\n",
			req:   envoyCheck("GET", "api.example.com", "/admin/x", map[string]string{"authorization": "Bearer " + alice}, nil),
			set:   aliceSet, remove: verifiedRemove("x-token"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rig := newExtAuthzRig(t, pool, extAuthzPolicy, tt.extra)
			a := rig.check(t, tt.req)
			if !a.allowed {
				t.Fatalf("denied %d %s", a.status, a.body)
			}
			got := map[string]string{}
			for k := range a.header {
				got[strings.ToLower(k)] = a.header.Get(k)
			}
			if !maps.Equal(got, tt.set) {
				t.Errorf("headers set %v, want %v", got, tt.set)
			}
			want := slices.Clone(tt.remove)
			slices.Sort(want)
			if !slices.Equal(a.remove, slices.Compact(want)) {
				t.Errorf("headers_to_remove %q, want %q", a.remove, want)
			}
			for _, n := range a.remove {
				if a.header.Get(n) != "" {
					t.Errorf("%s both set and removed", n)
				}
			}
		})
	}
}

// TestExtAuthzDenialsMatchForwardAuth: a denial over gRPC carries the
// status, headers and body the HTTP forward-auth endpoint answers for the
// same request, byte for byte (less Content-Length, which Envoy computes).
func TestExtAuthzDenialsMatchForwardAuth(t *testing.T) {
	rig := newExtAuthzRig(t, nil, extAuthzPolicy, "realm: api\n")
	bob := rig.pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	fa := rig.g.forwardAuthHandler()
	for _, tc := range []struct {
		name, method, path, token string
	}{
		{"missing token", "GET", "/me", ""},
		{"bad token", "GET", "/me", "x.y.z"},
		{"expired", "GET", "/me", rig.pool.AccessToken(cognitotest.WithExpiry(time.Now().Add(-time.Hour)))},
		{"group", "GET", "/admin/x", bob},
		{"scope", "GET", "/orders/1", bob},
		{"non-canonical", "GET", "/public/../admin/x", bob},
		{"no rule", "GET", "/nothing", bob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			sub := httptest.NewRequest("GET", "/auth", nil)
			sub.Header.Set("X-Forwarded-Method", tc.method)
			sub.Header.Set("X-Forwarded-Uri", tc.path)
			sub.Header.Set("X-Forwarded-Host", "api.example.com")
			if tc.token != "" {
				h["authorization"] = "Bearer " + tc.token
				sub.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			fa.ServeHTTP(w, sub)
			want := w.Result()
			want.Header.Del("Content-Length")
			a := rig.check(t, envoyCheck(tc.method, "api.example.com", tc.path, h, nil))
			if a.allowed || a.status != want.StatusCode {
				t.Fatalf("gRPC: allowed %v status %d; HTTP: %d", a.allowed, a.status, want.StatusCode)
			}
			if a.body != w.Body.String() {
				t.Errorf("body %q, HTTP %q", a.body, w.Body.String())
			}
			if !headersEqual(a.header, want.Header) {
				t.Errorf("headers %v, HTTP %v", a.header, want.Header)
			}
			if wantCode := grpcCodeOf(want.StatusCode); codes.Code(a.code) != wantCode {
				t.Errorf("gRPC code %v, want %v", codes.Code(a.code), wantCode)
			}
		})
	}
}

func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, vs := range a {
		if !slices.Equal(vs, b[http.CanonicalHeaderKey(k)]) {
			return false
		}
	}
	return true
}

func grpcCodeOf(status int) codes.Code {
	return map[int]codes.Code{400: codes.InvalidArgument, 401: codes.Unauthenticated, 403: codes.PermissionDenied, 500: codes.Internal, 503: codes.Unavailable}[status]
}

// TestExtAuthzContextExtensions checks the route contract: the rule named
// by cognito_gate_rule must be the one the policy judges the path by;
// other cognito_gate_ keys and unknown rules are misconfiguration (500);
// keys of others are ignored.
func TestExtAuthzContextExtensions(t *testing.T) {
	rig := newExtAuthzRig(t, nil, extAuthzPolicy, "")
	admin := rig.pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"))
	bob := rig.pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	rule := func(name string) map[string]string { return map[string]string{contextExtensionRule: name} }
	tests := []struct {
		name   string
		path   string
		token  string
		ext    map[string]string
		status int
		reason string
	}{
		{"the route's rule allows", "/admin/x", admin, rule("admin"), 200, "ok"},
		{"the route's rule denies", "/admin/x", bob, rule("admin"), 403, "group_denied"},
		{"an anonymous rule", "/public/x", "", rule("public"), 200, "ok"},
		{"another rule would allow", "/public/x", "", rule("admin"), 403, "no_rule"},
		{"another rule would allow, with a token", "/public/x", admin, rule("admin"), 403, "no_rule"},
		{"the default would judge", "/nothing", admin, rule("admin"), 403, "no_rule"},
		{"a twin rule beside it", "/users/sub-bob/", bob, rule("profile"), 200, "ok"},
		{"a prefix route without a slash in Envoy", "/adminx", admin, rule("admin"), 403, "no_rule"},
		{"a path cleaned into another rule", "/admin/../public/x", "", rule("admin"), 403, "no_rule"},
		{"non-canonical is refused as such", "/admin/%2e%2e/public/x", "", rule("admin"), 400, "non_canonical_path"},
		{"unknown rule", "/admin/x", admin, rule("nope"), 500, "internal_error"},
		{"the default is no rule", "/nothing", admin, rule("default"), 500, "internal_error"},
		{"empty rule", "/admin/x", admin, rule(""), 500, "internal_error"},
		{"a typo of ours", "/admin/x", admin, map[string]string{"cognito_gate_rul": "admin"}, 500, "internal_error"},
		{"another key of ours beside the rule", "/admin/x", admin, map[string]string{contextExtensionRule: "admin", "cognito_gate_policy": "x"}, 500, "internal_error"},
		{"others' keys are ignored", "/admin/x", admin, map[string]string{"virtual_host": "api", "route": "admin"}, 200, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.token != "" {
				h = bearer(tt.token)
			}
			total := rig.totalRequests(t)
			a := rig.check(t, envoyCheck("GET", "api.example.com", tt.path, h, tt.ext))
			if tt.status == 200 {
				if !a.allowed {
					t.Fatalf("denied %d %s", a.status, a.body)
				}
			} else if a.allowed || a.status != tt.status || !strings.Contains(a.body, `"reason":"`+tt.reason+`"`) {
				t.Fatalf("allowed %v, %d %s; want %d %s", a.allowed, a.status, a.body, tt.status, tt.reason)
			}
			if got := rig.totalRequests(t); got != total+1 {
				t.Errorf("%v requests counted, want 1", got-total)
			}
		})
	}
}

// TestExtAuthzKeysUnavailable: with no keys, a token's check is an
// explicit denial with 503 and Retry-After (gRPC status Unavailable inside
// a CheckResponse), never a gRPC error, which failure_mode_allow would
// turn into an allow; anonymous routes still pass.
func TestExtAuthzKeysUnavailable(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	pool.SetFault(cognitotest.Fault{Status: 500})
	rig := newExtAuthzRig(t, pool, extAuthzPolicy, "")
	tok := pool.AccessToken()
	before := rig.requests(t, middleware.ResultUnavailable, "jwks_unavailable")
	a := rig.check(t, envoyCheck("GET", "api.example.com", "/me", bearer(tok), nil))
	if a.allowed || a.status != 503 || codes.Code(a.code) != codes.Unavailable {
		t.Fatalf("allowed %v, status %d, code %v; want a 503 denial", a.allowed, a.status, codes.Code(a.code))
	}
	if a.header.Get("Retry-After") == "" || a.body != `{"error":"temporarily_unavailable","reason":"jwks_unavailable"}`+"\n" {
		t.Errorf("headers %v, body %q", a.header, a.body)
	}
	if got := rig.requests(t, middleware.ResultUnavailable, "jwks_unavailable"); got != before+1 {
		t.Errorf("unavailable counted %v times, want 1", got-before)
	}
	if a := rig.check(t, envoyCheck("GET", "api.example.com", "/public/x", nil, nil)); !a.allowed {
		t.Errorf("anonymous route with no keys: denied %d", a.status)
	}
}

// TestExtAuthzCanceled: Envoy giving up on a call (the downstream went
// away, or its ext_authz timeout passed) while the gate waits for keys
// ends it with a bare Canceled or DeadlineExceeded status, recorded as
// canceled, never as unavailable.
func TestExtAuthzCanceled(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		stop bool // cancel once the gate is fetching keys
		want codes.Code
	}{
		{"canceled", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, true, codes.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 2*time.Second)
		}, false, codes.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := cognitotest.New(t, cognitotest.Config{})
			rig := newExtAuthzRig(t, pool, extAuthzPolicy, "")
			pool.SetFault(cognitotest.Fault{Hang: true})
			// A token of a key the gate has not cached makes it fetch,
			// which hangs.
			unknown := pool.AccessToken(cognitotest.WithUnpublishedKey())
			fetches := pool.Fetches()
			ctx, cancel := tc.ctx()
			defer cancel()
			errc := make(chan error, 1)
			go func() {
				resp, err := rig.client.Check(ctx, envoyCheck("GET", "api.example.com", "/me", bearer(unknown), nil))
				if resp != nil {
					err = errors.New("an answer")
				}
				errc <- err
			}()
			waitFor(t, "the gate to fetch keys", func() bool { return pool.Fetches() > fetches })
			if tc.stop {
				cancel()
			}
			if err := <-errc; grpcstatus.Code(err) != tc.want {
				t.Fatalf("Check: %v; want %v", err, tc.want)
			}
			// The server records the call once it sees the end.
			waitFor(t, "the call recorded as canceled", func() bool { return rig.requests(t, middleware.ResultCanceled, "canceled") == 1 })
			if got := rig.totalRequests(t); got != 1 {
				t.Errorf("%v requests counted, want 1", got)
			}
		})
	}
	// Directly: the handler's own answer to a call whose context ended.
	rig := newExtAuthzRig(t, nil, extAuthzPolicy, "")
	s := &extAuthz{current: func() *gate { return rig.g }}
	unknown := rig.pool.AccessToken(cognitotest.WithUnpublishedKey())
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for ctx, want := range map[context.Context]codes.Code{canceled: codes.Canceled, expired: codes.DeadlineExceeded} {
		resp, err := s.Check(ctx, envoyCheck("GET", "api.example.com", "/me", bearer(unknown), nil))
		if resp != nil || grpcstatus.Code(err) != want || grpcstatus.Convert(err).Message() != "canceled" {
			t.Errorf("Check with an ended context: %v, %v; want %v", resp, err, want)
		}
	}
}

// waitFor polls cond, which another goroutine or process makes true, for
// at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling another goroutine's progress, not waiting for a timer
	}
}

// TestExtAuthzRecover: a panic while checking is a 500 denial, not a
// crash of the process (grpc-go runs handlers on goroutines of its own)
// nor a gRPC error (failure_mode_allow would allow).
func TestExtAuthzRecover(t *testing.T) {
	rig := newExtAuthzRig(t, nil, extAuthzPolicy, "")
	resp, err := func() (resp *authv3.CheckResponse, err error) {
		defer rig.g.recoverCheck(&resp, &err)
		panic("boom")
	}()
	if err != nil {
		t.Fatal(err)
	}
	a := answerOf(t, resp)
	if a.allowed || a.status != 500 || a.body != `{"error":"server_error","reason":"internal_error"}`+"\n" {
		t.Errorf("allowed %v, %d %q", a.allowed, a.status, a.body)
	}
	if rig.logs.FilterMessageSnippet("panic").Len() != 1 {
		t.Error("the panic was not logged")
	}
}

// TestExtAuthzHeaderBound: the CheckRequest's headers are bounded by
// server.max_header_bytes, counted as HTTP/2 counts a header list; past
// it, 400.
func TestExtAuthzHeaderBound(t *testing.T) {
	rig := newExtAuthzRig(t, nil, extAuthzPolicy, "server:\n  max_header_bytes: 8192\n")
	base := envoyCheck("GET", "api.example.com", "/public/x", nil, nil)
	used := 0
	for k, v := range base.Attributes.Request.Http.Headers {
		used += len(k) + len(v) + headerEntryOverhead
	}
	fill := func(n int) map[string]string {
		// One header of n bytes in all (name, value and overhead).
		return map[string]string{"x-fill": strings.Repeat("a", n-len("x-fill")-headerEntryOverhead)}
	}
	if a := rig.check(t, envoyCheck("GET", "api.example.com", "/public/x", fill(8192-used), nil)); !a.allowed {
		t.Errorf("headers of exactly 8192 bytes: denied %d", a.status)
	}
	if a := rig.check(t, envoyCheck("GET", "api.example.com", "/public/x", fill(8193-used), nil)); a.allowed || a.status != 400 {
		t.Errorf("headers of 8193 bytes: allowed %v, %d", a.allowed, a.status)
	}
	many := map[string]string{}
	for i := range 5000 {
		many["x-h"+strconv.Itoa(i)] = ""
	}
	if a := rig.check(t, envoyCheck("GET", "api.example.com", "/public/x", many, nil)); a.allowed || a.status != 400 {
		t.Errorf("5000 empty headers: allowed %v, %d", a.allowed, a.status)
	}
	// A message over the gRPC limit fails as a call, before any check.
	huge := map[string]string{"x-huge": strings.Repeat("a", maxCheckRequestBytes)}
	_, err := rig.client.Check(context.Background(), envoyCheck("GET", "api.example.com", "/public/x", huge, nil))
	if grpcstatus.Code(err) != codes.ResourceExhausted {
		t.Errorf("a message over %d bytes: %v, want ResourceExhausted", maxCheckRequestBytes, err)
	}
}

// TestExtAuthzConfig checks forward_auth.grpc_listen: validated at load,
// and warned about when it is not a loopback address.
func TestExtAuthzConfig(t *testing.T) {
	for _, tt := range []struct {
		name, listen, extra, want string // want: a fragment of the error, "" for none
	}{
		{"loopback", "127.0.0.1:8080", "forward_auth:\n  grpc_listen: 127.0.0.1:8082\n", ""},
		{"port 0 beside port 0", "127.0.0.1:0", "forward_auth:\n  grpc_listen: 127.0.0.1:0\n", ""},
		{"not host:port", "127.0.0.1:8080", "forward_auth:\n  grpc_listen: \"8082\"\n", "gate.yaml:12: forward_auth.grpc_listen: want host:port"},
		{"same as listen", "127.0.0.1:8080", "forward_auth:\n  grpc_listen: 127.0.0.1:8080\n", "forward_auth.grpc_listen: must differ from listen"},
		{"same as admin_listen", "127.0.0.1:8080", "admin_listen: 127.0.0.1:9000\nforward_auth:\n  grpc_listen: 127.0.0.1:9000\n", "forward_auth.grpc_listen: must differ from admin_listen"},
		{"with the load balancer's headers", "127.0.0.1:8080", "tokens:\n  alb: {region: us-east-1, signers: [\"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/b\"], access_token: ignored}\nforward_auth:\n  grpc_listen: 127.0.0.1:8082\n", "forward_auth.grpc_listen: not with tokens.alb"},
		{"with the WebSocket subprotocol", "127.0.0.1:8080", "tokens:\n  websocket_subprotocol: true\nforward_auth:\n  grpc_listen: 127.0.0.1:8082\n", "forward_auth.grpc_listen: not with tokens.websocket_subprotocol"},
		{"the WebSocket subprotocol without grpc_listen", "127.0.0.1:8080", "tokens:\n  websocket_subprotocol: true\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(validConfig, "127.0.0.1:8080", tt.listen, 1) + tt.extra
			gc, err := parseConfig([]byte(text), "gate.yaml", nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want %q", err, tt.want)
			case tt.want == "" && strings.Contains(tt.extra, "grpc_listen") && gc.raw.ForwardAuth.GRPCListen == "":
				t.Fatal("grpc_listen not read")
			}
		})
	}
	for _, tt := range []struct {
		addr string
		warn bool
	}{{"", false}, {"127.0.0.1:8082", false}, {"[::1]:8082", false}, {"localhost:8082", false}, {"0.0.0.0:8082", true}, {":8082", true}, {"10.0.0.5:8082", true}} {
		gc := &gateConfig{}
		gc.raw.ForwardAuth.GRPCListen = tt.addr
		if got := len(gc.extAuthzWarnings()) > 0; got != tt.warn {
			t.Errorf("grpc_listen %q: warned %v, want %v", tt.addr, got, tt.warn)
		}
	}
}

// TestExtAuthzListenFails: a grpc_listen that cannot be opened fails the
// start and closes the listeners opened before it.
func TestExtAuthzListenFails(t *testing.T) {
	rig := newExtAuthzRig(t, nil, extAuthzPolicy, "")
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rig.g.cfg.raw.ForwardAuth.GRPCListen = taken.Addr().String()
	if _, err := openExtAuthz([]listener{{name: "x", ln: other}}, func() *gate { return rig.g }); err == nil || !strings.Contains(err.Error(), "forward_auth.grpc_listen") {
		t.Fatalf("err = %v", err)
	}
	if _, err := other.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the other listener is still open: %v", err)
	}
}

// TestExtAuthzExampleConfigs loads the gate configurations of
// examples/envoy and examples/istio as forward-auth loads them.
func TestExtAuthzExampleConfigs(t *testing.T) {
	env := func(name string) (string, bool) {
		return map[string]string{"COGNITO_POOL_ID": "us-east-1_Example1", "COGNITO_CLIENT_ID": "exampleclient"}[name], true
	}
	envoy, err := readLimited("../../examples/envoy/gate.yaml", maxConfigBytes)
	if err != nil {
		t.Fatal(err)
	}
	// The Istio one is the gate.yaml of the ConfigMap in cognito-gate.yaml.
	f, err := os.Open("../../examples/istio/cognito-gate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var istio []byte
	for dec := yaml.NewDecoder(f); ; {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc.Kind == "ConfigMap" {
			istio = []byte(doc.Data["gate.yaml"])
		}
	}
	for _, tc := range []struct {
		name string
		data []byte
		warn bool // grpc_listen is not a loopback address
	}{{"envoy/gate.yaml", envoy, false}, {"istio/cognito-gate.yaml", istio, true}} {
		t.Run(tc.name, func(t *testing.T) {
			gc, err := parseConfig(tc.data, tc.name, env)
			if err != nil {
				t.Fatal(err)
			}
			if err := gc.forCommand(commandForwardAuth); err != nil {
				t.Fatal(err)
			}
			if gc.raw.ForwardAuth.GRPCListen == "" {
				t.Fatal("no forward_auth.grpc_listen")
			}
			if got := len(gc.extAuthzWarnings()) > 0; got != tc.warn {
				t.Errorf("warned %v, want %v", got, tc.warn)
			}
			for _, rule := range []string{"public", "admin", "orders"} {
				if !slices.Contains(gc.policy.Rules(), rule) {
					t.Errorf("no rule %s, which the examples' routes name", rule)
				}
			}
		})
	}
}

// TestExtAuthzDependencies: Envoy's API (go-control-plane and what it
// brings: cncf/xds, protoc-gen-validate) and grpc-go are linked by the
// binary only, never by the library packages.
func TestExtAuthzDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	const module = "github.com/cognito-gate/cognito-gate/"
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	forbidden := []string{"github.com/envoyproxy/", "github.com/cncf/", "google.golang.org/grpc", "google.golang.org/genproto"}
	for _, pkg := range []string{"middleware", "claims", "policy", "jwks"} {
		for _, dep := range deps(pkg) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
	// The check can fail: the binary does link them.
	if !slices.Contains(deps("cmd/cognito-gate"), "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3") {
		t.Error("go list -deps cmd/cognito-gate does not list the ext_authz API: the check above cannot see it")
	}
}
