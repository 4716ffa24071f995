package middleware

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

type otherKey struct{}

// TestAdmitContext: the one context admit adds answers every accessor as
// claims.NewContext plus a context.WithValue of the admission did, lets
// every other key, the deadline and the cancellation of its parent
// through, and survives being wrapped.
func TestAdmitContext(t *testing.T) {
	outer := &claims.Token{Subject: "outer"}
	inner := &claims.Token{Subject: "inner"}
	src := AuthorizationHeader()
	tests := []struct {
		name       string
		parentTok  *claims.Token // a token already in the request's context
		o          outcome
		wantTok    *claims.Token
		wantRule   string
		wantSource TokenSource
		same       bool // admit returns the request itself
	}{
		{name: "token, rule and source", o: outcome{token: inner, rule: "r1", source: src}, wantTok: inner, wantRule: "r1", wantSource: src},
		{name: "rule only: an anonymous route", o: outcome{rule: "public"}, wantRule: "public"},
		{name: "neither: skipped", o: outcome{}, same: true},
		{name: "the inner token replaces an outer one", parentTok: outer, o: outcome{token: inner, rule: "r1"}, wantTok: inner, wantRule: "r1"},
		{name: "an anonymous route keeps an outer token", parentTok: outer, o: outcome{rule: "public"}, wantTok: outer, wantRule: "public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent, cancel := context.WithTimeout(context.WithValue(context.Background(), otherKey{}, "v"), time.Hour)
			defer cancel()
			if tt.parentTok != nil {
				parent = claims.NewContext(parent, tt.parentTok)
			}
			r, err := http.NewRequestWithContext(parent, http.MethodGet, "http://api.example.com/x", nil)
			if err != nil {
				t.Fatal(err)
			}
			got := admit(r, &tt.o)
			if (got == r) != tt.same {
				t.Fatalf("admit returned the request itself: %v, want %v", got == r, tt.same)
			}
			// Read through a context a handler derived from it.
			ctx := context.WithValue(got.Context(), struct{ k int }{1}, "handler's")
			tok, ok := claims.FromContext(ctx)
			if tok != tt.wantTok || ok != (tt.wantTok != nil) {
				t.Errorf("FromContext = %v, %v, want %v", tok, ok, tt.wantTok)
			}
			if rule, _ := RuleFromContext(ctx); rule != tt.wantRule {
				t.Errorf("RuleFromContext = %q, want %q", rule, tt.wantRule)
			}
			if s, ok := SourceFromContext(ctx); s != tt.wantSource || ok != (tt.wantSource != nil) {
				t.Errorf("SourceFromContext = %v, %v, want %v", s, ok, tt.wantSource)
			}
			if v := ctx.Value(otherKey{}); v != "v" {
				t.Errorf("the parent's value = %v, want v", v)
			}
			if d, ok := ctx.Deadline(); !ok || d.IsZero() {
				t.Error("the parent's deadline is lost")
			}
			cancel()
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the parent's cancellation did not reach the admitted context")
			}
			if ctx.Err() != context.Canceled {
				t.Errorf("Err = %v, want context.Canceled", ctx.Err())
			}
		})
	}
}
