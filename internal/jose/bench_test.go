package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// BenchmarkVerify is one RS256 and one ES256 verification of a
// Cognito-sized signing input: through the seam (the standard library),
// through jwx v3's verifier for the same algorithm, and — the floor —
// crypto/rsa or crypto/ecdsa called directly on a SHA-256 digest (for
// ECDSA, VerifyASN1 on the DER form of the same signature).
func BenchmarkVerify(b *testing.B) {
	k := getKeys(b)
	input := make([]byte, 1100)
	for i := range input {
		input[i] = 'a' + byte(i%26)
	}
	rsaSig := signRSA(b, k.rsa, "RS256", input)
	ecSig, ecDER, _, _ := signES256(b, k.ec, input)
	jwxRS256, jwxES256 := jwxVerifier(b, "RS256"), jwxVerifier(b, "ES256")
	rsaPub, ecPub := &k.rsa.PublicKey, &k.ec.PublicKey
	cases := []struct {
		name string
		fn   func() error
	}{
		{"RS256/seam", func() error { return Verify("RS256", rsaPub, input, rsaSig) }},
		{"RS256/jwx", func() error { return jwxRS256.Verify(rsaPub, input, rsaSig) }},
		{"RS256/crypto-rsa", func() error {
			sum := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, sum[:], rsaSig)
		}},
		{"ES256/seam", func() error { return VerifyECDSA("ES256", ecPub, input, ecSig) }},
		{"ES256/jwx", func() error { return jwxES256.Verify(ecPub, input, ecSig) }},
		{"ES256/crypto-ecdsa", func() error {
			sum := sha256.Sum256(input)
			if !ecdsa.VerifyASN1(ecPub, sum[:], ecDER) {
				return ErrSignature
			}
			return nil
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
