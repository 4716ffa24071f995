package assertion

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"os"
)

// maxKeyFileBytes bounds a key file: a PEM PKCS #8 P-256 private key is
// about 240 bytes.
const maxKeyFileBytes = 16 << 10

// b64 is the base64url encoding of JWS segments and JWK members: no
// padding, and Strict so that non-zero trailing bits (a second spelling
// of the same bytes) are refused when decoding.
var b64 = base64.RawURLEncoding.Strict()

// Key is one ECDSA P-256 key of a KeySet: a signing key (with its private
// half) or a key that is only published. Its ID is the JWK thumbprint of
// its public key (RFC 7638, SHA-256, base64url), so every replica that
// loads the same key file names it with the same kid, and a kid can never
// stand for two keys. Keys are immutable and safe for concurrent use.
type Key struct {
	id   string
	priv *ecdsa.PrivateKey // nil for a key that is only published
	pub  *ecdsa.PublicKey
	jwk  []byte // its entry of the JWKS document
	// header is the base64url JWS header of the assertions it signs.
	header string
}

// NewKey returns the Key of priv, which must be on P-256. A nil priv, or
// one on another curve, is a *ConfigError.
func NewKey(priv *ecdsa.PrivateKey) (*Key, error) {
	if priv == nil {
		return nil, configError("Key", "no private key")
	}
	k, err := publicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	k.priv = priv
	return k, nil
}

// NewPublicKey returns a Key that is only published, never signs: the
// next key of a rotation whose private half is not yet on the replica
// (see KeySet).
func NewPublicKey(pub *ecdsa.PublicKey) (*Key, error) {
	if pub == nil {
		return nil, configError("Key", "no public key")
	}
	return publicKey(pub)
}

// GenerateKey returns a new random P-256 signing key (crypto/ecdsa with
// crypto/rand). A generated key lives as long as the process: only one
// replica can sign with it, and a restart replaces it, so assertions
// minted before the restart stop verifying once upstreams fetch the new
// key set. A fleet loads its keys from files (LoadKeyFile).
func GenerateKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("assertion: generate key: %w", err)
	}
	return NewKey(priv)
}

// LoadKeyFile reads a key file (see ParseKey). Errors name the file.
func LoadKeyFile(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, configError("Key", "%v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	switch {
	case err != nil:
		return nil, configError("Key", "%s: %v", path, err)
	case len(data) > maxKeyFileBytes:
		return nil, configError("Key", "%s: over %d bytes, not a key file", path, maxKeyFileBytes)
	}
	k, err := ParseKey(data)
	if err != nil {
		return nil, configError("Key", "%s: %s", path, problemOf(err))
	}
	return k, nil
}

// ParseKey reads one PEM block, nothing but whitespace around it: a
// "PRIVATE KEY" (PKCS #8, what `openssl genpkey -algorithm EC -pkeyopt
// ec_paramgen_curve:P-256` writes) holding an ECDSA P-256 key, which
// signs; or a "PUBLIC KEY" (PKIX) holding one, which is only published.
// An "EC PRIVATE KEY" (SEC 1, what `openssl ecparam -genkey` writes),
// an encrypted key, another curve or key type, a second block or data
// around the block is a *ConfigError saying so.
func ParseKey(data []byte) (*Key, error) {
	block, rest := pem.Decode(data)
	switch {
	case block == nil:
		return nil, configError("Key", "no PEM block")
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, configError("Key", "data after the PEM block (one key per file)")
	case len(bytes.TrimSpace(data[:bytes.Index(data, []byte("-----BEGIN"))])) > 0:
		return nil, configError("Key", "data before the PEM block")
	case len(block.Headers) > 0:
		return nil, configError("Key", "PEM block with headers (an encrypted key?); want an unencrypted PKCS #8 key")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "EC PRIVATE KEY":
		return nil, configError("Key", "a SEC 1 \"EC PRIVATE KEY\"; convert it to PKCS #8: openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem")
	case "ENCRYPTED PRIVATE KEY":
		return nil, configError("Key", "an encrypted key; want an unencrypted PKCS #8 key")
	default:
		return nil, configError("Key", "PEM block %s, want PRIVATE KEY (PKCS #8) or PUBLIC KEY", quote(block.Type))
	}
	if err != nil {
		return nil, configError("Key", "not a PKCS #8 private key or PKIX public key: %v", err)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return NewKey(k)
	case *ecdsa.PublicKey:
		return NewPublicKey(k)
	}
	return nil, configError("Key", "a %T, want an ECDSA P-256 key", key)
}

// publicKey returns the Key of pub: its kid and JWKS entry. pub must be a
// valid point of P-256.
func publicKey(pub *ecdsa.PublicKey) (*Key, error) {
	if pub.Curve != elliptic.P256() {
		return nil, configError("Key", "on curve %s, want P-256 (ES256)", pub.Curve.Params().Name)
	}
	point, err := pub.Bytes() // 0x04 || X || Y, each 32 bytes
	if err != nil {
		return nil, configError("Key", "not a valid P-256 point: %v", err)
	}
	x, y := b64.EncodeToString(point[1:33]), b64.EncodeToString(point[33:])
	// RFC 7638 section 3.2: the required members, in lexicographic
	// order, no whitespace.
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	id := b64.EncodeToString(sum[:])
	jwk := []byte(`{"kty":"EC","crv":"P-256","x":"` + x + `","y":"` + y + `","kid":"` + id + `","use":"sig","alg":"ES256"}`)
	header := b64.EncodeToString([]byte(`{"alg":"ES256","kid":"` + id + `","typ":"` + Type + `"}`))
	return &Key{id: id, pub: pub, jwk: jwk, header: header}, nil
}

// ID returns the key's kid: its RFC 7638 thumbprint.
func (k *Key) ID() string { return k.id }

// CanSign reports whether the key holds its private half.
func (k *Key) CanSign() bool { return k.priv != nil }

// Public returns a copy of the public key.
func (k *Key) Public() *ecdsa.PublicKey {
	point, _ := k.pub.Bytes()
	pub, _ := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	return pub
}

// JWK returns the key's JSON Web Key, as the key set publishes it: kty
// EC, crv P-256, x, y, kid, use sig, alg ES256.
func (k *Key) JWK() []byte { return bytes.Clone(k.jwk) }

// configError returns the ConfigError of field with the formatted
// problem.
func configError(field, format string, a ...any) *ConfigError {
	var p problems
	p.add(field, format, a...)
	return p[0]
}

// problemOf returns the Problem of a *ConfigError, or the error's text.
func problemOf(err error) string {
	if ce, ok := err.(*ConfigError); ok {
		return ce.Problem
	}
	return err.Error()
}
