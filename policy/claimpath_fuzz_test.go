package policy_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/policy"
)

// FuzzClaimPath checks the claim path parser on any text: it never
// panics; it refuses with a *ClaimPathError whose offset is inside the
// text; what it accepts it writes in a canonical form that reads back as
// the same path, is its own canonical form, and is valid UTF-8 without
// line breaks.
func FuzzClaimPath(f *testing.F) {
	for _, s := range []string{
		"sub", "tenant.id", "a[0].b", `["custom:org.unit"]`, `["custom:org"].unit`, `tenant["a.b"][3]`,
		`["\u0074ab"]`, `["line\u2028sep"]`, `["\ud83d\ude00"]`, "custom:org.unit", "a..b", "a[01]", `a["b`,
		"[0]", "a b", "ünï.名前", `["a\"b\\c"]`, "a[65535]", strings.Repeat("a.", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := policy.ParseClaimPath(s)
		if err != nil {
			var pe *policy.ClaimPathError
			if !errors.As(err, &pe) || !errors.Is(err, policy.ErrBadClaimPath) {
				t.Fatalf("ParseClaimPath(%q) = %v; want a *ClaimPathError", s, err)
			}
			if pe.Offset < 0 || pe.Offset > len(s) || pe.Reason == "" || pe.Path != s {
				t.Fatalf("ParseClaimPath(%q): %+v", s, pe)
			}
			return
		}
		c := p.String()
		if c == "" || p.Claim() == "" || !utf8.ValidString(c) || strings.ContainsAny(c, "\n\r\u2028\u2029") {
			t.Fatalf("ParseClaimPath(%q).String() = %q, Claim %q", s, c, p.Claim())
		}
		q, err := policy.ParseClaimPath(c)
		if err != nil {
			t.Fatalf("the canonical form %q of %q does not parse: %v", c, s, err)
		}
		if q.String() != c || q.Claim() != p.Claim() || q.Nested() != p.Nested() {
			t.Fatalf("%q → %q → %q", s, c, q.String())
		}
	})
}
