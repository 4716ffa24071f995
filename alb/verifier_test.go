package alb_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
)

// Compile-time check: a *Verifier serves where the middleware takes a
// verifier (middleware.Verifier has exactly this method set).
var _ interface {
	Verify(ctx context.Context, raw string) (*claims.Token, error)
} = (*alb.Verifier)(nil)

func TestVerifyGenuine(t *testing.T) {
	r := newRig(t, nil)
	raw := r.lb.Data(fakealb.WithUsername("bob"), fakealb.WithSubject("0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10"))
	if !strings.Contains(raw, "=") {
		t.Fatalf("fakealb minted no padding: %s", raw)
	}
	tok, err := r.verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := tokenFields{
		Subject: "0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10", Username: "bob", Email: "bob@example.com", EmailVerified: true,
		Issuer: r.lb.Issuer(), ClientID: r.lb.ClientID(), Signer: r.lb.Signer(), KeyID: r.lb.KeyID(), Algorithm: "ES256",
		Expiry: t0.Add(fakealb.DefaultTokenLifetime),
	}
	if got := fieldsOf(tok); got != want {
		t.Errorf("token\n got %+v\nwant %+v", got, want)
	}
	if p := string(tok.Payload()); !strings.HasPrefix(p, `{"sub":"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10",`) {
		t.Errorf("payload %s", p)
	}

	ct, err := r.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if ct.Use != alb.DataTokenUse || ct.Subject != want.Subject || ct.Username != "bob" || ct.ClientID != r.lb.ClientID() ||
		ct.Issuer != r.lb.Issuer() || ct.Email != "bob@example.com" || !ct.EmailVerified || ct.KeyID != r.lb.KeyID() ||
		ct.Algorithm != "ES256" || !ct.Expiry.Equal(want.Expiry) || ct.Groups != nil || ct.Scopes != nil {
		t.Errorf("claims token %+v", ct)
	}
	if r.tr.count() != 1 {
		t.Errorf("%d fetches for two verifications of one kid, want 1", r.tr.count())
	}
	if got, want := r.tr.sent(), []string{r.lb.KeyURL() + "/" + r.lb.KeyID()}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("fetched %q, want %q", got, want)
	}
}

// tokenFields is the exported fields of an alb.Token, comparable, its
// times in UTC.
type tokenFields struct {
	Subject, Username, Email              string
	EmailVerified                         bool
	Name, Issuer, ClientID, Signer, KeyID string
	Algorithm                             string
	Expiry, IssuedAt, NotBefore           time.Time
}

func fieldsOf(t *alb.Token) tokenFields {
	utc := func(x time.Time) time.Time {
		if x.IsZero() {
			return x
		}
		return x.UTC()
	}
	return tokenFields{
		Subject: t.Subject, Username: t.Username, Email: t.Email, EmailVerified: t.EmailVerified, Name: t.Name,
		Issuer: t.Issuer, ClientID: t.ClientID, Signer: t.Signer, KeyID: t.KeyID, Algorithm: t.Algorithm,
		Expiry: utc(t.Expiry), IssuedAt: utc(t.IssuedAt), NotBefore: utc(t.NotBefore),
	}
}

func TestVerifyEmptyIsMissingToken(t *testing.T) {
	r := newRig(t, nil)
	_, err := r.verify("")
	wantReason(t, err, claims.ReasonMissingToken)
}

// TestHeaderRules has a row per rule of the header. No row that fails
// before the key lookup may make a request.
func TestHeaderRules(t *testing.T) {
	otherALB := "arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/gate-test/50dc6c495c0c9188"
	tests := []struct {
		name    string
		opts    func(r *rig) []fakealb.TokenOption
		want    claims.Reason
		fetches int
	}{
		{"genuine", nil, claims.ReasonOK, 1},
		{"genuine unpadded", opts(fakealb.Unpadded()), claims.ReasonOK, 1},
		{"typ other", opts(fakealb.WithHeader("typ", "JOSE")), claims.ReasonOK, 1},
		{"jku ignored", opts(fakealb.WithHeader("jku", "http://127.0.0.1:1/keys")), claims.ReasonOK, 1},
		{"x5u ignored", opts(fakealb.WithHeader("x5u", "http://127.0.0.1:1/cert")), claims.ReasonOK, 1},
		{"unknown member ignored", opts(fakealb.WithHeader("region", "eu-west-1")), claims.ReasonOK, 1},

		{"no alg", opts(fakealb.WithoutHeader("alg")), claims.ReasonMalformed, 0},
		{"alg not a string", opts(fakealb.WithHeader("alg", 256)), claims.ReasonMalformed, 0},
		{"alg none", opts(fakealb.WithHeader("alg", "none")), claims.ReasonUnsupportedAlg, 0},
		{"alg HS256", opts(fakealb.WithHeader("alg", "HS256")), claims.ReasonUnsupportedAlg, 0},
		{"alg RS256", opts(fakealb.WithHeader("alg", "RS256")), claims.ReasonUnsupportedAlg, 0},
		{"alg ES384", opts(fakealb.WithHeader("alg", "ES384")), claims.ReasonUnsupportedAlg, 0},
		{"alg lowercase", opts(fakealb.WithHeader("alg", "es256")), claims.ReasonUnsupportedAlg, 0},
		{"alg empty", opts(fakealb.WithHeader("alg", "")), claims.ReasonUnsupportedAlg, 0},

		{"no kid", opts(fakealb.WithoutHeader("kid")), claims.ReasonMalformed, 0},
		{"kid not a string", opts(fakealb.WithHeader("kid", 7)), claims.ReasonMalformed, 0},
		{"kid dot dot", opts(fakealb.WithHeader("kid", "../x")), claims.ReasonMalformed, 0},
		{"kid path traversal", opts(fakealb.WithHeader("kid", "../../../../etc/passwd")), claims.ReasonMalformed, 0},
		{"kid slash", opts(fakealb.WithHeader("kid", "12345678-1234-1234-1234/123456789012")), claims.ReasonMalformed, 0},
		{"kid encoded slash", opts(fakealb.WithHeader("kid", "%2e%2e%2f12345678-1234-1234-1234-1234567")), claims.ReasonMalformed, 0},
		{"kid query", opts(fakealb.WithHeader("kid", "12345678-1234-1234-1234-12345678?x=1")), claims.ReasonMalformed, 0},
		{"kid fragment", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithHeader("kid", r.lb.KeyID()+"#x")}
		}, claims.ReasonMalformed, 0},
		{"kid with suffix", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithHeader("kid", r.lb.KeyID()+"/..")}
		}, claims.ReasonMalformed, 0},
		{"kid absolute URL", opts(fakealb.WithHeader("kid", "http://127.0.0.1:1/12345678-1234-1234-1234-123456789012")), claims.ReasonMalformed, 0},
		{"kid urn", opts(fakealb.WithHeader("kid", "urn:uuid:12345678-1234-1234-1234-123456789012")), claims.ReasonMalformed, 0},
		{"kid braces", opts(fakealb.WithHeader("kid", "{12345678-1234-1234-1234-123456789012}")), claims.ReasonMalformed, 0},
		{"kid without hyphens", opts(fakealb.WithHeader("kid", "12345678123412341234123456789012")), claims.ReasonMalformed, 0},
		{"kid mixed case", opts(fakealb.WithHeader("kid", "abcdef12-ABCD-1234-1234-123456789012")), claims.ReasonMalformed, 0},
		{"kid non-hex", opts(fakealb.WithHeader("kid", "g2345678-1234-1234-1234-123456789012")), claims.ReasonMalformed, 0},
		{"kid trailing newline", opts(fakealb.WithHeader("kid", "12345678-1234-1234-1234-123456789012\n")), claims.ReasonMalformed, 0},
		{"kid space", opts(fakealb.WithHeader("kid", "12345678-1234-1234-1234-12345678901 ")), claims.ReasonMalformed, 0},
		{"kid fullwidth digit", opts(fakealb.WithHeader("kid", "１2345678-1234-1234-1234-12345678901")), claims.ReasonMalformed, 0},
		{"kid empty", opts(fakealb.WithHeader("kid", "")), claims.ReasonMalformed, 0},
		{"kid UUID not served", opts(fakealb.WithHeader("kid", "12345678-1234-1234-1234-123456789012")), claims.ReasonUnknownKID, 1},
		{"kid uppercase spelling", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithHeader("kid", strings.ToUpper(r.lb.KeyID()))}
		}, claims.ReasonUnknownKID, 1},

		{"no signer", opts(fakealb.WithoutHeader("signer")), claims.ReasonMalformed, 0},
		{"signer not a string", opts(fakealb.WithHeader("signer", []string{"arn"})), claims.ReasonMalformed, 0},
		{"signer of another account", opts(fakealb.WithSigner(otherALB)), claims.ReasonWrongSigner, 0},
		{"signer prefix", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithSigner(strings.TrimSuffix(r.lb.Signer(), "/50dc6c495c0c9188"))}
		}, claims.ReasonWrongSigner, 0},
		{"signer extended", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithSigner(r.lb.Signer() + "0")}
		}, claims.ReasonWrongSigner, 0},
		{"signer upper case", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithSigner(strings.ToUpper(r.lb.Signer()))}
		}, claims.ReasonWrongSigner, 0},

		{"no client", opts(fakealb.WithoutHeader("client")), claims.ReasonMalformed, 0},
		{"client of another app", opts(fakealb.WithClientID("1example23456789otherclient")), claims.ReasonWrongClient, 0},
		{"client padded", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithClientID(r.lb.ClientID() + " ")}
		}, claims.ReasonWrongClient, 0},
		{"client not a string", opts(fakealb.WithHeader("client", 1)), claims.ReasonMalformed, 0},

		{"no iss", opts(fakealb.WithoutHeader("iss")), claims.ReasonMalformed, 0},
		{"iss of another pool", opts(fakealb.WithIssuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")), claims.ReasonWrongIssuer, 0},
		{"iss trailing slash", func(r *rig) []fakealb.TokenOption {
			return []fakealb.TokenOption{fakealb.WithHeader("iss", r.lb.Issuer()+"/")}
		}, claims.ReasonWrongIssuer, 0},

		{"no exp", opts(fakealb.WithoutHeader("exp")), claims.ReasonMalformed, 0},
		{"exp a string", opts(fakealb.WithHeader("exp", "1773503366")), claims.ReasonMalformed, 0},
		{"exp a fraction", opts(fakealb.WithHeader("exp", 1773503366.5)), claims.ReasonMalformed, 0},
		{"exp in milliseconds", opts(fakealb.WithHeader("exp", t0.Add(time.Hour).UnixMilli())), claims.ReasonMalformed, 0},
		{"exp negative", opts(fakealb.WithHeader("exp", -1)), claims.ReasonMalformed, 0},
		{"exp passed", opts(fakealb.WithHeader("exp", t0.Add(-time.Minute).Unix())), claims.ReasonExpired, 0},

		{"crit", opts(fakealb.WithHeader("crit", []string{"exp"})), claims.ReasonMalformed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			var o []fakealb.TokenOption
			if tt.opts != nil {
				o = tt.opts(r)
			}
			_, err := r.verify(r.lb.Data(o...))
			wantReason(t, err, tt.want)
			if got := r.tr.count(); got != tt.fetches {
				t.Errorf("%d fetches (%q), want %d", got, r.tr.sent(), tt.fetches)
			}
			for _, u := range r.tr.sent() {
				if !strings.HasPrefix(u, r.lb.KeyURL()+"/") {
					t.Errorf("fetched %q, outside the key endpoint", u)
				}
			}
		})
	}
}

// opts returns a row's options that need nothing of the rig.
func opts(o ...fakealb.TokenOption) func(*rig) []fakealb.TokenOption {
	return func(*rig) []fakealb.TokenOption { return o }
}

func TestWrongSignerIsItsOwnError(t *testing.T) {
	r := newRig(t, nil)
	_, err := r.verify(r.lb.Data(fakealb.WithSigner("arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/x/50dc6c495c0c9188")))
	wantErr(t, err, alb.ErrWrongSigner)
	wantErr(t, err, claims.ErrWrongSigner)
	if errors.Is(err, claims.ErrWrongIssuer) {
		t.Error("a wrong signer reads as a wrong issuer")
	}
}

// TestPayloadRules has a row per rule of the user claims.
func TestPayloadRules(t *testing.T) {
	tests := []struct {
		name string
		opts []fakealb.TokenOption
		want claims.Reason
		// check, when set, looks at the verified token.
		check func(t *testing.T, tok *alb.Token)
	}{
		{"no sub", []fakealb.TokenOption{fakealb.WithoutClaim("sub")}, claims.ReasonMalformed, nil},
		{"empty sub", []fakealb.TokenOption{fakealb.WithClaim("sub", "")}, claims.ReasonMalformed, nil},
		{"sub a number", []fakealb.TokenOption{fakealb.WithClaim("sub", 12)}, claims.ReasonMalformed, nil},
		{"username a number", []fakealb.TokenOption{fakealb.WithClaim("username", 1)}, claims.ReasonMalformed, nil},
		{"email an array", []fakealb.TokenOption{fakealb.WithClaim("email", []string{"a@example.com"})}, claims.ReasonMalformed, nil},
		{"name", []fakealb.TokenOption{fakealb.WithClaim("name", "Bob B.")}, claims.ReasonOK, func(t *testing.T, tok *alb.Token) {
			if tok.Name != "Bob B." {
				t.Errorf("name %q", tok.Name)
			}
		}},
		{"email_verified boolean", []fakealb.TokenOption{fakealb.WithClaim("email_verified", true)}, claims.ReasonOK, func(t *testing.T, tok *alb.Token) {
			if !tok.EmailVerified {
				t.Error("email_verified true read as false")
			}
		}},
		{"email_verified false string", []fakealb.TokenOption{fakealb.WithClaim("email_verified", "false")}, claims.ReasonOK, func(t *testing.T, tok *alb.Token) {
			if tok.EmailVerified {
				t.Error("email_verified \"false\" read as true")
			}
		}},
		{"email_verified yes", []fakealb.TokenOption{fakealb.WithClaim("email_verified", "yes")}, claims.ReasonMalformed, nil},
		{"email_verified 1", []fakealb.TokenOption{fakealb.WithClaim("email_verified", 1)}, claims.ReasonMalformed, nil},
		{"no iss", []fakealb.TokenOption{fakealb.WithoutClaim("iss")}, claims.ReasonOK, nil},
		{"iss other than the header's", []fakealb.TokenOption{fakealb.WithClaim("iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")}, claims.ReasonWrongIssuer, nil},
		{"iss not a string", []fakealb.TokenOption{fakealb.WithClaim("iss", 1)}, claims.ReasonMalformed, nil},
		{"no exp", []fakealb.TokenOption{fakealb.WithoutClaim("exp")}, claims.ReasonOK, nil},
		{"exp earlier and passed", []fakealb.TokenOption{fakealb.WithClaim("exp", t0.Add(-time.Minute).Unix())}, claims.ReasonExpired, nil},
		{"exp earlier", []fakealb.TokenOption{fakealb.WithClaim("exp", t0.Add(time.Minute).Unix())}, claims.ReasonOK, func(t *testing.T, tok *alb.Token) {
			if !tok.Expiry.Equal(t0.Add(time.Minute)) {
				t.Errorf("expiry %s, want the payload's earlier exp", tok.Expiry)
			}
		}},
		{"exp later", []fakealb.TokenOption{fakealb.WithClaim("exp", t0.Add(time.Hour).Unix())}, claims.ReasonOK, func(t *testing.T, tok *alb.Token) {
			if !tok.Expiry.Equal(t0.Add(fakealb.DefaultTokenLifetime)) {
				t.Errorf("expiry %s, want the header's earlier exp", tok.Expiry)
			}
		}},
		{"exp a string", []fakealb.TokenOption{fakealb.WithClaim("exp", "soon")}, claims.ReasonMalformed, nil},
		{"exp in milliseconds", []fakealb.TokenOption{fakealb.WithClaim("exp", t0.UnixMilli())}, claims.ReasonMalformed, nil},
		{"nbf ahead", []fakealb.TokenOption{fakealb.WithClaim("nbf", t0.Add(time.Minute).Unix())}, claims.ReasonNotYetValid, nil},
		{"nbf within leeway", []fakealb.TokenOption{fakealb.WithClaim("nbf", t0.Add(4*time.Second).Unix())}, claims.ReasonOK, nil},
		{"iat ahead", []fakealb.TokenOption{fakealb.WithClaim("iat", t0.Add(time.Minute).Unix())}, claims.ReasonIssuedInFuture, nil},
		{"iat passed", []fakealb.TokenOption{fakealb.WithClaim("iat", t0.Add(-time.Minute).Unix())}, claims.ReasonOK, nil},
		{"other claims kept", []fakealb.TokenOption{fakealb.WithClaim("custom:tenant", "acme"), fakealb.WithClaim("identities", "[{\"providerName\":\"Google\"}]")}, claims.ReasonOK,
			func(t *testing.T, tok *alb.Token) {
				if p := string(tok.Payload()); !strings.Contains(p, `"custom:tenant":"acme"`) {
					t.Errorf("payload %s lost a claim", p)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			tok, err := r.verify(r.lb.Data(tt.opts...))
			wantReason(t, err, tt.want)
			if tt.check != nil && err == nil {
				tt.check(t, tok)
			}
			if tt.want != claims.ReasonOK && r.tr.count() != 0 {
				t.Errorf("%d fetches for a token refused before the key lookup", r.tr.count())
			}
		})
	}
}

// TestStrictJSON refuses what a lenient decoder would read one way and
// another reader another, in the header and in the payload, though the
// signature is genuine.
func TestStrictJSON(t *testing.T) {
	r := newRig(t, nil)
	hdr, pay := decodedParts(t, r.lb.Data())
	tests := []struct {
		name            string
		header, payload string
	}{
		{"header duplicate alg", strings.Replace(hdr, `"alg":"ES256"`, `"alg":"ES256","alg":"none"`, 1), pay},
		{"header duplicate kid, escaped", strings.Replace(hdr, `"kid":`, `"\u006bid":"12345678-1234-1234-1234-123456789012","kid":`, 1), pay},
		{"header duplicate signer", strings.Replace(hdr, `"signer":`, `"signer":"arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/x/50dc6c495c0c9188","signer":`, 1), pay},
		{"header trailing comma", strings.Replace(hdr, "}", ",}", 1), pay},
		{"header not an object", `["ES256"]`, pay},
		{"header lone surrogate", strings.Replace(hdr, `"typ":"JWT"`, `"typ":"\ud800"`, 1), pay},
		{"payload duplicate sub", hdr, strings.Replace(pay, `"sub":`, `"sub":"someone-else","sub":`, 1)},
		{"payload duplicate iss", hdr, strings.Replace(pay, `"iss":`, `"iss":"https://x.example","iss":`, 1)},
		{"payload invalid UTF-8", hdr, strings.Replace(pay, `"username":"alice"`, "\"username\":\"al\xffce\"", 1)},
		{"payload nested too deep", hdr, strings.Replace(pay, "}", `,"deep":`+strings.Repeat("[", 70)+strings.Repeat("]", 70)+"}", 1)},
		{"payload an array", hdr, `[{"sub":"x"}]`},
		{"payload trailing data", hdr, pay + "{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.verify(r.lb.Sign([]byte(tt.header), []byte(tt.payload)))
			wantReason(t, err, claims.ReasonMalformed)
		})
	}
	if r.tr.count() != 0 {
		t.Errorf("%d fetches for malformed tokens", r.tr.count())
	}
	// The same JSON, well formed, verifies: the rows above fail for their
	// change only.
	if _, err := r.verify(r.lb.Sign([]byte(hdr), []byte(pay))); err != nil {
		t.Fatalf("the unchanged parts: %v", err)
	}
}

// decodedParts returns a padded data token's header and payload JSON.
func decodedParts(t testing.TB, raw string) (header, payload string) {
	t.Helper()
	s := segments(t, raw)
	h, err := base64.URLEncoding.DecodeString(s[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := base64.URLEncoding.DecodeString(s[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(h), string(p)
}

func TestLeeway(t *testing.T) {
	tests := []struct {
		name   string
		leeway time.Duration
		exp    time.Duration // from now
		want   claims.Reason
	}{
		{"default, unexpired", 0, time.Second, claims.ReasonOK},
		{"default, just expired", 0, -time.Second, claims.ReasonOK},
		{"default, at the leeway", 0, -claims.DefaultLeeway, claims.ReasonExpired},
		{"default, past the leeway", 0, -6 * time.Second, claims.ReasonExpired},
		{"none, unexpired", claims.NoLeeway, time.Second, claims.ReasonOK},
		{"none, at exp", claims.NoLeeway, 0, claims.ReasonExpired},
		{"none, just expired", claims.NoLeeway, -time.Second, claims.ReasonExpired},
		{"five minutes, expired four ago", claims.MaxLeeway, -4 * time.Minute, claims.ReasonOK},
		{"five minutes, expired six ago", claims.MaxLeeway, -6 * time.Minute, claims.ReasonExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, func(c *alb.Config) { c.Leeway = tt.leeway })
			_, err := r.verify(r.lb.Data(fakealb.WithExpiry(t0.Add(tt.exp))))
			wantReason(t, err, tt.want)
			if tt.want == claims.ReasonExpired && r.tr.count() != 0 {
				t.Errorf("%d fetches for an expired token", r.tr.count())
			}
		})
	}
}

func TestSizeBound(t *testing.T) {
	r := newRig(t, func(c *alb.Config) { c.MaxTokenBytes = 2048 })
	fits := r.lb.Data(fakealb.WithClaim("pad", strings.Repeat("x", 900)))
	if len(fits) > 2048 {
		t.Fatalf("test token of %d bytes", len(fits))
	}
	if _, err := r.verify(fits); err != nil {
		t.Fatalf("a token under the bound: %v", err)
	}
	before := r.tr.count()
	big := r.lb.Data(fakealb.WithClaim("pad", strings.Repeat("x", 2048)))
	_, err := r.verify(big)
	wantReason(t, err, claims.ReasonMalformed)
	// A header of a megabyte is refused by its length alone.
	_, err = r.verify(strings.Repeat("A", 1<<20))
	wantReason(t, err, claims.ReasonMalformed)
	if r.tr.count() != before {
		t.Errorf("oversized tokens made %d fetches", r.tr.count()-before)
	}
}

func TestSignatureRules(t *testing.T) {
	tests := []struct {
		name    string
		token   func(r *rig) string
		want    claims.Reason
		fetches int
	}{
		{"ASN.1 DER", func(r *rig) string { return r.lb.Data(fakealb.WithDERSignature()) }, claims.ReasonBadSignature, 0},
		{"ASN.1 DER unpadded", func(r *rig) string { return r.lb.Data(fakealb.WithDERSignature(), fakealb.Unpadded()) }, claims.ReasonBadSignature, 0},
		{"truncated", func(r *rig) string {
			s := segments(t, r.lb.Data())
			sig, _ := base64.URLEncoding.DecodeString(s[2])
			return s[0] + "." + s[1] + "." + base64.URLEncoding.EncodeToString(sig[:63])
		}, claims.ReasonBadSignature, 0},
		{"zero r||s", func(r *rig) string {
			s := segments(t, r.lb.Data())
			return s[0] + "." + s[1] + "." + base64.URLEncoding.EncodeToString(make([]byte, 64))
		}, claims.ReasonBadSignature, 1},
		{"payload changed after signing", func(r *rig) string {
			s := segments(t, r.lb.Data(fakealb.WithUsername("alice")))
			other := segments(t, r.lb.Data(fakealb.WithUsername("mallory")))
			return s[0] + "." + other[1] + "." + s[2]
		}, claims.ReasonBadSignature, 1},
		{"padding removed after signing", func(r *rig) string {
			// The signing input includes the padding: the same bytes
			// unpadded are another input.
			s := segments(t, r.lb.Data())
			return strings.TrimRight(s[0], "=") + "." + strings.TrimRight(s[1], "=") + "." + strings.TrimRight(s[2], "=")
		}, claims.ReasonBadSignature, 1},
		{"signed by a retired key under the current kid", func(r *rig) string {
			old := r.lb.KeyID()
			r.lb.Rotate()
			return r.lb.Data(fakealb.WithKeyID(old), fakealb.WithHeader("kid", r.lb.KeyID()))
		}, claims.ReasonBadSignature, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			_, err := r.verify(tt.token(r))
			wantReason(t, err, tt.want)
			if got := r.tr.count(); got != tt.fetches {
				t.Errorf("%d fetches, want %d", got, tt.fetches)
			}
		})
	}
}

// TestEncodingForms accepts a token in the load balancer's padded form or
// the unpadded one, every segment alike, and nothing else; every row is
// signed over its segments as sent, so a refusal is the form's.
func TestEncodingForms(t *testing.T) {
	pad, raw := base64.URLEncoding, base64.RawURLEncoding
	tests := []struct {
		name string
		// build returns the three segments from the header, payload and
		// signing function.
		build func(h, p []byte, sign func(input string) []byte) string
		want  claims.Reason
	}{
		{"all padded", func(h, p []byte, sign func(string) []byte) string { return assemble(pad, pad, pad, h, p, sign) }, claims.ReasonOK},
		{"all unpadded", func(h, p []byte, sign func(string) []byte) string { return assemble(raw, raw, raw, h, p, sign) }, claims.ReasonOK},
		{"header padded, rest unpadded", func(h, p []byte, sign func(string) []byte) string { return assemble(pad, raw, raw, h, p, sign) }, claims.ReasonMalformed},
		{"payload unpadded, rest padded", func(h, p []byte, sign func(string) []byte) string { return assemble(pad, raw, pad, h, p, sign) }, claims.ReasonMalformed},
		{"signature padded only", func(h, p []byte, sign func(string) []byte) string { return assemble(raw, raw, pad, h, p, sign) }, claims.ReasonMalformed},
		{"one '=' short", func(h, p []byte, sign func(string) []byte) string {
			return signed(strings.TrimSuffix(pad.EncodeToString(h), "=")+"."+pad.EncodeToString(p), pad, sign)
		}, claims.ReasonMalformed},
		{"one '=' too many", func(h, p []byte, sign func(string) []byte) string {
			return signed(pad.EncodeToString(h)+"=."+pad.EncodeToString(p), pad, sign)
		}, claims.ReasonMalformed},
		{"padding where none is due", func(h, p []byte, sign func(string) []byte) string {
			even := padToMod(h, 0) // encodes without padding in either form
			return signed(pad.EncodeToString(even)+"===="+"."+pad.EncodeToString(p), pad, sign)
		}, claims.ReasonMalformed},
		{"'=' inside a segment", func(h, p []byte, sign func(string) []byte) string {
			e := pad.EncodeToString(h)
			return signed(e[:8]+"="+e[8:]+"."+pad.EncodeToString(p), pad, sign)
		}, claims.ReasonMalformed},
		{"standard alphabet", func(h, p []byte, sign func(string) []byte) string {
			// Until a '+' or '/' shows (the signature differs each time):
			// without one, the standard encoding is the URL-safe one.
			for {
				if tok := assemble(base64.StdEncoding, base64.StdEncoding, base64.StdEncoding, h, p, sign); strings.ContainsAny(tok, "+/") {
					return tok
				}
			}
		}, claims.ReasonMalformed},
		{"line break", func(h, p []byte, sign func(string) []byte) string {
			e := pad.EncodeToString(h)
			return signed(e[:8]+"\n"+e[8:]+"."+pad.EncodeToString(p), pad, sign)
		}, claims.ReasonMalformed},
		{"carriage return", func(h, p []byte, sign func(string) []byte) string {
			e := pad.EncodeToString(h)
			return signed(e[:8]+"\r"+e[8:]+"."+pad.EncodeToString(p), pad, sign)
		}, claims.ReasonMalformed},
		{"space", func(h, p []byte, sign func(string) []byte) string {
			return signed(pad.EncodeToString(h)+" ."+pad.EncodeToString(p), pad, sign)
		}, claims.ReasonMalformed},
		{"non-zero trailing bits", func(h, p []byte, sign func(string) []byte) string {
			return signed(pad.EncodeToString(h)+"."+nonCanonical(pad.EncodeToString(p)), pad, sign)
		}, claims.ReasonMalformed},
		{"two segments", func(h, p []byte, _ func(string) []byte) string {
			return pad.EncodeToString(h) + "." + pad.EncodeToString(p)
		}, claims.ReasonMalformed},
		{"four segments", func(h, p []byte, sign func(string) []byte) string {
			return assemble(pad, pad, pad, h, p, sign) + ".AAAA"
		}, claims.ReasonMalformed},
		{"empty signature", func(h, p []byte, _ func(string) []byte) string {
			return pad.EncodeToString(h) + "." + pad.EncodeToString(p) + "."
		}, claims.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			h, p := decodedParts(t, r.lb.Data())
			// Lengths that need padding in every segment: the rows mean it.
			hb, pb := padToMod([]byte(h), 1), padToMod([]byte(p), 1)
			sign := func(input string) []byte { return r.lb.SignES256("", []byte(input)) }
			_, err := r.verify(tt.build(hb, pb, sign))
			wantReason(t, err, tt.want)
			if tt.want != claims.ReasonOK && r.tr.count() != 0 {
				t.Errorf("%d fetches for a malformed token", r.tr.count())
			}
		})
	}
}

// assemble encodes the header and payload, signs them as encoded and
// encodes the signature, each with its own encoding.
func assemble(he, pe, se *base64.Encoding, h, p []byte, sign func(string) []byte) string {
	return signed(he.EncodeToString(h)+"."+pe.EncodeToString(p), se, sign)
}

// signed appends the encoded signature of input.
func signed(input string, se *base64.Encoding, sign func(string) []byte) string {
	return input + "." + se.EncodeToString(sign(input))
}

// padToMod returns the JSON object b with spaces before its closing brace
// until its length modulo 3 is m: with m 1, its base64 ends in "==" (as
// does the 64-byte signature's), with m 0 it has no padding at all.
func padToMod(b []byte, m int) []byte {
	for len(b)%3 != m {
		b = append(b[:len(b)-1:len(b)-1], ' ', '}')
	}
	return b
}

// nonCanonical changes the last character before the padding of a padded
// segment so that the unused low bits are not zero: the same bytes,
// spelled another way.
func nonCanonical(seg string) string {
	trimmed := strings.TrimRight(seg, "=")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, trimmed[len(trimmed)-1])
	return trimmed[:len(trimmed)-1] + string(alphabet[last|1]) + seg[len(trimmed):]
}

// TestClaimsTokenCarriesThePayload: the *claims.Token of a verified data
// token reads every signed user claim, so policy conditions on them work;
// a Token not made by VerifyData gives its fields and no claims.
func TestClaimsTokenCarriesThePayload(t *testing.T) {
	r := newRig(t, nil)
	tok, err := r.verify(r.lb.Data(fakealb.WithClaim("custom:tenant", "t-1")))
	if err != nil {
		t.Fatal(err)
	}
	ct := tok.ClaimsToken()
	if v, ok := ct.StringClaim("custom:tenant"); !ok || v != "t-1" || ct.Subject != tok.Subject || ct.Use != alb.DataTokenUse {
		t.Errorf("claims token: custom:tenant %q %v, %+v", v, ok, ct)
	}
	bare := (&alb.Token{Subject: "s"}).ClaimsToken()
	if _, ok := bare.StringClaim("sub"); ok || bare.Subject != "s" {
		t.Errorf("bare token: %+v", bare)
	}
}
