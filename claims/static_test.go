package claims_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// TestStaticKeys: a pool whose Keys are given verifies without any
// network, is ready without Hydrate, stays usable past MaxStaleness, and
// fails an unknown kid at once.
func TestStaticKeys(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{Now: clk.Now})
	cfg := claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), Keys: pool.JWKS(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		Now:   clk.Now,
		JWKS: jwks.Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			t.Errorf("request to %s", r.URL)
			return nil, errors.New("no network in this test")
		})}},
	}
	v, err := claims.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if !v.Ready() {
		t.Fatal("not ready without Hydrate")
	}
	ctx := context.Background()
	raw := pool.AccessToken(cognitotest.WithLifetime(72 * time.Hour))
	for _, when := range []time.Duration{0, time.Minute, 48 * time.Hour} {
		clk.Advance(when)
		if _, err := v.Verify(ctx, raw); err != nil {
			t.Fatalf("after %s: %v", when, err)
		}
		if _, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithUnpublishedKey())); !errors.Is(err, claims.ErrUnknownKID) {
			t.Fatalf("unknown kid after %s: %v", when, err)
		}
	}
	if st := v.Keys().Set(pool.Issuer()).Status(); !st.Usable || st.URL != "" || st.Keys != 2 || !slices.Equal(st.KeyIDs, sorted(pool.KeyIDs())) {
		t.Errorf("status = %+v", st)
	}
	if got := pool.Fetches(); got != 0 {
		t.Errorf("pool served %d fetches", got)
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestStaticKeysConfigErrors: a static set is checked at New like the
// rest of the pool, each problem a *ConfigError of the pool's Keys.
func TestStaticKeysConfigErrors(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	base := claims.Pool{UserPoolID: pool.PoolID(), ClientIDs: []string{"c"}, TokenUse: claims.AccessToken}
	tests := []struct {
		name string
		mut  func(*claims.Pool)
		want []at
	}{
		{"keys and jwks url", func(p *claims.Pool) { p.Keys, p.JWKSURL = pool.JWKS(), "https://keys.example/jwks.json" }, []at{{0, "Keys", "keys"}}},
		{"not a key set", func(p *claims.Pool) { p.Keys = []byte("<html>") }, []at{{0, "Keys", "keys"}}},
		{"no keys", func(p *claims.Pool) { p.Keys = []byte(`{"keys":[]}`) }, []at{{0, "Keys", "keys"}}},
		{"an unusable entry", func(p *claims.Pool) {
			p.Keys = []byte(`{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"},{"kty":"RSA","kid":"e","use":"enc","n":"AQAB","e":"AQAB"}]}`)
		}, []at{{0, "Keys", "keys"}, {0, "Keys", "keys"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base
			tt.mut(&p)
			err := claims.Config{Pools: []claims.Pool{p}}.Validate()
			if got := configErrorsAt(t, err, true); !slices.Equal(got, tt.want) {
				t.Errorf("Validate = %v: problems at %v, want %v", err, got, tt.want)
			}
		})
	}
}
