package assertion_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestSignContents: the header is exactly alg, kid and typ; the payload
// holds exactly the members Sign documents, with the token's values and
// the request's; every jti is new.
func TestSignContents(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{Claims: []string{"custom:tenant", "absent"}, Lifetime: 45 * time.Second})
	tok := cognitoToken(t, cognitotest.WithGroups("admin", "staff"), cognitotest.WithScopes("orders/read", "openid"),
		cognitotest.WithClaim("custom:tenant", "acme"))
	raw := g.sign(t, tok, request)
	h, p := parts(t, raw)
	if want := map[string]any{"alg": "ES256", "kid": g.key.ID(), "typ": assertion.Type}; !equalJSON(h, want) {
		t.Errorf("header %v, want %v", h, want)
	}
	want := map[string]any{
		"iss": gateIssuer, "aud": audience, "iat": start.Unix(), "exp": start.Unix() + 45, "jti": p["jti"],
		"cognito_iss": tok.Issuer, "sub": tok.Subject, "username": tok.Username, "client_id": tok.ClientID,
		"token_use": "access", "groups": []string{"admin", "staff"}, "scope": "orders/read openid",
		"origin_jti": tok.OriginJTI, "auth_time": tok.AuthTime.Unix(),
		"htm": "GET", "host": "api.example.com", "path": "/orders/42", "custom:tenant": "acme",
	}
	if !equalJSON(p, want) {
		t.Errorf("payload\n%v\nwant\n%v", p, want)
	}
	jtis := map[string]bool{}
	for range 100 {
		_, p := parts(t, g.sign(t, tok, request))
		jti, _ := p["jti"].(string)
		if len(jti) != 22 || jtis[jti] {
			t.Fatalf("jti %q: want 22 base64url characters (128 bits), new each time", jti)
		}
		jtis[jti] = true
	}

	// No audience configured: no aud; an ID token: no scope.
	noAud := newGate(t, assertion.SignerConfig{})
	s, err := assertion.NewSigner(assertion.SignerConfig{Issuer: gateIssuer, Keys: noAud.keys, Now: noAud.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	raw, err = s.Sign(verified(t, pool.IDToken()), request)
	if err != nil {
		t.Fatal(err)
	}
	_, p = parts(t, raw)
	for _, absent := range []string{"aud", "scope", "groups"} {
		if _, ok := p[absent]; ok {
			t.Errorf("%s present: %v", absent, p[absent])
		}
	}
	if p["token_use"] != "id" {
		t.Errorf("token_use %v", p["token_use"])
	}
}

// equalJSON compares two values as their JSON encodings.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestSignRefuses: what cannot be put into an assertion is an error
// matching ErrSign, never an assertion with a hole.
func TestSignRefuses(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{MaxBytes: 1024})
	tok := cognitoToken(t)
	noSub := *tok
	noSub.Subject = ""
	badUTF8 := *tok
	badUTF8.Username = "\xff"
	badGroup := *tok
	badGroup.Groups = []string{"ok", "\xc3"}
	tests := []struct {
		name string
		tok  *claims.Token
		req  assertion.Request
	}{
		{"no token", nil, request},
		{"no subject", &noSub, request},
		{"no issuer", &claims.Token{Subject: "s", Use: claims.AccessToken}, request},
		{"no method", tok, assertion.Request{Host: "h", Path: "/"}},
		{"no host", tok, assertion.Request{Method: "GET", Path: "/"}},
		{"path without a slash", tok, assertion.Request{Method: "GET", Host: "h", Path: "orders"}},
		{"empty path", tok, assertion.Request{Method: "GET", Host: "h"}},
		{"username not UTF-8", &badUTF8, request},
		{"a group not UTF-8", &badGroup, request},
		{"path not UTF-8", tok, assertion.Request{Method: "GET", Host: "h", Path: "/\xff"}},
		{"over MaxBytes", tok, assertion.Request{Method: "GET", Host: "h", Path: "/" + strings.Repeat("a", 1024)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := g.signer.Sign(tt.tok, tt.req)
			if raw != "" || !errors.Is(err, assertion.ErrSign) {
				t.Errorf("Sign = %q, %v; want ErrSign", raw, err)
			}
		})
	}
}

// TestNewSignerErrors: every problem of a SignerConfig is reported, each
// naming its field and file key; the zero configuration signs nothing.
func TestNewSignerErrors(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	short, err := assertion.NewKeySet(assertion.KeySetConfig{Retain: 20 * time.Second}, g.key)
	if err != nil {
		t.Fatal(err)
	}
	ok := assertion.SignerConfig{Issuer: gateIssuer, Keys: g.keys}
	tests := []struct {
		name   string
		edit   func(*assertion.SignerConfig)
		fields []string
	}{
		{"zero", func(c *assertion.SignerConfig) { *c = assertion.SignerConfig{} }, []string{"Issuer", "Keys"}},
		{"issuer with a space", func(c *assertion.SignerConfig) { c.Issuer = "my gate" }, []string{"Issuer"}},
		{"issuer with a control character", func(c *assertion.SignerConfig) { c.Issuer = "gate\n" }, []string{"Issuer"}},
		{"issuer not UTF-8", func(c *assertion.SignerConfig) { c.Issuer = "\xff" }, []string{"Issuer"}},
		{"issuer too long", func(c *assertion.SignerConfig) { c.Issuer = strings.Repeat("g", 257) }, []string{"Issuer"}},
		{"audience with a space", func(c *assertion.SignerConfig) { c.Audience = "a b" }, []string{"Audience"}},
		{"lifetime over a minute", func(c *assertion.SignerConfig) { c.Lifetime = 61 * time.Second }, []string{"Lifetime"}},
		{"lifetime negative", func(c *assertion.SignerConfig) { c.Lifetime = -time.Second }, []string{"Lifetime"}},
		{"lifetime below a second", func(c *assertion.SignerConfig) { c.Lifetime = time.Millisecond }, []string{"Lifetime"}},
		{"lifetime not whole seconds", func(c *assertion.SignerConfig) { c.Lifetime = 1500 * time.Millisecond }, []string{"Lifetime"}},
		{"a reserved claim", func(c *assertion.SignerConfig) { c.Claims = []string{"email", "sub"} }, []string{"Claims"}},
		{"every reserved claim", func(c *assertion.SignerConfig) {
			c.Claims = []string{"iss", "aud", "iat", "exp", "nbf", "jti", "cognito_iss", "sub", "username", "client_id",
				"token_use", "groups", "scope", "origin_jti", "auth_time", "htm", "host", "path"}
		}, slices.Repeat([]string{"Claims"}, 18)},
		{"a claim twice", func(c *assertion.SignerConfig) { c.Claims = []string{"email", "email"} }, []string{"Claims"}},
		{"an empty claim name", func(c *assertion.SignerConfig) { c.Claims = []string{""} }, []string{"Claims"}},
		{"max bytes too small", func(c *assertion.SignerConfig) { c.MaxBytes = 100 }, []string{"MaxBytes"}},
		{"a KeySet not made by NewKeySet", func(c *assertion.SignerConfig) { c.Keys = &assertion.KeySet{} }, []string{"Keys"}},
		{"retain shorter than lifetime and leeway", func(c *assertion.SignerConfig) { c.Keys = short }, []string{"Keys"}},
		{"retain just long enough", func(c *assertion.SignerConfig) { c.Keys, c.Lifetime = short, 15*time.Second }, nil},
		{"the longest lifetime", func(c *assertion.SignerConfig) { c.Lifetime = time.Minute }, nil},
		{"everything at once", func(c *assertion.SignerConfig) {
			*c = assertion.SignerConfig{Issuer: " ", Audience: "\t", Lifetime: time.Hour, Claims: []string{"exp"}, MaxBytes: 1}
		}, []string{"Issuer", "Audience", "Lifetime", "Claims", "MaxBytes", "Keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			_, err := assertion.NewSigner(cfg)
			if got := configFields(t, err); !slices.Equal(got, tt.fields) {
				t.Errorf("fields %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

// configFields returns the fields of the *ConfigErrors joined in err,
// checking that each matches ErrConfig and has a file key.
func configFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, assertion.ErrConfig) {
		t.Errorf("%v does not match ErrConfig", err)
	}
	var out []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *assertion.ConfigError
		if !errors.As(e, &ce) {
			t.Errorf("%v is not a *ConfigError", e)
			continue
		}
		if ce.Key == "" || ce.Problem == "" || !strings.HasPrefix(ce.Error(), "assertion: config: "+ce.Field+": ") {
			t.Errorf("ConfigError %+v: want a key, a problem and the field in its text", ce)
		}
		out = append(out, ce.Field)
	}
	return out
}
