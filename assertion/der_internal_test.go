package assertion

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"testing"
)

// TestDERToES256: the r||s of crypto/ecdsa.SignASN1's signatures is what
// encoding/asn1 reads from them, for 2,000 signatures (about one in 128
// has an r or s shorter than 32 bytes, one in two a leading zero byte for
// its high bit); what is not a DER signature of two integers of at most
// 32 bytes is refused.
func TestDERToES256(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		der, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			t.Fatal(err)
		}
		var want [es256Size]byte
		rs.R.FillBytes(want[:32])
		rs.S.FillBytes(want[32:])
		var got [es256Size]byte
		if err := derToES256(der, &got); err != nil || got != want {
			t.Fatalf("derToES256(%x) = %x, %v; want %x", der, got, err, want)
		}
	}
	integer := func(n int, first byte) []byte {
		b := make([]byte, n)
		b[0] = first
		return append([]byte{2, byte(n)}, b...)
	}
	seq := func(parts ...[]byte) []byte {
		var body []byte
		for _, p := range parts {
			body = append(body, p...)
		}
		return append([]byte{0x30, byte(len(body))}, body...)
	}
	for name, der := range map[string][]byte{
		"empty":                 nil,
		"not a sequence":        append([]byte{0x31}, seq(integer(32, 1), integer(32, 1))[1:]...),
		"wrong length":          append(seq(integer(32, 1), integer(32, 1)), 0),
		"one integer":           seq(integer(32, 1)),
		"three integers":        seq(integer(32, 1), integer(32, 1), integer(1, 1)),
		"an integer too long":   seq(integer(34, 1), integer(32, 1)),
		"not an integer":        seq(append([]byte{4, 32}, make([]byte, 32)...), integer(32, 1)),
		"integer past the end":  seq([]byte{2, 40, 1, 2}),
		"33 bytes with a value": seq(integer(33, 1), integer(32, 1)),
	} {
		var sig [es256Size]byte
		if err := derToES256(der, &sig); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
