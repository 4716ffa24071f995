package policy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

func TestParseClaimPath(t *testing.T) {
	for _, tc := range []struct {
		in, canonical string
		claim         string
	}{
		{"sub", "sub", "sub"},
		{"custom:tenant", "custom:tenant", "custom:tenant"},
		{"cognito:groups", "cognito:groups", "cognito:groups"},
		{"tenant.id", "tenant.id", "tenant"},
		{"tenant.regions[0]", "tenant.regions[0]", "tenant"},
		{"identities[0].providerName", "identities[0].providerName", "identities"},
		{"a[12][0].b", "a[12][0].b", "a"},
		{"a.0", "a.0", "a"}, // a member named "0", not an index
		{"ünïcødé.名前", "ünïcødé.名前", "ünïcødé"},
		{"a-b_c:d$e@f", "a-b_c:d$e@f", "a-b_c:d$e@f"},
		// Brackets name what plain names cannot, and say nothing more
		// where a plain name would do.
		{`["custom:org.unit"]`, `["custom:org.unit"]`, "custom:org.unit"},
		{`["sub"]`, "sub", "sub"},
		{`tenant["id"]`, "tenant.id", "tenant"},
		{`tenant["cost.center"]`, `tenant["cost.center"]`, "tenant"},
		{`["https://example.com/roles"]`, `["https://example.com/roles"]`, "https://example.com/roles"},
		{`["a b"]`, `["a b"]`, "a b"},
		{`["q\"uote"]`, `["q\"uote"]`, `q"uote`},
		{`["back\\slash"]`, `["back\\slash"]`, `back\slash`},
		{`["\u0074enant"].id`, "tenant.id", "tenant"}, // JSON escapes are decoded
		{`["a\/b"]`, `["a/b"]`, "a/b"},
		{`["line\u2028sep"]`, `["line\u2028sep"]`, "line\u2028sep"}, // not printable: kept escaped
		{`["zero\u200bwidth"]`, `["zero\u200bwidth"]`, "zero\u200bwidth"},
		{`["emoji\ud83d\ude00"]`, "emoji😀", "emoji😀"},
		{`["a]b"]`, `["a]b"]`, "a]b"},
		{`["a["]`, `["a["]`, "a["},
		// A custom attribute is reached into only when it is bracketed.
		{`["custom:org"].unit`, `["custom:org"].unit`, "custom:org"},
		{`["dev:x"][0]`, `["dev:x"][0]`, "dev:x"},
		{"custom:org", "custom:org", "custom:org"},
		{strings.Repeat("a.", 31) + "a", strings.Repeat("a.", 31) + "a", "a"},
	} {
		p, err := policy.ParseClaimPath(tc.in)
		if err != nil {
			t.Errorf("ParseClaimPath(%q): %v", tc.in, err)
			continue
		}
		if got := p.String(); got != tc.canonical {
			t.Errorf("ParseClaimPath(%q).String() = %q; want %q", tc.in, got, tc.canonical)
		}
		if p.Claim() != tc.claim {
			t.Errorf("ParseClaimPath(%q).Claim() = %q; want %q", tc.in, p.Claim(), tc.claim)
		}
		again, err := policy.ParseClaimPath(p.String())
		if err != nil || again.String() != p.String() {
			t.Errorf("ParseClaimPath(%q) does not read back: %q, %v", p.String(), again, err)
		}
	}
}

func TestParseClaimPathErrors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int
		reason string
	}{
		{"", 0, "empty claim path"},
		{".a", 0, "empty name"},
		{"a.", 2, "empty name"},
		{"a..b", 2, "empty name"},
		{"a.[\"b\"]", 2, "empty name"},
		{"a b", 1, "whitespace"},
		{"a\tb", 1, "whitespace"},
		{"a\x00b", 1, "cannot be part of a plain name"},
		{"a\xffb", 1, "not UTF-8"},
		{"a\u200bb", 1, "cannot be part of a plain name"},
		{"https://example.com/roles", 6, "'/'"},
		{"a]", 1, "']'"},
		{`a"b`, 1, `'"'`},
		{`a\.b`, 1, `'\\'`},
		{"a{b}", 1, "'{'"},
		{"[0]", 1, "starts with a claim name"},
		{"a[]", 2, "want a JSON string"},
		{"a[x]", 2, "want a JSON string"},
		{"a[-1]", 2, "want a JSON string"},
		{"a[01]", 2, "leading zero"},
		{"a[1", 3, "want ']'"},
		{"a[1x]", 3, "want ']'"},
		{"a[65536]", 2, "larger than"},
		{"a[99999999999999999999999]", 2, "larger than"},
		{"a[", 2, "unterminated"},
		{`a["b`, 4, "unterminated string"},
		{`a["b"`, 5, "want ']'"},
		{`a["b"]c`, 6, "want '.' or '['"},
		{`[""]`, 1, "empty name"},
		{`["a{b"]`, 1, "brace"},
		{`["a\u0001"]`, 1, "control character"},
		{`["a\x"]`, 1, "not a valid JSON string"},
		{`["\ud800"]`, 1, "not a valid JSON string"}, // a lone surrogate
		{"[\"a\nb\"]", 1, "not a valid JSON string"},
		{"custom:org.unit", 0, `write ["custom:org.unit"] for the attribute`},
		{"dev:custom:x.y", 0, "custom: or dev:"},
		{strings.Repeat("a", 257), 256, "longer than 256 bytes"},
		{strings.Repeat("a.", 32) + "a", 63, "more than 32"},
	} {
		_, err := policy.ParseClaimPath(tc.in)
		var pe *policy.ClaimPathError
		if !errors.As(err, &pe) || !errors.Is(err, policy.ErrBadClaimPath) {
			t.Errorf("ParseClaimPath(%q) = %v; want a *ClaimPathError matching ErrBadClaimPath", tc.in, err)
			continue
		}
		if pe.Offset != tc.offset || !strings.Contains(pe.Reason, tc.reason) || pe.Path != tc.in {
			t.Errorf("ParseClaimPath(%q): offset %d reason %q; want offset %d and %q", tc.in, pe.Offset, pe.Reason, tc.offset, tc.reason)
		}
	}
	long := strings.Repeat("x", 1000)
	_, err := policy.ParseClaimPath(long)
	if msg := err.Error(); len(msg) > 300 || !strings.HasPrefix(msg, "policy: bad claim path \"xxx") {
		t.Errorf("error for a long path: %q; want it clipped", msg)
	}
}

func TestClaimPathLookup(t *testing.T) {
	f := newFixture(t)
	tok := f.access(t,
		cognitotest.WithClaim("tenant", json.RawMessage(`{"id":"acme","tier":3,"regions":["eu","us"],"cost.center":{"x":[null,{"deep":true}]},"\u0074ab":"decoded"}`)),
		cognitotest.WithClaim("custom:org.unit", "sales"),
		cognitotest.WithClaim("list", json.RawMessage(`[[1,2],{"a":"b"}]`)),
		cognitotest.WithClaim("nothing", nil),
	)
	for _, tc := range []struct {
		path, want string
		found      bool
	}{
		{"tenant.id", `"acme"`, true},
		{"tenant.tier", `3`, true},
		{"tenant.regions", `["eu","us"]`, true},
		{"tenant.regions[1]", `"us"`, true},
		{"tenant.regions[2]", "", false},
		{`tenant["cost.center"].x[1].deep`, "true", true},
		{`tenant["cost.center"].x[0]`, "null", true},
		{`tenant["cost.center"].x[0].deep`, "", false}, // through null
		{"tenant.tab", `"decoded"`, true},              // the token's escape is decoded
		{"tenant.Id", "", false},                       // case-sensitive
		{"tenant.id.more", "", false},                  // through a string
		{"tenant.tier[0]", "", false},                  // through a number
		{"tenant[0]", "", false},                       // an index of an object
		{"tenant.regions.eu", "", false},               // a member of an array
		{`["custom:org.unit"]`, `"sales"`, true},
		{`["custom:org"].unit`, "", false},
		{"list[0][1]", "2", true},
		{"list[1].a", `"b"`, true},
		{"nothing", "null", true},
		{"absent", "", false},
		{"absent.x", "", false},
	} {
		p, err := policy.ParseClaimPath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		raw, found := p.Lookup(tok)
		if found != tc.found || string(raw) != tc.want {
			t.Errorf("Lookup(%s) = %s, %v; want %s, %v", tc.path, raw, found, tc.want, tc.found)
		}
	}
	raw, _ := mustPath(t, "tenant.regions").Lookup(tok)
	raw[1] = 'X'
	if again, _ := mustPath(t, "tenant.regions").Lookup(tok); string(again) != `["eu","us"]` {
		t.Errorf("changing what Lookup returned changed the token: %s", again)
	}
	if _, found := (policy.ClaimPath{}).Lookup(tok); found {
		t.Error("the zero ClaimPath found a value")
	}
	if _, found := mustPath(t, "sub").Lookup(nil); found {
		t.Error("Lookup in a nil token found a value")
	}
}

func mustPath(t *testing.T, s string) policy.ClaimPath {
	t.Helper()
	p, err := policy.ParseClaimPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
