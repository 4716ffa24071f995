package jose

import (
	"bytes"
	"crypto"
	"crypto/fips140"
	_ "crypto/md5" // crypto.MD5, for a signature made with it
	"crypto/rsa"
	_ "crypto/sha1" // crypto.SHA1, likewise
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// stdlibVerify is rsa.VerifyPKCS1v15 on the digest of in made with alg's
// hash: the reference RSAKey.Verify is held to.
func stdlibVerify(alg string, pub *rsa.PublicKey, in, sig []byte) error {
	h, ok := rsaHash(alg)
	if !ok {
		return ErrUnsupportedAlg
	}
	var sum [sha512.Size]byte
	return rsa.VerifyPKCS1v15(pub, h, digest(h, in, &sum), sig)
}

// signHash is rsa.SignPKCS1v15 with any hash, the ones JOSE does not use
// among them.
func signHash(tb testing.TB, key *rsa.PrivateKey, h crypto.Hash, in []byte) []byte {
	tb.Helper()
	d := h.New()
	d.Write(in)
	sig, err := rsa.SignPKCS1v15(nil, key, h, d.Sum(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// rawSign is the RSA private-key operation on em, an encoded message of the
// modulus size, with math/big: em^d mod n, as a signature of the modulus
// size. It signs encodings that SignPKCS1v15 would never make.
func rawSign(key *rsa.PrivateKey, em []byte) []byte {
	s := new(big.Int).Exp(new(big.Int).SetBytes(em), key.D, key.N)
	return s.FillBytes(make([]byte, key.Size()))
}

// intSig is v as a big-endian signature of size bytes, or nil when it does
// not fit.
func intSig(v *big.Int, size int) []byte {
	if v.Sign() < 0 || (v.BitLen()+7)/8 > size {
		return nil
	}
	return v.FillBytes(make([]byte, size))
}

// rsaKeyForms is rk as it verifies here and, where that is montModulus's
// arithmetic, also in its bigmod form (as it verifies where
// haveMontgomery is false), named for subtests.
func rsaKeyForms(rk *RSAKey) map[string]*RSAKey {
	forms := map[string]*RSAKey{}
	if rk.mont != nil {
		forms["montgomery"] = rk
	}
	forms["bigmod"] = must(newRSAKey(&rk.pub, false))
	return forms
}

// encodedMessage is EMSA-PKCS1-v1_5 of the digest of in with h, written out
// from RFC 8017 §9.2 step by step (independently of pkcs1v15EM), for size
// bytes: 00 01, then size - 3 - len(T) bytes of ff, 00, and T, the DER
// DigestInfo.
func encodedMessage(tb testing.TB, size int, h crypto.Hash, in []byte) []byte {
	tb.Helper()
	d := h.New()
	d.Write(in)
	t := digestInfo(tb, h, d.Sum(nil))
	em := []byte{0, 1}
	em = append(em, bytes.Repeat([]byte{0xff}, size-3-len(t))...)
	em = append(em, 0)
	return append(em, t...)
}

// hashOIDs are the object identifiers of the SHA-2 hashes (RFC 8017
// appendix B.1).
var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

// digestInfo is the DER DigestInfo of sum (RFC 8017 §9.2 step 2), made by
// encoding/asn1: SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING }.
func digestInfo(tb testing.TB, h crypto.Hash, sum []byte) []byte {
	tb.Helper()
	type algorithmIdentifier struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	der, err := asn1.Marshal(struct {
		Algorithm algorithmIdentifier
		Digest    []byte
	}{algorithmIdentifier{hashOIDs[h], asn1.NullRawValue}, sum})
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

func TestNewRSAKey(t *testing.T) {
	above31 := int64(1)<<31 + 1
	k := getKeys(t).rsa
	n := k.N
	even := new(big.Int).Add(n, big.NewInt(1))
	tests := []struct {
		name string
		pub  *rsa.PublicKey
		want error
	}{
		{"2048 bits, e = 65537", &k.PublicKey, nil},
		{"e = 3", &rsa.PublicKey{N: n, E: 3}, nil},
		{"e = 2^31 - 1", &rsa.PublicKey{N: n, E: 1<<31 - 1}, nil},
		{"nil key", nil, ErrRSAModulus},
		{"no modulus", &rsa.PublicKey{E: 65537}, ErrRSAModulus},
		{"zero modulus", &rsa.PublicKey{N: new(big.Int), E: 65537}, ErrRSAModulus},
		{"negative modulus", &rsa.PublicKey{N: new(big.Int).Neg(n), E: 65537}, ErrRSAModulus},
		{"even modulus", &rsa.PublicKey{N: even, E: 65537}, ErrRSAModulus},
		{"2047 bits", &rsa.PublicKey{N: new(big.Int).Rsh(n, 1), E: 65537}, ErrRSAModulusTooSmall},
		{"1024 bits", &rsa.PublicKey{N: new(big.Int).Rsh(n, 1024), E: 65537}, ErrRSAModulusTooSmall},
		{"e = 1", &rsa.PublicKey{N: n, E: 1}, ErrRSAExponent},
		{"e = 2", &rsa.PublicKey{N: n, E: 2}, ErrRSAExponent},
		{"e = 0", &rsa.PublicKey{N: n, E: 0}, ErrRSAExponent},
		{"e = -3", &rsa.PublicKey{N: n, E: -3}, ErrRSAExponent},
		{"e = 65536", &rsa.PublicKey{N: n, E: 65536}, ErrRSAExponent},
		{"e = 2^31 + 1", &rsa.PublicKey{N: n, E: int(above31)}, ErrRSAExponent}, // negative where int has 32 bits: refused all the same
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewRSAKey(tt.pub)
			if !errors.Is(err, tt.want) || (err == nil) != (got != nil) {
				t.Fatalf("NewRSAKey = %v, %v; want %v", got, err, tt.want)
			}
			if err == nil && got.Size() != (tt.pub.N.BitLen()+7)/8 {
				t.Errorf("Size = %d, want %d", got.Size(), (tt.pub.N.BitLen()+7)/8)
			}
		})
	}
}

// TestNewRSAKeyCopies: an RSAKey does not change with the key it was made
// from.
func TestNewRSAKeyCopies(t *testing.T) {
	k := getKeys(t).rsa
	pub := &rsa.PublicKey{N: new(big.Int).Set(k.N), E: k.E}
	rk, err := NewRSAKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	in := []byte("header.payload")
	sig := signRSA(t, k, "RS256", in)
	pub.N.Set(getKeys(t).rsaOther.N)
	pub.E = 3
	if err := rk.Verify("RS256", in, sig); err != nil {
		t.Errorf("after the key it was made from changed: %v", err)
	}
	if err := rk.Verify("RS256", in, signRSA(t, getKeys(t).rsaOther, "RS256", in)); !errors.Is(err, ErrSignature) {
		t.Errorf("the other key's signature: %v", err)
	}
}

type verifyCase struct {
	name string
	alg  string
	in   []byte
	sig  []byte
	want error
}

// TestRSAKeyVerify: each case's answer is the one the table says and the
// one rsa.VerifyPKCS1v15 gives, for a 2048-bit key and for keys of odd
// sizes, where a signature of the right length can still be ≥ n.
func TestRSAKeyVerify(t *testing.T) {
	in := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0")
	for _, key := range []*rsa.PrivateKey{fuzzKey(t, 2048), fuzzKey(t, 2049), fuzzKey(t, 3071), fuzzKey(t, 4095)} {
		pub := &key.PublicKey
		rk, err := NewRSAKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		size := key.Size()
		sig := signRSA(t, key, "RS256", in)
		sigInt := new(big.Int).SetBytes(sig)
		n := key.N
		one := big.NewInt(1)
		allFF := new(big.Int).Sub(new(big.Int).Lsh(one, uint(8*size)), one)
		em := encodedMessage(t, size, crypto.SHA256, in)
		tests := []verifyCase{
			{"RS256", "RS256", in, sig, nil},
			{"RS384", "RS384", in, signRSA(t, key, "RS384", in), nil},
			{"RS512", "RS512", in, signRSA(t, key, "RS512", in), nil},
			{"the encoding of RFC 8017 §9.2, signed", "RS256", in, rawSign(key, em), nil},
			{"RS256 signature as RS384", "RS384", in, sig, ErrSignature},
			{"RS512 signature as RS256", "RS256", in, signRSA(t, key, "RS512", in), ErrSignature},
			{"SHA-1 signature", "RS256", in, signHash(t, key, crypto.SHA1, in), ErrSignature},
			{"SHA-224 signature", "RS256", in, signHash(t, key, crypto.SHA224, in), ErrSignature},
			{"SHA-512/256 signature as RS256", "RS256", in, signHash(t, key, crypto.SHA512_256, in), ErrSignature},
			{"MD5 signature", "RS256", in, signHash(t, key, crypto.MD5, in), ErrSignature},
			{"other input", "RS256", []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ5In0"), sig, ErrSignature},
			{"empty input", "RS256", nil, sig, ErrSignature},
			{"first byte changed", "RS256", in, flip(sig, 0), ErrSignature},
			{"last byte changed", "RS256", in, flip(sig, size-1), ErrSignature},
			{"one byte short", "RS256", in, sig[1:], ErrSignature},
			{"one byte short at the end", "RS256", in, sig[:size-1], ErrSignature},
			{"leading zero added", "RS256", in, append([]byte{0}, sig...), ErrSignature},
			{"trailing zero added", "RS256", in, append(append([]byte(nil), sig...), 0), ErrSignature},
			{"empty", "RS256", in, nil, ErrSignature},
			{"s = 0", "RS256", in, make([]byte, size), ErrSignature},
			{"s = 1", "RS256", in, intSig(one, size), ErrSignature},
			{"s = n - 1", "RS256", in, intSig(new(big.Int).Sub(n, one), size), ErrSignature},
			{"s = n", "RS256", in, intSig(n, size), ErrSignature},
			{"s = n + 1", "RS256", in, intSig(new(big.Int).Add(n, one), size), ErrSignature},
			{"s = 2^(8k) - 1", "RS256", in, intSig(allFF, size), ErrSignature},
			{"unsupported alg", "RS1", in, sig, ErrUnsupportedAlg},
			{"PS256", "PS256", in, sig, ErrUnsupportedAlg},
			{"none", "none", in, sig, ErrUnsupportedAlg},
		}
		// s + n, the same value modulo n, fits in the signature's length
		// when n is a few bits short of it: RFC 8017 §5.2.2 refuses it.
		if plusN := intSig(new(big.Int).Add(sigInt, n), size); plusN != nil {
			tests = append(tests, verifyCase{"s + n, congruent to a good signature", "RS256", in, plusN, ErrSignature})
		}
		for form, rk := range rsaKeyForms(rk) {
			for _, tt := range tests {
				t.Run(tt.name+"/"+strconv.Itoa(n.BitLen())+"/"+form, func(t *testing.T) {
					if tt.sig == nil && tt.name != "empty" {
						t.Fatalf("no signature for %s", tt.name)
					}
					got := rk.Verify(tt.alg, tt.in, tt.sig)
					if !errors.Is(got, tt.want) {
						t.Errorf("Verify = %v, want %v", got, tt.want)
					}
					if ref := stdlibVerify(tt.alg, pub, tt.in, tt.sig); (ref == nil) != (got == nil) {
						t.Errorf("Verify = %v, rsa.VerifyPKCS1v15 = %v", got, ref)
					}
				})
			}
		}
	}
	var nilKey *RSAKey
	if err := nilKey.Verify("RS256", in, []byte{1}); !errors.Is(err, ErrSignature) {
		t.Errorf("nil key: %v", err)
	}
	var zero RSAKey // not made by NewRSAKey: no modulus at all
	for _, sig := range [][]byte{nil, {}, {1}} {
		if err := zero.Verify("RS256", in, sig); !errors.Is(err, ErrSignature) {
			t.Errorf("zero RSAKey, signature %x: %v", sig, err)
		}
	}
}

// TestRSAKeyForgedEncodings signs, with the private key, encoded messages
// that are not the one EMSA-PKCS1-v1_5 allows — the malformed paddings and
// DigestInfo encodings of the Bleichenbacher-style forgeries (CVE-2006-4339)
// and their relatives — and checks that each is refused, as by
// rsa.VerifyPKCS1v15, while the correct encoding, signed the same way, is
// accepted.
func TestRSAKeyForgedEncodings(t *testing.T) {
	in := []byte("header.payload")
	sum := sha256.Sum256(in)
	for _, key := range []*rsa.PrivateKey{fuzzKey(t, 2048), rsaTestKeys(t)[1]} { // e = 65537 and e = 3
		rk, err := NewRSAKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		size := key.Size()
		good := encodedMessage(t, size, crypto.SHA256, in)
		tLen := len(digestInfo(t, crypto.SHA256, sum[:]))
		psEnd := size - tLen - 1 // index of the 00 after PS
		prefixAt := psEnd + 1
		change := func(f func(em []byte) []byte) []byte {
			return f(append([]byte(nil), good...))
		}
		// withT is an encoding of size bytes around a given DigestInfo t:
		// 00 01 ff… 00 t.
		withT := func(t []byte) []byte {
			em := append([]byte{0, 1}, bytes.Repeat([]byte{0xff}, size-3-len(t))...)
			return append(append(em, 0), t...)
		}
		noNull := append([]byte{0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20}, sum[:]...)
		berLength := append([]byte{0x30, 0x81, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}, sum[:]...)
		sha256OverSHA384 := digestInfo(t, crypto.SHA384, append(sum[:], make([]byte, 16)...))
		tests := []struct {
			name string
			em   []byte
			ok   bool
		}{
			{"the encoding", good, true},
			{"block type 02", change(func(em []byte) []byte { em[1] = 2; return em }), false},
			{"block type 00", change(func(em []byte) []byte { em[1] = 0; return em }), false},
			{"leading byte 01", change(func(em []byte) []byte { em[0] = 1; return em }), false},
			{"a padding byte fe", change(func(em []byte) []byte { em[psEnd/2] = 0xfe; return em }), false},
			{"the first padding byte 00", change(func(em []byte) []byte { em[2] = 0; return em }), false},
			{"no 00 after the padding", change(func(em []byte) []byte { em[psEnd] = 0xff; return em }), false},
			{"the 00 early, garbage after", change(func(em []byte) []byte { em[10] = 0; return em }), false},
			{"DigestInfo without the NULL", withT(noNull), false},
			{"DigestInfo with a long-form length", withT(berLength), false},
			{"another hash's OID", change(func(em []byte) []byte { em[prefixAt+14] = 0x03; return em }), false},
			{"a SHA-384 DigestInfo", withT(sha256OverSHA384), false},
			{"digest alone, no DigestInfo", withT(sum[:]), false},
			{"digest changed", change(func(em []byte) []byte { em[size-1] ^= 1; return em }), false},
			{"padding of 7 bytes, garbage before", change(func(em []byte) []byte {
				copy(em[2+7:], append([]byte{0}, em[prefixAt:]...))
				return em
			}), false},
		}
		for form, rk := range rsaKeyForms(rk) {
			for _, tt := range tests {
				t.Run(tt.name+"/e"+strconv.Itoa(key.E)+"/"+form, func(t *testing.T) {
					if len(tt.em) != size {
						t.Fatalf("encoding of %d bytes, want %d", len(tt.em), size)
					}
					sig := rawSign(key, tt.em)
					got := rk.Verify("RS256", in, sig)
					if (got == nil) != tt.ok {
						t.Errorf("Verify = %v, want ok %v", got, tt.ok)
					}
					if ref := stdlibVerify("RS256", &key.PublicKey, in, sig); (ref == nil) != (got == nil) {
						t.Errorf("Verify = %v, rsa.VerifyPKCS1v15 = %v", got, ref)
					}
				})
			}
		}
	}
}

// TestPKCS1v15EM holds the expected encoding to crypto/rsa's and to RFC
// 8017's: for every test key and hash, it is the encoded message recovered
// from a crypto/rsa signature (s^e mod n with math/big), and the one
// written out from RFC 8017 §9.2 with a DigestInfo made by encoding/asn1.
func TestPKCS1v15EM(t *testing.T) {
	in := []byte("header.payload")
	for _, key := range rsaTestKeys(t) {
		for _, alg := range Algorithms {
			h, _ := rsaHash(alg)
			var sum [sha512.Size]byte
			buf := make([]byte, key.Size())
			got, ok := pkcs1v15EM(buf, h, digest(h, in, &sum))
			if !ok {
				t.Fatalf("%d bits, %s: no encoding", key.N.BitLen(), alg)
			}
			sig := signRSA(t, key, alg, in)
			recovered := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(key.E)), key.N)
			if fromRSA := recovered.FillBytes(make([]byte, key.Size())); !bytes.Equal(got, fromRSA) {
				t.Errorf("%d bits, %s:\n got % x\nwant % x (crypto/rsa)", key.N.BitLen(), alg, got, fromRSA)
			}
			if fromRFC := encodedMessage(t, key.Size(), h, in); !bytes.Equal(got, fromRFC) {
				t.Errorf("%d bits, %s:\n got % x\nwant % x (RFC 8017)", key.N.BitLen(), alg, got, fromRFC)
			}
		}
	}
	// Too short for the encoding: RFC 8017 §9.2 step 3.
	if _, ok := pkcs1v15EM(make([]byte, 19+64+10), crypto.SHA512, make([]byte, 64)); ok {
		t.Error("an encoding with 7 bytes of padding was made")
	}
	if _, ok := pkcs1v15EM(make([]byte, 19+64+11), crypto.SHA512, make([]byte, 64)); !ok {
		t.Error("no encoding with 8 bytes of padding")
	}
}

// TestRSAKeyAllocs: with montModulus a verification allocates nothing up
// to 4096 bits; with bigmod a 2048-bit one allocates once (the result of
// s^e mod n as bytes). crypto/rsa allocates 9 times.
func TestRSAKeyAllocs(t *testing.T) {
	in := []byte("header.payload")
	for _, bits := range []int{2048, 4096} {
		key := fuzzKey(t, bits)
		sig := signRSA(t, key, "RS256", in)
		for form, rk := range rsaKeyForms(must(NewRSAKey(&key.PublicKey))) {
			want := 1.0 // bigmod's result
			switch {
			case form == "montgomery":
				want = 0 // everything on the stack up to 4096 bits
			case bits > 2048:
				continue // bigmod's scratch space is on the heap past 2048 bits
			}
			if n := testing.AllocsPerRun(20, func() {
				if err := rk.Verify("RS256", in, sig); err != nil {
					t.Fatal(err)
				}
			}); n > want {
				t.Errorf("%d bits, %s: %v allocations per verification, want at most %v", bits, form, n, want)
			}
		}
	}
}

// TestRSAKeyConcurrent: one RSAKey verifies from many goroutines at once
// (run it with -race).
func TestRSAKeyConcurrent(t *testing.T) {
	key := fuzzKey(t, 2048)
	rk := must(NewRSAKey(&key.PublicKey))
	in := []byte("header.payload")
	sigs := map[string][]byte{}
	for _, alg := range Algorithms {
		sigs[alg] = signRSA(t, key, alg, in)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				alg := Algorithms[(g+i)%len(Algorithms)]
				if err := rk.Verify(alg, in, sigs[alg]); err != nil {
					t.Error(err)
					return
				}
				if err := rk.Verify(alg, in, flip(sigs[alg], i)); !errors.Is(err, ErrSignature) {
					t.Errorf("flipped byte %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestRSAKeyFIPSMode: in FIPS 140-3 mode, Verify is rsa.VerifyPKCS1v15, so
// that the module's rules apply. GODEBUG=fips140=only refuses exponents up
// to 2^16 and keys of odd size: a signature under such keys verifies
// without it and not with it. The test runs itself in a child process with
// that setting (GODEBUG's fips140 is read once, at start-up).
func TestRSAKeyFIPSMode(t *testing.T) {
	keys := rsaTestKeys(t)
	e3, odd, usual := keys[1], keys[2], keys[0] // 2048 bits e = 3; 2049 bits; 2048 bits e = 65537
	in := []byte("header.payload")
	check := func(key *rsa.PrivateKey, wantOK bool) {
		t.Helper()
		rk, err := NewRSAKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sig := rawSign(key, encodedMessage(t, key.Size(), crypto.SHA256, in))
		if err := rk.Verify("RS256", in, sig); (err == nil) != wantOK {
			t.Errorf("%d bits, e = %d, FIPS 140 %v: Verify = %v, want ok %v", key.N.BitLen(), key.E, fips140.Enabled(), err, wantOK)
		}
	}
	if puregoBuild {
		t.Skip("FIPS 140-3 mode cannot run in a purego build")
	}
	if os.Getenv("JOSE_TEST_FIPS_CHILD") == "1" {
		if !fips140.Enabled() {
			t.Fatal("child process not in FIPS 140-3 mode")
		}
		check(usual, true)
		check(e3, false)
		check(odd, false)
		return
	}
	check(usual, true)
	check(e3, true)
	check(odd, true)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRSAKeyFIPSMode$", "-test.count=1")
	cmd.Env = append(os.Environ(), "JOSE_TEST_FIPS_CHILD=1", "GODEBUG=fips140=only")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("in FIPS 140-only mode: %v\n%s", err, out)
	}
}

// TestDigestInfoPrefixes: each prefix is the DER DigestInfo made by
// encoding/asn1, up to the digest.
func TestDigestInfoPrefixes(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		want := digestInfo(t, h, make([]byte, h.Size()))
		want = want[:len(want)-h.Size()]
		if got := digestInfoPrefixes[h]; !bytes.Equal(got, want) {
			t.Errorf("%v: % x, want % x", h, got, want)
		}
	}
	if len(digestInfoPrefixes) != len(Algorithms) {
		t.Errorf("%d prefixes for %d algorithms", len(digestInfoPrefixes), len(Algorithms))
	}
}
