package jwks_test

import (
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// endpoints routes each key set URL to its own fake endpoint, so that a
// test can count the fetches of each.
type endpoints map[string]*fakeJWKS

func (e endpoints) RoundTrip(r *http.Request) (*http.Response, error) {
	f := e[r.URL.String()]
	if f == nil {
		return nil, errors.New("no endpoint at " + r.URL.String())
	}
	return f.RoundTrip(r)
}

const (
	issuerA = "https://issuer.test/a"
	issuerB = "https://issuer.test/b"
	issuerC = "https://issuer.test/c"
)

func jwksURL(iss string) string { return iss + "/.well-known/jwks.json" }

// takeOver builds the cache of cfg and sources that carries old's sets,
// then closes old: what was carried does not depend on the old cache.
func takeOver(t *testing.T, cfg jwks.Config, old *jwks.Cache, sources ...jwks.Source) *jwks.Cache {
	t.Helper()
	cfg.Carry = old
	c, err := jwks.New(cfg, sources...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	old.Close()
	return c
}

// TestCarry: a cache built with Carry takes over the sets of the old cache
// that keep their issuer and URL — keys, fetch time, counts — and fetches
// only the others; the carried sets refresh when the old ones would have,
// and go stale when the old ones would have.
func TestCarry(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		eps := endpoints{}
		for _, iss := range []string{issuerA, issuerB, issuerC} {
			eps[jwksURL(iss)] = newFakeJWKS(set(k.a, k.b))
		}
		eps["https://keys.test/b"] = newFakeJWKS(set(k.a))
		cfg := jwks.Config{HTTPClient: &http.Client{Transport: eps}, RefreshInterval: time.Hour, MaxStaleness: 3 * time.Hour}
		old, err := jwks.New(cfg, jwks.Source{Issuer: issuerA}, jwks.Source{Issuer: issuerB})
		if err != nil {
			t.Fatal(err)
		}
		if err := old.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		fetchedAt := old.Set(issuerA).Status().LastSuccess
		time.Sleep(30 * time.Minute)

		// A stays; B moves to another URL; C is new.
		c := takeOver(t, cfg, old, jwks.Source{Issuer: issuerA}, jwks.Source{Issuer: issuerB, URL: "https://keys.test/b"}, jwks.Source{Issuer: issuerC})
		if _, err := c.Key(bg, issuerA, k.kidA); err != nil {
			t.Fatalf("Key(A) at once: %v", err)
		}
		if err := c.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		for url, want := range map[string]int{jwksURL(issuerA): 1, jwksURL(issuerB): 1, "https://keys.test/b": 1, jwksURL(issuerC): 1} {
			if got := eps[url].Fetches(); got != want {
				t.Errorf("%s fetched %d times, want %d", url, got, want)
			}
		}
		st := c.Set(issuerA).Status()
		if !st.LastSuccess.Equal(fetchedAt) || st.Fetches["ok"] != 1 || !st.Usable {
			t.Errorf("carried status = %+v, want the old set's (fetched at %s, 1 ok fetch)", st, fetchedAt)
		}
		if st := c.Set(issuerB).Status(); st.Keys != 1 {
			t.Errorf("B from its new URL holds %d keys, want 1", st.Keys)
		}

		// The carried set refreshes about an hour after the old fetch (the
		// jitter is 10%), not an hour after the new cache started.
		time.Sleep(40 * time.Minute) // 70 min after the old fetch
		synctest.Wait()
		if got := eps[jwksURL(issuerA)].Fetches(); got != 2 {
			t.Errorf("A fetched %d times 70 min after its last fetch, want 2 (the refresh on the old schedule)", got)
		}
	})
}

// TestCarryStaleness: a carried set that cannot be refreshed goes stale
// MaxStaleness after its old fetch, not after the takeover.
func TestCarryStaleness(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a))
		cfg := jwks.Config{HTTPClient: f.Client(), RefreshInterval: time.Hour, MaxStaleness: 2 * time.Hour}
		old, err := jwks.New(cfg, jwks.Source{Issuer: issuer})
		if err != nil {
			t.Fatal(err)
		}
		if err := old.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		f.Set(http.StatusInternalServerError, nil)
		time.Sleep(90 * time.Minute)
		c := takeOver(t, cfg, old, jwks.Source{Issuer: issuer})
		if _, err := c.Key(bg, issuer, k.kidA); err != nil {
			t.Fatalf("Key at 90 min: %v", err)
		}
		time.Sleep(31 * time.Minute)
		if _, err := c.Key(bg, issuer, k.kidA); !errors.Is(err, jwks.ErrUnavailable) {
			t.Fatalf("Key at 121 min: %v, want ErrUnavailable (MaxStaleness from the old fetch)", err)
		}
	})
}

// TestCarryBackoff: a failing set is taken over with its back-off, so a
// reload does not fetch a failing endpoint again at once.
func TestCarryBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(nil)
		f.Set(http.StatusServiceUnavailable, nil)
		cfg := jwks.Config{HTTPClient: f.Client()}
		old, err := jwks.New(cfg, jwks.Source{Issuer: issuer})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(35 * time.Second) // attempts at 0, 10 s and 30 s (cooldown, then doubling)
		synctest.Wait()
		before := f.Fetches()
		if before != 3 {
			t.Fatalf("%d attempts before the takeover, want 3", before)
		}
		c := takeOver(t, cfg, old, jwks.Source{Issuer: issuer})
		if err := c.Hydrate(bg); !errors.Is(err, jwks.ErrUnavailable) {
			t.Fatalf("Hydrate: %v, want ErrUnavailable", err)
		}
		synctest.Wait()
		if got := f.Fetches(); got != before {
			t.Errorf("%d attempts right after the takeover, want none (back-off carried)", got-before)
		}
		if st := c.Set(issuer).Status(); st.Failures != 3 || st.LastError == nil {
			t.Errorf("carried status = %+v, want 3 failures and the error", st)
		}
		time.Sleep(40 * time.Second) // the next attempt is due 40 s after the third
		synctest.Wait()
		if got := f.Fetches(); got != before+1 {
			t.Errorf("%d attempts 40 s later, want 1", got-before)
		}
	})
}

// TestCarryStatic: a static source takes nothing over, and a static set of
// the old cache is never carried to a fetched source.
func TestCarryStatic(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a))
		old, err := jwks.New(jwks.Config{HTTPClient: f.Client()}, jwks.Source{Issuer: issuerA}, jwks.Source{Issuer: issuerB, Keys: set(k.b)})
		if err != nil {
			t.Fatal(err)
		}
		defer old.Close()
		if err := old.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		c, err := jwks.New(jwks.Config{HTTPClient: f.Client(), Carry: old},
			jwks.Source{Issuer: issuerA, Keys: set(k.c)}, jwks.Source{Issuer: issuerB})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Key(bg, issuerA, k.kidC); err != nil {
			t.Errorf("A's static key: %v", err)
		}
		if _, err := c.Key(bg, issuerA, k.kidA); !errors.Is(err, jwks.ErrKeyNotFound) {
			t.Errorf("A's fetched key from the old cache: %v, want ErrKeyNotFound", err)
		}
		if err := c.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		if st := c.Set(issuerB).Status(); st.Fetches["ok"] != 1 || st.KeyIDs[0] != k.kidA {
			t.Errorf("B (was static) = %+v, want fetched once with key a", st)
		}
	})
}
