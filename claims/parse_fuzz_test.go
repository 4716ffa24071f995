package claims

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzParseClaims checks the exact claims decoder against encoding/json.
// Whenever parseClaims accepts a payload, encoding/json must accept it too
// and agree on every typed claim it decoded; parseClaims must never panic.
func FuzzParseClaims(f *testing.F) {
	f.Add([]byte(`{"sub":"s","iss":"https://x","token_use":"access","client_id":"c","exp":1800000000,"iat":1700000000,"scope":"a b","cognito:groups":["g"]}`))
	f.Add([]byte(`{"sub":"s","aud":"c","token_use":"id","cognito:username":"u","email_verified":"true","identities":[{"userId":"1","primary":true,"dateCreated":"1700000000000"}]}`))
	f.Add([]byte(`{"exp":1.5}`))
	f.Add([]byte(`{"Token_Use":"id","token_use":"access"}`))
	f.Add([]byte(`{"token_use":"access","token_use":"id"}`))
	f.Add([]byte(`{"\u0073ub":"x"}`))
	f.Add([]byte(`{"scope":"openid\temail"}`))
	f.Add([]byte(`{"scope":"openid  email"}`))
	f.Add([]byte(`{"scope":" openid"}`))
	f.Add([]byte(`{"scope":"openid\u00a0email"}`))
	f.Add([]byte(`{"scope":""}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var tok Token
		var rc rawClaims
		if err := parseClaims(payload, &tok, &rc); err != nil {
			return
		}
		var ref struct {
			Iss      *string  `json:"iss"`
			Sub      *string  `json:"sub"`
			TokenUse *string  `json:"token_use"`
			ClientID *string  `json:"client_id"`
			Exp      *int64   `json:"exp"`
			Groups   []string `json:"cognito:groups"`
		}
		if err := json.Unmarshal(payload, &ref); err != nil {
			// encoding/json matches names case-insensitively, so it may see
			// a differently-cased member with another type; decode into a
			// map instead, which is exact.
			var m map[string]json.RawMessage
			if err := json.Unmarshal(payload, &m); err != nil {
				t.Fatalf("parseClaims accepted %q, encoding/json rejects it: %v", payload, err)
			}
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatalf("encoding/json map decode: %v", err)
		}
		str := func(name string) string {
			var s string
			if raw, ok := m[name]; ok {
				if err := json.Unmarshal(raw, &s); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			return s
		}
		if got, want := tok.Issuer, str("iss"); got != want {
			t.Errorf("iss = %q, encoding/json says %q", got, want)
		}
		if got, want := tok.Subject, str("sub"); got != want {
			t.Errorf("sub = %q, encoding/json says %q", got, want)
		}
		if got, want := rc.tokenUse, str("token_use"); got != want {
			t.Errorf("token_use = %q, encoding/json says %q", got, want)
		}
		if raw, ok := m["exp"]; ok {
			var n int64
			if err := json.Unmarshal(raw, &n); err != nil || n != tok.Expiry.Unix() {
				t.Errorf("exp = %d, encoding/json says %d (%v)", tok.Expiry.Unix(), n, err)
			}
		}
		if _, ok := m["scope"]; ok {
			// Accepted scopes are exactly the single-space split.
			want := []string{}
			if sc := str("scope"); sc != "" {
				want = strings.Split(sc, " ")
			}
			if !slices.Equal(tok.Scopes, want) {
				t.Errorf("scopes = %q, want %q", tok.Scopes, want)
			}
		}
		if raw, ok := m["cognito:groups"]; ok {
			var g []string
			if err := json.Unmarshal(raw, &g); err != nil || !slices.Equal(g, tok.Groups) {
				t.Errorf("groups = %q, encoding/json says %q (%v)", tok.Groups, g, err)
			}
		}
	})
}

// FuzzScopes checks parseScopes against the RFC 6749 grammar written the
// slow way: the empty string is no scopes; otherwise the single-space
// split must yield only valid scope-tokens, and is then the result.
func FuzzScopes(f *testing.F) {
	for _, s := range []string{"", "openid", "openid email", "openid\temail", "openid  email", " a", "a ", "a\nb",
		`a"b`, `a\b`, "caf\u00e9", "a\u00a0b", "\x7f", "https://api.example.com/orders.read", "!#[]~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseScopes(s)
		want, wantOK := []string{}, true
		if s != "" {
			want = strings.Split(s, " ")
			for _, w := range want {
				wantOK = wantOK && validScopeToken(w)
			}
		}
		switch {
		case wantOK && err != nil:
			t.Fatalf("parseScopes(%q): %v, want %q", s, err, want)
		case !wantOK && err == nil:
			t.Fatalf("parseScopes(%q) = %q, want an error", s, got)
		case wantOK && !slices.Equal(got, want):
			t.Fatalf("parseScopes(%q) = %q, want %q", s, got, want)
		}
	})
}

// validScopeToken reports whether s is one RFC 6749 scope-token,
// 1*( %x21 / %x23-5B / %x5D-7E ), spelled out apart from isScopeChar.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == 0x21 || 0x23 <= c && c <= 0x5b || 0x5d <= c && c <= 0x7e) {
			return false
		}
	}
	return true
}

// FuzzSplit checks the compact-serialization splitter: it never panics,
// and whatever it accepts re-encodes to exactly the input.
func FuzzSplit(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.AAAA")
	f.Add("a.b.c")
	f.Add("a..c")
	f.Add("YQ==.YQ.YQ")
	f.Fuzz(func(t *testing.T, raw string) {
		seg, err := split(raw)
		if err != nil {
			return
		}
		enc := b64.EncodeToString
		if got := enc(seg.header) + "." + enc(seg.payload) + "." + enc(seg.sig); got != raw {
			t.Fatalf("split(%q) re-encodes to %q", raw, got)
		}
		if string(seg.signingInput) != raw[:len(enc(seg.header))+1+len(enc(seg.payload))] {
			t.Fatalf("signing input %q", seg.signingInput)
		}
	})
}
