package fakepool_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

var (
	accessClaims = []string{"auth_time", "client_id", "event_id", "exp", "iat", "iss", "jti", "origin_jti", "scope", "sub", "token_use", "username", "version"}
	idClaims     = []string{"aud", "auth_time", "cognito:username", "email", "email_verified", "event_id", "exp", "iat", "iss", "jti", "origin_jti", "sub", "token_use"}
)

func withGroupsClaim(claims []string) []string {
	return slices.Sorted(slices.Values(append(slices.Clone(claims), "cognito:groups")))
}

func TestTokenClaimNames(t *testing.T) {
	p := sharedPool(t)
	tests := []struct {
		name  string
		token string
		want  []string
	}{
		{"access", p.AccessToken(), accessClaims},
		{"access with groups", p.AccessToken(fakepool.WithGroups("admin")), withGroupsClaim(accessClaims)},
		{"access with no groups", p.AccessToken(fakepool.WithGroups()), accessClaims},
		{"id", p.IDToken(), idClaims},
		{"id with groups", p.IDToken(fakepool.WithGroups("admin", "dev")), withGroupsClaim(idClaims)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, tt.token)
			if got := names(d.claims); !slices.Equal(got, tt.want) {
				t.Errorf("claim names = %q, want %q", got, tt.want)
			}
			if got, want := names(d.header), []string{"alg", "kid"}; !slices.Equal(got, want) {
				t.Errorf("header names = %q, want %q", got, want)
			}
			if got := d.header["alg"]; got != "RS256" {
				t.Errorf("alg = %v, want RS256", got)
			}
			for _, name := range []string{"sub", "jti", "origin_jti", "event_id"} {
				if s, _ := d.claims[name].(string); !uuidPattern.MatchString(s) {
					t.Errorf("%s = %v, want a UUIDv4", name, d.claims[name])
				}
			}
		})
	}
}

func TestTokenClaimValues(t *testing.T) {
	now := fixedNow
	p := fixedPool(t)
	iat := json.Number(strconv.FormatInt(now.Unix(), 10))
	exp := json.Number(strconv.FormatInt(now.Add(30*time.Minute).Unix(), 10))

	access := decode(t, p.AccessToken(fakepool.WithGroups("admin", "dev"))).claims
	wantAccess := map[string]any{
		"token_use": "access", "version": json.Number("2"), "client_id": p.ClientID(),
		"iss": p.Issuer(), "username": "alice", "scope": "aws.cognito.signin.user.admin",
		"iat": iat, "auth_time": iat, "exp": exp,
	}
	for name, want := range wantAccess {
		if got := access[name]; got != want {
			t.Errorf("access %s = %#v, want %#v", name, got, want)
		}
	}
	if got, want := access["cognito:groups"], []any{"admin", "dev"}; !slices.Equal(asSlice(got), want) {
		t.Errorf("access cognito:groups = %v, want %v", got, want)
	}

	id := decode(t, p.IDToken()).claims
	wantID := map[string]any{
		"token_use": "id", "aud": p.ClientID(), "iss": p.Issuer(), "cognito:username": "alice",
		"email": "alice@example.com", "email_verified": true,
		"iat": iat, "auth_time": iat, "exp": exp,
	}
	for name, want := range wantID {
		if got := id[name]; got != want {
			t.Errorf("id %s = %#v, want %#v", name, got, want)
		}
	}
	if access["sub"] != id["sub"] {
		t.Errorf("access sub %v != id sub %v for the same user", access["sub"], id["sub"])
	}
	if access["jti"] == id["jti"] || access["event_id"] == id["event_id"] || access["origin_jti"] == id["origin_jti"] {
		t.Errorf("two tokens share a jti, event_id or origin_jti")
	}
}

func TestTokensVerifyAgainstServedJWKS(t *testing.T) {
	p := sharedPool(t)
	keys := fetchKeys(t, p.JWKSURL())
	kids := p.KeyIDs()
	tests := []struct {
		name    string
		token   string
		wantKid string
	}{
		{"access token, first key", p.AccessToken(), kids[0]},
		{"id token, second key", p.IDToken(), kids[1]},
		{"access token signed by the id key", p.AccessToken(fakepool.WithKeyID(kids[1])), kids[1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decode(t, tt.token).header["kid"]; got != tt.wantKid {
				t.Errorf("kid = %v, want %q", got, tt.wantKid)
			}
			if err := verify(t, tt.token, keys); err != nil {
				t.Errorf("signature does not verify with the served jwks: %v", err)
			}
		})
	}
	tampered := p.AccessToken()
	d := decode(t, tampered)
	d.signingInput += "x"
	if err := verifyWith(d, keys[kids[0]]); err == nil {
		t.Errorf("tampered signing input verifies")
	}
}

func TestTokenOptions(t *testing.T) {
	now := fixedNow
	p := fixedPool(t) // token lifetime 30 minutes
	num := func(t time.Time) json.Number { return json.Number(strconv.FormatInt(t.Unix(), 10)) }
	tests := []struct {
		name   string
		mint   func(...fakepool.TokenOption) string
		opts   []fakepool.TokenOption
		claims map[string]any // want these values; nil value: want the claim absent
		header map[string]any
	}{
		{"username access", p.AccessToken, []fakepool.TokenOption{fakepool.WithUsername("bob")},
			map[string]any{"username": "bob"}, nil},
		{"username id", p.IDToken, []fakepool.TokenOption{fakepool.WithUsername("bob")},
			map[string]any{"cognito:username": "bob", "email": "bob@example.com"}, nil},
		{"subject", p.AccessToken, []fakepool.TokenOption{fakepool.WithSubject("s-1")},
			map[string]any{"sub": "s-1"}, nil},
		{"scopes", p.AccessToken, []fakepool.TokenOption{fakepool.WithScopes("openid", "read:orders")},
			map[string]any{"scope": "openid read:orders"}, nil},
		{"no scopes", p.AccessToken, []fakepool.TokenOption{fakepool.WithScopes()},
			map[string]any{"scope": ""}, nil},
		{"scopes ignored on id", p.IDToken, []fakepool.TokenOption{fakepool.WithScopes("openid")},
			map[string]any{"scope": nil}, nil},
		{"client id access", p.AccessToken, []fakepool.TokenOption{fakepool.WithClientID("other")},
			map[string]any{"client_id": "other", "aud": nil}, nil},
		{"client id id", p.IDToken, []fakepool.TokenOption{fakepool.WithClientID("other")},
			map[string]any{"aud": "other", "client_id": nil}, nil},
		{"issuer", p.AccessToken, []fakepool.TokenOption{fakepool.WithIssuer("https://evil.example")},
			map[string]any{"iss": "https://evil.example"}, nil},
		{"issued at", p.AccessToken, []fakepool.TokenOption{fakepool.WithIssuedAt(now.Add(-2 * time.Hour))},
			map[string]any{"iat": num(now.Add(-2 * time.Hour)), "auth_time": num(now.Add(-2 * time.Hour)), "exp": num(now.Add(-90 * time.Minute))}, nil},
		{"expiry", p.AccessToken, []fakepool.TokenOption{fakepool.WithExpiry(now.Add(-time.Second))},
			map[string]any{"iat": num(now), "exp": num(now.Add(-time.Second))}, nil},
		{"lifetime", p.IDToken, []fakepool.TokenOption{fakepool.WithLifetime(5 * time.Minute)},
			map[string]any{"iat": num(now), "exp": num(now.Add(5 * time.Minute))}, nil},
		{"expiry wins over lifetime", p.IDToken, []fakepool.TokenOption{fakepool.WithExpiry(now.Add(time.Minute)), fakepool.WithLifetime(5 * time.Minute)},
			map[string]any{"exp": num(now.Add(time.Minute))}, nil},
		{"add claim", p.IDToken, []fakepool.TokenOption{fakepool.WithClaim("custom:tenant", "acme")},
			map[string]any{"custom:tenant": "acme"}, nil},
		{"replace claim", p.AccessToken, []fakepool.TokenOption{fakepool.WithClaim("token_use", "id")},
			map[string]any{"token_use": "id"}, nil},
		{"claim wins over option", p.AccessToken, []fakepool.TokenOption{fakepool.WithClaim("sub", "x"), fakepool.WithSubject("y")},
			map[string]any{"sub": "x"}, nil},
		{"remove claim", p.AccessToken, []fakepool.TokenOption{fakepool.WithoutClaim("exp")},
			map[string]any{"exp": nil}, nil},
		{"remove then add", p.AccessToken, []fakepool.TokenOption{fakepool.WithoutClaim("exp"), fakepool.WithClaim("exp", "soon")},
			map[string]any{"exp": "soon"}, nil},
		{"header typ", p.AccessToken, []fakepool.TokenOption{fakepool.WithHeader("typ", "JWT")},
			nil, map[string]any{"typ": "JWT", "alg": "RS256"}},
		{"header alg none", p.AccessToken, []fakepool.TokenOption{fakepool.WithHeader("alg", "none")},
			nil, map[string]any{"alg": "none"}},
		{"header without kid", p.AccessToken, []fakepool.TokenOption{fakepool.WithoutHeader("kid")},
			nil, map[string]any{"kid": nil, "alg": "RS256"}},
		{"header jku", p.IDToken, []fakepool.TokenOption{fakepool.WithHeader("jku", "https://evil.example/jwks.json")},
			nil, map[string]any{"jku": "https://evil.example/jwks.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, tt.mint(tt.opts...))
			check := func(what string, fields, want map[string]any) {
				t.Helper()
				for name, w := range want {
					got, ok := fields[name]
					switch {
					case w == nil && ok:
						t.Errorf("%s %s = %#v, want it absent", what, name, got)
					case w != nil && got != w:
						t.Errorf("%s %s = %#v, want %#v", what, name, got, w)
					}
				}
			}
			check("claim", d.claims, tt.claims)
			check("header", d.header, tt.header)
			// Whatever the options say, the signature is RS256 by a pool key.
			kids := p.KeyIDs()
			if verifyWith(d, p.PublicKey(kids[0])) != nil && verifyWith(d, p.PublicKey(kids[1])) != nil {
				t.Errorf("token is not signed by a key of the pool")
			}
		})
	}
}

func TestStableSubject(t *testing.T) {
	p := sharedPool(t)
	sub := func(tok string) any { return decode(t, tok).claims["sub"] }
	alice1 := sub(p.AccessToken(fakepool.WithUsername("stable-alice")))
	alice2 := sub(p.IDToken(fakepool.WithUsername("stable-alice")))
	bob := sub(p.AccessToken(fakepool.WithUsername("stable-bob")))
	if alice1 != alice2 {
		t.Errorf("same username, different sub: %v, %v", alice1, alice2)
	}
	if alice1 == bob {
		t.Errorf("different usernames, same sub %v", bob)
	}
	other := fixedPool(t)
	if got := sub(other.AccessToken(fakepool.WithUsername("stable-alice"))); got == alice1 {
		t.Errorf("two pools gave the same username the same sub %v", got)
	}
}

func TestUnpublishedKey(t *testing.T) {
	p := sharedPool(t)
	tok := p.AccessToken(fakepool.WithUnpublishedKey())
	d := decode(t, tok)
	kid, _ := d.header["kid"].(string)
	if kid == "" || slices.Contains(p.KeyIDs(), kid) {
		t.Fatalf("kid %q of an unpublished-key token is empty or published (%q)", kid, p.KeyIDs())
	}
	if err := verify(t, tok, fetchKeys(t, p.JWKSURL())); !errors.Is(err, errNoKey) {
		t.Errorf("verify against the served jwks = %v, want no key", err)
	}
	if err := verifyWith(d, p.PublicKey(kid)); err != nil {
		t.Errorf("token does not verify with the unpublished key: %v", err)
	}
	if got := decode(t, p.IDToken(fakepool.WithUnpublishedKey())).header["kid"]; got != kid {
		t.Errorf("second unpublished-key token has kid %v, want the same unpublished key %q", got, kid)
	}
	// The published key set is unchanged.
	if got := len(fetchKeys(t, p.JWKSURL())); got != 2 {
		t.Errorf("served %d keys, want 2", got)
	}
}

func TestWithKeyIDUnknownPanics(t *testing.T) {
	p := sharedPool(t)
	msg := mustPanic(t, func() { p.AccessToken(fakepool.WithKeyID("not-a-kid")) })
	if !strings.Contains(msg, "WithKeyID") || !strings.Contains(msg, "not-a-kid") {
		t.Errorf("panic = %q, want it to name WithKeyID and the kid", msg)
	}
}

// TestWithScopesRefusesNonScopeTokens: WithScopes mints only the
// single-space list of RFC 6749 scope-tokens that verifiers accept (finding
// 17); anything else is a mistake in the test, while WithClaim still mints
// a malformed scope claim on purpose.
func TestWithScopesRefusesNonScopeTokens(t *testing.T) {
	p := sharedPool(t)
	for _, sc := range []string{"", "a b", "a\tb", "a\nb", `a"b`, `a\b`, "caf\u00e9", "a\x00"} {
		msg := mustPanic(t, func() { fakepool.WithScopes("openid", sc) })
		if !strings.Contains(msg, "WithScopes") {
			t.Errorf("WithScopes(%q) panic = %q, want it to name WithScopes", sc, msg)
		}
	}
	if got := decode(t, p.AccessToken(fakepool.WithClaim("scope", "openid\temail"))).claims["scope"]; got != "openid\temail" {
		t.Errorf("WithClaim scope = %v, want the tab kept", got)
	}
	if got := decode(t, p.AccessToken(fakepool.WithScopes("!#[]~", "https://api.example.com/x.read"))).claims["scope"]; got != "!#[]~ https://api.example.com/x.read" {
		t.Errorf("scope = %v", got)
	}
}

func TestSign(t *testing.T) {
	p := sharedPool(t)
	kids := p.KeyIDs()
	tests := []struct {
		name       string
		header     map[string]any
		claims     map[string]any
		wantHeader map[string]any
		signedBy   string
	}{
		{
			name:       "defaults to the access key and RS256",
			header:     nil,
			claims:     map[string]any{"sub": "x"},
			wantHeader: map[string]any{"alg": "RS256", "kid": kids[0]},
			signedBy:   kids[0],
		},
		{
			name:       "id token_use defaults to the id key",
			header:     map[string]any{},
			claims:     map[string]any{"token_use": "id"},
			wantHeader: map[string]any{"alg": "RS256", "kid": kids[1]},
			signedBy:   kids[1],
		},
		{
			name:       "kid of the pool picks the key",
			header:     map[string]any{"kid": kids[1], "alg": "HS256"},
			claims:     map[string]any{"token_use": "access"},
			wantHeader: map[string]any{"alg": "HS256", "kid": kids[1]},
			signedBy:   kids[1],
		},
		{
			name:       "unknown kid is kept, default key signs",
			header:     map[string]any{"kid": "nobody", "typ": "JWT"},
			claims:     map[string]any{},
			wantHeader: map[string]any{"alg": "RS256", "kid": "nobody", "typ": "JWT"},
			signedBy:   kids[0],
		},
		{
			name:       "non-string kid",
			header:     map[string]any{"kid": 7},
			claims:     map[string]any{"token_use": "id"},
			wantHeader: map[string]any{"alg": "RS256", "kid": json.Number("7")},
			signedBy:   kids[1],
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before []string
			if tt.header != nil {
				before = names(tt.header)
			}
			d := decode(t, p.Sign(tt.header, tt.claims))
			if got, want := names(d.header), names(tt.wantHeader); !slices.Equal(got, want) {
				t.Errorf("header names = %q, want %q", got, want)
			}
			for name, want := range tt.wantHeader {
				if got := d.header[name]; got != want {
					t.Errorf("header %s = %#v, want %#v", name, got, want)
				}
			}
			if got, want := names(d.claims), names(tt.claims); !slices.Equal(got, want) {
				t.Errorf("claim names = %q, want %q", got, want)
			}
			if err := verifyWith(d, p.PublicKey(tt.signedBy)); err != nil {
				t.Errorf("not signed by %q: %v", tt.signedBy, err)
			}
			if tt.header != nil && !slices.Equal(names(tt.header), before) {
				t.Errorf("Sign modified the header map")
			}
		})
	}
}

func TestSignRaw(t *testing.T) {
	p := sharedPool(t)
	header := []byte(`{"alg":"RS256","kid":"a","kid":"b"}`)
	claims := []byte(` {"sub":"x","sub":"y", "exp": 1e400 }`)
	for _, kid := range []string{"", p.KeyIDs()[1]} {
		tok := p.SignRaw(header, claims, kid)
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("SignRaw gave %d segments", len(parts))
		}
		for i, want := range [][]byte{header, claims} {
			got, err := base64.RawURLEncoding.DecodeString(parts[i])
			if err != nil || string(got) != string(want) {
				t.Errorf("segment %d = %q, %v, want the exact bytes %q", i, got, err, want)
			}
		}
		signer := kid
		if signer == "" {
			signer = p.KeyIDs()[0]
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		d := decoded{signingInput: parts[0] + "." + parts[1], signature: sig}
		if err := verifyWith(d, p.PublicKey(signer)); err != nil {
			t.Errorf("SignRaw(kid %q) not signed by %q: %v", kid, signer, err)
		}
	}
	msg := mustPanic(t, func() { p.SignRaw(header, claims, "unknown") })
	if !strings.Contains(msg, "SignRaw") {
		t.Errorf("panic = %q, want it to name SignRaw", msg)
	}
}

func TestMintPanicsOnUnencodableClaim(t *testing.T) {
	p := sharedPool(t)
	msg := mustPanic(t, func() { p.AccessToken(fakepool.WithClaim("bad", make(chan int))) })
	if !strings.Contains(msg, "claims") {
		t.Errorf("panic = %q, want it to mention the claims", msg)
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
