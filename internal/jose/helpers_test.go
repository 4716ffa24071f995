package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// testKeys are generated once per test binary: RSA-2048 keys take a while.
type testKeys struct {
	rsa, rsaOther *rsa.PrivateKey
	ec, ecOther   *ecdsa.PrivateKey
	p384          *ecdsa.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

// must panics on err: key generation from crypto/rand does not fail.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func getKeys(tb testing.TB) testKeys {
	tb.Helper()
	keysOnce.Do(func() {
		keys.rsa = must(rsa.GenerateKey(rand.Reader, 2048))
		keys.rsaOther = must(rsa.GenerateKey(rand.Reader, 2048))
		keys.ec = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		keys.ecOther = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		keys.p384 = must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	})
	return keys
}

// signRSA returns the RSASSA-PKCS1-v1_5 signature of in under alg.
func signRSA(tb testing.TB, key *rsa.PrivateKey, alg string, in []byte) []byte {
	tb.Helper()
	h, ok := rsaHash(alg)
	if !ok {
		tb.Fatalf("no hash for %s", alg)
	}
	var buf [sha512.Size]byte
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest(h, in, &buf))
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// signES256 returns the JWS (r||s) and the ASN.1 DER ES256 signatures of
// in, and r and s.
func signES256(tb testing.TB, key *ecdsa.PrivateKey, in []byte) (raw, der []byte, r, s *big.Int) {
	tb.Helper()
	sum := sha256.Sum256(in)
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return rawSig(r, s, 32), derSig(tb, r, s), r, s
}

// rawSig is r||s, each left-padded to size bytes.
func rawSig(r, s *big.Int, size int) []byte {
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out
}

// derSig is the ASN.1 DER encoding of (r, s), as crypto/ecdsa.SignASN1
// makes it.
func derSig(tb testing.TB, r, s *big.Int) []byte {
	tb.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// jwxVerify is jwx v3's verifier for alg, the reference the standard
// library calls in verify.go are held to.
func jwxVerify(tb testing.TB, alg string, key any, in, sig []byte) error {
	tb.Helper()
	return jwxVerifier(tb, alg).Verify(key, in, sig)
}

// jwxVerifier returns jwx v3's verifier for alg.
func jwxVerifier(tb testing.TB, alg string) jws.Verifier2 {
	tb.Helper()
	a, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		tb.Fatalf("jwx does not know %s", alg)
	}
	v, err := jws.VerifierFor(a)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func marshal(tb testing.TB, m map[string]any) []byte {
	tb.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// rsaJWK is the public JWK of pub with kid, plus extra members (nil
// deletes one).
func rsaJWK(tb testing.TB, kid string, pub *rsa.PublicKey, extra map[string]any) []byte {
	tb.Helper()
	m := map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return marshal(tb, m)
}

// ecJWK is the public JWK of pub (curve crv) with kid.
func ecJWK(tb testing.TB, kid, crv string, pub *ecdsa.PublicKey, extra map[string]any) []byte {
	tb.Helper()
	size := (pub.Curve.Params().BitSize + 7) / 8
	m := map[string]any{"kty": "EC", "crv": crv, "kid": kid,
		//lint:ignore SA1019 a JWK carries the raw coordinates; the test builds and checks them
		"x": b64(pub.X.FillBytes(make([]byte, size))), "y": b64(pub.Y.FillBytes(make([]byte, size)))}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return marshal(tb, m)
}
