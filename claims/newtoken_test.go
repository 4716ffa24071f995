package claims_test

import (
	"errors"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
)

// TestNewToken: a token verified elsewhere keeps its fields (slices copied,
// so the caller's cannot change it) and reads its claims from the payload;
// a payload that is not one strict JSON object is refused.
func TestNewToken(t *testing.T) {
	groups := []string{"admin"}
	tok, err := claims.NewToken(claims.Token{Subject: "u1", Groups: groups}, []byte(`{"sub":"u1","email":"a@example.com","n":{"k":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	groups[0] = "changed"
	if tok.Subject != "u1" || len(tok.Groups) != 1 || tok.Groups[0] != "admin" {
		t.Errorf("fields = %+v", tok)
	}
	if v, ok := tok.StringClaim("email"); !ok || v != "a@example.com" {
		t.Errorf("email = %q, %v", v, ok)
	}
	var c struct {
		N struct{ K int } `json:"n"`
	}
	if err := tok.Decode(&c); err != nil || c.N.K != 1 {
		t.Errorf("Decode = %v, %+v", err, c)
	}
	for _, bad := range []string{``, `[]`, `{"a":1}{"b":2}`, `{"a":1,"a":2}`, `{"a":}`, `"s"`, `{"a":1} x`} {
		if _, err := claims.NewToken(claims.Token{}, []byte(bad)); !errors.Is(err, claims.ErrMalformed) {
			t.Errorf("NewToken(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestLoadBalancerReasons: the two reasons of load balancer headers are
// 401s of their own.
func TestLoadBalancerReasons(t *testing.T) {
	for err, want := range map[error]claims.Reason{
		claims.ErrWrongSigner:      claims.ReasonWrongSigner,
		claims.ErrIdentityMismatch: claims.ReasonIdentityMismatch,
	} {
		if got := claims.ReasonOf(err); got != want || got.Status() != 401 {
			t.Errorf("ReasonOf(%v) = %s (%d), want %s (401)", err, got, got.Status(), want)
		}
	}
}
