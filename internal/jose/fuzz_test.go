package jose

import (
	"errors"
	"testing"
)

// FuzzParseJWK feeds arbitrary JSON to ParseJWK. It must never panic, and
// what it returns must keep the documented promises: key material only
// for public keys of the stated type, RSA keys of at least 2048 bits with
// an odd exponent of at least 3, EC points on their curve.
func FuzzParseJWK(f *testing.F) {
	k := getKeys(f)
	f.Add(rsaJWK(f, "k1", &k.rsa.PublicKey, nil))
	f.Add(rsaJWK(f, "k1", &k.rsa.PublicKey, map[string]any{"e": "Ag"}))
	f.Add(ecJWK(f, "e", "P-256", &k.ec.PublicKey, nil))
	f.Add(ecJWK(f, "e", "P-384", &k.p384.PublicKey, map[string]any{"d": "AA"}))
	f.Add([]byte(`{"kty":"oct","k":"c2VjcmV0","kid":"h"}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	f.Add([]byte(`{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseJWK(data)
		if err != nil {
			if errors.Is(err, ErrRSAModulusTooSmall) || errors.Is(err, ErrRSAExponent) {
				if got.KeyType != "RSA" || got.RSA != nil || got.EC != nil || got.Private || got.Use != "" || got.Alg != "" {
					t.Fatalf("strength refusal %v with key %+v", err, got)
				}
			} else if got != (PublicKey{}) {
				t.Fatalf("error %v with key %+v", err, got)
			}
			return
		}
		switch {
		case got.RSA != nil && got.EC != nil:
			t.Fatalf("both RSA and EC: %+v", got)
		case got.Private && (got.RSA != nil || got.EC != nil):
			t.Fatalf("private key material handed out: %+v", got)
		case got.RSA != nil:
			checkRSA(t, got)
		case got.EC != nil:
			checkEC(t, got)
		}
	})
}

func checkRSA(t *testing.T, got PublicKey) {
	t.Helper()
	if got.KeyType != "RSA" || got.RSA.N.BitLen() < minRSABits || got.RSA.E < 3 || got.RSA.E%2 == 0 {
		t.Fatalf("RSA key %s, %d bits, e %d", got.KeyType, got.RSA.N.BitLen(), got.RSA.E)
	}
}

func checkEC(t *testing.T, got PublicKey) {
	t.Helper()
	//lint:ignore SA1019 a JWK carries the raw coordinates; the test builds and checks them
	if got.KeyType != "EC" || got.EC.Curve == nil || !got.EC.Curve.IsOnCurve(got.EC.X, got.EC.Y) {
		t.Fatalf("EC key %s off its curve", got.KeyType)
	}
}

// FuzzVerify holds the standard-library verification to jwx v3's verifier
// on arbitrary signatures and inputs, for each supported algorithm: both
// accept or both refuse. The seeds are good signatures, so the fuzzer's
// mutations start from the accepting side.
func FuzzVerify(f *testing.F) {
	k := getKeys(f)
	algs := append(append([]string(nil), Algorithms...), ECDSAAlgorithms...)
	input := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0")
	for i, alg := range Algorithms {
		f.Add(uint8(i), input, signRSA(f, k.rsa, alg, input))
	}
	raw, der, _, _ := signES256(f, k.ec, input)
	f.Add(uint8(len(Algorithms)), input, raw)
	f.Add(uint8(len(Algorithms)), input, der)
	f.Fuzz(func(t *testing.T, which uint8, in, sig []byte) {
		alg := algs[int(which)%len(algs)]
		var pub any = &k.rsa.PublicKey
		if SupportedECDSA(alg) {
			pub = &k.ec.PublicKey
		}
		ours, theirs := seamVerify(alg, pub, in, sig), jwxVerify(t, alg, pub, in, sig)
		if (ours == nil) != (theirs == nil) {
			t.Fatalf("%s: seam %v, jwx %v", alg, ours, theirs)
		}
		if ours != nil && !errors.Is(ours, ErrSignature) {
			t.Fatalf("%s: error %v is not ErrSignature", alg, ours)
		}
	})
}
