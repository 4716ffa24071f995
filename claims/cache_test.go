package claims_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

func TestCacheHitsOnlyTheSameToken(t *testing.T) {
	f := newFixture(t, nil)
	other := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_CacheOther", Now: func() time.Time { return t0 }})
	raw := f.pool.AccessToken(cognitotest.WithGroups("admin"))
	first, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Error("the cache hit returned the same *Token as the first call, not a copy")
	}
	if !reflect.DeepEqual(second, first) {
		t.Errorf("cache hit = %+v, want %+v", second, first)
	}
	if st := f.v.CacheStats(); st.Hits != 1 || st.Entries != 1 {
		t.Errorf("stats = %+v, want 1 hit and 1 entry", st)
	}

	// Any change to the token misses and is checked in full.
	i := strings.LastIndexByte(raw, '.') + 5
	tampered := raw[:i] + string("AB"[boolIndex(raw[i] == 'A')]) + raw[i+1:]
	if _, err := f.v.Verify(context.Background(), tampered); !errors.Is(err, claims.ErrBadSignature) {
		t.Errorf("tampered token: %v, want ErrBadSignature", err)
	}
	if _, err := f.v.Verify(context.Background(), other.AccessToken()); !errors.Is(err, claims.ErrWrongIssuer) {
		t.Errorf("other issuer's token: %v, want ErrWrongIssuer", err)
	}
	if st := f.v.CacheStats(); st.Hits != 1 || st.Entries != 1 {
		t.Errorf("stats after failures = %+v, want still 1 hit and 1 entry (failures are never stored)", st)
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestCacheRechecksExpiry(t *testing.T) {
	f := newFixture(t, nil)
	raw := f.pool.AccessToken(cognitotest.WithLifetime(time.Minute))
	if _, err := f.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute + claims.DefaultLeeway)
	if _, err := f.v.Verify(context.Background(), raw); !errors.Is(err, claims.ErrExpired) {
		t.Fatalf("cached token after exp: %v, want ErrExpired", err)
	}
	if st := f.v.CacheStats(); st.Hits != 1 || st.Entries != 0 {
		t.Errorf("stats = %+v, want the expired entry dropped", st)
	}
}

func TestCacheDropsTokensOfRetiredKeys(t *testing.T) {
	f := newFixture(t, nil)
	raw := f.pool.AccessToken()
	if _, err := f.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	old := f.pool.KeyIDs()[0]
	f.pool.Rotate()
	f.pool.Retire(old)
	f.clock.Advance(jwks.DefaultCooldown)
	// A token of the new key refreshes the key set.
	if _, err := f.v.Verify(context.Background(), f.pool.AccessToken()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(context.Background(), raw); !errors.Is(err, claims.ErrUnknownKID) {
		t.Fatalf("cached token of a retired key: %v, want ErrUnknownKID", err)
	}
}

func TestCacheRerunsRequirements(t *testing.T) {
	var deny atomic.Bool
	f := newFixture(t, func(c *claims.Config) {
		c.Check = func(context.Context, *claims.Token) error {
			if deny.Load() {
				return errors.New("revoked")
			}
			return nil
		}
	})
	raw := f.pool.AccessToken()
	if _, err := f.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	deny.Store(true)
	if _, err := f.v.Verify(context.Background(), raw); !errors.Is(err, claims.ErrClaimDenied) {
		t.Fatalf("cached token with a failing check: %v, want ErrClaimDenied", err)
	}
	if st := f.v.CacheStats(); st.Hits != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestCacheIsBounded(t *testing.T) {
	f := newFixture(t, func(c *claims.Config) { c.Cache.MaxEntries = 64 })
	for i := range 200 {
		if _, err := f.v.Verify(context.Background(), f.pool.AccessToken(cognitotest.WithSubject(strings.Repeat("s", i%7+1)))); err != nil {
			t.Fatal(err)
		}
	}
	if st := f.v.CacheStats(); st.Entries > 64 || st.Entries == 0 || st.Hits != 0 {
		t.Errorf("stats = %+v, want 1..64 entries and no hits", st)
	}

	small := newFixture(t, func(c *claims.Config) { c.Cache.MaxBytes = 32 * 4096 })
	for range 150 {
		if _, err := small.v.Verify(context.Background(), small.pool.AccessToken()); err != nil {
			t.Fatal(err)
		}
	}
	// Each entry counts its token, its claims and 512 bytes: about 2.5 KiB.
	if st := small.v.CacheStats(); st.Entries > 32*4096/2000 {
		t.Errorf("stats = %+v, want at most %d entries in 128 KiB", st, 32*4096/2000)
	}
}

func TestCacheDisabled(t *testing.T) {
	f := newFixture(t, func(c *claims.Config) { c.Cache.Disabled = true })
	raw := f.pool.AccessToken()
	a, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("the same *Token came back with the cache disabled")
	}
	if st := f.v.CacheStats(); st != (claims.CacheStats{}) {
		t.Errorf("stats = %+v", st)
	}
}

// TestCacheKeyCollisionIsAMiss: the cache finds entries by a hash of the
// token's last bytes, so a forgery that keeps a cached token's signature
// tail (its hash) and changes anything before it lands on the cached
// entry's key. It must still miss and be verified in full, and must not
// evict or shadow the genuine entry.
func TestCacheKeyCollisionIsAMiss(t *testing.T) {
	f := newFixture(t, nil)
	raw := f.pool.AccessToken(cognitotest.WithGroups("readers"))
	if _, err := f.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	admin := f.pool.AccessToken(cognitotest.WithGroups("admin"))
	dot := strings.LastIndexByte(raw, '.')
	forgeries := map[string]string{
		"another token's claims, the cached signature": admin[:strings.LastIndexByte(admin, '.')] + raw[dot:],
		"the cached token with a longer signature":     raw[:dot+1] + "AAAA" + raw[dot+1:],
		"the cached token's last 16 bytes alone":       raw[len(raw)-16:],
	}
	for name, forged := range forgeries {
		t.Run(name, func(t *testing.T) {
			before := f.v.CacheStats()
			if _, err := f.v.Verify(context.Background(), forged); err == nil {
				t.Fatal("a forgery with a cached token's tail verified")
			}
			if st := f.v.CacheStats(); st.Hits != before.Hits || st.Entries != before.Entries {
				t.Errorf("stats %+v after the forgery, were %+v: want no hit and the entry kept", st, before)
			}
			tok, err := f.v.Verify(context.Background(), raw)
			if err != nil || !tok.HasGroup("readers") {
				t.Fatalf("the genuine token after the forgery: %v, %v", tok, err)
			}
			if st := f.v.CacheStats(); st.Hits != before.Hits+1 {
				t.Errorf("the genuine token was not a hit after the forgery: %+v", st)
			}
		})
	}
}
