package jwks_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"testing"

	"github.com/cognito-gate/cognito-gate/jwks"
)

func TestParse(t *testing.T) {
	p := keyPool(t)
	kids := p.KeyIDs()
	k0, k1 := p.PublicKey(kids[0]), p.PublicKey(kids[1])
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecJWK := map[string]any{
		"kty": "EC", "kid": "ec", "crv": "P-256", "use": "sig",
		"x": base64.RawURLEncoding.EncodeToString(ec.X.FillBytes(make([]byte, 32))),
		"y": base64.RawURLEncoding.EncodeToString(ec.Y.FillBytes(make([]byte, 32))),
	}
	good := jwk(kids[0], k0, nil)

	many := make([]map[string]any, 0, jwks.MaxKeys+2)
	for i := 0; i < jwks.MaxKeys+2; i++ {
		many = append(many, jwk(fmt.Sprint("k", i), k0, nil))
	}

	tests := []struct {
		name        string
		doc         []byte
		wantKIDs    []string
		wantSkipped []string // reasons, in order
		wantErr     error
	}{
		{name: "two cognito keys", doc: set(good, jwk(kids[1], k1, nil)), wantKIDs: []string{kids[0], kids[1]}},
		{name: "use and alg absent", doc: set(jwk("a", k0, map[string]any{"use": nil, "alg": nil})), wantKIDs: []string{"a"}},
		{name: "RS512 key", doc: set(jwk("a", k0, map[string]any{"alg": "RS512"})), wantKIDs: []string{"a"}},
		{name: "unknown members ignored", doc: []byte(`{"keys":[` + object(good) + `],"extra":true}`), wantKIDs: []string{kids[0]}},
		{name: "ec key skipped", doc: set(good, ecJWK), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipNotRSA}},
		{name: "symmetric key skipped", doc: set(good, map[string]any{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipPrivate}},
		{name: "enc key skipped", doc: set(good, jwk("e", k1, map[string]any{"use": "enc"})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipUse}},
		// key_ops restricts the key to its operations (RFC 7517 section
		// 4.3): without "verify" it verifies nothing (review finding R11).
		{name: "key_ops without verify skipped", doc: set(good, jwk("o", k1, map[string]any{"key_ops": []string{"encrypt", "wrapKey"}})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipUse}},
		{name: "empty key_ops skipped", doc: set(good, jwk("o", k1, map[string]any{"key_ops": []string{}})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipUse}},
		{name: "key_ops with verify", doc: set(good, jwk("o", k1, map[string]any{"key_ops": []string{"verify"}})), wantKIDs: []string{kids[0], "o"}},
		{name: "PS256 key skipped", doc: set(good, jwk("p", k1, map[string]any{"alg": "PS256"})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipAlg}},
		{name: "none alg key skipped", doc: set(good, jwk("p", k1, map[string]any{"alg": "none"})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipAlg}},
		{name: "missing kid skipped", doc: set(good, jwk("", k1, map[string]any{"kid": nil})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipNoKID}},
		{name: "empty kid skipped", doc: set(good, jwk("", k1, nil)), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipNoKID}},
		{name: "duplicate kid drops both", doc: set(good, jwk("d", k0, nil), jwk("d", k1, nil)), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipDuplicateKID}},
		{name: "1024-bit key skipped", doc: set(good, jwk("s", &small.PublicKey, nil)), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipSize}},
		{name: "even modulus skipped", doc: set(good, jwk("ev", &rsa.PublicKey{N: new(big.Int).Add(k1.N, big.NewInt(1)), E: k1.E}, nil)), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipInvalid}},
		{name: "even exponent skipped", doc: set(good, jwk("x", k1, map[string]any{"e": "Ag"})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipExponent}},
		{name: "private key skipped", doc: set(good, jwk("priv", k1, map[string]any{"d": "AQAB", "p": "AQAB", "q": "AQAB"})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipPrivate}},
		{name: "bad modulus skipped", doc: set(good, jwk("bad", k1, map[string]any{"n": "!!!"})), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipInvalid}},
		{name: "key is not an object", doc: []byte(`{"keys":[` + object(good) + `,"x"]}`), wantKIDs: []string{kids[0]}, wantSkipped: []string{jwks.SkipInvalid}},
		{name: "more than MaxKeys", doc: set(many...), wantKIDs: kidsN(jwks.MaxKeys), wantSkipped: []string{jwks.SkipTooManyKeys, jwks.SkipTooManyKeys}},

		{name: "only bad keys", doc: set(ecJWK, jwk("s", &small.PublicKey, nil)), wantErr: jwks.ErrNoUsableKeys, wantSkipped: []string{jwks.SkipNotRSA, jwks.SkipSize}},
		{name: "empty keys", doc: set(), wantErr: jwks.ErrNoUsableKeys},
		{name: "no keys member", doc: []byte(`{"kys":[]}`), wantErr: jwks.ErrMalformed},
		{name: "keys is null", doc: []byte(`{"keys":null}`), wantErr: jwks.ErrMalformed},
		{name: "keys not an array", doc: []byte(`{"keys":{}}`), wantErr: jwks.ErrMalformed},
		{name: "array document", doc: []byte(`[{"keys":[]}]`), wantErr: jwks.ErrMalformed},
		{name: "html", doc: []byte(`<html>503</html>`), wantErr: jwks.ErrMalformed},
		{name: "truncated", doc: set(good)[:100], wantErr: jwks.ErrMalformed},
		{name: "empty", doc: nil, wantErr: jwks.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, skipped, err := jwks.Parse(tt.doc)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			var gotKIDs []string
			for kid := range keys {
				gotKIDs = append(gotKIDs, kid)
			}
			slices.Sort(gotKIDs)
			want := slices.Sorted(slices.Values(tt.wantKIDs))
			if !slices.Equal(gotKIDs, want) {
				t.Errorf("kids = %q, want %q", gotKIDs, want)
			}
			var gotSkipped []string
			for _, s := range skipped {
				gotSkipped = append(gotSkipped, s.Reason)
				if !snakeCase.MatchString(s.Reason) || s.Detail == "" || s.Detail == s.Reason {
					t.Errorf("skipped entry %d: reason %q, detail %q; want a snake_case code and a sentence", s.Index, s.Reason, s.Detail)
				}
			}
			if !slices.Equal(gotSkipped, tt.wantSkipped) {
				t.Errorf("skipped = %q, want %q", gotSkipped, tt.wantSkipped)
			}
		})
	}
}

// snakeCase matches the codes of the vocabularies: lowercase words joined
// by underscores.
var snakeCase = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)

// TestVocabulariesAreSnakeCase: skip reasons and fetch results are codes
// for logs and metric labels, not sentences.
func TestVocabulariesAreSnakeCase(t *testing.T) {
	for _, r := range []string{jwks.SkipInvalid, jwks.SkipNotRSA, jwks.SkipUse, jwks.SkipAlg, jwks.SkipNoKID,
		jwks.SkipDuplicateKID, jwks.SkipSize, jwks.SkipExponent, jwks.SkipPrivate, jwks.SkipTooManyKeys} {
		if !snakeCase.MatchString(r) {
			t.Errorf("skip reason %q is not snake_case", r)
		}
	}
	var results []string
	for i, r := range jwks.FetchResults {
		if i != len(results) || !snakeCase.MatchString(r) {
			t.Errorf("fetch result %d %q", i, r)
		}
		results = append(results, r)
	}
	want := []string{"ok", "network", "timeout", "status", "too_large", "malformed", "no_usable_keys", "error"}
	if !slices.Equal(results, want) {
		t.Errorf("FetchResults = %q, want %q", results, want)
	}
	// Breaking early stops it.
	for range jwks.FetchResults {
		break
	}
	for _, e := range []jwks.FetchEvent{{}, {Err: errors.New("x")}, {Err: jwks.ErrStatus}, {Err: jwks.ErrFetch},
		{Err: jwks.ErrTooLarge}, {Err: jwks.ErrMalformed}, {Err: jwks.ErrNoUsableKeys}, {Err: context.DeadlineExceeded}} {
		if !slices.Contains(results, e.Result()) {
			t.Errorf("Result() = %q, not one of FetchResults", e.Result())
		}
	}
}

func kidsN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint("k", i)
	}
	return out
}

// object renders m as JSON.
func object(m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestKeyPublicIsACopy: the public key a Key hands out is a copy; changing
// it does not change the key that verifies tokens.
func TestKeyPublicIsACopy(t *testing.T) {
	k := newTestKeys(t)
	keys, _, err := jwks.Parse(set(k.a))
	if err != nil {
		t.Fatal(err)
	}
	key := keys[k.kidA]
	pub := key.Public()
	pub.N.SetInt64(3)
	pub.E = 3
	if got := key.Public(); got.N.Cmp(k.pubA.N) != 0 || got.E != k.pubA.E {
		t.Fatal("changing Public()'s result changed the key")
	}
}
