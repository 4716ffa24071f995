package jwks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// noNetwork is an HTTP client that fails the test if it is ever used.
func noNetwork(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("a static key set made a request: %s %s", r.Method, r.URL)
		return nil, errors.New("no network")
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestStaticKeys: a source with Keys is usable from New on, never fetched,
// refreshed or stale, and a kid it does not hold fails at once.
func TestStaticKeys(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		var events int
		cfg := jwks.Config{HTTPClient: noNetwork(t), MaxStaleness: time.Hour,
			Observer: jwks.ObserverFunc(func(jwks.FetchEvent) { events++ })}
		c, err := jwks.New(cfg, jwks.Source{Issuer: issuer, Keys: set(k.a, k.b)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !c.Ready() {
			t.Fatal("a static set is not ready at once")
		}
		if err := c.Hydrate(bg); err != nil {
			t.Fatalf("Hydrate: %v", err)
		}
		for _, kid := range []string{k.kidA, k.kidB} {
			if key, err := c.Key(bg, issuer, kid); err != nil || key.ID != kid || key.Bits != 2048 {
				t.Fatalf("Key(%s) = %+v, %v", kid, key, err)
			}
		}
		// Unknown kids fail at once, however many and however spaced.
		for i := range 3 {
			if _, err := c.Key(bg, issuer, k.kidC); !errors.Is(err, jwks.ErrKeyNotFound) {
				t.Fatalf("Key(c), try %d: %v, want ErrKeyNotFound", i, err)
			}
			time.Sleep(jwks.DefaultCooldown)
		}
		// Far past RefreshInterval and MaxStaleness: still served, never
		// fetched.
		time.Sleep(48 * time.Hour)
		synctest.Wait()
		if _, err := c.Key(bg, issuer, k.kidA); err != nil {
			t.Fatalf("Key(a) after 48h: %v", err)
		}
		st := c.Set(issuer).Status()
		want := jwks.Status{Issuer: issuer, Keys: 2, KeyIDs: st.KeyIDs, Usable: true}
		if st.URL != "" || st.Keys != 2 || !st.LastSuccess.IsZero() || !st.Usable || st.Failures != 0 ||
			st.LastError != nil || !st.LastAttempt.IsZero() || len(st.Fetches) != 0 || c.Set(issuer).URL() != "" {
			t.Errorf("Status = %+v, want %+v", st, want)
		}
		if !slices.Equal(st.KeyIDs, sorted(k.kidA, k.kidB)) {
			t.Errorf("KeyIDs = %v", st.KeyIDs)
		}
		if events != 0 {
			t.Errorf("%d fetch events for a static set", events)
		}
	})
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestStaticAndFetchedSources: one cache may hold both kinds.
func TestStaticAndFetchedSources(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.c))
		cfg := jwks.Config{HTTPClient: f.Client()}
		c, err := jwks.New(cfg, jwks.Source{Issuer: issuer, Keys: set(k.a)}, jwks.Source{Issuer: issuer + "2"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Key(bg, issuer, k.kidA); err != nil {
			t.Errorf("static Key(a): %v", err)
		}
		if _, err := c.Key(bg, issuer+"2", k.kidC); err != nil {
			t.Errorf("fetched Key(c): %v", err)
		}
		if got := f.Fetches(); got != 1 {
			t.Errorf("fetches = %d, want 1 (the fetched source's only)", got)
		}
	})
}

// TestStaticKeysValidatedAsFetched: a static set passes the checks of a
// fetched one, and every entry a fetch would skip is a configuration
// error instead.
func TestStaticKeysValidatedAsFetched(t *testing.T) {
	k := newTestKeys(t)
	tests := []struct {
		name    string
		src     jwks.Source
		want    []string // problem fragments, one per error
		wantErr bool
	}{
		{name: "two good keys", src: jwks.Source{Keys: set(k.a, k.b)}},
		{name: "use and alg absent", src: jwks.Source{Keys: set(jwk(k.kidA, k.pubA, map[string]any{"use": nil, "alg": nil}))}},
		{name: "not json", src: jwks.Source{Keys: []byte("<html>")}, want: []string{"document is not a json object: malformed key set"}},
		{name: "empty document", src: jwks.Source{Keys: []byte{}}, want: []string{"malformed key set"}},
		{name: "no keys", src: jwks.Source{Keys: set()}, want: []string{"0 entries, none usable"}},
		{name: "enc key", src: jwks.Source{Keys: set(k.a, jwk("e", k.pubA, map[string]any{"use": "enc"}))},
			want: []string{`entry 1 (kid "e"): use is "enc", not "sig"`}},
		{name: "PS256 key", src: jwks.Source{Keys: set(jwk("p", k.pubA, map[string]any{"alg": "PS256"}))},
			want: []string{`entry 0 (kid "p"): alg is "PS256", not RS256, RS384 or RS512`}},
		{name: "not RSA", src: jwks.Source{Keys: set(ecJWK(t, "x"))}, want: []string{`entry 0 (kid "x"): kty is "EC", not RSA`}},
		{name: "private key", src: jwks.Source{Keys: set(jwk("priv", k.pubA, map[string]any{"d": "AQAB", "p": "AQAB", "q": "AQAB"}))},
			want: []string{"private key material"}},
		{name: "even exponent", src: jwks.Source{Keys: set(jwk("x", k.pubA, map[string]any{"e": "Ag"}))}, want: []string{"rsa exponent"}},
		{name: "duplicate kid", src: jwks.Source{Keys: set(k.a, jwk(k.kidA, k.pubA, nil), k.b)}, want: []string{"entry 0 has the same kid"}},
		{name: "keys and url", src: jwks.Source{Keys: set(k.a), URL: "https://keys.example/jwks.json"}, want: []string{"set keys or jwks_url, not both"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Issuer = issuer
			err := jwks.Validate(jwks.Config{}, tt.src)
			c, nerr := jwks.New(jwks.Config{HTTPClient: noNetwork(t)}, tt.src)
			if nerr == nil {
				defer c.Close()
			}
			if text := errText(err); text != errText(nerr) || text != errText(tt.src.Validate()) {
				t.Errorf("Validate = %v, New = %v, Source.Validate = %v; want the same", err, nerr, tt.src.Validate())
			}
			errs := configErrors(t, err)
			if len(errs) != len(tt.want) {
				t.Fatalf("errors %v, want %d: %q", err, len(tt.want), tt.want)
			}
			for i, e := range errs {
				if e.Source != 0 || e.Field != "Keys" || e.Key != "keys" || !strings.Contains(e.Problem, tt.want[i]) {
					t.Errorf("error %d = %+v, want source 0, Keys, keys, a problem containing %q", i, *e, tt.want[i])
				}
			}
			if len(tt.want) == 0 && !c.Ready() {
				t.Error("not ready")
			}
		})
	}
}

// ecJWK returns a fresh P-256 public key as a JWK.
func ecJWK(t *testing.T, kid string) map[string]any {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"kty": "EC", "kid": kid, "crv": "P-256", "use": "sig",
		"x": base64.RawURLEncoding.EncodeToString(ec.X.FillBytes(make([]byte, 32))),
		"y": base64.RawURLEncoding.EncodeToString(ec.Y.FillBytes(make([]byte, 32))),
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
