package middleware_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

const testIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"

func newResourceMetadata(t *testing.T, cfg middleware.ResourceMetadataConfig) *middleware.ResourceMetadata {
	t.Helper()
	rm, err := middleware.NewResourceMetadata(cfg)
	if err != nil {
		t.Fatalf("NewResourceMetadata: %v", err)
	}
	return rm
}

// fetchMetadata answers a request of method for the document and returns
// the response and its members.
func fetchMetadata(t *testing.T, rm *middleware.ResourceMetadata, method string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	rm.ServeHTTP(rec, httptest.NewRequest(method, rm.Path(), nil))
	var doc map[string]any
	if method == "GET" {
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("the document is not a JSON object: %v\n%s", err, rec.Body)
		}
	}
	return rec, doc
}

// TestResourceMetadataLocation checks where the document is published
// (RFC 9728 section 3.1): the well-known path between the host and the
// resource's path, a lone "/" after the host dropped; and the URL that
// challenges name. The first two rows are the RFC's own examples.
func TestResourceMetadataLocation(t *testing.T) {
	tests := []struct {
		resource, path, url string
	}{
		{"https://resource.example.com", "/.well-known/oauth-protected-resource", "https://resource.example.com/.well-known/oauth-protected-resource"},
		{"https://resource.example.com/resource1", "/.well-known/oauth-protected-resource/resource1", "https://resource.example.com/.well-known/oauth-protected-resource/resource1"},
		{"https://resource.example.com/", "/.well-known/oauth-protected-resource", "https://resource.example.com/.well-known/oauth-protected-resource"},
		{"https://api.example.com/v1/mcp", "/.well-known/oauth-protected-resource/v1/mcp", "https://api.example.com/.well-known/oauth-protected-resource/v1/mcp"},
		{"https://api.example.com/mcp/", "/.well-known/oauth-protected-resource/mcp/", "https://api.example.com/.well-known/oauth-protected-resource/mcp/"},
		{"https://api.example.com:8443/mcp", "/.well-known/oauth-protected-resource/mcp", "https://api.example.com:8443/.well-known/oauth-protected-resource/mcp"},
		{"http://127.0.0.1:8080/mcp", "/.well-known/oauth-protected-resource/mcp", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"},
		{"http://localhost", "/.well-known/oauth-protected-resource", "http://localhost/.well-known/oauth-protected-resource"},
		{"http://[::1]:3000", "/.well-known/oauth-protected-resource", "http://[::1]:3000/.well-known/oauth-protected-resource"},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			rm := newResourceMetadata(t, middleware.ResourceMetadataConfig{Resource: tc.resource})
			if rm.Path() != tc.path || rm.URL() != tc.url {
				t.Fatalf("Path %q, URL %q; want %q, %q", rm.Path(), rm.URL(), tc.path, tc.url)
			}
			// Section 3.3: resource is identical to the identifier the
			// URL was made from.
			if _, doc := fetchMetadata(t, rm, "GET"); doc["resource"] != tc.resource {
				t.Fatalf("resource %v, want %q", doc["resource"], tc.resource)
			}
		})
	}
}

// TestResourceMetadataDocument checks the document member by member
// (RFC 9728 section 2) and the response (section 3.2): 200 with
// application/json, a JSON object, multi-valued members as arrays of
// strings, members without a value left out.
func TestResourceMetadataDocument(t *testing.T) {
	full := middleware.ResourceMetadataConfig{
		Resource:               "https://api.example.com/mcp",
		AuthorizationServers:   []string{testIssuer, "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"},
		ScopesSupported:        []string{"orders/read", "orders/write", "openid"},
		BearerMethodsSupported: []string{middleware.BearerMethodHeader, middleware.BearerMethodQuery},
		ResourceName:           "Orders MCP server",
		ResourceDocumentation:  "https://docs.example.com/orders",
	}
	tests := []struct {
		name string
		cfg  middleware.ResourceMetadataConfig
		want map[string]any
		doc  string // the exact body
	}{
		{name: "every member", cfg: full, want: map[string]any{
			"resource":                 "https://api.example.com/mcp",
			"authorization_servers":    []any{testIssuer, "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"},
			"scopes_supported":         []any{"orders/read", "orders/write", "openid"},
			"bearer_methods_supported": []any{"header", "query"},
			"resource_name":            "Orders MCP server",
			"resource_documentation":   "https://docs.example.com/orders",
		}, doc: `{"resource":"https://api.example.com/mcp","authorization_servers":["https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123","https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"],"scopes_supported":["orders/read","orders/write","openid"],"bearer_methods_supported":["header","query"],"resource_name":"Orders MCP server","resource_documentation":"https://docs.example.com/orders"}` + "\n"},
		{name: "resource only: empty members left out", cfg: middleware.ResourceMetadataConfig{Resource: "https://api.example.com", ScopesSupported: []string{}},
			want: map[string]any{"resource": "https://api.example.com"}, doc: `{"resource":"https://api.example.com"}` + "\n"},
		{name: "one authorization server", cfg: middleware.ResourceMetadataConfig{Resource: "https://api.example.com", AuthorizationServers: []string{testIssuer}},
			want: map[string]any{"resource": "https://api.example.com", "authorization_servers": []any{testIssuer}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rm := newResourceMetadata(t, tc.cfg)
			rec, doc := fetchMetadata(t, rm, "GET")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q, want application/json", ct)
			}
			if len(doc) != len(tc.want) {
				t.Fatalf("members %v, want %v", doc, tc.want)
			}
			for k, v := range tc.want {
				if fmtAny(doc[k]) != fmtAny(v) {
					t.Errorf("%s = %v, want %v", k, doc[k], v)
				}
			}
			if tc.doc != "" && rec.Body.String() != tc.doc {
				t.Errorf("body\n%s\nwant\n%s", rec.Body, tc.doc)
			}
		})
	}
}

// TestResourceMetadataMethods: the document is queried with GET (RFC 9728
// section 3.1); HEAD gets the headers; other methods are refused.
func TestResourceMetadataMethods(t *testing.T) {
	rm := newResourceMetadata(t, middleware.ResourceMetadataConfig{Resource: "https://api.example.com"})
	get, _ := fetchMetadata(t, rm, "GET")
	head, _ := fetchMetadata(t, rm, "HEAD")
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != get.Header().Get("Content-Length") {
		t.Fatalf("HEAD: %d, body %q, Content-Length %q (GET's %q)", head.Code, head.Body, head.Header().Get("Content-Length"), get.Header().Get("Content-Length"))
	}
	for _, h := range []string{"Cache-Control", "Access-Control-Allow-Origin", "X-Content-Type-Options"} {
		if get.Header().Get(h) == "" {
			t.Errorf("GET answered without %s", h)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS"} {
		rec, _ := fetchMetadata(t, rm, m)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q; want 405, GET, HEAD", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
}

// TestNewResourceMetadataErrors: every problem is reported, named by its
// member; nothing half-valid is served.
func TestNewResourceMetadataErrors(t *testing.T) {
	ok := "https://api.example.com"
	tests := []struct {
		name string
		cfg  middleware.ResourceMetadataConfig
		keys []string
	}{
		{name: "no resource", cfg: middleware.ResourceMetadataConfig{}, keys: []string{"resource"}},
		{name: "relative", cfg: middleware.ResourceMetadataConfig{Resource: "/mcp"}, keys: []string{"resource"}},
		{name: "other scheme", cfg: middleware.ResourceMetadataConfig{Resource: "ftp://api.example.com"}, keys: []string{"resource"}},
		{name: "http on another host", cfg: middleware.ResourceMetadataConfig{Resource: "http://api.example.com"}, keys: []string{"resource"}},
		{name: "http on a host named like loopback", cfg: middleware.ResourceMetadataConfig{Resource: "http://127.0.0.1.example.com"}, keys: []string{"resource"}},
		{name: "query", cfg: middleware.ResourceMetadataConfig{Resource: ok + "/mcp?tenant=a"}, keys: []string{"resource"}},
		{name: "empty query", cfg: middleware.ResourceMetadataConfig{Resource: ok + "/mcp?"}, keys: []string{"resource"}},
		{name: "fragment", cfg: middleware.ResourceMetadataConfig{Resource: ok + "#x"}, keys: []string{"resource"}},
		{name: "user information", cfg: middleware.ResourceMetadataConfig{Resource: "https://u:p@api.example.com"}, keys: []string{"resource"}},
		{name: "upper-case host", cfg: middleware.ResourceMetadataConfig{Resource: "https://API.example.com"}, keys: []string{"resource"}},
		{name: "upper-case scheme", cfg: middleware.ResourceMetadataConfig{Resource: "HTTPS://api.example.com"}, keys: []string{"resource"}},
		{name: "escape", cfg: middleware.ResourceMetadataConfig{Resource: ok + "/m%63p"}, keys: []string{"resource"}},
		{name: "dot-segment", cfg: middleware.ResourceMetadataConfig{Resource: ok + "/a/../mcp"}, keys: []string{"resource"}},
		{name: "empty segment", cfg: middleware.ResourceMetadataConfig{Resource: ok + "//mcp"}, keys: []string{"resource"}},
		{name: "quote", cfg: middleware.ResourceMetadataConfig{Resource: ok + `/m"cp`}, keys: []string{"resource"}},
		{name: "space", cfg: middleware.ResourceMetadataConfig{Resource: ok + "/m cp"}, keys: []string{"resource"}},
		{name: "no host", cfg: middleware.ResourceMetadataConfig{Resource: "https:///mcp"}, keys: []string{"resource"}},
		{name: "bad port", cfg: middleware.ResourceMetadataConfig{Resource: "https://api.example.com:0"}, keys: []string{"resource"}},
		{name: "authorization servers", cfg: middleware.ResourceMetadataConfig{Resource: ok,
			AuthorizationServers: []string{testIssuer, "", "cognito-idp", testIssuer + "?x", testIssuer}},
			keys: []string{"authorization_servers[1]", "authorization_servers[2]", "authorization_servers[3]", "authorization_servers[4]"}},
		{name: "scopes", cfg: middleware.ResourceMetadataConfig{Resource: ok, ScopesSupported: []string{"a", "", "b c", `d"`, "é", "a"}},
			keys: []string{"scopes_supported[1]", "scopes_supported[2]", "scopes_supported[3]", "scopes_supported[4]", "scopes_supported[5]"}},
		{name: "bearer methods", cfg: middleware.ResourceMetadataConfig{Resource: ok, BearerMethodsSupported: []string{"header", "cookie", "Header", "header"}},
			keys: []string{"bearer_methods_supported[1]", "bearer_methods_supported[2]", "bearer_methods_supported[3]"}},
		{name: "name and documentation", cfg: middleware.ResourceMetadataConfig{Resource: ok, ResourceName: "a\nb", ResourceDocumentation: "docs"},
			keys: []string{"resource_name", "resource_documentation"}},
		{name: "every member at once", cfg: middleware.ResourceMetadataConfig{ScopesSupported: []string{""}, BearerMethodsSupported: []string{"x"}},
			keys: []string{"resource", "scopes_supported[0]", "bearer_methods_supported[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rm, err := middleware.NewResourceMetadata(tc.cfg)
			if err == nil || rm != nil {
				t.Fatalf("NewResourceMetadata = %v, %v; want an error", rm, err)
			}
			var keys []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var re *middleware.ResourceMetadataError
				if !errors.As(e, &re) {
					t.Fatalf("%v is not a *ResourceMetadataError", e)
				}
				keys = append(keys, re.Key)
			}
			if !slices.Equal(keys, tc.keys) {
				t.Fatalf("problems of %v (%v), want %v", keys, err, tc.keys)
			}
		})
	}
}

// TestResourceMetadataChallenge: 401 challenges name the document (RFC
// 9728 section 5.1), after the RFC 6750 parameters, whether or not a
// token was sent; other answers are those of the package's Challenge,
// byte for byte.
func TestResourceMetadataChallenge(t *testing.T) {
	rm := newResourceMetadata(t, middleware.ResourceMetadataConfig{Resource: "https://api.example.com/mcp"})
	const rmParam = `, resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"`
	tests := []struct {
		name string
		e    *middleware.Error
		want string
	}{
		{name: "no token", e: &middleware.Error{Status: 401, Reason: claims.ReasonMissingToken},
			want: `Bearer realm="cognito-gate"` + rmParam},
		{name: "expired", e: &middleware.Error{Status: 401, Reason: claims.ReasonExpired, TokenSent: true},
			want: `Bearer realm="cognito-gate", error="invalid_token", error_description="expired"` + rmParam},
		{name: "insufficient scope", e: &middleware.Error{Status: 403, Reason: claims.ReasonInsufficientScope, TokenSent: true, Scopes: []string{"orders/write"}},
			want: `Bearer realm="cognito-gate", error="insufficient_scope", error_description="insufficient_scope", scope="orders/write"`},
		{name: "bad request", e: &middleware.Error{Status: 400, Reason: claims.ReasonMalformed, TokenSent: true},
			want: `Bearer realm="cognito-gate", error="invalid_request", error_description="malformed"`},
		{name: "unavailable", e: &middleware.Error{Status: 503, Reason: claims.ReasonJWKSUnavailable, TokenSent: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rm.Challenge("cognito-gate", tc.e); got != tc.want {
				t.Fatalf("Challenge = %q, want %q", got, tc.want)
			}
			if got, plain := rm.Challenge("cognito-gate", tc.e), middleware.Challenge("cognito-gate", tc.e); tc.e.Status != 401 && got != plain {
				t.Fatalf("Challenge = %q, the package's %q", got, plain)
			}
			h := http.Header{}
			rm.SetErrorHeaders(h, "cognito-gate", tc.e)
			if h.Get("WWW-Authenticate") != tc.want || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("SetErrorHeaders: %v", h)
			}
		})
	}
}

// TestResourceMetadataErrorHandler puts ErrorHandler in a middleware: a
// denied request's challenge names the document, its body is WriteError's,
// and an allowed request is untouched.
func TestResourceMetadataErrorHandler(t *testing.T) {
	e := newEnv(t)
	rm := newResourceMetadata(t, middleware.ResourceMetadataConfig{Resource: "https://api.example.com"})
	cfg := middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), ErrorHandler: rm.ErrorHandler(middleware.DefaultRealm)}
	rec, _ := serve(t, cfg, bearerReq("GET", "/me", ""))
	want := `Bearer realm="cognito-gate", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"`
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != want {
		t.Fatalf("%d, challenge %q; want 401, %q", rec.Code, rec.Header().Get("WWW-Authenticate"), want)
	}
	if body := strings.TrimSpace(rec.Body.String()); body != `{"error":"unauthorized","reason":"missing_token"}` {
		t.Fatalf("body %s", body)
	}
	if rec, s := serve(t, cfg, bearerReq("GET", "/me", e.Pool.AccessToken())); rec.Code != 200 || !s.called {
		t.Fatalf("allowed request: %d", rec.Code)
	}
	// Not an *Error: answered 500 with no challenge, nothing of err.
	rec = httptest.NewRecorder()
	rm.ErrorHandler("r")(rec, bearerReq("GET", "/", ""), errors.New("secret detail"))
	if rec.Code != 500 || rec.Header().Get("WWW-Authenticate") != "" || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
