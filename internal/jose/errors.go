package jose

import "errors"

// ErrUnsupportedAlg is returned by Verify for an algorithm outside RS256,
// RS384 and RS512, and by VerifyECDSA for one other than ES256.
var ErrUnsupportedAlg = errors.New("jose: unsupported signature algorithm")

// ErrSignature is returned by Verify and VerifyECDSA for any signature that
// does not verify: a mismatch, a signature of the wrong length or encoding
// (an ASN.1 DER ECDSA signature among them), a key of the wrong size or
// curve, or no key.
var ErrSignature = errors.New("jose: signature mismatch")

// ErrRSAModulusTooSmall is wrapped by ParseJWK's error when jwx refused an
// RSA key because its modulus is shorter than 2048 bits.
var ErrRSAModulusTooSmall = errors.New("jose: rsa modulus shorter than 2048 bits")

// ErrRSAExponent is wrapped by ParseJWK's error when jwx refused an RSA key
// because of its public exponent: even, smaller than 3, or too large (the
// error also names exponents above 2^31-1, which crypto/rsa refuses).
var ErrRSAExponent = errors.New("jose: rsa exponent even, below 3 or above 2^31-1")

// ErrRSAModulus is wrapped by NewRSAKey's error for a key without a
// positive modulus or with an even one, which is no RSA modulus: the
// standard library refuses every signature under it.
var ErrRSAModulus = errors.New("jose: rsa modulus missing or even")
