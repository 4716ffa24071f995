package jose

import (
	"crypto"
	"crypto/fips140"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"math/big"

	"filippo.io/bigmod"
)

// RSAKey is an RSA public key made ready to verify RSASSA-PKCS1-v1_5
// signatures: its modulus is prepared for Montgomery arithmetic once, by
// NewRSAKey — as a montModulus where haveMontgomery (amd64 with ADX and
// BMI2), as a *bigmod.Modulus elsewhere. rsa.VerifyPKCS1v15 computes
// those constants again on every call (crypto/rsa keeps them for private
// keys only), which is about a third of the cost of verifying with a
// 2048-bit key. An RSAKey is immutable and safe for concurrent use.
type RSAKey struct {
	pub  rsa.PublicKey   // a copy, for the standard library in FIPS 140-3 mode
	mont *montModulus    // where haveMontgomery
	n    *bigmod.Modulus // elsewhere
	e    uint
	size int // the modulus size in bytes, which is the signature size
}

// NewRSAKey prepares pub for Verify. It refuses a key that
// rsa.VerifyPKCS1v15 would refuse for every signature — no modulus, an
// even one, a public exponent that is even, below 3 or above 2^31-1 (the
// error wraps ErrRSAExponent) — and one shorter than 2048 bits, the floor
// ParseJWK and jwx apply too (the error wraps ErrRSAModulusTooSmall). pub
// is copied: changing it afterwards does not change the RSAKey.
func NewRSAKey(pub *rsa.PublicKey) (*RSAKey, error) {
	return newRSAKey(pub, haveMontgomery)
}

// newRSAKey is NewRSAKey with montModulus's arithmetic or, when mont is
// false, bigmod's (the tests verify with both).
func newRSAKey(pub *rsa.PublicKey, mont bool) (*RSAKey, error) {
	switch {
	case pub == nil || pub.N == nil || pub.N.Sign() <= 0:
		return nil, fmt.Errorf("jose: rsa key: no modulus: %w", ErrRSAModulus)
	case pub.N.BitLen() < minRSABits:
		return nil, fmt.Errorf("jose: rsa key: %d-bit modulus: %w", pub.N.BitLen(), ErrRSAModulusTooSmall)
	case pub.N.Bit(0) == 0:
		return nil, fmt.Errorf("jose: rsa key: even modulus: %w", ErrRSAModulus)
	case pub.E < 3 || pub.E%2 == 0 || pub.E > 1<<31-1:
		return nil, fmt.Errorf("jose: rsa key: exponent %d: %w", pub.E, ErrRSAExponent)
	}
	k := &RSAKey{pub: rsa.PublicKey{N: new(big.Int).Set(pub.N), E: pub.E}, e: uint(pub.E), size: (pub.N.BitLen() + 7) / 8}
	if mont {
		// The checks above are what newMontModulus needs: an odd modulus
		// above 1 and e ≥ 2.
		k.mont = newMontModulus(k.pub.N, k.e)
		return k, nil
	}
	// They leave nothing for NewModulus to refuse (it wants a modulus above
	// 1), and the modulus is odd, so that Exp and ExpShortVarTime, which
	// panic on an even one, never do.
	n, err := bigmod.NewModulus(pub.N.Bytes())
	if err != nil {
		return nil, fmt.Errorf("jose: rsa key: %v: %w", err, ErrRSAModulus)
	}
	k.n = n
	return k, nil
}

// Size returns the modulus size in bytes: the length of every signature
// the key can verify.
func (k *RSAKey) Size() int { return k.size }

// Verify checks that sig is a valid alg signature (RSASSA-PKCS1-v1_5 with
// SHA-256, -384 or -512; RFC 8017 §8.2.2) of signingInput under k, with
// the same answers as rsa.VerifyPKCS1v15 on the same digest, which
// FuzzRSAKeyVerify holds it to. It returns ErrUnsupportedAlg for an
// algorithm it does not know and ErrSignature for any mismatch, including a
// signature whose length is not the modulus size and one not below the
// modulus.
//
// The steps are crypto/rsa's: the signature as an integer s < n, s^e mod n
// by left-to-right square-and-multiply over the bits of e (every input is
// public, so variable time is fine, as in crypto/rsa's own
// ExpShortVarTime), then a constant-time comparison with the encoding
// crypto/rsa expects, built the same way. Where haveMontgomery, the
// arithmetic is montModulus's (montgomery.go and montgomery_amd64.s: the
// Montgomery multiplication bigmod does, and a squaring that needs a
// quarter fewer limb products); elsewhere it is filippo.io/bigmod's, which
// is crypto/internal/fips140/bigmod exported, with ExpShortVarTime, the
// call crypto/rsa makes. Both are held to rsa.VerifyPKCS1v15 by
// FuzzRSAKeyVerify and the table tests, and montModulus to math/big by
// TestMontgomeryExp and FuzzMontgomery. When the process runs in FIPS 140-3
// mode (GODEBUG=fips140=on or only), Verify leaves the signature to
// rsa.VerifyPKCS1v15, so that the validated module and its rules apply.
func (k *RSAKey) Verify(alg string, signingInput, sig []byte) error {
	h, ok := rsaHash(alg)
	if !ok {
		return ErrUnsupportedAlg
	}
	if k == nil || k.mont == nil && k.n == nil { // nil, or not made by NewRSAKey
		return fmt.Errorf("jose: no public key: %w", ErrSignature)
	}
	if fips140.Enabled() {
		return Verify(alg, &k.pub, signingInput, sig)
	}
	// RFC 8017 §8.2.2 step 1: a signature of exactly k octets.
	if len(sig) != k.size {
		return ErrSignature
	}
	var sum [sha512.Size]byte
	var buf [2 * maxEMSize]byte
	want, em := buf[:maxEMSize], buf[maxEMSize:]
	if k.size > maxEMSize {
		want, em = make([]byte, k.size), make([]byte, k.size)
	}
	want, em = want[:k.size], em[:k.size]
	// Step 2.b, RSAVP1: s must be below n (expEncoded and SetBytes refuse
	// s ≥ n), and em is s^e mod n as k octets.
	if k.mont != nil {
		if !k.mont.expEncoded(em, sig) {
			return ErrSignature
		}
	} else {
		s, err := bigmod.NewNat().SetBytes(sig, k.n)
		if err != nil {
			return ErrSignature
		}
		em = bigmod.NewNat().ExpShortVarTime(s, k.e, k.n).Bytes(k.n)
	}
	expected, ok := pkcs1v15EM(want, h, digest(h, signingInput, &sum))
	if !ok || subtle.ConstantTimeCompare(em, expected) != 1 {
		return ErrSignature
	}
	return nil
}

// maxEMSize is the largest encoded message Verify keeps on the stack (the
// expected one and the signature's): the size of an 8192-bit modulus.
// Larger keys get buffers from the heap.
const maxEMSize = 8192 / 8

// digestInfoPrefixes are the DER encodings of the DigestInfo of each hash,
// up to the digest itself (RFC 8017 §9.2, note 1), as crypto/rsa has them
// (its hashPrefixes).
var digestInfoPrefixes = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// pkcs1v15EM writes into em, whose length is the modulus size, the
// EMSA-PKCS1-v1_5 encoding of the digest hashed made with h (RFC 8017
// §9.2), as crypto/rsa builds it:
//
//	EM = 0x00 || 0x01 || PS || 0x00 || DigestInfo prefix || hashed
//
// where PS is 0xff bytes, at least 8 of them. It returns false when em is
// too short for that (RFC 8017's "intended encoded message length too
// short"), which keys of 2048 bits and more never are.
func pkcs1v15EM(em []byte, h crypto.Hash, hashed []byte) ([]byte, bool) {
	prefix := digestInfoPrefixes[h]
	k := len(em)
	if k < len(prefix)+len(hashed)+2+8+1 {
		return nil, false
	}
	em[0], em[1] = 0, 1
	for i := 2; i < k-len(prefix)-len(hashed)-1; i++ {
		em[i] = 0xff
	}
	em[k-len(prefix)-len(hashed)-1] = 0
	copy(em[k-len(prefix)-len(hashed):], prefix)
	copy(em[k-len(hashed):], hashed)
	return em, true
}
