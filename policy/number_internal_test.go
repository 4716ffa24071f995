package policy

import (
	"math/big"
	"regexp"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"1", true}, {"-1", true}, {"10", true}, {"1.5", true}, {"0.05", true},
		{"1e3", true}, {"1E3", true}, {"1e+3", true}, {"1e-3", true}, {"-0.0e-0", true},
		{"123456789012345678901234567890", true}, {"1e99999999999999999999999999", true},
		{"", false}, {"-", false}, {"+1", false}, {"01", false}, {"-01", false}, {"1.", false}, {".5", false},
		{"1e", false}, {"1e+", false}, {"0x10", false}, {"1_000", false}, {"NaN", false}, {"Infinity", false},
		{"1 ", false}, {" 1", false}, {"1.5.5", false}, {"--1", false}, {"1ee3", false}, {"١", false},
	} {
		if _, ok := parseDecimal([]byte(tc.in)); ok != tc.ok {
			t.Errorf("parseDecimal(%q) ok = %v; want %v", tc.in, ok, tc.ok)
		}
	}
}

func TestCmpDecimal(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"0", "-0", 0}, {"0", "0.000e5", 0}, {"1", "1.0", 0}, {"1", "1e0", 0}, {"100", "1e2", 0}, {"100", "10000e-2", 0},
		{"0.1", "1e-1", 0}, {"-5", "-5.000", 0}, {"1", "2", -1}, {"2", "1", 1}, {"-1", "1", -1}, {"-2", "-1", -1},
		{"0", "1e-999999", -1}, {"-1e-999999", "0", -1}, {"0.5", "0.45", 1}, {"0.45", "0.5", -1},
		{"9007199254740993", "9007199254740992", 1}, {"1.0000000000000000000001", "1", 1},
		{"1e99999999999999999999", "1e1000", 1}, {"-1e99999999999999999999", "-1e1000", -1},
		{"12", "1.2e1", 0}, {"12.5", "125e-1", 0}, {"10", "9.99999999999999999999", 1},
	} {
		a, okA := parseDecimal([]byte(tc.a))
		b, okB := parseDecimal([]byte(tc.b))
		if !okA || !okB {
			t.Fatalf("parseDecimal(%q, %q)", tc.a, tc.b)
		}
		if got := cmpDecimal(&a, &b); got != tc.want {
			t.Errorf("cmp(%s, %s) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
		if got := cmpDecimal(&b, &a); got != -tc.want {
			t.Errorf("cmp(%s, %s) = %d; want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

// smallExponent matches JSON numbers whose exponent big.Rat can expand
// cheaply, for the oracle.
var smallExponent = regexp.MustCompile(`^-?[0-9.]{1,200}([eE][-+]?[0-9]{1,3})?$`)

// ratOf returns s as a big.Rat, or nil when s is not a number the oracle
// reads.
func ratOf(s string) *big.Rat {
	if !smallExponent.MatchString(s) {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	return r
}

// FuzzCmpDecimal compares parseDecimal and cmpDecimal with math/big: the
// two agree on which texts are JSON numbers (where big.Rat can read them)
// and on their order.
func FuzzCmpDecimal(f *testing.F) {
	for _, s := range [][2]string{{"0", "-0"}, {"1.5", "15e-1"}, {"9007199254740993", "9007199254740992"}, {"-1e3", "-999.9"}, {"0.001", "1e-3"}, {"1e999999", "2"}, {"01", "1"}} {
		f.Add(s[0], s[1])
	}
	jsonNumber := regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	f.Fuzz(func(t *testing.T, x, y string) {
		a, okA := parseDecimal([]byte(x))
		b, okB := parseDecimal([]byte(y))
		if okA != jsonNumber.MatchString(x) || okB != jsonNumber.MatchString(y) {
			t.Fatalf("parseDecimal(%q) = %v, (%q) = %v; the JSON grammar says %v, %v", x, okA, y, okB, jsonNumber.MatchString(x), jsonNumber.MatchString(y))
		}
		if !okA || !okB {
			return
		}
		c := cmpDecimal(&a, &b)
		if c != -cmpDecimal(&b, &a) || cmpDecimal(&a, &a) != 0 {
			t.Fatalf("cmp(%s, %s) = %d is not antisymmetric", x, y, c)
		}
		ra, rb := ratOf(x), ratOf(y)
		if ra == nil || rb == nil {
			return
		}
		if want := ra.Cmp(rb); c != want {
			t.Fatalf("cmp(%s, %s) = %d; math/big says %d", x, y, c, want)
		}
		if want := ra.Sign(); a.sign() != want {
			t.Fatalf("sign(%s) = %d; want %d", x, a.sign(), want)
		}
	})
}
