package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
)

func TestVerify(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	input := []byte("header.payload")
	sum := sha256.Sum256(input)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), sig...)
	bad[10] ^= 1
	tests := []struct {
		name string
		alg  string
		pub  *rsa.PublicKey
		in   []byte
		sig  []byte
		want error
	}{
		{"good", "RS256", &key.PublicKey, input, sig, nil},
		{"other key", "RS256", &other.PublicKey, input, sig, ErrSignature},
		{"flipped bit", "RS256", &key.PublicKey, input, bad, ErrSignature},
		{"other input", "RS256", &key.PublicKey, []byte("header.payloaD"), sig, ErrSignature},
		{"wrong hash", "RS512", &key.PublicKey, input, sig, ErrSignature},
		{"empty signature", "RS256", &key.PublicKey, input, nil, ErrSignature},
		{"nil key", "RS256", nil, input, sig, ErrSignature},
		{"none", "none", &key.PublicKey, input, sig, ErrUnsupportedAlg},
		{"HS256", "HS256", &key.PublicKey, input, sig, ErrUnsupportedAlg},
		{"PS256", "PS256", &key.PublicKey, input, sig, ErrUnsupportedAlg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.alg, tt.pub, tt.in, tt.sig); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseJWK(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	js := func(m map[string]any) []byte {
		b, _ := json.Marshal(m)
		return b
	}
	rsaPub := map[string]any{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}

	got, err := ParseJWK(js(rsaPub))
	if err != nil || got.KeyID != "k1" || got.KeyType != "RSA" || got.Use != "sig" || got.Alg != "RS256" || got.Private ||
		got.RSA == nil || got.RSA.N.Cmp(key.N) != 0 || got.RSA.E != key.E {
		t.Fatalf("RSA public key: %+v, %v", got, err)
	}
	priv := map[string]any{"d": b64(key.D.Bytes()), "p": b64(key.Primes[0].Bytes()), "q": b64(key.Primes[1].Bytes())}
	for k, v := range rsaPub {
		priv[k] = v
	}
	if got, err := ParseJWK(js(priv)); err != nil || !got.Private || got.RSA != nil {
		t.Errorf("RSA private key: %+v, %v", got, err)
	}
	ecKey := map[string]any{"kty": "EC", "crv": "P-256", "kid": "e", "x": b64(ec.X.FillBytes(make([]byte, 32))), "y": b64(ec.Y.FillBytes(make([]byte, 32)))}
	if got, err := ParseJWK(js(ecKey)); err != nil || got.KeyType != "EC" || got.RSA != nil || got.Private {
		t.Errorf("EC key: %+v, %v", got, err)
	}
	if got, err := ParseJWK([]byte(`{"kty":"oct","k":"c2VjcmV0","kid":"h"}`)); err != nil || !got.Private {
		t.Errorf("symmetric key: %+v, %v", got, err)
	}
	for _, bad := range []string{``, `[]`, `{"kty":"RSA","n":"!!","e":"AQAB"}`, `{"kty":"nope"}`} {
		if _, err := ParseJWK([]byte(bad)); err == nil {
			t.Errorf("ParseJWK(%s) succeeded", bad)
		}
	}
	if !Supported("RS256") || Supported("none") || Supported("HS256") {
		t.Error("Supported is wrong")
	}
}
