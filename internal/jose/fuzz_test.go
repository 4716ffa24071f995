package jose

import (
	"crypto"
	"errors"
	"math/big"
	"testing"
)

// FuzzParseJWK feeds arbitrary JSON to ParseJWK. It must never panic, and
// what it returns must keep the documented promises: key material only
// for public keys of the stated type, RSA keys of at least 2048 bits with
// an odd exponent of at least 3, EC points on their curve.
func FuzzParseJWK(f *testing.F) {
	k := getKeys(f)
	f.Add(rsaJWK(f, "k1", &k.rsa.PublicKey, nil))
	f.Add(rsaJWK(f, "k1", &k.rsa.PublicKey, map[string]any{"e": "Ag"}))
	f.Add(ecJWK(f, "e", "P-256", &k.ec.PublicKey, nil))
	f.Add(ecJWK(f, "e", "P-384", &k.p384.PublicKey, map[string]any{"d": "AA"}))
	f.Add([]byte(`{"kty":"oct","k":"c2VjcmV0","kid":"h"}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	f.Add([]byte(`{"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseJWK(data)
		if err != nil {
			if errors.Is(err, ErrRSAModulusTooSmall) || errors.Is(err, ErrRSAExponent) {
				if got.KeyType != "RSA" || got.RSA != nil || got.EC != nil || got.Private || got.Use != "" || got.Alg != "" {
					t.Fatalf("strength refusal %v with key %+v", err, got)
				}
			} else if got != (PublicKey{}) {
				t.Fatalf("error %v with key %+v", err, got)
			}
			return
		}
		switch {
		case got.RSA != nil && got.EC != nil:
			t.Fatalf("both RSA and EC: %+v", got)
		case got.Private && (got.RSA != nil || got.EC != nil):
			t.Fatalf("private key material handed out: %+v", got)
		case got.RSA != nil:
			checkRSA(t, got)
		case got.EC != nil:
			checkEC(t, got)
		}
	})
}

func checkRSA(t *testing.T, got PublicKey) {
	t.Helper()
	if got.KeyType != "RSA" || got.RSA.N.BitLen() < minRSABits || got.RSA.E < 3 || got.RSA.E%2 == 0 {
		t.Fatalf("RSA key %s, %d bits, e %d", got.KeyType, got.RSA.N.BitLen(), got.RSA.E)
	}
}

func checkEC(t *testing.T, got PublicKey) {
	t.Helper()
	//lint:ignore SA1019 a JWK carries the raw coordinates; the test builds and checks them
	if got.KeyType != "EC" || got.EC.Curve == nil || !got.EC.Curve.IsOnCurve(got.EC.X, got.EC.Y) {
		t.Fatalf("EC key %s off its curve", got.KeyType)
	}
}

// FuzzVerify holds the standard-library verification, and RSAKey's, to jwx
// v3's verifier on arbitrary signatures and inputs, for each supported
// algorithm: both accept or both refuse. The seeds are good signatures, so
// the fuzzer's mutations start from the accepting side.
func FuzzVerify(f *testing.F) {
	k := getKeys(f)
	algs := append(append([]string(nil), Algorithms...), ECDSAAlgorithms...)
	input := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0")
	for i, alg := range Algorithms {
		f.Add(uint8(i), input, signRSA(f, k.rsa, alg, input))
	}
	raw, der, _, _ := signES256(f, k.ec, input)
	f.Add(uint8(len(Algorithms)), input, raw)
	f.Add(uint8(len(Algorithms)), input, der)
	rk := must(NewRSAKey(&k.rsa.PublicKey))
	f.Fuzz(func(t *testing.T, which uint8, in, sig []byte) {
		alg := algs[int(which)%len(algs)]
		var pub any = &k.rsa.PublicKey
		if SupportedECDSA(alg) {
			pub = &k.ec.PublicKey
		}
		ours, theirs := seamVerify(alg, pub, in, sig), jwxVerify(t, alg, pub, in, sig)
		if (ours == nil) != (theirs == nil) {
			t.Fatalf("%s: seam %v, jwx %v", alg, ours, theirs)
		}
		if Supported(alg) {
			if prepared := rk.Verify(alg, in, sig); (prepared == nil) != (theirs == nil) {
				t.Fatalf("%s: RSAKey %v, jwx %v", alg, prepared, theirs)
			}
		}
		if ours != nil && !errors.Is(ours, ErrSignature) {
			t.Fatalf("%s: error %v is not ErrSignature", alg, ours)
		}
	})
}

// rsaFuzzHashes are the hashes FuzzRSAKeyVerify signs with: the three of
// RS256, RS384 and RS512, and others that no JOSE algorithm verifies.
var rsaFuzzHashes = []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA1, crypto.SHA224, crypto.SHA512_256}

// rsaFuzzAlgs are the algorithms FuzzRSAKeyVerify verifies as: the
// supported ones and one that is not.
var rsaFuzzAlgs = append(append([]string(nil), Algorithms...), "RS1")

// FuzzRSAKeyVerify holds RSAKey.Verify to rsa.VerifyPKCS1v15 — both
// accept or both refuse, and Verify's refusal is ErrSignature (or
// ErrUnsupportedAlg for an unknown algorithm) — on the keys of testdata/rsa
// (2048 to 4096 bits, odd sizes, e = 3, 17, 65537 and 2^31-1). mode picks
// what is verified:
//
//	0  a signature of msg, made with one hash and verified as some
//	   algorithm, with the byte at pos xor delta (delta 0: unchanged)
//	1  such a signature verified against msg with its byte at pos xor delta
//	2  such a signature cut or extended to a length pos bytes from the
//	   key's size, either way
//	3  sig, the fuzzer's bytes, left-padded or cut to the key's size when
//	   pos is even
//	4  such a signature plus pos times n (≥ n when pos > 0), or n - pos
//	5  sig as it is
//
// A signature made with the hash of the algorithm it is verified as, and
// left unchanged, must verify.
func FuzzRSAKeyVerify(f *testing.F) {
	keys := rsaTestKeys(f)
	rks, bigmods := make([]*RSAKey, len(keys)), make([]*RSAKey, len(keys))
	for i, k := range keys {
		rks[i] = must(NewRSAKey(&k.PublicKey))
		bigmods[i] = must(newRSAKey(&k.PublicKey, false)) // as where haveMontgomery is false
	}
	msg := []byte("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0")
	for i := range keys {
		for mode := range uint8(6) {
			f.Add(uint8(i), uint8(i%3)<<4|uint8(i%3), mode, uint16(i), byte(mode), msg, []byte(nil))
		}
	}
	f.Add(uint8(0), uint8(0x00), uint8(5), uint16(0), byte(0), msg, signRSA(f, keys[0], "RS256", msg))
	f.Fuzz(func(t *testing.T, which, algs, mode uint8, pos uint16, delta byte, msg, sig []byte) {
		key, rk, rkb := keys[int(which)%len(keys)], rks[int(which)%len(keys)], bigmods[int(which)%len(keys)]
		h := rsaFuzzHashes[int(algs&0x0f)%len(rsaFuzzHashes)]
		alg := rsaFuzzAlgs[int(algs>>4)%len(rsaFuzzAlgs)]
		in := msg
		switch mode % 6 {
		case 0:
			sig = signHash(t, key, h, msg)
			sig[int(pos)%len(sig)] ^= delta
		case 1:
			sig = signHash(t, key, h, msg)
			if len(msg) > 0 {
				in = append([]byte(nil), msg...)
				in[int(pos)%len(in)] ^= delta
			}
		case 2:
			sig = signHash(t, key, h, msg)
			d := int(pos%64) + 1
			if delta&1 == 0 {
				sig = sig[:len(sig)-d]
			} else {
				sig = append(make([]byte, d), sig...)
			}
		case 3:
			if pos%2 == 0 {
				sized := make([]byte, key.Size())
				if len(sig) > len(sized) {
					sig = sig[len(sig)-len(sized):]
				}
				copy(sized[len(sized)-len(sig):], sig)
				sig = sized
			}
		case 4:
			s := new(big.Int).SetBytes(signHash(t, key, h, msg))
			if delta&1 == 0 {
				s.Add(s, new(big.Int).Mul(key.N, big.NewInt(int64(pos%4))))
			} else {
				s.Sub(key.N, big.NewInt(int64(pos)))
			}
			sig = s.FillBytes(make([]byte, max(key.Size(), (s.BitLen()+7)/8)))
		}
		ours := rk.Verify(alg, in, sig)
		theirs := stdlibVerify(alg, &key.PublicKey, in, sig)
		if (ours == nil) != (theirs == nil) {
			t.Fatalf("%d bits, e = %d, %v signature as %s, mode %d: RSAKey %v, crypto/rsa %v", key.N.BitLen(), key.E, h, alg, mode%6, ours, theirs)
		}
		viaBigmod := rkb.Verify(alg, in, sig)
		if (viaBigmod == nil) != (theirs == nil) {
			t.Fatalf("%d bits, e = %d, %v signature as %s, mode %d: RSAKey with bigmod %v, crypto/rsa %v", key.N.BitLen(), key.E, h, alg, mode%6, viaBigmod, theirs)
		}
		for _, err := range []error{ours, viaBigmod} {
			if err != nil && !errors.Is(err, ErrSignature) && !(errors.Is(err, ErrUnsupportedAlg) && !Supported(alg)) {
				t.Fatalf("%s: error %v", alg, err)
			}
		}
		if wantH, ok := rsaHash(alg); ok && wantH == h && ((mode%6 == 0 || mode%6 == 1) && delta == 0) && ours != nil {
			t.Fatalf("%d bits, e = %d: a good %s signature refused: %v", key.N.BitLen(), key.E, alg, ours)
		}
	})
}
