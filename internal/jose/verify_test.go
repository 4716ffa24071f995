package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"
	"testing"
)

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 1
	return out
}

func TestVerify(t *testing.T) {
	k := getKeys(t)
	input := []byte("header.payload")
	sig := signRSA(t, k.rsa, "RS256", input)
	pub := &k.rsa.PublicKey
	tests := []struct {
		name string
		alg  string
		pub  *rsa.PublicKey
		in   []byte
		sig  []byte
		want error
	}{
		{"good", "RS256", pub, input, sig, nil},
		{"RS384", "RS384", pub, input, signRSA(t, k.rsa, "RS384", input), nil},
		{"RS512", "RS512", pub, input, signRSA(t, k.rsa, "RS512", input), nil},
		{"other key", "RS256", &k.rsaOther.PublicKey, input, sig, ErrSignature},
		{"flipped bit", "RS256", pub, input, flip(sig, 10), ErrSignature},
		{"other input", "RS256", pub, []byte("header.payloaD"), sig, ErrSignature},
		{"wrong hash", "RS512", pub, input, sig, ErrSignature},
		{"RS384 signature as RS256", "RS256", pub, input, signRSA(t, k.rsa, "RS384", input), ErrSignature},
		{"short signature", "RS256", pub, input, sig[1:], ErrSignature},
		{"long signature", "RS256", pub, input, append([]byte{0}, sig...), ErrSignature},
		{"empty signature", "RS256", pub, input, nil, ErrSignature},
		{"nil key", "RS256", nil, input, sig, ErrSignature},
		{"none", "none", pub, input, sig, ErrUnsupportedAlg},
		{"empty alg", "", pub, input, sig, ErrUnsupportedAlg},
		{"lower case", "rs256", pub, input, sig, ErrUnsupportedAlg},
		{"HS256", "HS256", pub, input, sig, ErrUnsupportedAlg},
		{"PS256", "PS256", pub, input, sig, ErrUnsupportedAlg},
		{"ES256 is not an RSA algorithm", "ES256", pub, input, sig, ErrUnsupportedAlg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Verify(tt.alg, tt.pub, tt.in, tt.sig); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyECDSA(t *testing.T) {
	k := getKeys(t)
	input := []byte("header.payload")
	raw, der, r, s := signES256(t, k.ec, input)
	pub := &k.ec.PublicKey
	n := elliptic.P256().Params().N

	// A P-384 key's signature over the SHA-256 digest, r||s of 48 bytes
	// each: jwx v3.4.0's ES256 verifier accepts it, as it never looks at
	// the curve.
	sum := sha256.Sum256(input)
	r384, s384, err := ecdsa.Sign(rand.Reader, k.p384, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	p384Sig := rawSig(r384, s384, 48)

	tests := []struct {
		name string
		alg  string
		pub  *ecdsa.PublicKey
		in   []byte
		sig  []byte
		want error
	}{
		{"good", "ES256", pub, input, raw, nil},
		{"high s", "ES256", pub, input, rawSig(r, new(big.Int).Sub(n, s), 32), nil}, // ECDSA is malleable; JWS does not forbid it
		{"DER encoding of the same r and s", "ES256", pub, input, der, ErrSignature},
		{"DER encoding cut to 64 bytes", "ES256", pub, input, padOrCut(der, 64), ErrSignature},
		{"s||r", "ES256", pub, input, rawSig(s, r, 32), ErrSignature},
		{"other key", "ES256", &k.ecOther.PublicKey, input, raw, ErrSignature},
		{"flipped bit in r", "ES256", pub, input, flip(raw, 5), ErrSignature},
		{"flipped bit in s", "ES256", pub, input, flip(raw, 40), ErrSignature},
		{"other input", "ES256", pub, []byte("header.payloaD"), raw, ErrSignature},
		{"63 bytes", "ES256", pub, input, raw[1:], ErrSignature},
		{"65 bytes", "ES256", pub, input, append([]byte{0}, raw...), ErrSignature},
		{"empty", "ES256", pub, input, nil, ErrSignature},
		{"r = 0", "ES256", pub, input, rawSig(new(big.Int), s, 32), ErrSignature},
		{"s = 0", "ES256", pub, input, rawSig(r, new(big.Int), 32), ErrSignature},
		{"r = n", "ES256", pub, input, rawSig(n, s, 32), ErrSignature},
		{"s = n", "ES256", pub, input, rawSig(r, n, 32), ErrSignature},
		{"P-384 key", "ES256", &k.p384.PublicKey, input, p384Sig, ErrSignature},
		{"nil key", "ES256", nil, input, raw, ErrSignature},
		{"ES384", "ES384", pub, input, raw, ErrUnsupportedAlg},
		{"ES512", "ES512", pub, input, raw, ErrUnsupportedAlg},
		{"ES256K", "ES256K", pub, input, raw, ErrUnsupportedAlg},
		{"RS256", "RS256", pub, input, raw, ErrUnsupportedAlg},
		{"none", "none", pub, input, raw, ErrUnsupportedAlg},
		{"lower case", "es256", pub, input, raw, ErrUnsupportedAlg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyECDSA(tt.alg, tt.pub, tt.in, tt.sig); !errors.Is(err, tt.want) {
				t.Errorf("VerifyECDSA = %v, want %v", err, tt.want)
			}
		})
	}
}

// padOrCut returns b cut or zero-padded to n bytes.
func padOrCut(b []byte, n int) []byte {
	out := make([]byte, n)
	copy(out, b)
	return out
}

// TestES256FixedWidth: r and s are always 32 bytes each, left-padded with
// zeros; a signature whose r has a leading zero byte verifies only in that
// padded form (RFC 7518 §3.4), never with the zero dropped.
func TestES256FixedWidth(t *testing.T) {
	k := getKeys(t)
	pub := &k.ec.PublicKey
	for i := 0; ; i++ {
		if i == 20000 {
			t.Fatal("no signature with a short r in 20000 tries")
		}
		input := []byte{'h', '.', byte(i), byte(i >> 8)}
		raw, _, r, s := signES256(t, k.ec, input)
		if r.BitLen() > 248 {
			continue
		}
		if raw[0] != 0 {
			t.Fatalf("r of %d bits not left-padded: % x", r.BitLen(), raw[:2])
		}
		if err := VerifyECDSA("ES256", pub, input, raw); err != nil {
			t.Fatalf("padded r: %v", err)
		}
		unpadded := append(r.Bytes(), s.FillBytes(make([]byte, 32))...)
		if err := VerifyECDSA("ES256", pub, input, unpadded); !errors.Is(err, ErrSignature) {
			t.Fatalf("r without its leading zero (%d bytes): %v, want ErrSignature", len(unpadded), err)
		}
		return
	}
}

// TestVerifyAgreesWithJWX holds the standard-library verification in
// verify.go, and RSAKey's, to jwx v3's verifier for the same algorithm: on good
// signatures and on every single-bit change of signature and input, both
// accept or both refuse.
func TestVerifyAgreesWithJWX(t *testing.T) {
	k := getKeys(t)
	input := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0")
	for _, alg := range Algorithms {
		sig := signRSA(t, k.rsa, alg, input)
		agree(t, alg, &k.rsa.PublicKey, input, sig)
	}
	raw, _, _, _ := signES256(t, k.ec, input)
	agree(t, "ES256", &k.ec.PublicKey, input, raw)
}

// agree checks the seam against jwx on sig and its one-bit mutations.
func agree(t *testing.T, alg string, pub any, input, sig []byte) {
	t.Helper()
	var rk *RSAKey
	if pub, ok := pub.(*rsa.PublicKey); ok {
		rk = must(NewRSAKey(pub))
	}
	check := func(what string, in, sig []byte) {
		t.Helper()
		ours, theirs := seamVerify(alg, pub, in, sig), jwxVerify(t, alg, pub, in, sig)
		if (ours == nil) != (theirs == nil) {
			t.Fatalf("%s %s: seam %v, jwx %v", alg, what, ours, theirs)
		}
		if rk != nil {
			if prepared := rk.Verify(alg, in, sig); (prepared == nil) != (theirs == nil) {
				t.Fatalf("%s %s: RSAKey %v, jwx %v", alg, what, prepared, theirs)
			}
		}
	}
	check("good", input, sig)
	if seamVerify(alg, pub, input, sig) != nil {
		t.Fatalf("%s: good signature refused", alg)
	}
	for i := range len(sig) * 8 {
		check("signature bit", input, flipBit(sig, i))
	}
	for i := range len(input) * 8 {
		check("input bit", flipBit(input, i), sig)
	}
	check("truncated", input, sig[:len(sig)-1])
	check("empty", input, nil)
}

func flipBit(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i/8] ^= 1 << (i % 8)
	return out
}

// seamVerify calls Verify or VerifyECDSA, whichever takes pub.
func seamVerify(alg string, pub any, in, sig []byte) error {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return Verify(alg, pub, in, sig)
	case *ecdsa.PublicKey:
		return VerifyECDSA(alg, pub, in, sig)
	}
	return ErrSignature
}

func TestSupported(t *testing.T) {
	for _, alg := range Algorithms {
		if !Supported(alg) || SupportedECDSA(alg) {
			t.Errorf("%s: Supported %v, SupportedECDSA %v", alg, Supported(alg), SupportedECDSA(alg))
		}
	}
	for _, alg := range ECDSAAlgorithms {
		if Supported(alg) || !SupportedECDSA(alg) {
			t.Errorf("%s: Supported %v, SupportedECDSA %v", alg, Supported(alg), SupportedECDSA(alg))
		}
	}
	for _, alg := range []string{"", "none", "HS256", "PS256", "ES384", "ES512", "ES256K", "EdDSA", "rs256", "RS256 "} {
		if Supported(alg) || SupportedECDSA(alg) {
			t.Errorf("%q supported", alg)
		}
	}
}

// TestES256ToDER: the DER re-encoding of r||s is what encoding/asn1 makes
// of the same two integers, for edge values and random ones.
func TestES256ToDER(t *testing.T) {
	edge := [][]byte{make([]byte, 32), bytesOf(0xff, 32), append([]byte{0x80}, make([]byte, 31)...),
		append(make([]byte, 31), 1), append([]byte{0, 0x80}, make([]byte, 30)...), append([]byte{0, 0x7f}, bytesOf(0xff, 30)...)}
	var vals [][]byte
	vals = append(vals, edge...)
	for range 500 {
		v := make([]byte, 32)
		if _, err := rand.Read(v); err != nil {
			t.Fatal(err)
		}
		v[0] >>= uint(v[1] % 9) // short and high-bit values alike
		vals = append(vals, v)
	}
	for i, r := range vals {
		s := vals[(i*7+3)%len(vals)]
		var der [es256MaxDER]byte
		got := es256ToDER(&der, append(append([]byte(nil), r...), s...))
		want := derSig(t, new(big.Int).SetBytes(r), new(big.Int).SetBytes(s))
		if string(got) != string(want) {
			t.Fatalf("r % x, s % x:\n got % x\nwant % x", r, s, got, want)
		}
	}
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}
