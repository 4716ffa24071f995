package assertion_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/internal/jose"
)

// TestParseKey: key files are one unencrypted PKCS #8 P-256 private key
// (signs) or one PKIX P-256 public key (published only), and nothing
// else; every refusal says why.
func TestParseKey(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	pkix := func(k any) []byte {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(p256)
	good := pkcs8(p256)
	tests := []struct {
		name    string
		data    []byte
		canSign bool
		problem string // "" = accepted
	}{
		{"PKCS #8 P-256", good, true, ""},
		{"surrounded by whitespace", append(append([]byte("\n\n"), good...), "\n \n"...), true, ""},
		{"PKIX P-256 public key", pkix(&p256.PublicKey), false, ""},
		{"SEC 1 EC PRIVATE KEY", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), false, "openssl pkcs8 -topk8"},
		{"encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), false, "encrypted"},
		{"with headers", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}), false, "headers"},
		{"P-384", pkcs8(p384), false, "P-384"},
		{"P-384 public", pkix(&p384.PublicKey), false, "P-384"},
		{"RSA", pkcs8(rsaKey), false, "want an ECDSA P-256 key"},
		{"Ed25519", pkcs8(edKey), false, "want an ECDSA P-256 key"},
		{"a certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), false, "CERTIFICATE"},
		{"two keys", append(pkcs8(p256), good...), false, "one key per file"},
		{"text before the block", append([]byte("key:\n"), good...), false, "before the PEM block"},
		{"not PEM", []byte("hello"), false, "no PEM block"},
		{"empty", nil, false, "no PEM block"},
		{"garbage in the block", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")}), false, "not a PKCS #8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := assertion.ParseKey(tt.data)
			if tt.problem == "" {
				if err != nil {
					t.Fatal(err)
				}
				if k.CanSign() != tt.canSign {
					t.Errorf("CanSign %v, want %v", k.CanSign(), tt.canSign)
				}
				return
			}
			wantIs(t, err, assertion.ErrConfig)
			var ce *assertion.ConfigError
			if !errors.As(err, &ce) || ce.Field != "Key" || ce.Key != "key_files" || !strings.Contains(ce.Problem, tt.problem) {
				t.Errorf("error %v (%+v), want a Key problem saying %q", err, ce, tt.problem)
			}
		})
	}
}

// TestLoadKeyFile: a file's problems name the file; the key of a file is
// the key of its contents, with the same kid on every load.
func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	path := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := assertion.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := assertion.LoadKeyFile(path)
	direct, _ := assertion.NewKey(priv)
	if a.ID() != b.ID() || a.ID() != direct.ID() || !a.CanSign() {
		t.Errorf("kids %s %s %s, want one", a.ID(), b.ID(), direct.ID())
	}
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, make([]byte, 17<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.pem"), big} {
		_, err := assertion.LoadKeyFile(p)
		if !errors.Is(err, assertion.ErrConfig) || !strings.Contains(err.Error(), p) {
			t.Errorf("LoadKeyFile(%s): %v, want a configuration error naming the file", p, err)
		}
	}
}

// TestKeyJWK: a key's JWK is kty EC, crv P-256, x, y, kid, use sig, alg
// ES256, parses (internal/jose, jwx) as the same public key, and its kid
// is the RFC 7638 thumbprint jwx computes.
func TestKeyJWK(t *testing.T) {
	priv, k := keyPair(t)
	jk, err := jose.ParseJWK(k.JWK())
	if err != nil {
		t.Fatal(err)
	}
	if jk.KeyType != "EC" || jk.Use != "sig" || jk.Alg != "ES256" || jk.KeyID != k.ID() || jk.Private || !jk.EC.Equal(&priv.PublicKey) {
		t.Errorf("JWK %s read as %+v", k.JWK(), jk)
	}
	for _, member := range []string{`"kty":"EC"`, `"crv":"P-256"`, `"use":"sig"`, `"alg":"ES256"`} {
		if !strings.Contains(string(k.JWK()), member) {
			t.Errorf("JWK %s lacks %s", k.JWK(), member)
		}
	}
	x, err := jwk.Import(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := x.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.RawURLEncoding.EncodeToString(tp); k.ID() != want {
		t.Errorf("kid %s, RFC 7638 thumbprint %s", k.ID(), want)
	}
	if !k.Public().Equal(&priv.PublicKey) {
		t.Error("Public is not the key's")
	}
	pub, err := assertion.NewPublicKey(&priv.PublicKey)
	if err != nil || pub.ID() != k.ID() || pub.CanSign() {
		t.Errorf("NewPublicKey: %v, kid %s, CanSign %v", err, pub.ID(), pub.CanSign())
	}
	if _, err := assertion.NewKey(nil); !errors.Is(err, assertion.ErrConfig) {
		t.Errorf("NewKey(nil): %v", err)
	}
	g, err := assertion.GenerateKey()
	if err != nil || !g.CanSign() || g.ID() == k.ID() {
		t.Errorf("GenerateKey: %v", err)
	}
}
