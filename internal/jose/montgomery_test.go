package jose

import (
	"crypto/rand"
	"math/big"
	"math/bits"
	"testing"
)

// fromLimbs is the number z, for comparing with math/big.
func fromLimbs(z []uint) *big.Int {
	w := make([]big.Word, len(z))
	for i, l := range z {
		w[i] = big.Word(l)
	}
	return new(big.Int).SetBits(w)
}

// edgeModuli are odd moduli of 1 to 70 limbs whose limbs make the most
// carries — all ones (R - 1), a top bit only (R/2 + 1), all ones but the
// lowest limb — and a random one of a full top limb for each length, so
// that every length mod 8 of the assembly's inner loop is met.
func edgeModuli(t testing.TB) []*big.Int {
	var ms []*big.Int
	one := big.NewInt(1)
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 70} {
		w := uint(n * bits.UintSize)
		r := new(big.Int).Lsh(one, w)
		ms = append(ms,
			new(big.Int).Sub(r, one),                      // R - 1
			new(big.Int).Add(new(big.Int).Rsh(r, 1), one), // R/2 + 1
		)
		if n > 1 {
			v := new(big.Int).Sub(r, new(big.Int).Lsh(one, bits.UintSize))
			ms = append(ms, v.Add(v, one)) // R - 2^W + 1: all ones but the lowest limb, which is 1
		}
		x, err := rand.Int(rand.Reader, new(big.Int).Rsh(r, 1))
		if err != nil {
			t.Fatal(err)
		}
		x.Add(x, new(big.Int).Rsh(r, 1)).SetBit(x, 0, 1)
		ms = append(ms, x)
	}
	return ms
}

// edgeValues are numbers below m that make many carries, and some random
// ones.
func edgeValues(t testing.TB, m *big.Int) []*big.Int {
	one := big.NewInt(1)
	vs := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2),
		new(big.Int).Sub(m, one), new(big.Int).Sub(m, big.NewInt(2)),
		new(big.Int).Rsh(m, 1),
		new(big.Int).Sub(new(big.Int).Lsh(one, uint(m.BitLen()-1)), one), // all ones below m's top bit
	}
	for range 4 {
		x, err := rand.Int(rand.Reader, m)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, x)
	}
	return vs
}

// TestMontgomeryExp: exp agrees with math/big's Exp for moduli of the RSA
// test keys and the edge moduli, for edge and random bases, and for the
// exponents RSA keys use.
func TestMontgomeryExp(t *testing.T) {
	moduli := edgeModuli(t)
	for _, k := range rsaTestKeys(t) {
		moduli = append(moduli, k.N)
	}
	for _, m := range moduli {
		for _, e := range []uint{2, 3, 17, 65537, 1<<31 - 1, 0x5a5a5a5b} {
			mm := newMontModulus(m, e)
			n := len(mm.m)
			if mm.m[0]*-mm.m0inv != 1 {
				t.Fatalf("%d-bit modulus: m0inv is not -m⁻¹", m.BitLen())
			}
			for _, x := range edgeValues(t, m) {
				out, tt := make([]uint, n), make([]uint, 2*n)
				mm.exp(out, toLimbs(x, n), tt)
				want := new(big.Int).Exp(x, new(big.Int).SetUint64(uint64(e)), m)
				if got := fromLimbs(out); got.Cmp(want) != 0 {
					t.Fatalf("%d-bit modulus %x: %x^%d = %x, want %x", m.BitLen(), m, x, e, got, want)
				}
			}
		}
	}
}

// TestMontgomeryExpEncoded: the byte forms, and refusing s ≥ m, for sizes
// that are not a whole number of limbs.
func TestMontgomeryExpEncoded(t *testing.T) {
	for _, k := range rsaTestKeys(t) {
		m := k.N
		mm := newMontModulus(m, uint(k.E))
		size := (m.BitLen() + 7) / 8
		for _, s := range append(edgeValues(t, m), m, new(big.Int).Add(m, big.NewInt(1)), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(8*size)), big.NewInt(1))) {
			sig := s.FillBytes(make([]byte, size))
			em := make([]byte, size)
			ok := mm.expEncoded(em, sig)
			if s.Cmp(m) >= 0 {
				if ok {
					t.Errorf("%d bits: s ≥ m accepted", m.BitLen())
				}
				continue
			}
			want := new(big.Int).Exp(s, big.NewInt(int64(k.E)), m).FillBytes(make([]byte, size))
			if !ok || string(em) != string(want) {
				t.Errorf("%d bits, e = %d: s^e = %x (ok %v), want %x", m.BitLen(), k.E, em, ok, want)
			}
		}
	}
}

// TestLimbBytes: bytesToLimbs and limbsToBytes are math/big's SetBytes and
// FillBytes, for every length from 0 to 3 limbs and more.
func TestLimbBytes(t *testing.T) {
	for size := range 3*bits.UintSize/8 + 2 {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(0xf1 - 7*i)
		}
		n := (size*8 + bits.UintSize - 1) / bits.UintSize
		z := make([]uint, n)
		for i := range z {
			z[i] = ^uint(0) // bytesToLimbs must clear it
		}
		bytesToLimbs(z, b)
		if got, want := fromLimbs(z), new(big.Int).SetBytes(b); got.Cmp(want) != 0 {
			t.Errorf("%d bytes: limbs %x, want %x", size, got, want)
		}
		out := make([]byte, size)
		limbsToBytes(out, z)
		if string(out) != string(b) {
			t.Errorf("%d bytes: bytes %x, want %x", size, out, b)
		}
	}
}

// FuzzMontgomery holds the three primitives (the assembly on amd64) to
// their Go forms and to math/big, on any odd modulus of 1 to 70 limbs and
// any a, b below it: mulRows is a·b, sqrRows a², and reduce of either is
// the product times R⁻¹ mod m. The seeds are the edge moduli with edge
// values.
func FuzzMontgomery(f *testing.F) {
	for _, m := range edgeModuli(f) {
		vs := edgeValues(f, m)
		f.Add(m.Bytes(), vs[3].Bytes(), vs[len(vs)-1].Bytes())
		f.Add(m.Bytes(), vs[6].Bytes(), vs[3].Bytes())
	}
	f.Fuzz(func(t *testing.T, mb, ab, bb []byte) {
		m := new(big.Int).SetBytes(mb)
		if m.Sign() == 0 || m.BitLen() > 70*bits.UintSize {
			return
		}
		m.SetBit(m, 0, 1)
		if m.Cmp(big.NewInt(1)) == 0 {
			return
		}
		a := new(big.Int).Mod(new(big.Int).SetBytes(ab), m)
		b := new(big.Int).Mod(new(big.Int).SetBytes(bb), m)
		mm := newMontModulus(m, 65537)
		n := len(mm.m)
		al, bl := toLimbs(a, n), toLimbs(b, n)
		rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(n*bits.UintSize)), m)

		check := func(what string, prod *big.Int, fast, slow func(t []uint)) {
			t.Helper()
			t1, t2 := make([]uint, 2*n), make([]uint, 2*n)
			fast(t1)
			slow(t2)
			if got := fromLimbs(t1); got.Cmp(prod) != 0 {
				t.Fatalf("%s, %d-bit m %x: %x, want %x", what, m.BitLen(), m, got, prod)
			}
			if got := fromLimbs(t2); got.Cmp(prod) != 0 {
				t.Fatalf("%s (Go form), %d-bit m %x: %x, want %x", what, m.BitLen(), m, got, prod)
			}
			c1, c2 := redc(t1, mm.m, mm.m0inv), redcGeneric(t2, mm.m, mm.m0inv)
			if c1 != c2 || fromLimbs(t1).Cmp(fromLimbs(t2)) != 0 {
				t.Fatalf("%s, %d-bit m %x: redc (%d, %x) and its Go form (%d, %x) differ", what, m.BitLen(), m, c1, t1, c2, t2)
			}
			out := make([]uint, n)
			mm.reduce(out, fromLimbsCopy(t, prod, n))
			want := new(big.Int).Mul(prod, rInv)
			want.Mod(want, m)
			if got := fromLimbs(out); got.Cmp(want) != 0 {
				t.Fatalf("%s, %d-bit m %x: ·R⁻¹ = %x, want %x", what, m.BitLen(), m, got, want)
			}
		}
		check("a·b", new(big.Int).Mul(a, b),
			func(tt []uint) { mulRows(tt, al, bl) }, func(tt []uint) { mulRowsGeneric(tt, al, bl) })
		check("a²", new(big.Int).Mul(a, a),
			func(tt []uint) { sqrRows(tt, al) }, func(tt []uint) { sqrRowsGeneric(tt, al) })
	})
}

// fromLimbsCopy is prod as 2n limbs.
func fromLimbsCopy(t *testing.T, prod *big.Int, n int) []uint {
	t.Helper()
	if prod.BitLen() > 2*n*bits.UintSize {
		t.Fatalf("product of %d bits does not fit %d limbs", prod.BitLen(), 2*n)
	}
	return toLimbs(prod, 2*n)
}
