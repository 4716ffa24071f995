package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"
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
	rsaKey := must(NewRSAKey(rsaPub))
	cases := []struct {
		name string
		fn   func() error
	}{
		{"RS256/rsakey", func() error { return rsaKey.Verify("RS256", input, rsaSig) }},
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

// BenchmarkVerifyInterleaved is the RS256 row of BenchmarkVerify measured
// so that the machine's load falls on every way alike: each iteration
// times one call of each way in turn (the order rotating), and the figures
// are the medians per way (rsakey-ns/op; rsakey-bigmod-ns/op, the same
// RSAKey with bigmod's arithmetic instead of montModulus, which is how it
// verifies where haveMontgomery is false; crypto-rsa-ns/op; jwx-ns/op)
// and the RSAKey's ratios to crypto/rsa (x-crypto-rsa) and to its bigmod
// form (x-bigmod), for a 2048-bit and a 4096-bit key. ns/op is one
// iteration: one call of each way.
func BenchmarkVerifyInterleaved(b *testing.B) {
	input := make([]byte, 1100)
	for i := range input {
		input[i] = 'a' + byte(i%26)
	}
	jwxRS256 := jwxVerifier(b, "RS256")
	for _, key := range []*rsa.PrivateKey{getKeys(b).rsa, fuzzKey(b, 4096)} {
		pub := &key.PublicKey
		sig := signRSA(b, key, "RS256", input)
		rk := must(NewRSAKey(pub))
		rkBigmod := must(newRSAKey(pub, false))
		ways := []struct {
			unit string
			fn   func() error
		}{
			{"rsakey-ns/op", func() error { return rk.Verify("RS256", input, sig) }},
			{"rsakey-bigmod-ns/op", func() error { return rkBigmod.Verify("RS256", input, sig) }},
			{"crypto-rsa-ns/op", func() error {
				sum := sha256.Sum256(input)
				return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
			}},
			{"jwx-ns/op", func() error { return jwxRS256.Verify(pub, input, sig) }},
		}
		b.Run(fmt.Sprintf("RS256-%d", pub.N.BitLen()), func(b *testing.B) {
			b.ReportAllocs()
			times := make([][]time.Duration, len(ways))
			round := 0
			for b.Loop() {
				for j := range ways {
					w := (round + j) % len(ways)
					t0 := time.Now()
					if err := ways[w].fn(); err != nil {
						b.Fatal(err)
					}
					times[w] = append(times[w], time.Since(t0))
				}
				round++
			}
			med := make([]time.Duration, len(ways))
			for j, w := range ways {
				slices.Sort(times[j])
				med[j] = times[j][len(times[j])/2]
				b.ReportMetric(float64(med[j].Nanoseconds()), w.unit)
			}
			b.ReportMetric(float64(med[0])/float64(med[2]), "x-crypto-rsa")
			b.ReportMetric(float64(med[0])/float64(med[1]), "x-bigmod")
		})
	}
}
