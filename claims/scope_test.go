package claims_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestScopeClaim guards finding 17: the scope claim was split with
// strings.Fields, so "openid\temail" granted email to this gate while an
// upstream splitting on spaces (RFC 6749 section 3.3) saw one scope. Only
// a list of scope-tokens separated by single spaces is accepted; anything
// else is a malformed token.
func TestScopeClaim(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name  string
		scope any
		want  []string // nil: malformed
	}{
		{"one scope", "openid", []string{"openid"}},
		{"several scopes", "openid email aws.cognito.signin.user.admin", []string{"openid", "email", "aws.cognito.signin.user.admin"}},
		{"resource server scope", "https://api.example.com/orders.read", []string{"https://api.example.com/orders.read"}},
		{"edge characters", "!#[]~ a", []string{"!#[]~", "a"}},
		{"repeated scope", "a a", []string{"a", "a"}},
		{"empty claim", "", []string{}},
		{"tab separated", "openid\temail", nil},
		{"newline separated", "openid\nemail", nil},
		{"carriage return", "openid\r email", nil},
		{"two spaces", "openid  email", nil},
		{"leading space", " openid", nil},
		{"trailing space", "openid ", nil},
		{"only a space", " ", nil},
		{"no-break space", "openid\u00a0email", nil},
		{"non-ASCII", "caf\u00e9", nil},
		{"quote", `a"b`, nil},
		{"backslash", `a\b`, nil},
		{"DEL", "a\x7f", nil},
		{"NUL", "a\x00b", nil},
		{"array", []string{"openid"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := f.v.Verify(context.Background(), f.pool.AccessToken(cognitotest.WithClaim("scope", tt.scope)))
			if tt.want == nil {
				if !errors.Is(err, claims.ErrMalformed) {
					t.Fatalf("Verify: %v (token %+v), want ErrMalformed", err, tok)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !slices.Equal(tok.Scopes, tt.want) || tok.Scopes == nil {
				t.Errorf("Scopes = %#v, want %#v", tok.Scopes, tt.want)
			}
		})
	}
}
