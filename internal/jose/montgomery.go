package jose

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// montModulus is an RSA modulus prepared for Montgomery arithmetic with
// this package's own multiplication and squaring (montgomery_amd64.s),
// which RSAKey uses instead of filippo.io/bigmod where the processor has
// the instructions they need (haveMontgomery).
//
// Why not bigmod: its Montgomery multiplication is the only operation it
// offers, and a verification with e = 65537 is 16 squarings and 2
// multiplications. Squaring an n-limb number needs n(n+1)/2 limb products
// where a multiplication needs n², so with the n² of the reduction a
// squaring costs about 1.5n² products against bigmod's 2n²: a quarter less
// work for the squarings, which are nearly all of it.
//
// Everything here is variable-time, as bigmod's ExpShortVarTime (the call
// crypto/rsa makes to verify) is: the inputs are the key, the signature
// and the signed bytes, all of them public.
//
// The representation is little-endian limbs of bits.UintSize bits; n is
// the number of limbs of the modulus and R = 2^(n·bits.UintSize).
type montModulus struct {
	m     []uint // the modulus
	m0inv uint   // -m⁻¹ mod 2^bits.UintSize
	e     uint   // the exponent exp raises to
	fix   []uint // R^(j+1) mod m, for the j of e (see exp)
}

// newMontModulus prepares n, which must be odd and above 1, for raising
// to e ≥ 2 (NewRSAKey checks all three first).
func newMontModulus(n *big.Int, e uint) *montModulus {
	m := toLimbs(n, len(n.Bits()))
	// Newton's iteration for m[0]⁻¹ mod 2^W: inv is right in the low 1
	// bit (m[0] is odd), and each step doubles the bits that are right.
	inv := uint(1)
	for range 6 {
		inv *= 2 - m[0]*inv
	}
	mm := &montModulus{m: m, m0inv: -inv, e: e}
	// fix = R^(j+1) mod m with the modulus's own products, about a third
	// of the time of math/big's Exp: rr = R² mod m is R in the Montgomery
	// domain (a·R stands for a), where mul multiplies what its operands
	// stand for; raise it to j+1 there, then reduce it out of the domain.
	rr := new(big.Int).Lsh(big.NewInt(1), uint(2*len(m)*bits.UintSize))
	rr.Mod(rr, n)
	r := toLimbs(rr, len(m))
	acc, t := make([]uint, len(m)), make([]uint, 2*len(m))
	mm.pow(acc, r, rExponent(uint64(e))+1, t)
	clear(t)
	copy(t, acc)
	mm.reduce(acc, t)
	mm.fix = acc
	return mm
}

// toLimbs is x, which must fit, as n limbs.
func toLimbs(x *big.Int, n int) []uint {
	z := make([]uint, n)
	for i, w := range x.Bits() {
		z[i] = uint(w)
	}
	return z
}

// rExponent is the j for which pow leaves x^e·R^-j: each squaring of
// a·R^-i gives a²·R^-(2i+1), each multiplication by x adds 1.
func rExponent(e uint64) uint64 {
	var j uint64
	for i := bits.Len64(e) - 2; i >= 0; i-- {
		j = 2*j + 1
		if e>>uint(i)&1 == 1 {
			j++
		}
	}
	return j
}

// stackLimbs is the largest modulus, in limbs, whose scratch space
// expEncoded keeps on the stack: 4096 bits.
const stackLimbs = 4096 / bits.UintSize

// expEncoded writes sig^e mod m into em as a big-endian number of the
// modulus size, for sig a big-endian number of that size (RSAVP1 of RFC
// 8017 §5.2.2, with I2OSP). It returns false, and leaves em alone, when
// sig is not below m. len(sig) and len(em) must be the modulus size.
func (m *montModulus) expEncoded(em, sig []byte) bool {
	n := len(m.m)
	var stack [4 * stackLimbs]uint
	var scratch []uint
	if n <= stackLimbs {
		scratch = stack[:4*n]
	} else {
		scratch = make([]uint, 4*n)
	}
	s, acc, t := scratch[:n], scratch[n:2*n], scratch[2*n:4*n]
	bytesToLimbs(s, sig)
	if !less(s, m.m) {
		return false
	}
	m.exp(acc, s, t)
	limbsToBytes(em, acc)
	return true
}

// exp sets out to x^e mod m, for x < m, by left-to-right
// square-and-multiply over the bits of e with Montgomery products. x is
// not moved into the Montgomery domain first (a multiplication by R² mod
// m) nor the result out of it at the end (a reduction): each product
// multiplies by R⁻¹, pow leaves x^e·R^-j for the j of e (rExponent),
// and one last product with fix = R^(j+1) mod m gives x^e. That is one
// multiplication instead of a multiplication and a reduction. t is
// scratch space of 2n limbs; out must not be x.
func (m *montModulus) exp(out, x, t []uint) {
	m.pow(out, x, uint64(m.e), t)
	m.mul(out, out, m.fix, t)
}

// pow sets out to the Montgomery power of x: left-to-right
// square-and-multiply over the bits of k ≥ 1 with Montgomery products, so
// that out = x^k·R^-j for the j of k (rExponent). t is scratch space of 2n
// limbs; out must not be x.
func (m *montModulus) pow(out, x []uint, k uint64, t []uint) {
	copy(out, x)
	for i := bits.Len64(k) - 2; i >= 0; i-- {
		m.sqr(out, out, t)
		if k>>uint(i)&1 == 1 {
			m.mul(out, out, x, t)
		}
	}
}

// mul sets out to a·b·R⁻¹ mod m, for a, b < m; out may be a or b.
func (m *montModulus) mul(out, a, b, t []uint) {
	clear(t)
	mulRows(t, a, b)
	m.reduce(out, t)
}

// sqr sets out to a²·R⁻¹ mod m, for a < m; out may be a.
func (m *montModulus) sqr(out, a, t []uint) {
	clear(t)
	sqrRows(t, a)
	m.reduce(out, t)
}

// reduce sets out to t·R⁻¹ mod m, for t < m·R, of 2n limbs (Montgomery
// reduction; t is overwritten). Before the final subtraction the value is
// below 2m (t/R + m), so one subtraction of m brings it below m.
func (m *montModulus) reduce(out, t []uint) {
	n := len(m.m)
	c := redc(t, m.m, m.m0inv)
	r := t[n : 2*n]
	if c != 0 || !less(r, m.m) {
		var b uint
		for i := range r {
			r[i], b = bits.Sub(r[i], m.m[i], b)
		}
	}
	copy(out, r)
}

// less reports whether a < b, both of len(b) limbs.
func less(a, b []uint) bool {
	for i := len(b) - 1; i >= 0; i-- {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// bytesToLimbs sets z to the big-endian number b, which must fit in z.
func bytesToLimbs(z []uint, b []byte) {
	clear(z)
	const s = bits.UintSize / 8
	i := 0
	for ; len(b) >= s; i++ {
		z[i] = getLimb(b[len(b)-s:])
		b = b[:len(b)-s]
	}
	for j := len(b) - 1; j >= 0; j-- {
		z[i] |= uint(b[j]) << (8 * uint(len(b)-1-j))
	}
}

// limbsToBytes writes z into b as a big-endian number of len(b) bytes; z
// must fit in them.
func limbsToBytes(b []byte, z []uint) {
	const s = bits.UintSize / 8
	i := 0
	for ; len(b) >= s; i++ {
		putLimb(b[len(b)-s:], z[i])
		b = b[:len(b)-s]
	}
	for j := len(b) - 1; j >= 0; j-- {
		b[j] = byte(z[i] >> (8 * uint(len(b)-1-j)))
	}
}

func getLimb(b []byte) uint {
	if bits.UintSize == 64 {
		return uint(binary.BigEndian.Uint64(b))
	}
	return uint(binary.BigEndian.Uint32(b))
}

func putLimb(b []byte, v uint) {
	if bits.UintSize == 64 {
		binary.BigEndian.PutUint64(b, uint64(v))
		return
	}
	binary.BigEndian.PutUint32(b, uint32(v))
}

// The generic forms of the three primitives the assembly implements, in
// Go: the reference FuzzMontgomery (montgomery_test.go) holds the assembly
// to, and the implementation where there is no assembly.

// addMulGeneric adds x·y to z (of len(z) limbs) and returns the carry limb.
func addMulGeneric(z, x []uint, y uint) (c uint) {
	x = x[:len(z)]
	for i := range z {
		hi, lo := bits.Mul(x[i], y)
		lo, cc := bits.Add(lo, z[i], 0)
		hi += cc
		lo, cc = bits.Add(lo, c, 0)
		hi += cc
		z[i], c = lo, hi
	}
	return c
}

// mulRowsGeneric adds x·y to t, for t of 2n limbs whose top n are zero
// (mulRows).
func mulRowsGeneric(t, x, y []uint) {
	n := len(x)
	for i := range n {
		t[i+n] = addMulGeneric(t[i:i+n], x, y[i])
	}
}

// sqrRowsGeneric sets t, which must be 2n zero limbs, to x² (sqrRows): the
// products x[i]·x[j] for i < j once, doubled, then the squares x[i]² on the
// diagonal.
func sqrRowsGeneric(t, x []uint) {
	n := len(x)
	for i := range n - 1 {
		t[i+n] = addMulGeneric(t[2*i+1:i+n], x[i+1:], x[i])
	}
	var top uint
	for i := range t[:2*n] {
		w := t[i]
		t[i] = w<<1 | top
		top = w >> (bits.UintSize - 1)
	}
	var c uint
	for i := range n {
		hi, lo := bits.Mul(x[i], x[i])
		t[2*i], c = bits.Add(t[2*i], lo, c)
		t[2*i+1], c = bits.Add(t[2*i+1], hi, c)
	}
}

// redcGeneric is the word-by-word Montgomery reduction of t (2n limbs) by
// m: for each i, t += (t[i]·m0inv mod 2^W)·m·2^(W·i), which clears t[i];
// the carries out of t[i+n] are added in at the next row. It returns the
// carry out of the top limb: t·R⁻¹ mod m (below 2m) is that carry
// followed by t[n:] (redc).
func redcGeneric(t, m []uint, m0inv uint) (c uint) {
	n := len(m)
	for i := range n {
		c1 := addMulGeneric(t[i:i+n], m, t[i]*m0inv)
		t[i+n], c = bits.Add(t[i+n], c1, c)
	}
	return c
}
