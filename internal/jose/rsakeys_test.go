package jose

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The RSA keys of testdata/rsa are test keys of 2048 to 4096 bits, odd
// sizes and small and large public exponents among them, for the
// differential tests of RSAKey against crypto/rsa. They are files because
// making them takes seconds (a 4096-bit key alone takes 3 to 30 s on a
// loaded machine) and crypto/rsa no longer takes a deterministic source of
// randomness. They sign nothing outside this package's tests.
//
// go test ./internal/jose -run TestRSATestKeys -generate-rsa-keys writes
// them afresh.
var generateRSAKeys = flag.Bool("generate-rsa-keys", false, "write the RSA test keys of testdata/rsa afresh")

// rsaTestKeySpecs are the keys testdata/rsa holds: modulus size and public
// exponent.
var rsaTestKeySpecs = []struct{ bits, e int }{
	{2048, 65537},
	{2048, 3},
	{2049, 65537},
	{2050, 3},
	{2056, 1<<31 - 1},
	{3071, 65537},
	{3072, 65537},
	{3072, 17},
	{4095, 65537},
	{4096, 65537},
	{4096, 3},
}

func rsaTestKeyFile(bits, e int) string {
	return filepath.Join("testdata", "rsa", fmt.Sprintf("%d-e%d.pem", bits, e))
}

var (
	rsaTestKeysOnce sync.Once
	rsaTestKeysList []*rsa.PrivateKey
	rsaTestKeysErr  error
)

// rsaTestKeys returns the keys of testdata/rsa, in rsaTestKeySpecs order.
func rsaTestKeys(tb testing.TB) []*rsa.PrivateKey {
	tb.Helper()
	rsaTestKeysOnce.Do(func() {
		for _, s := range rsaTestKeySpecs {
			k, err := readRSATestKey(rsaTestKeyFile(s.bits, s.e))
			if err != nil {
				rsaTestKeysErr = err
				return
			}
			rsaTestKeysList = append(rsaTestKeysList, k)
		}
	})
	if rsaTestKeysErr != nil {
		tb.Fatal(rsaTestKeysErr)
	}
	return rsaTestKeysList
}

// fuzzKey returns the test key of the given size with exponent 65537.
func fuzzKey(tb testing.TB, bits int) *rsa.PrivateKey {
	tb.Helper()
	for _, k := range rsaTestKeys(tb) {
		if k.N.BitLen() == bits && k.E == 65537 {
			return k
		}
	}
	tb.Fatalf("no %d-bit test key with e = 65537", bits)
	return nil
}

func readRSATestKey(name string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PRIVATE KEY block", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: %T, not an RSA key", name, k)
	}
	return rk, nil
}

// TestRSATestKeys checks that each key file holds the key its name says: a
// valid private key of that size and exponent, whose signatures verify.
// With -generate-rsa-keys it writes the files first.
func TestRSATestKeys(t *testing.T) {
	if *generateRSAKeys {
		for _, s := range rsaTestKeySpecs {
			writeRSATestKey(t, s.bits, s.e)
		}
	}
	keys := rsaTestKeys(t)
	in := []byte("header.payload")
	for i, s := range rsaTestKeySpecs {
		k := keys[i]
		if k.N.BitLen() != s.bits || k.E != s.e {
			t.Errorf("%s: %d bits, e = %d", rsaTestKeyFile(s.bits, s.e), k.N.BitLen(), k.E)
		}
		if err := k.Validate(); err != nil {
			t.Errorf("%s: %v", rsaTestKeyFile(s.bits, s.e), err)
		}
		if err := Verify("RS256", &k.PublicKey, in, signRSA(t, k, "RS256", in)); err != nil {
			t.Errorf("%s: own signature: %v", rsaTestKeyFile(s.bits, s.e), err)
		}
	}
}

// writeRSATestKey makes an RSA key of exactly bits bits with exponent e
// from two random primes, and writes it as PKCS #8.
func writeRSATestKey(t *testing.T, bits, e int) {
	t.Helper()
	var key *rsa.PrivateKey
	for key == nil {
		p, err := rand.Prime(rand.Reader, (bits+1)/2)
		if err != nil {
			t.Fatal(err)
		}
		q, err := rand.Prime(rand.Reader, bits/2)
		if err != nil {
			t.Fatal(err)
		}
		n := new(big.Int).Mul(p, q)
		one := big.NewInt(1)
		p1, q1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		// λ(n) = lcm(p-1, q-1); e must be invertible modulo it.
		lambda := new(big.Int).Div(new(big.Int).Mul(p1, q1), new(big.Int).GCD(nil, nil, p1, q1))
		d := new(big.Int).ModInverse(big.NewInt(int64(e)), lambda)
		if p.Cmp(q) == 0 || n.BitLen() != bits || d == nil {
			continue
		}
		key = &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: e}, D: d, Primes: []*big.Int{p, q}}
		key.Precompute()
		if err := key.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	name := rsaTestKeyFile(bits, e)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
