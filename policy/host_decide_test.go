package policy_test

import (
	"net/http"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// badRequest is the refusal of a Host that is not a host name or IP
// literal with at most one port.
func badRequest() want {
	return want{status: http.StatusBadRequest, reason: claims.ReasonBadRequest, rule: "non_canonical"}
}

// nonCanonical is the refusal of a request in a form routers could read
// differently from the policy: 400 whoever sent it.
func nonCanonical() want {
	return want{status: http.StatusBadRequest, reason: claims.ReasonNonCanonicalPath, rule: "non_canonical"}
}

// TestDecideHosts sends Host values to the example policy, which has a
// rule for the host internal.example.com. Malformed values used to be
// judged by host-less rules (stripHostPort gave up and returned them whole,
// matching no host pattern), while Werkzeug's ProxyFix and Express read the
// internal host out of them and served its virtual host.
func TestDecideHosts(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p := loadExample(t)
	for _, tc := range []struct {
		name, host, path, user string
		want                   want
	}{
		// Well-formed hosts are judged by their rules.
		{"internal host", "internal.example.com", "/healthz", "none", noToken("internal")},
		{"internal host with a port", "internal.example.com:8443", "/healthz", "dave", allow("internal")},
		{"other host", "api.example.com", "/healthz", "none", allow("health")},
		{"IPv4 with a port", "10.0.0.1:8080", "/healthz", "none", allow("health")},
		{"IPv6 in brackets", "[::1]", "/healthz", "none", allow("health")},
		{"IPv6 in brackets with a port", "[2001:db8::1]:443", "/healthz", "none", allow("health")},
		{"underscore in a label", "my_service.internal", "/healthz", "none", allow("health")},

		// Not lower-case or a trailing dot: a host name, but not in the
		// form ServeMux compares; refused as before (401/403).
		{"upper case", "Internal.example.com", "/healthz", "none", nonCanonical()},
		{"upper case with a token", "INTERNAL.EXAMPLE.COM", "/healthz", "dave", nonCanonical()},
		{"trailing dot", "internal.example.com.", "/healthz", "none", nonCanonical()},
		{"trailing dot and port", "internal.example.com.:443", "/healthz", "dave", nonCanonical()},

		// Malformed: 400, with or without a token.
		{"list of hosts (ProxyFix serves the last)", "www.example.com,internal.example.com", "/healthz", "none", badRequest()},
		{"list of hosts (Express serves the first)", "internal.example.com,www.example.com", "/healthz", "dave", badRequest()},
		{"list with a space", "www.example.com, internal.example.com", "/healthz", "none", badRequest()},
		{"two ports", "internal.example.com:1:2", "/healthz", "none", badRequest()},
		{"empty port", "internal.example.com:", "/healthz", "none", badRequest()},
		{"port zero", "internal.example.com:0", "/healthz", "none", badRequest()},
		{"port too large", "internal.example.com:65536", "/healthz", "none", badRequest()},
		{"port with a sign", "internal.example.com:+443", "/healthz", "none", badRequest()},
		{"port with leading zero", "internal.example.com:0443", "/healthz", "none", badRequest()},
		{"empty", "", "/healthz", "none", badRequest()},
		{"port only", ":443", "/healthz", "none", badRequest()},
		{"userinfo", "www.example.com@internal.example.com", "/healthz", "none", badRequest()},
		{"percent-escape", "internal%2Eexample.com", "/healthz", "none", badRequest()},
		{"space", "internal.example.com /x", "/healthz", "none", badRequest()},
		{"tab", "internal.example.com\t", "/healthz", "none", badRequest()},
		{"non-ASCII", "intérnal.example.com", "/healthz", "none", badRequest()},
		{"slash", "internal.example.com/x", "/healthz", "none", badRequest()},
		{"backslash", `internal.example.com\x`, "/healthz", "none", badRequest()},
		{"empty label", "internal..example.com", "/healthz", "none", badRequest()},
		{"leading dot", ".internal.example.com", "/healthz", "none", badRequest()},
		{"two trailing dots", "internal.example.com..", "/healthz", "none", badRequest()},
		{"label starts with a hyphen", "-internal.example.com", "/healthz", "none", badRequest()},
		{"label too long", "a234567890123456789012345678901234567890123456789012345678901234.example.com", "/healthz", "none", badRequest()},
		{"unbracketed IPv6", "::1", "/healthz", "none", badRequest()},
		{"IPv6 zone", "[fe80::1%25eth0]", "/healthz", "none", badRequest()},
		{"IPv4 in brackets", "[10.0.0.1]", "/healthz", "none", badRequest()},
		{"unclosed bracket", "[::1", "/healthz", "none", badRequest()},
		{"text after the bracket", "[::1]x", "/healthz", "none", badRequest()},
		{"short IPv4", "127.1", "/healthz", "none", badRequest()},
		{"IPv4 with leading zero", "010.0.0.1", "/healthz", "none", badRequest()},
		{"IPv4 octet too large", "10.0.0.256", "/healthz", "none", badRequest()},
		{"hex IPv4", "0x7f.0.0.1", "/healthz", "none", badRequest()},
		{"numeric last label", "internal.example.123", "/healthz", "none", badRequest()},
		{"malformed host wins over a malformed path", "a,b", "/admin%2Fx", "none", badRequest()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, "GET", tc.path)
			r.Host = tc.host
			tok := users[tc.user]
			got := p.Decide(r, tok)
			checkDecision(t, got, tc.want, r)
			if ex := p.Explain(r, tok); !equalDecision(ex.Decision, got) {
				t.Errorf("Explain decided %v, Decide %v\n%s", ex.Decision, got, ex)
			}
		})
	}
}

// TestHostPatterns checks that IPv4 addresses and names with '_' can be
// host patterns, and are matched with or without a port.
func TestHostPatterns(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "site", Route: "/", Anonymous: true},
		{Name: "metadata", Route: "169.254.169.254/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "service", Route: "my_service.internal/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, host, user string
		want             want
	}{
		{"IPv4 host", "169.254.169.254", "alice", forbidden("metadata", claims.ReasonGroupDenied)},
		{"IPv4 host with a port", "169.254.169.254:80", "bob", allow("metadata")},
		{"IPv4 host with a leading zero", "169.254.169.0254", "none", badRequest()},
		{"short IPv4 of the host", "169.254.43518", "none", badRequest()},
		{"underscore host", "my_service.internal:8080", "none", noToken("service")},
		{"other host", "example.com", "none", allow("site")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, "GET", "/latest/meta-data/")
			r.Host = tc.host
			checkDecision(t, p.Decide(r, users[tc.user]), tc.want, r)
		})
	}
}
