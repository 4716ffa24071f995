// Package jose is the only place in cognito-gate that imports
// github.com/lestrrat-go/jwx (v3). It parses single JSON Web Keys and
// checks RS256, RS384, RS512 and ES256 signatures; it is also the only
// importer of filippo.io/bigmod. Everything else in the module works with
// the standard library's *rsa.PublicKey and *ecdsa.PublicKey, this
// package's RSAKey and plain byte slices, so that moving to a later jwx
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
// # RSA signatures: the modulus prepared once per key
//
// RSAKey.Verify checks RS256, RS384 and RS512 signatures under a key that
// NewRSAKey prepared once, when the key set was parsed: the modulus ready
// for Montgomery arithmetic, with the constants rsa.VerifyPKCS1v15
// computes again on every call — crypto/rsa keeps them for private keys
// only. Then it does what crypto/rsa does, in the same order: a signature
// of exactly the modulus size, s < n, s^e mod n by square-and-multiply over
// the bits of e, and a comparison, here in constant time, with the
// EMSA-PKCS1-v1_5 encoding 00 01 ff…ff 00 ‖ DigestInfo ‖ H built as
// crypto/rsa builds it, from the same DigestInfo prefixes. Everything it
// reads is public (the key, the signed input, the signature), so nothing
// secret can leak through its timing.
//
// The arithmetic, on amd64 with ADX and BMI2 (haveMontgomery: Intel since
// Broadwell, AMD since Zen), is this package's montModulus: word-by-word
// Montgomery multiplication and reduction as bigmod does them, and a
// squaring that computes each product x[i]·x[j] below the diagonal once and
// doubles them, 1.5n² limb products where a multiplication needs 2n². With
// e = 65537 a verification is 16 squarings and 2 multiplications, so the
// squaring is most of it. Its inner loop (montgomery_amd64.s) is bigmod's
// MULX/ADCX/ADOX kernel as a loop over any length. Elsewhere, and under the
// purego build tag, the arithmetic is filippo.io/bigmod's (the standard
// library's crypto/internal/fips140/bigmod exported by its author), with
// ExpShortVarTime, crypto/rsa's own call.
//
// Both are held to rsa.VerifyPKCS1v15 by FuzzRSAKeyVerify (keys of 2048 to
// 4096 bits, odd sizes, exponents 3 to 2^31-1, every byte of signature and
// input changed, wrong lengths, s ≥ n, other hashes), TestRSAKeyVerify and
// TestRSAKeyForgedEncodings (edge values and the malformed encodings of
// CVE-2006-4339), and, when JOSE_WYCHEPROOF_DIR names them, Project
// Wycheproof's 3,106 RSASSA-PKCS1-v1_5 vectors of 2048 to 8192 bits
// (TestWycheproofRSA); each runs on both forms of the key. montModulus is
// held to math/big by TestMontgomeryExp (the test keys' moduli and moduli
// of 1 to 70 limbs made of all-ones and single-bit limbs, with edge and
// random bases and exponents) and FuzzMontgomery (any odd modulus, any
// operands: the assembly against its Go form, mulRowsGeneric,
// sqrRowsGeneric and redcGeneric, and both against math/big).
// TestPKCS1v15EM holds the expected encoding to crypto/rsa's and RFC
// 8017's. In FIPS 140-3 mode (GODEBUG=fips140=on or only) Verify leaves the
// signature to rsa.VerifyPKCS1v15, so that the validated module and its
// rules apply.
//
// Verify, the same check for a bare *rsa.PublicKey, is rsa.VerifyPKCS1v15
// on the SHA-256, -384 or -512 digest of the signing input; VerifyECDSA is
// crypto/ecdsa.VerifyASN1 on the SHA-256 digest, after checking that the
// key is on P-256 and re-encoding the 64-byte JWS signature r||s (RFC 7518
// §3.4) as DER.
//
// # Not jwx's verifier
//
// jwx v3's own verifier (jws.VerifierFor, which is jwsbb.Verify and then
// lestrrat-go/dsig) ends in rsa.VerifyPKCS1v15 and ecdsa.VerifyASN1 too.
// On its way there it looks the algorithm up twice in dsig's process-wide
// table under a sync.RWMutex, converts the key by reflection and allocates
// a hash object and a digest; its algorithm tables are registries any
// imported package may change (jws.RegisterVerifier,
// dsig.RegisterAlgorithm), and its ES256 verifier does not check the key's
// curve. So the hot path does not call it, and TestVerifyAgreesWithJWX and
// FuzzVerify hold Verify, VerifyECDSA and RSAKey.Verify to it: same answer
// on good signatures and on arbitrary changes to signature and input.
//
// The figures (2-vCPU AMD EPYC VM, Go 1.26.8, 1.1 KB signing input,
// 2026-12-02; BenchmarkVerifyInterleaved, which alternates the four ways
// call by call, 5 runs at a load average of about 1.3, and BenchmarkVerify
// for the allocations):
//
//	RS256, 2048-bit key        µs/call  × crypto/rsa         allocs/op  B/op
//	  RSAKey, montModulus        13.9   0.530 (0.526–0.533)          0     0
//	  RSAKey, bigmod             18.1   0.68–0.69                    1   256
//	  crypto/rsa                 26.3   1                            9  1376
//	  jwx v3 verifier            26.5   1.01                        12  1544
//	RS256, 4096-bit key
//	  RSAKey, montModulus          49   0.20 (0.19–0.21)             0     0
//	  RSAKey, bigmod              154   0.64
//	  crypto/rsa                  246   1
//
// bigmod has unrolled code for moduli of 1024, 1536 and 2048 bits only,
// so a 4096-bit key goes through its generic loop, and montModulus, whose
// loop takes any length, gains most there.
//
// The earlier run that chose RSAKey over jwx's verifier (bigmod then, at
// a load average of about 3): RSAKey 31.7 µs, 0.678× crypto/rsa's 47.6 µs;
// jwx v3's verifier 1.02–1.03×.
//
// ES256 (BenchmarkVerify, earlier run): this package 11 allocs/op and 656
// B/op, crypto/ecdsa alone 10 and 576, jwx v3's verifier 24 and 1384, at
// ~90-115 µs per call whichever way.
//
// End to end, in bench/ (see bench/README.md), a cold
// claims.Verifier.Verify whose jwks.Key verifies through an RSAKey ran at
// 0.518× the standard-library floor with the verified-token cache off and
// 0.581× with a cache that misses (bench/run.sh 4, 2026-12-02; 0.650× and
// 0.707× with bigmod's arithmetic in the run before it).
package jose
