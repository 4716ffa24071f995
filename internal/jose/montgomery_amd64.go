//go:build amd64 && !purego

package jose

import "golang.org/x/sys/cpu"

// haveMontgomery reports whether montgomery_amd64.s can run here: it needs
// MULX (BMI2) and ADCX/ADOX (ADX), as bigmod's fastest amd64 code does.
// Without them RSAKey verifies with bigmod.
var haveMontgomery = cpu.X86.HasADX && cpu.X86.HasBMI2

// The wrappers check every length the assembly relies on (a short slice
// panics here, not in the assembly, which does no bounds checks).

// mulRows adds x·y to t: t has 2n limbs, the top n of them zero, and x and
// y have n.
func mulRows(t, x, y []uint) {
	n := len(x)
	_, _ = t[2*n-1], y[n-1]
	mulRowsADX(&t[0], &x[0], &y[0], n)
}

// sqrRows sets t, 2n zero limbs, to x², for x of n limbs.
func sqrRows(t, x []uint) {
	n := len(x)
	_ = t[2*n-1]
	sqrRowsADX(&t[0], &x[0], n)
}

// redc reduces t, of 2n limbs, by m, of n (see redcGeneric).
func redc(t, m []uint, m0inv uint) uint {
	n := len(m)
	_ = t[2*n-1]
	return redcADX(&t[0], &m[0], n, m0inv)
}

//go:noescape
func mulRowsADX(t, x, y *uint, n int)

//go:noescape
func sqrRowsADX(t, x *uint, n int)

//go:noescape
func redcADX(t, m *uint, n int, m0inv uint) (c uint)
