package policy_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// want is the expected decision of a table row. An empty path means the
// request's own path.
type want struct {
	allow  bool
	status int
	reason claims.Reason
	rule   string
	path   string
	scopes []string
}

// Shorthands for the usual outcomes.
func allow(rule string) want {
	return want{allow: true, status: 200, reason: claims.ReasonOK, rule: rule}
}
func noToken(rule string) want {
	return want{status: 401, reason: claims.ReasonMissingToken, rule: rule}
}
func forbidden(rule string, r claims.Reason) want { return want{status: 403, reason: r, rule: rule} }
func wrongUse(rule string) want {
	return want{status: 401, reason: claims.ReasonWrongTokenUse, rule: rule}
}
func scope(rule string, scopes ...string) want {
	return want{status: 403, reason: claims.ReasonInsufficientScope, rule: rule, scopes: scopes}
}
func (w want) at(path string) want { w.path = path; return w }

type decideCase struct {
	name   string
	method string
	target string // path or absolute URL
	user   string // key of fixture.users
	want   want
}

// exampleCases are requests to the example policy (examples/policy/policy.yaml).
var exampleCases = []decideCase{
	// Public routes.
	{"health", "GET", "/healthz", "none", allow("health")},
	{"health HEAD matches GET", "HEAD", "/healthz", "none", allow("health")},
	{"health with a token", "GET", "/healthz", "alice", allow("health")},
	{"health POST is not routed: default", "POST", "/healthz", "none", noToken("default")},
	{"health POST with a token: default", "POST", "/healthz", "alice", forbidden("default", claims.ReasonNoRule)},
	{"health query ignored", "GET", "/healthz?path=/admin/", "none", allow("health").at("/healthz")},
	{"docs root", "GET", "/docs/", "none", allow("docs")},
	{"docs page", "GET", "/docs/guide/intro.html", "none", allow("docs")},
	{"docs without slash: judged by /docs/", "GET", "/docs", "none", allow("docs")},
	{"openapi", "GET", "/openapi.json", "none", allow("docs")},
	{"docs POST: default", "POST", "/docs/x", "none", noToken("default")},

	// Precedence: the more specific pattern wins.
	{"internal docs need a token", "GET", "/docs/internal/runbook", "none", noToken("docs-internal")},
	{"internal docs need staff", "GET", "/docs/internal/runbook", "alice", forbidden("docs-internal", claims.ReasonGroupDenied)},
	{"internal docs for staff", "GET", "/docs/internal/runbook", "dave", allow("docs-internal")},
	{"internal docs without slash", "GET", "/docs/internal", "none", noToken("docs-internal")},

	// Authenticated only.
	{"profile without token", "GET", "/me", "none", noToken("profile")},
	{"profile access token", "GET", "/me", "alice", allow("profile")},
	{"profile ID token", "GET", "/me", "alice-id", allow("profile")},
	{"profile trailing slash is another path", "GET", "/me/", "alice", forbidden("default", claims.ReasonNoRule)},

	// Admin only, every method.
	{"admin without token", "GET", "/admin/users", "none", noToken("admin")},
	{"admin as user", "GET", "/admin/users", "alice", forbidden("admin", claims.ReasonGroupDenied)},
	{"admin as admin", "DELETE", "/admin/users/7", "bob", allow("admin")},
	{"admin ID token of an admin", "POST", "/admin/users", "bob-id", allow("admin")},
	{"admin root without slash", "GET", "/admin", "alice", forbidden("admin", claims.ReasonGroupDenied)},
	{"admin root without slash as admin", "GET", "/admin", "bob", allow("admin")},
	{"admin trailing slash", "GET", "/admin/x/", "bob", allow("admin")},

	// Path tricks: cleaned like ServeMux, judged and forwarded as cleaned.
	{"dot-dot inside admin", "GET", "/admin/../admin/x", "alice", forbidden("admin", claims.ReasonGroupDenied).at("/admin/x")},
	{"dot-dot out of docs into admin", "GET", "/docs/../admin/x", "none", noToken("admin").at("/admin/x")},
	{"dot-dot above the root", "GET", "/../../admin/x", "none", noToken("admin").at("/admin/x")},
	{"double slash", "GET", "//admin/x", "alice", forbidden("admin", claims.ReasonGroupDenied).at("/admin/x")},
	{"double slash inside docs", "GET", "/docs//internal/x", "none", noToken("docs-internal").at("/docs/internal/x")},
	{"dot segment", "GET", "/./admin/./x", "bob", allow("admin").at("/admin/x")},
	{"trailing dot-dot", "GET", "/docs/internal/..", "none", allow("docs").at("/docs")},
	{"trailing dot", "GET", "/docs/internal/.", "none", noToken("docs-internal").at("/docs/internal")},
	{"escaped letters match literals", "GET", "/%61dmin/x", "alice", forbidden("admin", claims.ReasonGroupDenied)},
	{"case: /ADMIN is another path", "GET", "/ADMIN/x", "bob", forbidden("default", claims.ReasonNoRule)},
	{"case: /Docs is another path", "GET", "/Docs/", "none", noToken("default")},

	// Path tricks: refused as non-canonical, whatever the rule.
	{"encoded slash", "GET", "/admin%2Fx", "none", nonCanonical()},
	{"encoded slash, lower-case", "GET", "/admin%2fx", "bob", nonCanonical()},
	{"encoded slash out of docs", "GET", "/docs/..%2Fadmin/x", "alice", nonCanonical()},
	{"encoded dots", "GET", "/docs/%2e%2e/admin/x", "none", nonCanonical()},
	{"encoded dots, upper-case", "GET", "/docs/%2E%2E/admin/x", "none", nonCanonical()},
	{"semicolon dot-dot (Tomcat)", "GET", "/docs/..;/admin/x", "none", nonCanonical()},
	{"semicolon path parameter", "GET", "/admin;jsessionid=1/x", "bob", nonCanonical()},
	{"encoded semicolon", "GET", "/docs/..%3B/admin/x", "none", nonCanonical()},
	{"backslash", "GET", `/docs/..\admin\x`, "none", nonCanonical()},
	{"encoded backslash", "GET", "/docs/..%5Cadmin", "none", nonCanonical()},
	{"double-encoded dots", "GET", "/docs/%252e%252e/admin/x", "none", nonCanonical()},
	{"overlong UTF-8 dots", "GET", "/docs/%C0%AE%C0%AE/admin/x", "none", nonCanonical()},
	{"encoded NUL", "GET", "/docs/x%00.html", "none", nonCanonical()},
	{"valid UTF-8 is fine", "GET", "/docs/caf%C3%A9", "none", allow("docs")},
	{"encoded space is fine", "GET", "/docs/my%20page", "none", allow("docs")},
	{"lower-case method", "get", "/healthz", "none", nonCanonical()},
	{"lower-case method with a token", "post", "/orders", "alice-write", nonCanonical()},
	{"asterisk", "OPTIONS", "*", "none", nonCanonical()},

	// A host rule: host patterns win; the port is ignored.
	{"internal host for staff", "GET", "http://internal.example.com/anything", "dave", allow("internal")},
	{"internal host as user", "GET", "http://internal.example.com/anything", "alice", forbidden("internal", claims.ReasonGroupDenied)},
	{"internal host without token", "GET", "http://internal.example.com/healthz", "none", noToken("internal")},
	{"internal host with a port", "GET", "http://internal.example.com:8443/x", "dave", allow("internal")},
	{"internal host, upper-case", "GET", "http://Internal.Example.com/x", "dave", nonCanonical()},
	{"internal host, trailing dot", "GET", "http://internal.example.com./healthz", "none", nonCanonical()},
	{"other host falls back to host-less rules", "GET", "http://api.example.com/healthz", "none", allow("health")},

	// Orders: scope-gated, method-specific.
	{"read orders with read scope", "GET", "/orders", "alice-read", allow("orders-read")},
	{"read an order with write scope", "GET", "/orders/42", "alice-write", allow("orders-read")},
	{"read an order without token", "GET", "/orders/42", "none", noToken("orders-read")},
	{"read an order without scope", "GET", "/orders/42", "alice", scope("orders-read", "orders/read", "orders/write")},
	{"read an order with an ID token", "GET", "/orders/42", "alice-id", wrongUse("orders-read")},
	{"create with write scope", "POST", "/orders", "alice-write", allow("orders-write")},
	{"create with read scope", "POST", "/orders", "alice-read", scope("orders-write", "orders/write")},
	{"create as admin without scope", "POST", "/orders", "bob", allow("orders-write")},
	{"create with an admin's ID token", "POST", "/orders", "bob-id", wrongUse("orders-write")},
	{"update with write scope", "PUT", "/orders/42", "alice-write", allow("orders-write")},
	{"delete with read scope", "DELETE", "/orders/42", "alice-read", scope("orders-write", "orders/write")},
	{"patch is not routed", "PATCH", "/orders/42", "alice-write", forbidden("default", claims.ReasonNoRule)},
	{"create with trailing slash is not routed", "POST", "/orders/", "alice-write", forbidden("default", claims.ReasonNoRule)},
	{"order id must be one segment", "GET", "/orders/42/items", "alice-read", forbidden("default", claims.ReasonNoRule)},

	// Per-user paths: {sub} must be the token's sub.
	{"own file", "GET", "/users/" + subAlice + "/files/notes/a.txt", "alice", allow("user-files-read")},
	{"someone else's file", "GET", "/users/" + subBob + "/files/a.txt", "alice", forbidden("user-files-read", claims.ReasonClaimDenied)},
	{"support reads anyone's", "GET", "/users/" + subBob + "/files/a.txt", "carol", allow("user-files-read")},
	{"support cannot write", "PUT", "/users/" + subBob + "/files/a.txt", "carol", forbidden("user-files-write", claims.ReasonClaimDenied)},
	{"own write", "PUT", "/users/" + subAlice + "/files/a.txt", "alice", allow("user-files-write")},
	{"own files root", "GET", "/users/" + subAlice + "/files/", "alice", allow("user-files-read")},
	{"own files without slash", "GET", "/users/" + subAlice + "/files", "alice", allow("user-files-read")},
	{"files without token", "GET", "/users/" + subAlice + "/files/a.txt", "none", noToken("user-files-read")},
	{"escaped sub is compared unescaped", "GET", "/users/%32" + subAlice[1:] + "/files/a.txt", "alice", allow("user-files-read")},
	{"dot-dot into someone else's", "GET", "/users/" + subAlice + "/files/../../" + subBob + "/files/a.txt", "alice",
		forbidden("user-files-read", claims.ReasonClaimDenied).at("/users/" + subBob + "/files/a.txt")},
	{"dot-dot out of someone else's into own", "GET", "/users/" + subBob + "/files/../../" + subAlice + "/files/a.txt", "alice",
		allow("user-files-read").at("/users/" + subAlice + "/files/a.txt")},
	{"encoded slashes into someone else's", "GET", "/users/" + subAlice + "/files/..%2F..%2F" + subBob + "/files/a.txt", "alice", nonCanonical()},

	// Tenant reports: ID tokens, custom attribute and a raw boolean claim.
	{"own tenant", "GET", "/tenants/acme/reports/q3", "alice-id", allow("tenant-reports")},
	{"other tenant", "GET", "/tenants/globex/reports/q3", "alice-id", forbidden("tenant-reports", claims.ReasonClaimDenied)},
	{"tenant with an access token", "GET", "/tenants/acme/reports/q3", "alice-read", wrongUse("tenant-reports")},
	{"tenant, email not verified", "GET", "/tenants/acme/reports/q3", "alice-id-unv", forbidden("tenant-reports", claims.ReasonClaimDenied)},
	{"tenant claim missing", "GET", "/tenants/acme/reports/q3", "bob-id", forbidden("tenant-reports", claims.ReasonClaimDenied)},

	// Claims of a pre-token-generation trigger, typed.
	{"billing of a tenant admin", "GET", "/tenants/acme/billing/invoices", "erin", allow("billing")},
	{"billing of another tenant", "GET", "/tenants/globex/billing/invoices", "erin", forbidden("billing", claims.ReasonClaimDenied)},
	{"billing, seats written as text", "GET", "/tenants/acme/billing/invoices", "frank", forbidden("billing", claims.ReasonClaimDenied)},
	{"billing, a free plan", "GET", "/tenants/acme/billing/invoices", "gina", forbidden("billing", claims.ReasonClaimDenied)},
	{"billing, not an admin", "GET", "/tenants/acme/billing/invoices", "alice", forbidden("billing", claims.ReasonClaimDenied)},
	{"billing with an ID token", "GET", "/tenants/acme/billing/invoices", "alice-id", wrongUse("billing")},

	// The job runner's app client only.
	{"jobs from another app client", "POST", "/jobs/nightly", "alice", forbidden("jobs", claims.ReasonClaimDenied)},
	{"jobs without a token", "POST", "/jobs/nightly", "none", noToken("jobs")},

	// Default deny.
	{"unknown path without token", "GET", "/nowhere", "none", noToken("default")},
	{"unknown path with token", "GET", "/nowhere", "bob", forbidden("default", claims.ReasonNoRule)},
	{"root", "GET", "/", "none", noToken("default")},
}

func TestDecideExamplePolicy(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p := loadExample(t)
	for _, tc := range exampleCases {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, tc.method, tc.target)
			tok, ok := users[tc.user]
			if !ok {
				t.Fatalf("no user %q", tc.user)
			}
			got := p.Decide(r, tok)
			checkDecision(t, got, tc.want, r)
			if ex := p.Explain(r, tok); !equalDecision(ex.Decision, got) {
				t.Errorf("Explain decided %v, Decide %v\n%s", ex.Decision, got, ex)
			}
			if t.Failed() {
				t.Logf("explanation:\n%s", p.Explain(r, tok))
			}
		})
	}
}

// checkDecision compares got with w, and checks the invariants of every
// decision.
func checkDecision(t *testing.T, got policy.Decision, w want, r *http.Request) {
	t.Helper()
	wantPath := w.path
	if wantPath == "" {
		wantPath = r.URL.EscapedPath()
	}
	if got.Allow != w.allow || got.Status != w.status || got.Reason != w.reason || got.Rule != w.rule ||
		got.Path != wantPath || !slices.Equal(got.Scopes, w.scopes) {
		t.Errorf("Decide(%s %s %s) = %+v; want allow=%v status=%d reason=%s rule=%s path=%s scopes=%v",
			r.Method, r.Host, r.URL.RequestURI(), got, w.allow, w.status, w.reason, w.rule, wantPath, w.scopes)
	}
	if got.Status != got.Reason.Status() {
		t.Errorf("Status %d but Reason %s has status %d", got.Status, got.Reason, got.Reason.Status())
	}
	if got.Allow != (got.Status == http.StatusOK) {
		t.Errorf("Allow %v with status %d", got.Allow, got.Status)
	}
}

func equalDecision(a, b policy.Decision) bool {
	return a.Allow == b.Allow && a.Status == b.Status && a.Reason == b.Reason && a.Rule == b.Rule &&
		a.Path == b.Path && slices.Equal(a.Scopes, b.Scopes)
}

// TestDecidePathIsStable checks the contract with the proxy: judging the
// path a decision reports gives the same decision, so forwarding it is safe.
func TestDecidePathIsStable(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p := loadExample(t)
	for _, tc := range exampleCases {
		r := request(t, tc.method, tc.target)
		tok := users[tc.user]
		d := p.Decide(r, tok)
		if d.Rule == policy.RuleNonCanonical {
			continue
		}
		r2 := r.Clone(r.Context())
		setEscapedPath(t, r2, d.Path)
		if d2 := p.Decide(r2, tok); !equalDecision(d, d2) {
			t.Errorf("%s: %v, but its path %s gives %v", tc.name, d, d.Path, d2)
		}
	}
}

// TestTrailingSlashTwin checks that a path with a trailing slash is also
// judged by the rule of the path without it.
func TestTrailingSlashTwin(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "site", Route: "/", Anonymous: true},
		{Name: "orders-write", Route: "POST /orders", Requirement: policy.Requirement{ScopesAll: []string{"orders/write"}}},
		{Name: "admin-page", Route: "GET /admin", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "files", Route: "GET /files/{name}", Anonymous: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []decideCase{
		{"exact route", "POST", "/orders", "none", noToken("orders-write")},
		{"slash judged by the slash-less rule too", "POST", "/orders/", "none", noToken("orders-write")},
		{"slash with the scope", "POST", "/orders/", "alice-write", allow("site")},
		{"slash without the scope", "POST", "/orders/", "alice-read", scope("orders-write", "orders/write")},
		{"admin page slash", "GET", "/admin/", "alice", forbidden("admin-page", claims.ReasonGroupDenied)},
		{"admin page slash as admin", "GET", "/admin/", "bob", allow("site")},
		{"same rule both ways", "GET", "/docs/", "none", allow("site")},
		{"slash-less path matched by no other rule", "GET", "/files/a/", "none", allow("site")},
		{"root", "GET", "/", "none", allow("site")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, tc.method, tc.target)
			tok := users[tc.user]
			checkDecision(t, p.Decide(r, tok), tc.want, r)
			if ex := p.Explain(r, tok); !equalDecision(ex.Decision, p.Decide(r, tok)) {
				t.Errorf("Explain decided %v\n%s", ex.Decision, ex)
			}
		})
	}
}

// TestTrailingSlashTwinReverse checks the other direction: a path without
// a trailing slash is also judged by a rule whose pattern names it as a
// directory, so that a wildcard anonymous rule cannot open "/admin" to an
// upstream that serves it as "/admin/".
func TestTrailingSlashTwinReverse(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "pages", Route: "GET /{page}", Anonymous: true},
		{Name: "admin", Route: "GET /admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "exact-dir", Route: "GET /ops/{$}", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "user-dir", Route: "GET /users/{id}/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "user-page", Route: "GET /users/{id}", Anonymous: true},
		{Name: "rest-dir", Route: "GET /files/{rest...}", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "everything", Route: "GET /", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "api", Route: "GET /api/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "api-doc", Route: "GET /api/doc", Anonymous: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []decideCase{
		{"directory rule judges the slash-less path", "GET", "/admin", "none", noToken("admin")},
		{"directory rule, not in the group", "GET", "/admin", "alice", forbidden("admin", claims.ReasonGroupDenied)},
		{"directory rule, in the group", "GET", "/admin", "bob", allow("pages")},
		{"{$} directory", "GET", "/ops", "none", noToken("exact-dir")},
		{"wildcard directory", "GET", "/users/7", "none", noToken("user-dir")},
		{"wildcard directory, in the group", "GET", "/users/7", "bob", allow("user-page")},
		{"{rest...} directory", "GET", "/files", "none", noToken("rest-dir")},
		{"a page no directory rule names", "GET", "/about", "none", allow("pages")},
		{"the catch-all names no directory", "GET", "/blog", "none", allow("pages")},
		{"a containing directory adds nothing", "GET", "/api/doc", "none", allow("api-doc")},
		{"the slash itself", "GET", "/admin/", "none", noToken("admin")},
		{"root", "GET", "/", "none", noToken("everything")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, tc.method, tc.target)
			tok := users[tc.user]
			checkDecision(t, p.Decide(r, tok), tc.want, r)
			if ex := p.Explain(r, tok); !equalDecision(ex.Decision, p.Decide(r, tok)) {
				t.Errorf("Explain decided %v\n%s", ex.Decision, ex)
			}
		})
	}
}

// TestDefaults checks the three defaults with and without a token.
func TestDefaults(t *testing.T) {
	f := newFixture(t)
	alice := f.users(t)["alice"]
	rules := []policy.Rule{{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}}}
	for _, tc := range []struct {
		def           policy.Default
		without, with want
		warning       string
	}{
		{policy.DefaultDeny, noToken("default"), forbidden("default", claims.ReasonNoRule), ""},
		{policy.DefaultAuthenticated, noToken("default"), allow("default"), "default: authenticated"},
		{policy.DefaultAllow, allow("default"), allow("default"), "default: allow"},
	} {
		t.Run(tc.def.String(), func(t *testing.T) {
			p, err := policy.New(policy.Config{Default: tc.def, Rules: rules})
			if err != nil {
				t.Fatal(err)
			}
			if p.Default() != tc.def {
				t.Errorf("Default() = %v", p.Default())
			}
			r := request(t, "GET", "/x")
			checkDecision(t, p.Decide(r, nil), tc.without, r)
			checkDecision(t, p.Decide(r, alice), tc.with, r)
			// Non-canonical requests are refused whatever the default.
			bad := request(t, "GET", "/admin%2Fx")
			checkDecision(t, p.Decide(bad, nil), nonCanonical(), bad)
			warnings := strings.Join(p.Warnings(), "\n")
			if tc.warning == "" && warnings != "" || !strings.Contains(warnings, tc.warning) {
				t.Errorf("Warnings() = %q; want %q", warnings, tc.warning)
			}
			// Rules still apply.
			a := request(t, "GET", "/admin/x")
			checkDecision(t, p.Decide(a, alice), forbidden("admin", claims.ReasonGroupDenied), a)
		})
	}
}

// setEscapedPath sets r's path to the escaped path p, as a proxy forwarding
// p would.
func setEscapedPath(t *testing.T, r *http.Request, p string) {
	t.Helper()
	u, err := url.PathUnescape(p)
	if err != nil {
		t.Fatalf("PathUnescape(%q): %v", p, err)
	}
	r.URL.Path, r.URL.RawPath = u, p
	if got := r.URL.EscapedPath(); got != p {
		t.Fatalf("EscapedPath() = %q after setting %q", got, p)
	}
}

// TestRefusalsIgnoreTheToken checks that a request refused unjudged gets
// the same answer with a token or without: 400, non_canonical_path (or
// bad_request for a malformed Host), while a request no rule matches is
// missing_token without a token and no_rule with one.
func TestRefusalsIgnoreTheToken(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p := loadExample(t)
	for _, tc := range []struct {
		method, target, host string
		want                 claims.Reason
	}{
		{"GET", "/admin%2Fx", "", claims.ReasonNonCanonicalPath},
		{"GET", "/docs/..;/admin/x", "", claims.ReasonNonCanonicalPath},
		{"post", "/orders", "", claims.ReasonNonCanonicalPath},
		{"GET", "/healthz", "INTERNAL.example.com", claims.ReasonNonCanonicalPath},
		{"GET", "/healthz", "internal.example.com.", claims.ReasonNonCanonicalPath},
		{"GET", "/healthz", "a,internal.example.com", claims.ReasonBadRequest},
	} {
		r := request(t, tc.method, tc.target)
		if tc.host != "" {
			r.Host = tc.host
		}
		for _, user := range []string{"none", "alice", "bob", "alice-write"} {
			d := p.Decide(r, users[user])
			if d.Reason != tc.want || d.Status != http.StatusBadRequest || d.Rule != policy.RuleNonCanonical {
				t.Errorf("%s %s Host %q as %s: %v; want 400 %s", tc.method, tc.target, tc.host, user, d, tc.want)
			}
		}
	}
	r := request(t, "GET", "/nowhere")
	if d := p.Decide(r, nil); d.Reason != claims.ReasonMissingToken || d.Status != http.StatusUnauthorized {
		t.Errorf("no rule, no token: %v", d)
	}
	if d := p.Decide(r, users["alice"]); d.Reason != claims.ReasonNoRule || d.Status != http.StatusForbidden || d.Rule != policy.RuleDefault {
		t.Errorf("no rule, a token: %v", d)
	}
}
