package jwks_test

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// FuzzParse feeds arbitrary documents to the key set parser. It must never
// panic, and every key it accepts must satisfy the documented rules.
func FuzzParse(f *testing.F) {
	p := keyPool(f)
	f.Add(p.JWKS())
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"e"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, skipped, err := jwks.Parse(doc)
		if err != nil {
			if keys != nil {
				t.Fatalf("keys returned with error %v", err)
			}
			return
		}
		if len(keys) == 0 || len(keys) > jwks.MaxKeys {
			t.Fatalf("%d keys accepted", len(keys))
		}
		for kid, k := range keys {
			switch {
			case kid == "" || k.ID != kid:
				t.Fatalf("key %q filed under %q", k.ID, kid)
			case k.Bits < jwks.MinRSABits || k.Bits > jwks.MaxRSABits:
				t.Fatalf("key %q has %d bits", kid, k.Bits)
			case k.Alg != "" && !k.Allows(k.Alg):
				t.Fatalf("key %q has alg %q", kid, k.Alg)
			case k.Public().E < 3 || k.Public().E%2 == 0:
				t.Fatalf("key %q has exponent %d", kid, k.Public().E)
			}
		}
		for _, s := range skipped {
			if s.Reason == "" {
				t.Fatalf("skipped entry %d without a reason", s.Index)
			}
		}
	})
}
