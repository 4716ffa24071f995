package jose

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// PublicKey is what ParseJWK found in one JSON Web Key.
type PublicKey struct {
	KeyID   string
	KeyType string // "kty": "RSA", "EC", "OKP", "oct", ...
	Use     string // "use", empty when absent
	Alg     string // "alg", empty when absent
	// NotForVerify reports that "key_ops" (RFC 7517 section 4.3) is
	// present and does not hold "verify": the key is for other operations
	// only.
	NotForVerify bool
	// RSA is set when KeyType is "RSA" and the key is public.
	RSA *rsa.PublicKey
	// EC is set when KeyType is "EC" and the key is public. jwx has checked
	// that the point is on the named curve ("crv"), which may be any curve
	// jwx knows; VerifyECDSA checks that it is the one its algorithm needs.
	EC *ecdsa.PublicKey
	// Private reports that the JWK carried private key material (or was a
	// symmetric key), which a published key set must never do. RSA and EC
	// are nil then.
	Private bool
}

// minRSABits is jwx v3's default floor for RSA moduli (jwk.WithMinRSAModulusBits,
// a process-wide setting this package leaves alone).
const minRSABits = 2048

// ParseJWK parses one JSON Web Key (RFC 7517) with jwx, which also validates
// it: an RSA modulus of at least 2048 bits and an odd public exponent of at
// least 3 that fits in an int, an EC point on its named curve, field
// lengths that fit the key type, a known "alg", a well-formed "x5c". Keys
// of any type parse; the caller decides which it accepts.
//
// When jwx refuses an RSA key for its modulus size or its exponent, the
// error wraps ErrRSAModulusTooSmall or ErrRSAExponent and the returned
// PublicKey carries the KeyID and KeyType (nothing else), so that a caller
// can say why the key was skipped. Any other refusal returns a zero
// PublicKey.
func ParseJWK(data []byte) (PublicKey, error) {
	key, err := jwk.ParseKey(data)
	if err != nil {
		if jwk.IsKeyValidationError(err) {
			if kid, why := rsaRefusal(data); why != nil {
				return PublicKey{KeyID: kid, KeyType: "RSA"}, fmt.Errorf("jose: parse jwk: %w: %w", why, err)
			}
		}
		return PublicKey{}, fmt.Errorf("jose: parse jwk: %w", err)
	}
	out := PublicKey{KeyType: key.KeyType().String()}
	out.KeyID, _ = key.KeyID()
	out.Use, _ = key.KeyUsage()
	if ops, ok := key.KeyOps(); ok {
		out.NotForVerify = !slices.Contains(ops, jwk.KeyOpVerify)
	}
	if a, ok := key.Algorithm(); ok {
		out.Alg = a.String()
	}
	// Private key types also implement the public interfaces: they come
	// first.
	switch k := key.(type) {
	case jwk.RSAPrivateKey, jwk.ECDSAPrivateKey, jwk.OKPPrivateKey, jwk.SymmetricKey:
		out.Private = true
	case jwk.RSAPublicKey:
		var pub rsa.PublicKey
		if err := jwk.Export(k, &pub); err != nil {
			return PublicKey{}, fmt.Errorf("jose: rsa jwk: %w", err)
		}
		out.RSA = &pub
	case jwk.ECDSAPublicKey:
		var pub ecdsa.PublicKey
		if err := jwk.Export(k, &pub); err != nil {
			return PublicKey{}, fmt.Errorf("jose: ec jwk: %w", err)
		}
		out.EC = &pub
	}
	return out, nil
}

// base64URL maps the standard base64 alphabet to the URL-safe one.
var base64URL = strings.NewReplacer("+", "-", "/", "_")

// decodeBase64 decodes s as leniently as jwx does: either alphabet, padded
// or not.
func decodeBase64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(base64URL.Replace(strings.TrimRight(s, "=")))
}

// rsaRefusal explains, after jwx's key validation refused data, whether
// the reason was one of the two strength rules of an RSA key: it reads
// only "kty", "kid", "n" and "e", never accepts a key, and returns a nil
// error when neither rule explains the refusal.
func rsaRefusal(data []byte) (kid string, why error) {
	var m struct {
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	if json.Unmarshal(data, &m) != nil || m.Kty != "RSA" {
		return "", nil
	}
	n, errN := decodeBase64(m.N)
	e, errE := decodeBase64(m.E)
	if errN != nil || errE != nil || len(n) == 0 || len(e) == 0 {
		return m.Kid, nil
	}
	if new(big.Int).SetBytes(n).BitLen() < minRSABits {
		return m.Kid, ErrRSAModulusTooSmall
	}
	if be := new(big.Int).SetBytes(e); be.Bit(0) == 0 || be.Cmp(big.NewInt(3)) < 0 || be.BitLen() > 31 {
		return m.Kid, ErrRSAExponent
	}
	return m.Kid, nil
}
