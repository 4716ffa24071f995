// Package jose is the only place in cognito-gate that calls
// github.com/lestrrat-go/jwx. It parses single JSON Web Keys and checks RSA
// PKCS #1 v1.5 signatures. Everything else in the module works with the
// standard library's *rsa.PublicKey and plain byte slices, so that moving to
// a later jwx major version changes this one file.
package jose

import (
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// ErrUnsupportedAlg is returned by Verify for an algorithm outside
// RS256, RS384 and RS512.
var ErrUnsupportedAlg = errors.New("jose: unsupported signature algorithm")

// ErrSignature is returned by Verify when the signature does not match.
var ErrSignature = errors.New("jose: signature mismatch")

// Algorithms lists the signature algorithms Verify supports.
var Algorithms = []string{"RS256", "RS384", "RS512"}

// verifiers maps an algorithm name to jwx's verifier for it. It is built
// once and never written afterwards; jwx verifiers are stateless.
var verifiers = func() map[string]jws.Verifier {
	m := make(map[string]jws.Verifier, len(Algorithms))
	for _, name := range Algorithms {
		v, err := jws.NewVerifier(jwa.SignatureAlgorithm(name))
		if err != nil {
			panic("jose: jwx has no verifier for " + name + ": " + err.Error())
		}
		m[name] = v
	}
	return m
}()

// Supported reports whether Verify can check signatures made with alg.
func Supported(alg string) bool {
	_, ok := verifiers[alg]
	return ok
}

// Verify checks that sig is a valid alg signature of signingInput under pub.
// It returns ErrUnsupportedAlg for an algorithm it does not know and
// ErrSignature for any mismatch.
func Verify(alg string, pub *rsa.PublicKey, signingInput, sig []byte) error {
	v, ok := verifiers[alg]
	if !ok {
		return ErrUnsupportedAlg
	}
	if pub == nil {
		return fmt.Errorf("jose: no public key: %w", ErrSignature)
	}
	if err := v.Verify(signingInput, sig, pub); err != nil {
		return ErrSignature
	}
	return nil
}

// PublicKey is what ParseJWK found in one JSON Web Key.
type PublicKey struct {
	KeyID   string
	KeyType string // "kty": "RSA", "EC", "OKP", "oct", ...
	Use     string // "use", empty when absent
	Alg     string // "alg", empty when absent
	// RSA is set when KeyType is "RSA".
	RSA *rsa.PublicKey
	// Private reports that the JWK carried private key material, which a
	// published key set must never do.
	Private bool
}

// ParseJWK parses one JSON Web Key (RFC 7517). Keys of any type parse; the
// caller decides which it accepts.
func ParseJWK(data []byte) (PublicKey, error) {
	key, err := jwk.ParseKey(data)
	if err != nil {
		return PublicKey{}, fmt.Errorf("jose: parse jwk: %w", err)
	}
	out := PublicKey{
		KeyID:   key.KeyID(),
		KeyType: string(key.KeyType()),
		Use:     key.KeyUsage(),
	}
	if a := key.Algorithm(); a != nil {
		out.Alg = a.String()
	}
	switch k := key.(type) {
	case jwk.RSAPrivateKey:
		out.Private = true
	case jwk.RSAPublicKey:
		var pub rsa.PublicKey
		if err := k.Raw(&pub); err != nil {
			return PublicKey{}, fmt.Errorf("jose: rsa jwk: %w", err)
		}
		out.RSA = &pub
	case jwk.ECDSAPrivateKey, jwk.OKPPrivateKey, jwk.SymmetricKey:
		out.Private = true
	}
	return out, nil
}
