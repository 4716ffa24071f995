package policy_test

import (
	"testing"
)

// BenchmarkDecide measures Decide on the example policy with verified
// tokens (fixed clock, requests built once), for the success path and each
// main failure path.
func BenchmarkDecide(b *testing.B) {
	f := newFixture(b)
	users := f.users(b)
	p := loadExample(b)
	for _, bc := range []struct {
		name, method, target, user string
	}{
		{"public", "GET", "/healthz", "none"},
		{"authenticated", "GET", "/me", "alice"},
		{"group", "GET", "/admin/users", "bob"},
		{"scope_write", "POST", "/orders", "alice-write"},
		{"own_sub", "GET", "/users/" + subAlice + "/files/notes/a.txt", "alice"},
		{"raw_claims", "GET", "/tenants/acme/reports/q3", "alice-id"},
		{"host", "GET", "http://internal.example.com:8443/x", "dave"},
		{"trailing_slash", "GET", "/docs/guide/", "none"},
		{"deny_no_token", "GET", "/admin/users", "none"},
		{"deny_scope", "GET", "/orders/42", "alice"},
		{"deny_group", "GET", "/admin/users", "alice"},
		{"deny_default", "GET", "/nowhere", "alice"},
		{"cleaned", "GET", "//admin/../admin/users", "bob"},
		{"refused", "GET", "/docs/..%2Fadmin", "none"},
		{"refused_host", "GET", "/healthz", "none"},
	} {
		r := request(b, bc.method, bc.target)
		if bc.name == "refused_host" {
			r.Host = "www.example.com,internal.example.com"
		}
		tok := users[bc.user]
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Decide(r, tok)
			}
		})
	}
}

// BenchmarkExplain shows what Explain costs, for comparison: it is for
// tools and debug logs, not for every request.
func BenchmarkExplain(b *testing.B) {
	f := newFixture(b)
	tok := f.users(b)["alice"]
	p := loadExample(b)
	r := request(b, "GET", "/users/"+subAlice+"/files/notes/a.txt")
	b.ReportAllocs()
	for b.Loop() {
		p.Explain(r, tok)
	}
}

// BenchmarkParse measures loading the example policy.
func BenchmarkParse(b *testing.B) {
	data := mustRead(b, examplePolicy)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
