package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// assertionExtra is the rest of the configuration of the assertion tests:
// a copied claim that is also an identity header, so that the upstream can
// compare the two.
const assertionExtra = `identity_headers:
  claims:
    custom:tenant: X-Auth-Tenant
`

// signErrors is the series of requests refused because their assertion
// could not be signed.
const signErrors = "cognito_gate_assertion_sign_errors_total"

// forgedAssertions are client-sent headers that an upstream runtime reads
// as X-Auth-Assertion.
var forgedAssertions = []string{
	"X-Auth-Assertion: forged", "x-auth-assertion: forged", "X_Auth_Assertion: forged", "X-Auth.Assertion: forged", "X~AUTH~ASSERTION: forged",
}

// TestAssertionServe runs serve with an assertion section in front of a
// raw upstream that verifies what it receives as a service would: with
// assertion.Verifier, the gate's key set fetched over HTTP from the admin
// listener. An allowed request with a token carries one assertion, minted
// for the request the upstream receives (behind an upstream URL with a
// path), whose claims equal the identity headers; an anonymous one none;
// no client-sent assertion reaches the upstream in any spelling, not even
// a genuine one captured from another request; a request whose assertion
// would exceed max_bytes is refused (500), counted, and logged without the
// token; the key set is served on the admin listener and at jwks_path.
func TestAssertionServe(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	dir := t.TempDir()
	k1, k2 := writeAssertionKey(t, dir, "k1"), writeAssertionKey(t, dir, "k2")
	cfg := writeConfig(t, pool, "http://"+up.addr+"/api", boundaryPolicy, assertionExtra+"forward_authorization: false\n"+
		assertionYAML([]string{k1.private, k2.public}, `claims: ["custom:tenant"]`, "max_bytes: 2KiB", "jwks_path: /.well-known/gate-jwks.json"))
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	v := upstreamVerifier(t, p.addr["admin"], "/api", jwks.Config{})
	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin", "ops"),
		cognitotest.WithScopes("orders/read", "orders/write"), cognitotest.WithClaim("custom:tenant", "acme"))
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	b := func(tok string) string { return "Authorization: Bearer " + tok }

	send := func(t *testing.T, method, target string, lines ...string) (hardResponse, []rawRequest) {
		t.Helper()
		before := up.count()
		resp := rawDo(t, p.addr["proxy"], head(method, target, "api.example.com", lines...))
		return resp, up.since(before)
	}
	// one sends a request that must reach the upstream, and returns it.
	one := func(t *testing.T, method, target string, lines ...string) rawRequest {
		t.Helper()
		resp, reqs := send(t, method, target, lines...)
		if resp.status != 200 || len(reqs) != 1 {
			t.Fatalf("status %d, %d requests upstream: %s", resp.status, len(reqs), resp.body)
		}
		return reqs[0]
	}

	var captured string // a genuine assertion, for the replay below
	t.Run("allowed", func(t *testing.T) {
		r := one(t, "DELETE", "/admin/users/1?force=1", b(admin), "Content-Length: 0")
		tok := verifyAssertion(t, v, r)
		if tok.Subject != "sub-alice" || strings.Join(tok.Groups, ",") != "admin,ops" || tok.Username != "alice" {
			t.Errorf("the assertion carries %q %q %q", tok.Subject, tok.Username, tok.Groups)
		}
		if s, _ := tok.StringClaim("custom:tenant"); s != "acme" || strings.Join(r.values("X-Auth-Tenant"), ",") != "acme" {
			t.Errorf("custom:tenant: assertion %q, header %q", s, r.values("X-Auth-Tenant"))
		}
		if got := r.target(); got != "/api/admin/users/1?force=1" {
			t.Errorf("upstream target %q", got)
		}
		if tok.KeyID != k1.kid {
			t.Errorf("signed with kid %s, want key_files[0]'s %s", tok.KeyID, k1.kid)
		}
		captured = r.values(defaultAssertionHeader)[0]
	})
	t.Run("own profile", func(t *testing.T) {
		if tok := verifyAssertion(t, v, one(t, "GET", "/users/sub-bob/profile", b(bob))); tok.Subject != "sub-bob" {
			t.Errorf("sub %q", tok.Subject)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		noAssertion(t, one(t, "GET", "/public/x"))
	})
	t.Run("anonymous with forged assertions", func(t *testing.T) {
		noAssertion(t, one(t, "GET", "/public/x", forgedAssertions...))
	})
	t.Run("anonymous with a captured assertion", func(t *testing.T) {
		noAssertion(t, one(t, "GET", "/public/x", "X-Auth-Assertion: "+captured))
	})
	t.Run("token with forged assertions", func(t *testing.T) {
		r := one(t, "GET", "/users/sub-bob/profile", append(forgedAssertions, b(bob))...)
		if tok := verifyAssertion(t, v, r); tok.Subject != "sub-bob" {
			t.Errorf("sub %q", tok.Subject)
		}
	})
	t.Run("token with a captured assertion", func(t *testing.T) {
		r := one(t, "GET", "/users/sub-bob/profile", b(bob), "X_Auth_Assertion: "+captured)
		verifyAssertion(t, v, r)
		if r.values(defaultAssertionHeader)[0] == captured {
			t.Error("the client's assertion reached the upstream")
		}
	})
	t.Run("over max_bytes", func(t *testing.T) {
		failures := metric(t, p, signErrors)
		resp, reqs := send(t, "GET", "/admin/"+strings.Repeat("a", 2048), b(admin))
		if resp.status != http.StatusInternalServerError || !strings.Contains(resp.body, `"reason":"internal_error"`) || len(reqs) != 0 {
			t.Fatalf("status %d, %d requests upstream: %s", resp.status, len(reqs), resp.body)
		}
		if got := metric(t, p, signErrors); got != failures+1 {
			t.Errorf("%s = %v, want %v", signErrors, got, failures+1)
		}
		waitLog(t, p, "assertion not signed; request refused")
	})
	t.Run("key sets", func(t *testing.T) {
		wantKIDs(t, p.addr["admin"]+"/.well-known/jwks.json", k1.kid, k2.kid)
		before := up.count()
		wantKIDs(t, p.addr["proxy"]+"/.well-known/gate-jwks.json", k1.kid, k2.kid)
		for _, method := range []string{"POST", "DELETE"} {
			if resp := get(t, method, p.addr["proxy"]+"/.well-known/gate-jwks.json", "", nil); resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s jwks_path: %d, want 405", method, resp.StatusCode)
			}
			if resp := get(t, method, p.addr["admin"]+"/.well-known/jwks.json", "", nil); resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s on the admin listener: %d, want 405", method, resp.StatusCode)
			}
		}
		if up.count() != before {
			t.Error("a request for jwks_path reached the upstream")
		}
		// Only the exact path is the key set's: the rest is judged.
		if resp := get(t, "GET", p.addr["proxy"]+"/.well-known/gate-jwks.json/x", "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("below jwks_path: %d, want 401", resp.StatusCode)
		}
	})

	// Neither a token nor an assertion is ever logged (the log is at
	// debug level).
	logs := p.stderr.String()
	for _, secret := range []string{admin[strings.LastIndexByte(admin, '.')+1:], bob[strings.LastIndexByte(bob, '.')+1:], captured[strings.LastIndexByte(captured, '.')+1:]} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Error("a signature of a token or an assertion is in the log")
		}
	}
}

// TestAssertionServeRenamed: with the assertion in another header, a
// client's copy of that header and of X-Auth-Assertion are both removed.
func TestAssertionServeRenamed(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	k1 := writeAssertionKey(t, t.TempDir(), "k1")
	cfg := writeConfig(t, pool, "http://"+up.addr, boundaryPolicy,
		strings.Replace(assertionYAML([]string{k1.private}), "header: X-Auth-Assertion", "header: X-Gate-Assertion", 1))
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	for _, tc := range []struct {
		name  string
		lines []string
		want  int // X-Gate-Assertion headers upstream
	}{
		{"token", []string{"Authorization: Bearer " + bob, "X-Auth-Assertion: forged", "X_Gate_Assertion: forged"}, 1},
		{"anonymous", []string{"X-Auth-Assertion: forged", "x-gate-assertion: forged"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := "/public/x"
			if tc.want == 1 {
				target = "/users/sub-bob/profile"
			}
			before := up.count()
			resp := rawDo(t, p.addr["proxy"], head("GET", target, "api.example.com", tc.lines...))
			reqs := up.since(before)
			if resp.status != 200 || len(reqs) != 1 {
				t.Fatalf("status %d, %d requests upstream", resp.status, len(reqs))
			}
			r := reqs[0]
			noAssertion(t, r)
			got := r.values("X-Gate-Assertion")
			if len(got) != tc.want || tc.want == 1 && (got[0] == "forged" || strings.Count(got[0], ".") != 2) {
				t.Errorf("X-Gate-Assertion upstream: %q", got)
			}
		})
	}
}

// TestAssertionForwardAuth calls the forward-auth endpoint as a proxy
// does: a 200 for a token carries the assertion, minted for the original
// request the method, URI and host headers describe (not the subrequest),
// which an upstream that receives the request verifies; an anonymous 200
// carries none; a subrequest carrying a client's assertion in any
// spelling is refused (400); one whose assertion cannot be made gets 500.
// In mode envoy the assertion is minted for the path less path_prefix.
func TestAssertionForwardAuth(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	k1 := writeAssertionKey(t, t.TempDir(), "k1")
	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"), cognitotest.WithClaim("custom:tenant", "acme"))
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	orig := func(method, uri string) []string {
		return []string{"X-Forwarded-Method: " + method, "X-Forwarded-Uri: " + uri, "X-Forwarded-Host: api.example.com"}
	}
	// upstreamOf is the request the proxy sends the upstream once the
	// gate said 200: the original request, the gate's answer headers.
	upstreamOf := func(method, uri string, answer http.Header) rawRequest {
		r := rawRequest{line: method + " " + uri + " HTTP/1.1", header: [][2]string{{"Host", "api.example.com"}, {"X-Forwarded-Host", "api.example.com"}}}
		for name, vals := range answer {
			for _, val := range vals {
				r.header = append(r.header, [2]string{name, val})
			}
		}
		return r
	}

	t.Run("headers", func(t *testing.T) {
		cfg := writeConfig(t, pool, "", boundaryPolicy, assertionExtra+assertionYAML([]string{k1.private}, `claims: ["custom:tenant"]`, "max_bytes: 2KiB"))
		p := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)
		v := upstreamVerifier(t, p.addr["admin"], "", jwks.Config{})
		ask := func(t *testing.T, lines ...string) hardResponse {
			t.Helper()
			return rawDo(t, p.addr["forward-auth"], head("GET", "/auth", "gate.internal", lines...))
		}
		resp := ask(t, append(orig("DELETE", "/admin/users/1?force=1"), "Authorization: Bearer "+admin)...)
		if resp.status != 200 {
			t.Fatalf("admin: %d %s", resp.status, resp.body)
		}
		tok := verifyAssertion(t, v, upstreamOf("DELETE", "/admin/users/1?force=1", resp.header))
		if s, _ := tok.StringClaim("custom:tenant"); s != "acme" || resp.header.Get("X-Auth-Tenant") != "acme" {
			t.Errorf("custom:tenant: assertion %q, header %q", s, resp.header.Get("X-Auth-Tenant"))
		}
		// Minted for the original request: not for another path or method.
		if _, err := v.VerifyRequest(upstreamOf("GET", "/admin/users/1", nil).request(), resp.header.Get(defaultAssertionHeader)); err == nil {
			t.Error("the assertion of DELETE is accepted for GET")
		}
		if _, err := v.VerifyRequest(upstreamOf("DELETE", "/auth", nil).request(), resp.header.Get(defaultAssertionHeader)); err == nil {
			t.Error("the assertion is accepted for the subrequest's path")
		}

		if resp := ask(t, orig("GET", "/public/x")...); resp.status != 200 || resp.header.Get(defaultAssertionHeader) != "" {
			t.Errorf("anonymous: %d, assertion %q", resp.status, resp.header.Get(defaultAssertionHeader))
		}
		for _, l := range append(forgedAssertions, "X-Auth-Assertion: "+resp.header.Get(defaultAssertionHeader)) {
			for _, who := range []string{"anonymous", "token"} {
				lines := append(orig("GET", "/users/sub-bob/profile"), l)
				if who == "token" {
					lines = append(lines, "Authorization: Bearer "+bob)
				}
				bad := metric(t, p, badRequests)
				if resp := ask(t, lines...); resp.status != 400 || resp.header.Get(defaultAssertionHeader) != "" {
					t.Errorf("%s, %s: %d, assertion %q; want 400", who, l, resp.status, resp.header.Get(defaultAssertionHeader))
				}
				if got := metric(t, p, badRequests); got != bad+1 {
					t.Errorf("%s, %s: bad_request %v, want %v", who, l, got, bad+1)
				}
			}
		}

		failures := metric(t, p, signErrors)
		resp = ask(t, append(orig("GET", "/admin/"+strings.Repeat("a", 2048)), "Authorization: Bearer "+admin)...)
		if resp.status != http.StatusInternalServerError || resp.header.Get(defaultAssertionHeader) != "" || resp.header.Get("X-Auth-Sub") != "" {
			t.Errorf("over max_bytes: %d, headers %v", resp.status, resp.header)
		}
		if got := metric(t, p, signErrors); got != failures+1 {
			t.Errorf("%s = %v, want %v", signErrors, got, failures+1)
		}
		wantKIDs(t, p.addr["admin"]+"/.well-known/jwks.json", k1.kid)
	})

	t.Run("envoy", func(t *testing.T) {
		cfg := writeConfig(t, pool, "", boundaryPolicy, "forward_auth:\n  mode: envoy\n  path_prefix: /ext-authz\n"+assertionYAML([]string{k1.private}))
		p := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)
		v := upstreamVerifier(t, p.addr["admin"], "", jwks.Config{})
		resp := rawDo(t, p.addr["forward-auth"], head("DELETE", "/ext-authz/admin/x?y=1", "api.example.com", "Authorization: Bearer "+admin))
		if resp.status != 200 {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		verifyAssertion(t, v, upstreamOf("DELETE", "/admin/x?y=1", resp.header))
	})
}
