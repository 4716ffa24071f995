//go:build !race

package claims_test

import (
	"context"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// constDenylist answers the same for every token, without allocating.
type constDenylist bool

func (d constDenylist) Revoked(*claims.Token, time.Time) bool { return bool(d) }

// TestDenylistHitAllocs: asking a deny list on a verified-token cache hit
// adds no allocation to the hit (which makes the caller's copy and
// nothing else), and a hit refused by it allocates nothing at all. (Not
// under the race detector, which changes allocation counts.)
func TestDenylistHitAllocs(t *testing.T) {
	hitAllocs := func(d claims.Denylist) float64 {
		f := newFixture(t, func(c *claims.Config) { c.Denylist = d })
		raw := f.pool.AccessToken(cognitotest.WithGroups("admin", "readers"))
		if _, err := f.v.Verify(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(200, func() { _, _ = f.v.Verify(context.Background(), raw) })
	}
	without := hitAllocs(nil)
	with := hitAllocs(constDenylist(false))
	if with != without {
		t.Errorf("cache hit: %v allocations with a deny list, %v without; want the same", with, without)
	}

	// A refused hit: the token is cached first, then revoked.
	d := &switchDenylist{}
	f := newFixture(t, func(c *claims.Config) { c.Denylist = d })
	raw := f.pool.AccessToken(cognitotest.WithGroups("admin", "readers"))
	if _, err := f.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	d.revoked = true
	if n := testing.AllocsPerRun(200, func() { _, _ = f.v.Verify(context.Background(), raw) }); n != 0 {
		t.Errorf("refused cache hit: %v allocations, want 0", n)
	}
	if st := f.v.CacheStats(); st.Hits < 200 {
		t.Errorf("%d hits: the refused calls were not cache hits", st.Hits)
	}
}

// switchDenylist revokes every token once revoked is set (by the test's
// own goroutine only).
type switchDenylist struct{ revoked bool }

func (d *switchDenylist) Revoked(*claims.Token, time.Time) bool { return d.revoked }
