package claims_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestKeyAlgBindsTheToken: a key that names its algorithm verifies only
// tokens of that algorithm — an RS256 token under a key published for
// RS512 is unsupported_alg, even when both are allowed — and a key that
// names none takes any allowed one.
func TestKeyAlgBindsTheToken(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{Now: newClock(t0).Now})
	set := pool.JWKS()
	if !bytes.Contains(set, []byte(`"alg":"RS256"`)) {
		t.Fatalf("the fake pool's keys name no alg: %s", set)
	}
	for _, tt := range []struct {
		name string
		keys []byte
		want claims.Reason
	}{
		{"the key's own alg", set, claims.ReasonOK},
		{"another alg", bytes.ReplaceAll(set, []byte(`"alg":"RS256"`), []byte(`"alg":"RS512"`)), claims.ReasonUnsupportedAlg},
		{"no alg", bytes.ReplaceAll(set, []byte(`"alg":"RS256",`), nil), claims.ReasonOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := claims.New(claims.Config{
				Pools:      []claims.Pool{{UserPoolID: pool.PoolID(), Keys: tt.keys, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
				Algorithms: []string{"RS256", "RS512"},
				Now:        newClock(t0).Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			_, err = v.Verify(context.Background(), pool.AccessToken())
			if got := claims.ReasonOf(err); got != tt.want {
				t.Errorf("Verify = %v (%s), want %s", err, got, tt.want)
			}
		})
	}
}
