package claims

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// fullToken is a Token with every field set, each string distinct.
func fullToken() *Token {
	return &Token{
		Use: IDToken, Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X", Subject: "sub-1",
		Username: "user-1", ClientID: "client-1",
		Groups: []string{"g1", "g2"}, Scopes: []string{}, Roles: []string{"arn:role"}, PreferredRole: "arn:pref",
		Email: "a@example.com", EmailVerified: true,
		Identities: []Identity{{UserID: "u", ProviderName: "Google", ProviderType: "Google", Issuer: "iss-x", Primary: true, DateCreated: time.Unix(1, 0)}},
		Version:    2, Expiry: time.Unix(100, 0), IssuedAt: time.Unix(10, 0), AuthTime: time.Unix(9, 0), NotBefore: time.Unix(8, 0),
		JTI: "jti-1", OriginJTI: "ojti-1", EventID: "ev-1", KeyID: "kid-1", Algorithm: "RS256",
		payload: []byte(`{"sub":"sub-1"}`),
	}
}

// countStrings counts the strings in v reachable through fields, slices
// and arrays, as eachString should visit them (TokenUse excluded).
func countStrings(v reflect.Value) int {
	switch v.Kind() {
	case reflect.String:
		if v.Type() == reflect.TypeFor[TokenUse]() {
			return 0
		}
		return 1
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += countStrings(v.Field(i))
		}
		return n
	case reflect.Slice, reflect.Array:
		n := 0
		for i := range v.Len() {
			n += countStrings(v.Index(i))
		}
		return n
	}
	return 0
}

func TestCompactCoversEveryString(t *testing.T) {
	tok := fullToken()
	visited := 0
	eachString(tok, func(*string) { visited++ })
	if want := countStrings(reflect.ValueOf(tok).Elem()); visited != want {
		t.Errorf("eachString visits %d strings, Token holds %d: a new string field must be added to eachString", visited, want)
	}
}

func TestCompactEqualsTheToken(t *testing.T) {
	key := &jwks.Key{ID: "kid-1", Alg: "RS256"}
	p := &pool{issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X", clients: []string{"other", "client-1"}}
	tests := []struct {
		name string
		tok  func() *Token
		p    *pool
		key  *jwks.Key
	}{
		{"every field, shared strings interned", fullToken, p, key},
		{"nothing to intern", fullToken, &pool{issuer: "https://other"}, &jwks.Key{ID: "kid-2"}},
		{"no pool or key", fullToken, nil, nil},
		{"no slices", func() *Token {
			t := fullToken()
			t.Groups, t.Scopes, t.Roles, t.Identities = nil, nil, nil, nil
			return t
		}, p, key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.tok()
			raw := strings.Repeat("x", 1000)
			ce := compact(&cacheEntry{raw: raw, tok: orig, key: tt.key, p: tt.p})
			if ce.raw != raw || ce.tok != &ce.val || ce.key != tt.key || ce.p != tt.p {
				t.Fatalf("compact entry: raw equal %v, tok inside %v, key %v, pool %v", ce.raw == raw, ce.tok == &ce.val, ce.key == tt.key, ce.p == tt.p)
			}
			if !reflect.DeepEqual(ce.tok, tt.tok()) {
				t.Errorf("compact token = %+v, want %+v", ce.tok, tt.tok())
			}
			// The copy shares no slice with the original.
			if len(orig.Groups) > 0 {
				orig.Groups[0] = "changed"
				if ce.tok.Groups[0] == "changed" {
					t.Error("the compact copy shares Groups with the token")
				}
			}
			if ce.bytes < int64(len(raw)) {
				t.Errorf("compact entry counted %d bytes, less than its text", ce.bytes)
			}
		})
	}
}

func TestAllocBytes(t *testing.T) {
	for _, tt := range []struct{ n, want int64 }{
		{0, 0}, {1, 8}, {8, 8}, {9, 16}, {1024, 1024}, {1025, 1152}, {1177, 1280}, {32768, 32768}, {32769, 40960},
	} {
		if got := allocBytes(tt.n); got != tt.want {
			t.Errorf("allocBytes(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}
