package claims_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// fakeDenylist revokes every token while revoked is set, and records what
// it was asked.
type fakeDenylist struct {
	revoked atomic.Bool
	mu      sync.Mutex
	asked   []string // the jti of each token asked about
	nows    []time.Time
}

func (d *fakeDenylist) Revoked(t *claims.Token, now time.Time) bool {
	d.mu.Lock()
	d.asked = append(d.asked, t.JTI)
	d.nows = append(d.nows, now)
	d.mu.Unlock()
	return d.revoked.Load()
}

func (d *fakeDenylist) calls() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.asked)
}

func TestDenylistRefusesRevokedTokens(t *testing.T) {
	tests := []struct {
		name    string
		cache   claims.CacheConfig
		revoked bool
		want    error
	}{
		{"not revoked, cache on", claims.CacheConfig{}, false, nil},
		{"not revoked, cache off", claims.CacheConfig{Disabled: true}, false, nil},
		{"revoked, cache on", claims.CacheConfig{}, true, claims.ErrRevoked},
		{"revoked, cache off", claims.CacheConfig{Disabled: true}, true, claims.ErrRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &fakeDenylist{}
			d.revoked.Store(tt.revoked)
			var checked atomic.Int32
			f := newFixture(t, func(c *claims.Config) {
				c.Denylist = d
				c.Cache = tt.cache
				c.Check = func(context.Context, *claims.Token) error { checked.Add(1); return nil }
			})
			tok, err := f.v.Verify(context.Background(), f.pool.AccessToken())
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if d.calls() != 1 {
				t.Errorf("the deny list was asked %d times, want once", d.calls())
			}
			if tt.want == nil {
				if tok == nil || checked.Load() != 1 {
					t.Errorf("token %v, Check ran %d times; want a token and one Check", tok, checked.Load())
				}
				return
			}
			if r := claims.ReasonOf(err); r != claims.ReasonRevoked || r.Status() != http.StatusUnauthorized {
				t.Errorf("reason %s (%d), want revoked (401)", r, r.Status())
			}
			if checked.Load() != 0 {
				t.Error("Check ran on a revoked token")
			}
			if st := f.v.CacheStats(); st.Entries != 0 {
				t.Errorf("cache holds %d entries after a revoked token, want 0 (refusals are never stored)", st.Entries)
			}
		})
	}
}

// TestDenylistOnCacheHits: an entry added after a token was cached stops
// it at its next use; the cached entry stays, so that the token passes
// again (without a signature check) once the deny list lets it.
func TestDenylistOnCacheHits(t *testing.T) {
	d := &fakeDenylist{}
	f := newFixture(t, func(c *claims.Config) { c.Denylist = d })
	raw := f.pool.AccessToken()
	for i, step := range []struct {
		revoked bool
		want    error
	}{
		{false, nil},              // verified in full, cached
		{true, claims.ErrRevoked}, // a hit, refused
		{true, claims.ErrRevoked}, // again
		{false, nil},              // a hit, passes
	} {
		d.revoked.Store(step.revoked)
		if _, err := f.v.Verify(context.Background(), raw); !errors.Is(err, step.want) || (step.want == nil) != (err == nil) {
			t.Fatalf("call %d: %v, want %v", i, err, step.want)
		}
	}
	if st := f.v.CacheStats(); st.Hits != 3 || st.Misses != 1 || st.Entries != 1 {
		t.Errorf("stats %+v, want 3 hits, 1 miss, 1 entry", st)
	}
	if d.calls() != 4 {
		t.Errorf("the deny list was asked %d times, want on each of the 4 calls", d.calls())
	}
}

// TestDenylistSeesOnlyGenuineTokens: tokens refused by an earlier check
// never reach the deny list, which can therefore trust what it is given.
func TestDenylistSeesOnlyGenuineTokens(t *testing.T) {
	d := &fakeDenylist{}
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{Now: clk.Now})
	f := newFixtureWith(t, pool, clk, func(c *claims.Config) { c.Denylist = d })
	good := f.pool.AccessToken()
	for name, raw := range map[string]string{
		"bad signature": good[:len(good)-4] + "AAAA",
		"expired":       f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-2*time.Hour)), cognitotest.WithExpiry(t0.Add(-time.Hour))),
		"wrong client":  f.pool.AccessToken(cognitotest.WithClientID("someoneelse")),
		"id token":      f.pool.IDToken(),
	} {
		if _, err := f.v.Verify(context.Background(), raw); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if d.calls() != 0 {
		t.Errorf("the deny list was asked about %d refused tokens", d.calls())
	}
	// And it sees the verifier's clock, on a miss and on a hit.
	clk.Advance(time.Minute)
	for range 2 {
		if _, err := f.v.Verify(context.Background(), good); err != nil {
			t.Fatal(err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if want := []time.Time{t0.Add(time.Minute), t0.Add(time.Minute)}; !slices.Equal(d.nows, want) {
		t.Errorf("the deny list was given now = %v, want the verifier's clock %v", d.nows, want)
	}
}

func TestDenylistTypedNilRefused(t *testing.T) {
	var d *fakeDenylist
	cfg := claims.Config{Pools: []claims.Pool{goodPool()}, Denylist: d}
	for name, err := range map[string]error{"Validate": cfg.Validate(), "New": func() error { _, err := claims.New(cfg); return err }()} {
		var ce *claims.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, claims.ErrConfig) {
			t.Fatalf("%s: %v, want a *ConfigError", name, err)
		}
		if ce.Field != "Denylist" || ce.Key != "revocation" || ce.Pool != -1 {
			t.Errorf("%s: at %d %q %q, want the Denylist field, key revocation", name, ce.Pool, ce.Field, ce.Key)
		}
	}
}
