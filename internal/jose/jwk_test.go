package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"testing"
)

func TestParseJWK(t *testing.T) {
	k := getKeys(t)
	rsaPub := rsaJWK(t, "k1", &k.rsa.PublicKey, nil)

	got, err := ParseJWK(rsaPub)
	if err != nil || got.KeyID != "k1" || got.KeyType != "RSA" || got.Use != "sig" || got.Alg != "RS256" || got.Private ||
		got.RSA == nil || got.EC != nil || got.RSA.N.Cmp(k.rsa.N) != 0 || got.RSA.E != k.rsa.E {
		t.Fatalf("RSA public key: %+v, %v", got, err)
	}
	if got, err := ParseJWK(rsaJWK(t, "a", &k.rsa.PublicKey, map[string]any{"use": nil, "alg": nil})); err != nil || got.Use != "" || got.Alg != "" || got.RSA == nil {
		t.Errorf("RSA key without use and alg: %+v, %v", got, err)
	}
	priv := rsaJWK(t, "k1", &k.rsa.PublicKey, map[string]any{"d": b64(k.rsa.D.Bytes()), "p": b64(k.rsa.Primes[0].Bytes()), "q": b64(k.rsa.Primes[1].Bytes())})
	if got, err := ParseJWK(priv); err != nil || !got.Private || got.RSA != nil || got.EC != nil {
		t.Errorf("RSA private key: %+v, %v", got, err)
	}

	ecPub := ecJWK(t, "e", "P-256", &k.ec.PublicKey, map[string]any{"alg": "ES256", "use": "sig"})
	got, err = ParseJWK(ecPub)
	if err != nil || got.KeyType != "EC" || got.KeyID != "e" || got.Alg != "ES256" || got.Use != "sig" || got.RSA != nil || got.Private ||
		got.EC == nil || got.EC.Curve != elliptic.P256() || !got.EC.Equal(&k.ec.PublicKey) {
		t.Fatalf("EC key: %+v, %v", got, err)
	}
	if got, err := ParseJWK(ecJWK(t, "e", "P-384", &k.p384.PublicKey, nil)); err != nil || got.EC == nil || got.EC.Curve != elliptic.P384() {
		t.Errorf("P-384 key: %+v, %v", got, err)
	}
	//lint:ignore SA1019 a JWK carries the raw coordinates; the test builds and checks them
	ecPriv := ecJWK(t, "e", "P-256", &k.ec.PublicKey, map[string]any{"d": b64(k.ec.D.FillBytes(make([]byte, 32)))})
	if got, err := ParseJWK(ecPriv); err != nil || !got.Private || got.EC != nil {
		t.Errorf("EC private key: %+v, %v", got, err)
	}
	if got, err := ParseJWK([]byte(`{"kty":"oct","k":"c2VjcmV0","kid":"h"}`)); err != nil || !got.Private || got.KeyType != "oct" {
		t.Errorf("symmetric key: %+v, %v", got, err)
	}
	okp := []byte(`{"kty":"OKP","crv":"Ed25519","kid":"o","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)
	if got, err := ParseJWK(okp); err != nil || got.KeyType != "OKP" || got.Private || got.RSA != nil || got.EC != nil {
		t.Errorf("Ed25519 public key: %+v, %v", got, err)
	}

	for name, bad := range map[string]string{
		"empty":          ``,
		"array":          `[]`,
		"set":            `{"keys":[]}`,
		"bad modulus":    `{"kty":"RSA","n":"!!","e":"AQAB"}`,
		"no modulus":     `{"kty":"RSA","e":"AQAB"}`,
		"unknown kty":    `{"kty":"nope"}`,
		"no kty":         `{"n":"AQAB","e":"AQAB"}`,
		"EC point (0,0)": `{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		"EC short x":     `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`,
		"EC no curve":    `{"kty":"EC","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
	} {
		if got, err := ParseJWK([]byte(bad)); err == nil || got != (PublicKey{}) {
			t.Errorf("%s: ParseJWK(%s) = %+v, %v; want an error and a zero key", name, bad, got, err)
		}
	}
	// A point off the curve: the public key with y+1.
	off := new(big.Int).Add(k.ec.Y, big.NewInt(1))
	//lint:ignore SA1019 a JWK carries the raw coordinates; the test builds and checks them
	offCurve := ecJWK(t, "e", "P-256", &ecdsa.PublicKey{Curve: elliptic.P256(), X: k.ec.X, Y: off}, nil)
	if _, err := ParseJWK(offCurve); err == nil {
		t.Error("EC point off the curve parsed")
	}
}

// TestParseJWKStrength: jwx v3 refuses weak RSA keys itself; ParseJWK says
// which rule it broke, with the key's id, and never returns the key.
func TestParseJWKStrength(t *testing.T) {
	k := getKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		jwk  []byte
		want error
	}{
		{"1024-bit modulus", rsaJWK(t, "s", &small.PublicKey, nil), ErrRSAModulusTooSmall},
		{"2047-bit modulus", rsaJWK(t, "s", &small.PublicKey, map[string]any{"n": b64(append([]byte{0x7f}, make([]byte, 255)...))}), ErrRSAModulusTooSmall},
		{"exponent 2", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"e": "Ag"}), ErrRSAExponent},
		{"exponent 65536", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"e": "AQAA"}), ErrRSAExponent},
		{"exponent 1", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"e": "AQ"}), ErrRSAExponent},
		{"exponent 2^64+1", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"e": "AQAAAAAAAAAB"}), ErrRSAExponent},
		{"exponent 0", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"e": "AA"}), ErrRSAExponent},
		{"empty exponent", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"e": ""}), nil},
		{"no exponent", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"e": nil}), nil},
		{"empty modulus", rsaJWK(t, "s", &k.rsa.PublicKey, map[string]any{"n": ""}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJWK(tt.jwk)
			if err == nil {
				t.Fatalf("ParseJWK = %+v, want an error", got)
			}
			if tt.want == nil {
				if errors.Is(err, ErrRSAModulusTooSmall) || errors.Is(err, ErrRSAExponent) {
					t.Fatalf("error %v names a strength rule", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if got != (PublicKey{KeyID: "s", KeyType: "RSA"}) {
				t.Errorf("key %+v, want only KeyID and KeyType", got)
			}
		})
	}
	// A 2048-bit modulus with exponent 3 is fine.
	if got, err := ParseJWK(rsaJWK(t, "k", &k.rsa.PublicKey, map[string]any{"e": "Aw"})); err != nil || got.RSA == nil || got.RSA.E != 3 {
		t.Errorf("exponent 3: %+v, %v", got, err)
	}
}
