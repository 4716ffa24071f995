package main

import (
	"net/http"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
)

func TestProxyBufferPool(t *testing.T) {
	p := &bufferPool{}
	tests := []struct {
		name string
		put  []byte
	}{
		{"a buffer of its own, returned", p.Get()},
		{"a shorter slice of its own", p.Get()[:10]},
		{"another size, dropped", make([]byte, 100)},
		{"nil, dropped", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Put(tt.put)
			if got := p.Get(); len(got) != proxyBufferBytes {
				t.Errorf("Get after Put(%d bytes) = %d bytes, want %d", len(tt.put), len(got), proxyBufferBytes)
			}
		})
	}
}

// TestIdentityValuesDoNotShare: the identity headers' values share one
// array, but appending to one (a handler adding a value) must not change
// the next.
func TestIdentityValuesDoNotShare(t *testing.T) {
	ih := &identityHeaders{sub: "X-Auth-Sub", username: "X-Auth-Username", groups: "X-Auth-Groups"}
	h := http.Header{}
	ih.setIdentity(h, &claimsTokenForHeaders)
	h["X-Auth-Sub"] = append(h["X-Auth-Sub"], "appended")
	if got := h.Get("X-Auth-Username"); got != claimsTokenForHeaders.Username {
		t.Errorf("X-Auth-Username = %q after an append to X-Auth-Sub, want %q", got, claimsTokenForHeaders.Username)
	}
	if got := h.Values("X-Auth-Groups"); len(got) != 1 || got[0] != "a,b" {
		t.Errorf("X-Auth-Groups = %q, want [a,b]", got)
	}
}

var claimsTokenForHeaders = claims.Token{Subject: "s-1", Username: "alice", Groups: []string{"a", "b"}}
