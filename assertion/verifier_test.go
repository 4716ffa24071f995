package assertion_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// The Verifier serves as a middleware.Verifier as it is.
var _ middleware.Verifier = (*assertion.Verifier)(nil)

// TestVerifyRefuses: one row per attack on an upstream that verifies the
// gate's assertions, each refused with its reason (and sentinel), and
// the genuine assertion and what the rules allow accepted. Rows that
// re-sign a changed header or payload sign with the gate's own key, so
// that only the change can be what is refused.
func TestVerifyRefuses(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	tok := cognitoToken(t, cognitotest.WithGroups("admin"), cognitotest.WithScopes("orders/read"))
	genuine := g.sign(t, tok, request)
	hdr, pl := parts(t, genuine)
	// resign returns the genuine assertion with header and payload edited
	// and signed again by the gate's key.
	resign := func(editHeader, editPayload func(h, p map[string]any)) string {
		h, p := clone(hdr), clone(pl)
		if editHeader != nil {
			editHeader(h, p)
		}
		if editPayload != nil {
			editPayload(h, p)
		}
		return forge(t, g.priv, h, p)
	}
	// edit returns an edit setting (nil: deleting) name in the header
	// (part 0) or payload (part 1).
	edit := func(part int, name string, v any) func(h, p map[string]any) {
		return func(h, p map[string]any) {
			m := [2]map[string]any{h, p}[part]
			if v == nil {
				delete(m, name)
			} else {
				m[name] = v
			}
		}
	}
	setH := func(name string, v any) func(h, p map[string]any) { return edit(0, name, v) }
	setP := func(name string, v any) func(h, p map[string]any) { return edit(1, name, v) }
	iat := start.Unix()
	otherPriv, _ := keyPair(t)
	otherGate := newGate(t, assertion.SignerConfig{})
	sigSeg := genuine[strings.LastIndexByte(genuine, '.')+1:]
	sig, _ := base64.RawURLEncoding.DecodeString(sigSeg)

	tests := []struct {
		name    string
		raw     string
		advance time.Duration
		want    claims.Reason
		wantErr error
	}{
		{name: "genuine", raw: genuine, want: claims.ReasonOK},
		{name: "no assertion", raw: "", want: claims.ReasonMissingToken},

		// Forgeries.
		{name: "forged by a client: its own claims, a made-up signature", raw: reencode(t, genuine, nil, with(with(pl, "sub", "someone-else"), "groups", []string{"admin"})), want: claims.ReasonBadSignature},
		{name: "forged by a client: alg none, no signature", raw: strings.Join(strings.Split(reencode(t, genuine, with(hdr, "alg", "none"), nil), ".")[:2], ".") + ".", want: claims.ReasonMalformed},
		{name: "signature bit flipped", raw: genuine[:len(genuine)-len(sigSeg)] + flipFirst(sigSeg), want: claims.ReasonBadSignature},
		{name: "groups changed, signature kept", raw: reencode(t, genuine, nil, with(pl, "groups", []string{"admin", "root"})), want: claims.ReasonBadSignature},
		{name: "path changed, signature kept", raw: reencode(t, genuine, nil, with(pl, "path", "/admin")), want: claims.ReasonBadSignature},
		{name: "signed by a key not in the key set", raw: otherGate.sign(t, tok, request), want: claims.ReasonUnknownKID},
		{name: "another key under the published kid", raw: forge(t, otherPriv, hdr, pl), want: claims.ReasonBadSignature},
		{name: "signature as ASN.1 DER", raw: genuine[:len(genuine)-len(sigSeg)] + base64.RawURLEncoding.EncodeToString(toDER(sig)), want: claims.ReasonBadSignature},
		{name: "signature truncated", raw: genuine[:len(genuine)-len(sigSeg)] + base64.RawURLEncoding.EncodeToString(sig[:63]), want: claims.ReasonBadSignature},

		// Time.
		{name: "replayed just before expiry plus leeway", raw: genuine, advance: 34 * time.Second, want: claims.ReasonOK},
		{name: "replayed after expiry plus leeway", raw: genuine, advance: 35 * time.Second, want: claims.ReasonExpired},
		{name: "replayed an hour later", raw: genuine, advance: time.Hour, want: claims.ReasonExpired},
		{name: "issued in the future", raw: resign(nil, func(_, p map[string]any) { p["iat"], p["exp"] = iat+10, iat+40 }), want: claims.ReasonIssuedInFuture},
		{name: "issued within the leeway ahead", raw: resign(nil, func(_, p map[string]any) { p["iat"], p["exp"] = iat+5, iat+35 }), want: claims.ReasonOK},
		{name: "lifetime over a minute", raw: resign(nil, setP("exp", iat+61)), want: claims.ReasonMalformed, wantErr: assertion.ErrLifetime},
		{name: "lifetime of exactly a minute", raw: resign(nil, setP("exp", iat+60)), want: claims.ReasonOK},
		{name: "exp before iat", raw: resign(nil, setP("exp", iat-1)), want: claims.ReasonMalformed, wantErr: assertion.ErrLifetime},
		{name: "exp in milliseconds", raw: resign(nil, setP("exp", (iat+30)*1000)), want: claims.ReasonMalformed},
		{name: "exp a string", raw: resign(nil, setP("exp", "1777896030")), want: claims.ReasonMalformed},
		{name: "exp a fraction", raw: resign(nil, setP("exp", json.Number("1777896030.5"))), want: claims.ReasonMalformed},
		{name: "no exp", raw: resign(nil, setP("exp", nil)), want: claims.ReasonMalformed},
		{name: "no iat", raw: resign(nil, setP("iat", nil)), want: claims.ReasonMalformed},

		// Explicit typing and algorithms.
		{name: "a Cognito token (no typ)", raw: pool.AccessToken(), want: claims.ReasonWrongTokenUse, wantErr: assertion.ErrWrongType},
		{name: "typ absent", raw: resign(setH("typ", nil), nil), want: claims.ReasonWrongTokenUse, wantErr: assertion.ErrWrongType},
		{name: "typ JWT", raw: resign(setH("typ", "JWT"), nil), want: claims.ReasonWrongTokenUse, wantErr: assertion.ErrWrongType},
		{name: "typ in upper case", raw: resign(setH("typ", strings.ToUpper(assertion.Type)), nil), want: claims.ReasonWrongTokenUse},
		{name: "typ with application/", raw: resign(setH("typ", "application/"+assertion.Type), nil), want: claims.ReasonWrongTokenUse},
		{name: "typ not a string", raw: resign(setH("typ", 1), nil), want: claims.ReasonMalformed},
		{name: "alg none", raw: reencode(t, genuine, with(hdr, "alg", "none"), nil), want: claims.ReasonUnsupportedAlg},
		{name: "alg HS256", raw: reencode(t, genuine, with(hdr, "alg", "HS256"), nil), want: claims.ReasonUnsupportedAlg},
		{name: "alg RS256", raw: reencode(t, genuine, with(hdr, "alg", "RS256"), nil), want: claims.ReasonUnsupportedAlg},
		{name: "alg ES384", raw: reencode(t, genuine, with(hdr, "alg", "ES384"), nil), want: claims.ReasonUnsupportedAlg},
		{name: "alg es256", raw: reencode(t, genuine, with(hdr, "alg", "es256"), nil), want: claims.ReasonUnsupportedAlg},
		{name: "no alg", raw: resign(setH("alg", nil), nil), want: claims.ReasonMalformed},
		{name: "no kid", raw: resign(setH("kid", nil), nil), want: claims.ReasonMalformed},
		{name: "crit header", raw: resign(setH("crit", []string{"exp"}), nil), want: claims.ReasonMalformed},
		{name: "jku header ignored", raw: resign(setH("jku", "https://evil.example/jwks.json"), nil), want: claims.ReasonOK},
		{name: "jwk header ignored, its key not used", raw: forge(t, otherPriv, with(hdr, "jwk", map[string]any{"kty": "EC"}), pl), want: claims.ReasonBadSignature},

		// Issuer and audience.
		{name: "iss of another gate", raw: resign(nil, setP("iss", "https://other-gate.example.com")), want: claims.ReasonWrongIssuer},
		{name: "iss the Cognito issuer", raw: resign(nil, setP("iss", pool.Issuer())), want: claims.ReasonWrongIssuer},
		{name: "iss with a trailing slash", raw: resign(nil, setP("iss", gateIssuer+"/")), want: claims.ReasonWrongIssuer},
		{name: "no iss", raw: resign(nil, setP("iss", nil)), want: claims.ReasonMalformed},
		{name: "aud of another upstream", raw: resign(nil, setP("aud", "billing")), want: claims.ReasonWrongClient, wantErr: assertion.ErrWrongAudience},
		{name: "aud absent", raw: resign(nil, setP("aud", nil)), want: claims.ReasonWrongClient, wantErr: assertion.ErrWrongAudience},
		{name: "aud a list naming this upstream", raw: resign(nil, setP("aud", []string{"billing", audience})), want: claims.ReasonOK},
		{name: "aud a list without it", raw: resign(nil, setP("aud", []string{"billing"})), want: claims.ReasonWrongClient},
		{name: "aud in another case", raw: resign(nil, setP("aud", "Orders")), want: claims.ReasonWrongClient},
		{name: "aud a number", raw: resign(nil, setP("aud", 1)), want: claims.ReasonMalformed},

		// Shape.
		{name: "no sub", raw: resign(nil, setP("sub", nil)), want: claims.ReasonMalformed},
		{name: "empty sub", raw: resign(nil, setP("sub", "")), want: claims.ReasonMalformed},
		{name: "no cognito_iss", raw: resign(nil, setP("cognito_iss", nil)), want: claims.ReasonMalformed},
		{name: "no jti", raw: resign(nil, setP("jti", nil)), want: claims.ReasonMalformed},
		{name: "no htm", raw: resign(nil, setP("htm", nil)), want: claims.ReasonMalformed},
		{name: "no path", raw: resign(nil, setP("path", nil)), want: claims.ReasonMalformed},
		{name: "groups not strings", raw: resign(nil, setP("groups", []any{"admin", 1})), want: claims.ReasonMalformed},
		{name: "scope with a tab", raw: resign(nil, setP("scope", "openid\temail")), want: claims.ReasonMalformed},
		{name: "scope with a doubled space", raw: resign(nil, setP("scope", "a  b")), want: claims.ReasonMalformed},
		{name: "email_verified a number", raw: resign(nil, setP("email_verified", 1)), want: claims.ReasonMalformed},
		{name: "duplicate member", raw: forge(t, g.priv, hdr, json.RawMessage(`{"sub":"a","sub":"b"}`)), want: claims.ReasonMalformed},
		{name: "duplicate member spelled with an escape", raw: forge(t, g.priv, json.RawMessage(`{"alg":"ES256","kid":"`+g.key.ID()+`","typ":"`+assertion.Type+`","\u0074yp":"JWT"}`), pl), want: claims.ReasonMalformed},
		{name: "payload not an object", raw: forge(t, g.priv, hdr, []string{"x"}), want: claims.ReasonMalformed},
		{name: "four segments", raw: genuine + ".e30", want: claims.ReasonMalformed},
		{name: "two segments", raw: genuine[:strings.LastIndexByte(genuine, '.')], want: claims.ReasonMalformed},
		{name: "padding", raw: genuine + "==", want: claims.ReasonMalformed},
		{name: "a line break", raw: genuine[:10] + "\n" + genuine[10:], want: claims.ReasonMalformed},
		// The signature's first character as the standard alphabet writes
		// 62 (whatever the token held: "-" in base64url, or another
		// character that a replacement of "-" and "_" alone might miss).
		{name: "standard base64 alphabet", raw: genuine[:strings.LastIndexByte(genuine, '.')+1] + "+" + genuine[strings.LastIndexByte(genuine, '.')+2:], want: claims.ReasonMalformed},
		{name: "over the size limit", raw: strings.Repeat("a", claims.DefaultMaxTokenBytes+1), want: claims.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.clock.Set(start)
			g.clock.Advance(tt.advance)
			v := g.verifier(t, nil)
			got, err := v.Verify(context.Background(), tt.raw)
			wantReason(t, err, tt.want)
			if tt.wantErr != nil {
				wantIs(t, err, tt.wantErr)
			}
			if (err == nil) != (got != nil) {
				t.Errorf("token %v with error %v", got, err)
			}
		})
	}
}

// TestVerifierOptions: the leeway, the lifetime bound and the audience
// opt-out do what they say, and no more.
func TestVerifierOptions(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{Lifetime: 20 * time.Second})
	raw := g.sign(t, cognitoToken(t), request)
	noAud := newGate(t, assertion.SignerConfig{})
	noAud.keys = g.keys
	tests := []struct {
		name    string
		edit    func(*assertion.VerifierConfig)
		raw     string
		advance time.Duration
		want    claims.Reason
	}{
		{"default leeway, inside", nil, raw, 24 * time.Second, claims.ReasonOK},
		{"default leeway, past", nil, raw, 25 * time.Second, claims.ReasonExpired},
		{"no leeway, at exp", func(c *assertion.VerifierConfig) { c.Leeway = claims.NoLeeway }, raw, 20 * time.Second, claims.ReasonExpired},
		{"no leeway, before exp", func(c *assertion.VerifierConfig) { c.Leeway = claims.NoLeeway }, raw, 19 * time.Second, claims.ReasonOK},
		{"30 s leeway", func(c *assertion.VerifierConfig) { c.Leeway = 30 * time.Second }, raw, 49 * time.Second, claims.ReasonOK},
		{"max lifetime below the assertion's", func(c *assertion.VerifierConfig) { c.MaxLifetime = 10 * time.Second }, raw, 0, claims.ReasonMalformed},
		{"max lifetime equal to it", func(c *assertion.VerifierConfig) { c.MaxLifetime = 20 * time.Second }, raw, 0, claims.ReasonOK},
		{"audience skipped: another upstream's assertion", func(c *assertion.VerifierConfig) { c.Audience, c.SkipAudienceCheck = "", true }, raw, 0, claims.ReasonOK},
		{"max token bytes below it", func(c *assertion.VerifierConfig) { c.MaxTokenBytes = len(raw) - 1 }, raw, 0, claims.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.clock.Set(start)
			g.clock.Advance(tt.advance)
			_, err := g.verifier(t, tt.edit).Verify(context.Background(), tt.raw)
			wantReason(t, err, tt.want)
		})
	}
}

// clone returns a shallow copy of m.
func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// with returns a copy of m with name set to v.
func with(m map[string]any, name string, v any) map[string]any {
	out := clone(m)
	out[name] = v
	return out
}

// flipFirst returns the base64url segment s with its first character
// changed.
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

// toDER encodes the 64-byte r||s signature as ASN.1 DER.
func toDER(sig []byte) []byte {
	integer := func(v []byte) []byte {
		for len(v) > 1 && v[0] == 0 {
			v = v[1:]
		}
		if v[0]&0x80 != 0 {
			v = append([]byte{0}, v...)
		}
		return append([]byte{2, byte(len(v))}, v...)
	}
	body := append(integer(sig[:32]), integer(sig[32:])...)
	return append([]byte{0x30, byte(len(body))}, body...)
}
