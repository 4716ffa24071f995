//go:build !amd64 || purego

package jose

// haveMontgomery is false where there is no assembly for montModulus:
// RSAKey verifies with bigmod, whose assembly covers more platforms.
const haveMontgomery = false

func mulRows(t, x, y []uint) { mulRowsGeneric(t, x, y) }

func sqrRows(t, x []uint) { sqrRowsGeneric(t, x) }

func redc(t, m []uint, m0inv uint) uint { return redcGeneric(t, m, m0inv) }
