package assertion_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// start is where every test's clock begins: a whole second, as iat is.
var start = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// fakeClock is the tests' injected clock.
type fakeClock = fakeclock.Clock

func newClock() *fakeClock { return fakeclock.New(start) }

// Names the fixtures use.
const (
	gateIssuer = "https://gate.example.com"
	audience   = "orders"
)

// request is the request the fixtures' assertions are minted for.
var request = assertion.Request{Method: "GET", Host: "api.example.com", Path: "/orders/42"}

// pool is one fake user pool for every test; its verifier reads its keys
// statically.
var (
	pool      *cognitotest.Pool
	poolCheck *claims.Verifier
)

func TestMain(m *testing.M) {
	var err error
	if pool, err = cognitotest.Start(cognitotest.Config{}); err != nil {
		panic(err)
	}
	poolCheck, err = claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(),
		Keys:       pool.JWKS(),
		ClientIDs:  []string{pool.ClientID()},
		TokenUse:   claims.AnyToken,
	}}})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	poolCheck.Close()
	pool.Close()
	os.Exit(code)
}

// cognitoToken returns a verified access token of the fake pool.
func cognitoToken(tb testing.TB, opts ...cognitotest.TokenOption) *claims.Token {
	tb.Helper()
	return verified(tb, pool.AccessToken(opts...))
}

// verified returns the fake pool's token raw, verified.
func verified(tb testing.TB, raw string) *claims.Token {
	tb.Helper()
	tok, err := poolCheck.Verify(context.Background(), raw)
	if err != nil {
		tb.Fatalf("Verify(Cognito token): %v", err)
	}
	return tok
}

// gate is a signing side: a key set and a Signer on a fake clock.
type gate struct {
	clock  *fakeClock
	priv   *ecdsa.PrivateKey
	key    *assertion.Key
	keys   *assertion.KeySet
	signer *assertion.Signer
}

// newGate returns a gate whose Signer has cfg's settings, with Issuer,
// Audience, Keys and Now filled in where cfg leaves them empty.
func newGate(tb testing.TB, cfg assertion.SignerConfig) *gate {
	tb.Helper()
	g := &gate{clock: newClock()}
	g.priv, g.key = keyPair(tb)
	var err error
	if g.keys, err = assertion.NewKeySet(assertion.KeySetConfig{Now: g.clock.Now}, g.key); err != nil {
		tb.Fatal(err)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = gateIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = audience
	}
	cfg.Keys, cfg.Now = g.keys, g.clock.Now
	if g.signer, err = assertion.NewSigner(cfg); err != nil {
		tb.Fatal(err)
	}
	return g
}

// keyPair generates a P-256 key and its Key.
func keyPair(tb testing.TB) (*ecdsa.PrivateKey, *assertion.Key) {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	k, err := assertion.NewKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	return priv, k
}

// forge signs header and payload (JSON-encoded unless they are
// json.RawMessage) with priv, as an assertion is signed: ES256, r||s.
func forge(tb testing.TB, priv *ecdsa.PrivateKey, header, payload any) string {
	tb.Helper()
	var seg []string
	for _, v := range []any{header, payload} {
		b, ok := v.(json.RawMessage)
		if !ok {
			var err error
			if b, err = json.Marshal(v); err != nil {
				tb.Fatal(err)
			}
		}
		seg = append(seg, base64.RawURLEncoding.EncodeToString(b))
	}
	input := strings.Join(seg, ".")
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, priv, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// sign mints the assertion of tok for req.
func (g *gate) sign(tb testing.TB, tok *claims.Token, req assertion.Request) string {
	tb.Helper()
	raw, err := g.signer.Sign(tok, req)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return raw
}

// verifier returns a Verifier of the gate's assertions on the gate's
// clock, with its key set given statically; edit changes the
// configuration first.
func (g *gate) verifier(tb testing.TB, edit func(*assertion.VerifierConfig)) *assertion.Verifier {
	tb.Helper()
	cfg := assertion.VerifierConfig{Issuer: gateIssuer, Audience: audience, JWKS: g.keys.JWKS(), Now: g.clock.Now}
	if edit != nil {
		edit(&cfg)
	}
	v, err := assertion.NewVerifier(cfg)
	if err != nil {
		tb.Fatalf("NewVerifier: %v", err)
	}
	tb.Cleanup(func() { v.Close() })
	return v
}

// parts decodes an assertion's header and payload into maps.
func parts(tb testing.TB, raw string) (header, payload map[string]any) {
	tb.Helper()
	seg := strings.Split(raw, ".")
	if len(seg) != 3 {
		tb.Fatalf("%d segments", len(seg))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(seg[i])
		if err != nil {
			tb.Fatal(err)
		}
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(dst); err != nil {
			tb.Fatal(err)
		}
	}
	return header, payload
}

// reencode returns raw with its header and payload replaced by the JSON
// encodings of header and payload (nil: unchanged), signature kept.
func reencode(tb testing.TB, raw string, header, payload any) string {
	tb.Helper()
	seg := strings.Split(raw, ".")
	for i, v := range []any{header, payload} {
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			tb.Fatal(err)
		}
		seg[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	return strings.Join(seg, ".")
}

// wantReason fails tb unless err has the reason want (ok: nil).
func wantReason(tb testing.TB, err error, want claims.Reason) {
	tb.Helper()
	if got := claims.ReasonOf(err); got != want {
		tb.Errorf("reason %s (%v), want %s", got, err, want)
	}
}

// wantIs fails tb unless err matches target.
func wantIs(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Errorf("error %v, want one matching %v", err, target)
	}
}
