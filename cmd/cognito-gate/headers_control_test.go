package main

import (
	"strings"
	"testing"
	"unicode"
)

// TestHasControl: every kind of control character is found wherever it
// is, in ASCII and after other runes; nothing else is.
func TestHasControl(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"", false},
		{"alice", false},
		{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", false},
		{"a b~", false},
		{"\x00", true},
		{"a\tb", true},
		{"a\r\nb", true},
		{"a\x1f", true},
		{"a\x7f", true},
		{"José", false},
		{"José\n", true},
		{"Jos\u0085e", true}, // NEL, a C1 control
		{"é\u009f", true},
		{"\u00a0", false}, // no-break space: not a control
		{"\u2028", false}, // line separator: not a control (Zl)
		{"\xff\xfe", false},
		{"\xc2", false},        // a lone lead byte: U+FFFD
		{"\xc2\x85", true},     // NEL encoded
		{"\xff\xc2\x85", true}, // NEL after an invalid byte
	} {
		if got := hasControl(tt.s); got != tt.want {
			t.Errorf("hasControl(%q) = %v, want %v", tt.s, got, tt.want)
		}
		if got := strings.ContainsFunc(tt.s, unicode.IsControl); got != tt.want {
			t.Errorf("the table is wrong about %q: ContainsFunc says %v", tt.s, got)
		}
	}
}

// FuzzHasControl holds hasControl to strings.ContainsFunc(s,
// unicode.IsControl), which it replaced.
func FuzzHasControl(f *testing.F) {
	for _, s := range []string{"alice", "a\tb", "José\n", "\xff\xc2\x85", "\u00a0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasControl(s), strings.ContainsFunc(s, unicode.IsControl); got != want {
			t.Fatalf("hasControl(%q) = %v, ContainsFunc says %v", s, got, want)
		}
	})
}
