package jwks

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"crypto/rsa"
	"math/big"

	"github.com/cognito-gate/cognito-gate/internal/jose"
)

// Key is one usable public key of a key set. Keys are immutable.
type Key struct {
	// ID is the key's "kid".
	ID string
	// Alg is the key's "alg", or empty when the key set did not name one.
	Alg string
	// Bits is the RSA modulus size.
	Bits int

	pub     *rsa.PublicKey
	rsaKey  *jose.RSAKey
	sigSize int
}

func newKey(id, alg string, pub *rsa.PublicKey, rk *jose.RSAKey) *Key {
	bits := pub.N.BitLen()
	return &Key{ID: id, Alg: alg, Bits: bits, pub: pub, rsaKey: rk, sigSize: rk.Size()}
}

// Public returns a copy of the key's RSA public key. (A copy, so that no
// caller can change the key that verifies everyone's tokens.)
func (k *Key) Public() *rsa.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).Set(k.pub.N), E: k.pub.E}
}

// Allows reports whether the key may verify signatures made with alg: alg
// must be a supported RSA PKCS #1 v1.5 algorithm and, when the key names an
// algorithm, the same one.
func (k *Key) Allows(alg string) bool {
	return jose.Supported(alg) && (k.Alg == "" || k.Alg == alg)
}

// Verify checks sig, an alg signature over signingInput. It returns
// ErrAlgMismatch when the key may not be used with alg and ErrBadSignature
// when the signature does not verify.
func (k *Key) Verify(alg string, signingInput, sig []byte) error {
	if !k.Allows(alg) {
		return errorf("key %q is %q, token says %q: %w", k.ID, k.Alg, msg.Clip(alg, 16), ErrAlgMismatch)
	}
	if len(sig) != k.sigSize {
		return errorf("signature is %d bytes, key needs %d: %w", len(sig), k.sigSize, ErrBadSignature)
	}
	if err := k.rsaKey.Verify(alg, signingInput, sig); err != nil {
		return ErrBadSignature
	}
	return nil
}
