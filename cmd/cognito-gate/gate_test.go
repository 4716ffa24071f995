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
		{"X-Auth-Su", "X-Auth-Sub", false},
		{"X-Auth-Sib", "X-Auth-Sub", false},
		{"X-Auth-Sub2", "X-Auth-Sub", false},
		{"X\x0dAuth-Sub", "X-Auth-Sub", false}, // 0x0d|0x20 == '-'
		{"X@Auth", "X`Auth", false},            // not letters, only alike in bit 5
	}
	for _, tt := range tests {
		if got := sameHeader(tt.a, tt.b); got != tt.want {
			t.Errorf("sameHeader(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
