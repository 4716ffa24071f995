// Package jose is the only place in cognito-gate that imports
// github.com/lestrrat-go/jwx (v3). It parses single JSON Web Keys and
// checks RS256, RS384, RS512 and ES256 signatures. Everything else in the
// module works with the standard library's *rsa.PublicKey and
// *ecdsa.PublicKey and plain byte slices, so that moving to a later jwx
// major version changes this package only.
//
// # JSON Web Keys: jwx
//
// ParseJWK is jwk.ParseKey and jwk.Export. jwx decodes the key and
// validates it before anything else sees it: RSA moduli of at least 2048
// bits and odd exponents of at least 3, EC points on their named curve,
// member lengths that fit the key type, known "alg" values, well-formed
// "x5c" chains. Keys it refuses for modulus size or exponent come back with
// ErrRSAModulusTooSmall or ErrRSAExponent, so that a key set can say why it
// skipped them.
//
// # Signatures: the standard library, held to jwx
//
// Verify is crypto/rsa.VerifyPKCS1v15 on the SHA-256, -384 or -512 digest
// of the signing input; VerifyECDSA is crypto/ecdsa.VerifyASN1 on the
// SHA-256 digest, after checking that the key is on P-256 and re-encoding
// the 64-byte JWS signature r||s (RFC 7518 §3.4) as DER. jwx v3's own
// verifier (jws.VerifierFor, which is jwsbb.Verify and then
// lestrrat-go/dsig) ends in the same two calls. On its way there it looks
// the algorithm up twice in dsig's process-wide table under a
// sync.RWMutex, converts the key by reflection and allocates a hash
// object and a digest; its algorithm tables are registries any imported
// package may change (jws.RegisterVerifier, dsig.RegisterAlgorithm), and
// its ES256 verifier does not check the key's curve. So the hot path calls
// the standard library directly, and TestVerifyAgreesWithJWX and FuzzVerify
// hold Verify and VerifyECDSA to jwx's verifier: same answer on good
// signatures and on arbitrary changes to signature and input.
//
// The figures that decided it (2-vCPU AMD EPYC VM, Go 1.26.8, RSA-2048,
// 1.1 KB signing input, BenchmarkVerify in this package; time per call is
// ~40-55 µs for RS256 and ~90-115 µs for ES256 whichever way, and the
// differences between the ways are within this shared machine's noise):
//
//	                         allocs/op   B/op   share of CPU in rsa.VerifyPKCS1v15
//	RS256  this package              9   1376   98.3%
//	       crypto/rsa alone          9   1376
//	       jwx v3 verifier          12   1544   96.0%
//	       jwx v2 (the old seam)    12   1552
//	ES256  this package             11    656
//	       crypto/ecdsa alone       10    576   (VerifyASN1 on DER)
//	       jwx v3 verifier          24   1384
//
// End to end, in bench/ (see bench/README.md: bench/compare.sh, medians
// of the interleaved ratios over 8 rounds), moving from jwx v2's verifier
// to this took a cold Verify from 18 to 15 allocations and from 0.956× to
// 0.941× the standard-library floor (p = 0.02); with jwx v3's verifier in
// its place instead it ran at 0.968× against this package's 0.949×
// (p = 0.04, 6 rounds), with 18 allocations.
package jose
