//go:build !race

package claims_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestCacheHitAllocs: a hit makes the caller's copy of the token and
// nothing else — one allocation for a token with up to eight groups,
// scopes and roles (the struct and its strings together), two past that.
// (Not under the race detector, which changes allocation counts.)
func TestCacheHitAllocs(t *testing.T) {
	f := newFixture(t, nil)
	many := make([]string, 9)
	for i := range many {
		many[i] = fmt.Sprintf("group-%d", i)
	}
	for _, tt := range []struct {
		name string
		raw  string
		want float64
	}{
		{"no groups", f.pool.AccessToken(cognitotest.WithGroups(), cognitotest.WithScopes()), 1},
		{"groups and scopes", f.pool.AccessToken(cognitotest.WithGroups("admins", "readers"), cognitotest.WithScopes("openid", "email", "profile")), 1},
		{"nine groups", f.pool.AccessToken(cognitotest.WithGroups(many...)), 2},
	} {
		if _, err := f.v.Verify(context.Background(), tt.raw); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(200, func() { _, _ = f.v.Verify(context.Background(), tt.raw) }); n != tt.want {
			t.Errorf("%s: a cache hit makes %v allocations, want %v", tt.name, n, tt.want)
		}
	}
}
