package claims_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/tokenshare"
)

// TestTimedVerification: the middleware's verify_duration_seconds times a
// verification only when it did something that takes time — a signature
// check (a cache miss, or a token that is not cached), a wait for a key
// set (a hit whose set is stale), a Check hook — and reads no clock for a
// hit that needed none of these. A hit is shared (the cache's token) only
// without a Check hook, which gets a copy.
func TestTimedVerification(t *testing.T) {
	verify := func(v *claims.Verifier, raw string) (shared, timed bool) {
		t.Helper()
		_, shared, took, timed, err := tokenshare.Verify(v, context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if took < 0 || !timed && took != 0 {
			t.Fatalf("took %v, timed %v", took, timed)
		}
		return shared, timed
	}
	f := newFixture(t, func(c *claims.Config) { c.JWKS.MaxStaleness = time.Minute })
	raw := f.pool.AccessToken()
	if shared, timed := verify(f.v, raw); shared || !timed {
		t.Errorf("a miss: shared %v, timed %v; want not shared, timed", shared, timed)
	}
	if shared, timed := verify(f.v, raw); !shared || timed {
		t.Errorf("a hit: shared %v, timed %v; want shared, not timed", shared, timed)
	}
	// The key set is now stale and its endpoint failing: the hit waits for
	// a fetch that fails (jwks_unavailable), and that wait is timed.
	f.clock.Advance(2 * time.Minute)
	f.pool.SetFault(cognitotest.Fault{Status: http.StatusServiceUnavailable})
	if _, _, _, timed, err := tokenshare.Verify(f.v, context.Background(), raw); claims.ReasonOf(err) != claims.ReasonJWKSUnavailable || !timed {
		t.Errorf("a hit that waited for a failed fetch: %v, timed %v; want jwks_unavailable, timed", err, timed)
	}
	f.pool.ClearFault()
	f.clock.Advance(time.Minute) // past the fetch cooldown
	if _, timed := verify(f.v, raw); !timed {
		t.Error("a hit that refreshed a stale key set was not timed")
	}
	if shared, timed := verify(f.v, raw); !shared || timed {
		t.Errorf("a hit after the refresh: shared %v, timed %v; want shared, not timed", shared, timed)
	}
	// Stale again, and the caller gone before the key set could be had:
	// the hit's wait for it ends in the caller's cancellation, still
	// timed (the only path where the hit's own wait decides it: every
	// other failed wait drops the entry and verifies in full).
	f.clock.Advance(2 * time.Minute)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, timed, err := tokenshare.Verify(f.v, gone, raw); claims.ReasonOf(err) != claims.ReasonCanceled || !timed {
		t.Errorf("a hit whose caller left while it waited for keys: %v, timed %v; want canceled, timed", err, timed)
	}
	if _, _, _, timed, err := tokenshare.Verify(f.v, context.Background(), "x.y.z"); err == nil || !timed {
		t.Errorf("a token that is not cached: %v, timed %v; want an error, timed", err, timed)
	}

	checked := newFixture(t, func(c *claims.Config) { c.Check = func(context.Context, *claims.Token) error { return nil } })
	raw = checked.pool.AccessToken()
	verify(checked.v, raw)
	if shared, timed := verify(checked.v, raw); shared || !timed {
		t.Errorf("a hit with a Check hook: shared %v, timed %v; want a copy, timed", shared, timed)
	}
}
