//go:build !race

package claims_test

import (
	"context"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestIssuerSelectionAllocs: choosing among a pool's issuers costs no
// allocation: a token of an on-demand issuer (the updated format, a
// replica region), once its key set is held, is verified with exactly the
// allocations of a token of the primary issuer, on a cache hit and in
// full. (Not under the race detector, which changes allocation counts.)
func TestIssuerSelectionAllocs(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Alloc1", ReplicaRegions: []string{"us-west-2"}, Now: clk.Now})
	primary := pool.AccessToken()
	replica := pool.AccessToken(pool.InRegion("us-west-2"))
	for _, cached := range []bool{true, false} {
		v, _ := cognitoVerifier(t, pool, clk, func(c *claims.Config) {
			c.Pools[0].Regions = []string{"us-west-2"}
			c.Cache.Disabled = !cached
		})
		allocs := func(raw string) float64 {
			if _, err := v.Verify(context.Background(), raw); err != nil {
				t.Fatal(err)
			}
			return testing.AllocsPerRun(200, func() { _, _ = v.Verify(context.Background(), raw) })
		}
		if p, r := allocs(primary), allocs(replica); p != r {
			t.Errorf("cache %v: %v allocations for a replica's token, %v for the primary's; want the same", cached, r, p)
		}
	}
}

// TestParseIssuerAllocs: ParseIssuer (and so Token.UserPoolID) makes no
// allocation.
func TestParseIssuerAllocs(t *testing.T) {
	tok := &claims.Token{Issuer: "https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_AbC123"}
	if n := testing.AllocsPerRun(100, func() { _ = tok.UserPoolID() }); n != 0 {
		t.Errorf("UserPoolID: %v allocations, want 0", n)
	}
}
