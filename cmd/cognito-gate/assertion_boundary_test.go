package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/assertion"
)

// checkProxyAssertions attacks a proxy in front of forward-auth at base
// with boundaryAttacks and then with a client's assertion header in every
// spelling, forged or genuine (captured from an allowed request, and sent
// again for the same request), with and without a token. Beside
// checkProxyAttacks's checks: every request that reaches the upstream with
// a token carries exactly one assertion header, the gate's, which v
// accepts for that request and whose claims equal the identity headers;
// every other request carries none; and no value a client sent arrives.
// unset, when not nil, is the value the proxy writes for a header the
// gate's answer lacks, which the upstream reads as no header.
func checkProxyAssertions(t *testing.T, base string, up *rawUpstream, v *assertion.Verifier, admin, bob string, unset func(name string) string) {
	t.Helper()
	check := func(t *testing.T, a proxyAttack, r rawRequest) {
		t.Helper()
		r = r.without(unset)
		token := slices.ContainsFunc(a.lines, func(l string) bool { return strings.HasPrefix(l, "Authorization: Bearer ") })
		if token {
			verifyAssertion(t, v, r)
		} else {
			noAssertion(t, r)
		}
		for _, l := range a.lines {
			name, value, _ := strings.Cut(l, ": ")
			if cgi(name) == cgi(defaultAssertionHeader) && slices.Contains(r.values(defaultAssertionHeader), value) {
				t.Errorf("the client's %s reached the upstream", name)
			}
		}
	}
	checkProxyAttacks(t, base, up, boundaryAttacks(admin, bob), check)

	profile := head("GET", "/users/sub-bob/profile", "api.example.com", "Authorization: Bearer "+bob)
	before := up.count()
	if resp := rawDo(t, base, profile); resp.status != 200 || up.count() != before+1 {
		t.Fatalf("own profile: %d", resp.status)
	}
	r := up.since(before)[0].without(unset)
	captured := verifyAssertion(t, v, r)
	genuine := "X-Auth-Assertion: " + r.values(defaultAssertionHeader)[0]
	if captured.Subject != "sub-bob" {
		t.Fatalf("captured the assertion of %q", captured.Subject)
	}
	var attacks []proxyAttack
	for i, l := range append(slices.Clone(forgedAssertions), genuine) {
		name := l
		if i == len(forgedAssertions) {
			name = "a captured assertion"
		}
		attacks = append(attacks,
			proxyAttack{name: "anonymous, " + name, method: "GET", target: "/public/x", host: "api.example.com", lines: []string{l}, either: true},
			proxyAttack{name: "with a token, " + name, method: "GET", target: "/users/sub-bob/profile", host: "api.example.com",
				lines: []string{"Authorization: Bearer " + bob, l}, either: true})
	}
	checkProxyAttacks(t, base, up, attacks, check)
}

// without returns r less the header lines whose value is unset(name)
// (unset nil: r).
func (r rawRequest) without(unset func(name string) string) rawRequest {
	if unset == nil {
		return r
	}
	out := r
	out.header = nil
	for _, h := range r.header {
		if h[1] != unset(h[0]) {
			out.header = append(out.header, h)
		}
	}
	return out
}

// caddyUnset is what Caddy before 2.10 sends the upstream for a header of
// copy_headers that the auth response lacks: its placeholder, unreplaced
// (caddyserver/caddy#6610). No upstream takes it for an identity, and no
// verifier for an assertion.
func caddyUnset(name string) string { return "{http.reverse_proxy.header." + name + "}" }
