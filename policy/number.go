package policy

import "cmp"

// decimal is a JSON number, exactly: conditions compare numbers by value
// (1, 1.0 and 1e0 are equal; 9007199254740993 is not 9007199254740992, as
// it would be in a float64), never by rounding them to a float64.
//
// A non-zero decimal is ±0.D × 10^adj, where D is the significant digits
// d1 followed by d2 (both sub-slices of the number's text: the digits
// before and after its decimal point, without leading zeros of the whole
// and trailing zeros of the whole), so nothing is allocated to read a
// number from a token. Zero has no digits, whatever its sign.
type decimal struct {
	neg    bool
	d1, d2 []byte
	adj    int64
}

// maxExponent is where a token number's exponent saturates. Tokens are a
// few KiB, so no number has more digits than that; a policy number's
// exponent is bounded far below (maxPolicyExponent), so comparing a
// saturated token number with a policy number still gives the exact
// answer.
const maxExponent = 1 << 40

// maxPolicyExponent bounds the exponent of a number in a policy.
const maxPolicyExponent = 1 << 20

// parseDecimal reads s, which must be a number in JSON's grammar
// (RFC 8259 section 6: an optional minus, no leading zeros, an optional
// fraction and exponent), and reports whether it was one.
func parseDecimal(s []byte) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && s[i] == '-' {
		d.neg = true
		i++
	}
	intStart := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return decimal{}, false
	}
	intPart := s[intStart:i]
	var frac []byte
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return decimal{}, false
		}
		frac = s[start:i]
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negExp := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			negExp = s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExponent {
				exp = exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if i == start {
			return decimal{}, false
		}
		exp = min(exp, maxExponent)
		if negExp {
			exp = -exp
		}
	}
	if i != len(s) {
		return decimal{}, false
	}
	if len(intPart) == 1 && intPart[0] == '0' {
		intPart = nil
	}
	if len(intPart) > 0 {
		d.adj = int64(len(intPart)) + exp
	} else {
		z := 0
		for z < len(frac) && frac[z] == '0' {
			z++
		}
		frac = frac[z:]
		d.adj = exp - int64(z)
	}
	// Trailing zeros of the whole carry no value.
	frac = trimZeros(frac)
	if len(frac) == 0 {
		intPart = trimZeros(intPart)
	}
	d.d1, d.d2 = intPart, frac
	if len(d.d1)+len(d.d2) == 0 {
		return decimal{}, true // zero, and -0 is zero
	}
	return d, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// trimZeros returns b without its trailing '0's.
func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	return b
}

// isZero reports whether d is zero.
func (d *decimal) isZero() bool { return len(d.d1)+len(d.d2) == 0 }

// sign returns -1, 0 or 1.
func (d *decimal) sign() int {
	switch {
	case d.isZero():
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// digit returns the i'th significant digit, or '0' past the last.
func (d *decimal) digit(i int) byte {
	switch {
	case i < len(d.d1):
		return d.d1[i]
	case i-len(d.d1) < len(d.d2):
		return d.d2[i-len(d.d1)]
	}
	return '0'
}

// cmpDecimal returns -1, 0 or 1 as a is less than, equal to or greater
// than b.
func cmpDecimal(a, b *decimal) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb || sa == 0 {
		return cmp.Compare(sa, sb)
	}
	c := 0
	switch {
	case a.adj != b.adj:
		c = cmp.Compare(a.adj, b.adj)
	default:
		n := max(len(a.d1)+len(a.d2), len(b.d1)+len(b.d2))
		for i := 0; i < n && c == 0; i++ {
			c = cmp.Compare(a.digit(i), b.digit(i))
		}
	}
	return c * sa
}
