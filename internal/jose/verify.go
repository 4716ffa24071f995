package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
)

// Algorithms lists the RSA signature algorithms Verify supports.
var Algorithms = []string{"RS256", "RS384", "RS512"}

// ECDSAAlgorithms lists the ECDSA signature algorithms VerifyECDSA supports.
var ECDSAAlgorithms = []string{"ES256"}

// es256Size is the length of an ES256 signature: r and s as 32-byte
// big-endian integers, concatenated (RFC 7518 §3.4).
const es256Size = 64

// Supported reports whether Verify can check RSA signatures made with alg.
func Supported(alg string) bool {
	_, ok := rsaHash(alg)
	return ok
}

// SupportedECDSA reports whether VerifyECDSA can check signatures made with
// alg.
func SupportedECDSA(alg string) bool {
	return alg == "ES256"
}

// rsaHash returns the hash of an RSASSA-PKCS1-v1_5 algorithm (RFC 7518 §3.3).
func rsaHash(alg string) (crypto.Hash, bool) {
	switch alg {
	case "RS256":
		return crypto.SHA256, true
	case "RS384":
		return crypto.SHA384, true
	case "RS512":
		return crypto.SHA512, true
	}
	return 0, false
}

// Verify checks that sig is a valid alg signature (RSASSA-PKCS1-v1_5 with
// SHA-256, -384 or -512) of signingInput under pub. It returns
// ErrUnsupportedAlg for an algorithm it does not know and ErrSignature for
// any mismatch, including a signature whose length is not the modulus
// size.
//
// It is rsa.VerifyPKCS1v15 on the digest, which is where jwx's RS256
// verifier ends too; see the package documentation for why the standard
// library is called directly.
func Verify(alg string, pub *rsa.PublicKey, signingInput, sig []byte) error {
	h, ok := rsaHash(alg)
	if !ok {
		return ErrUnsupportedAlg
	}
	if pub == nil {
		return fmt.Errorf("jose: no public key: %w", ErrSignature)
	}
	var sum [sha512.Size]byte
	if err := rsa.VerifyPKCS1v15(pub, h, digest(h, signingInput, &sum), sig); err != nil {
		return ErrSignature
	}
	return nil
}

// VerifyECDSA checks that sig is a valid alg signature of signingInput
// under pub. Only ES256 is supported: ECDSA on P-256 with SHA-256, the
// signature being r||s, two 32-byte big-endian integers (RFC 7518 §3.4) —
// not the ASN.1 DER encoding that crypto/ecdsa.SignASN1 and most non-JOSE
// tools produce, which is refused. A key on any curve other than P-256 is
// refused too (jwx's ES256 verifier does not check the curve). It returns
// ErrUnsupportedAlg for any other algorithm and ErrSignature for any
// mismatch.
func VerifyECDSA(alg string, pub *ecdsa.PublicKey, signingInput, sig []byte) error {
	if !SupportedECDSA(alg) {
		return ErrUnsupportedAlg
	}
	switch {
	case pub == nil:
		return fmt.Errorf("jose: no public key: %w", ErrSignature)
	case pub.Curve != elliptic.P256():
		return fmt.Errorf("jose: ES256 needs a P-256 key: %w", ErrSignature)
	case len(sig) != es256Size:
		return fmt.Errorf("jose: ES256 signature is %d bytes, want %d (r||s): %w", len(sig), es256Size, ErrSignature)
	}
	var der [es256MaxDER]byte
	sum := sha256.Sum256(signingInput)
	if !ecdsa.VerifyASN1(pub, sum[:], es256ToDER(&der, sig)) {
		return ErrSignature
	}
	return nil
}

// es256MaxDER is the longest DER encoding of an ES256 signature: a
// SEQUENCE header and two INTEGERs of up to 33 bytes (32 and a leading
// zero), each with a two-byte header. Every length fits in one byte.
const es256MaxDER = 2 + 2*(2+33)

// es256ToDER writes into der the ASN.1 DER encoding, SEQUENCE { r INTEGER,
// s INTEGER }, of the JWS ES256 signature r||s (64 bytes), which is what
// crypto/ecdsa.VerifyASN1 reads, and returns it. (ecdsa.Verify takes
// big.Ints and encodes them the same way, with a dozen more allocations.)
func es256ToDER(der *[es256MaxDER]byte, sig []byte) []byte {
	n := putDERInteger(der, 2, sig[:es256Size/2])
	n = putDERInteger(der, n, sig[es256Size/2:])
	der[0], der[1] = 0x30, byte(n-2)
	return der[:n]
}

// putDERInteger writes at der[at:] the DER INTEGER of the unsigned
// big-endian v: tag, length, and the minimal two's complement content (no
// leading zero bytes but one before a high bit). It returns the offset
// after it.
func putDERInteger(der *[es256MaxDER]byte, at int, v []byte) int {
	for len(v) > 1 && v[0] == 0 {
		v = v[1:]
	}
	i := at + 2
	if v[0]&0x80 != 0 {
		der[i] = 0
		i++
	}
	i += copy(der[i:], v)
	der[at], der[at+1] = 0x02, byte(i-at-2)
	return i
}

// digest hashes in with h into buf and returns the digest.
func digest(h crypto.Hash, in []byte, buf *[sha512.Size]byte) []byte {
	switch h {
	case crypto.SHA256:
		*(*[sha256.Size]byte)(buf[:sha256.Size]) = sha256.Sum256(in)
		return buf[:sha256.Size]
	case crypto.SHA384:
		*(*[sha512.Size384]byte)(buf[:sha512.Size384]) = sha512.Sum384(in)
		return buf[:sha512.Size384]
	default:
		*buf = sha512.Sum512(in)
		return buf[:]
	}
}
