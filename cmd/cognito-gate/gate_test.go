package main

import "testing"

func TestSameHeader(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"X-Auth-Sub", "X-Auth-Sub", true},
		{"x-auth-sub", "X-Auth-Sub", true},
		{"X_AUTH_SUB", "X-Auth-Sub", true},
		{"X_auth-Sub", "X-Auth-Sub", true},
		{"X-Auth.Sub", "X-Auth-Sub", true},  // PHP reads '.' as '_'
		{"X.Auth.Sub", "X-Auth-Sub", true},  // and so does CGI
		{"X~Auth!Sub", "X-Auth-Sub", true},  // any non-alphanumeric token character
		{"X-Auth-Su", "X-Auth-Sub", false},  // lengths differ
		{"X-Auth-Sib", "X-Auth-Sub", false}, // letters differ
		{"X-Auth-Sub2", "X-Auth-Sub", false},
		{"X-Auth-Su1", "X-Auth-Sub", false}, // a digit is no letter
		{"XAuth-Sub-", "X-Auth-Sub", false}, // punctuation in other places
		{"X@Auth", "X`Auth", true},          // both non-alphanumeric
		{"X\x0dAuth-Sub", "X-Auth-Sub", true},
	}
	for _, tt := range tests {
		if got := sameHeader(tt.a, tt.b); got != tt.want {
			t.Errorf("sameHeader(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := sameHeader(tt.b, tt.a); got != tt.want {
			t.Errorf("sameHeader(%q, %q) = %v, not symmetric", tt.b, tt.a, got)
		}
	}
}

func TestHasHeaderPrefix(t *testing.T) {
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"X-Forwarded-For", true}, {"x_forwarded_host", true}, {"X.Forwarded.Anything", true},
		{"X-Forwarded-", true}, {"X-Forwarded", false}, {"X-Forwardee-For", false}, {"Forwarded", false},
	} {
		if got := hasHeaderPrefix(tt.name, forwardedPrefix); got != tt.want {
			t.Errorf("hasHeaderPrefix(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// FuzzSameHeader checks that sameHeader is what it says: an equivalence
// that agrees with comparing the CGI variable names.
func FuzzSameHeader(f *testing.F) {
	f.Add("X-Auth-Sub", "x_auth.sub")
	f.Add("a", "B")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := sameHeader(a, b), cgi(a) == cgi(b); got != want {
			t.Errorf("sameHeader(%q, %q) = %v, CGI names %q %q", a, b, got, cgi(a), cgi(b))
		}
		if !sameHeader(a, a) {
			t.Errorf("sameHeader(%q, itself) = false", a)
		}
	})
}
