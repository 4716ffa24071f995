package fakepool

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
	"sync"
	"sync/atomic"
)

// keyBits is the size of every key a pool uses, like Cognito's.
const keyBits = 2048

//go:embed keys/*.pem
var keyFiles embed.FS

// embeddedKeys holds one loader per embedded PEM file, in file-name order.
// Each loader parses its file at most once. The slice is built at package
// initialisation and never written afterwards.
var embeddedKeys = func() []func() *rsa.PrivateKey {
	names, err := fs.Glob(keyFiles, "keys/*.pem")
	if err != nil {
		panic("fakepool: listing embedded keys: " + err.Error())
	}
	loaders := make([]func() *rsa.PrivateKey, len(names))
	for i, name := range names {
		loaders[i] = sync.OnceValue(func() *rsa.PrivateKey {
			data, err := keyFiles.ReadFile(name)
			if err != nil {
				panic("fakepool: reading embedded key: " + err.Error())
			}
			key, err := parsePrivateKey(data)
			if err != nil {
				panic(fmt.Sprintf("fakepool: embedded key %s: %v", name, err))
			}
			return key
		})
	}
	return loaders
}()

// keysHandedOut counts the keys handed out by newKey in this process. It is
// the package's one piece of mutable global state, and exists so that no two
// pools in a process ever share a key: a test that starts two pools and
// checks that a token from one is rejected by the other relies on it. The
// keys themselves are immutable.
var keysHandedOut atomic.Uint64

// newKey returns an RSA-2048 private key that no other caller in this
// process has been given: the next embedded key while they last, then a
// freshly generated one (slow, especially under the race detector).
func newKey() (*rsa.PrivateKey, error) { return nextKey(&keysHandedOut) }

// nextKey is newKey with the counter of handed-out keys as a parameter.
func nextKey(handedOut *atomic.Uint64) (*rsa.PrivateKey, error) {
	if n := handedOut.Add(1) - 1; n < uint64(len(embeddedKeys)) {
		return embeddedKeys[n](), nil
	}
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("fakepool: generating an rsa key: %w", err)
	}
	return key, nil
}

// parsePrivateKey reads one PEM-encoded RSA-2048 private key, PKCS #8 or
// PKCS #1.
func parsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("no pem block")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("not an rsa key but %T", k)
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	default:
		return nil, fmt.Errorf("unexpected pem block %q", block.Type)
	}
	if bits := key.N.BitLen(); bits != keyBits {
		return nil, fmt.Errorf("rsa key has %d bits, want %d", bits, keyBits)
	}
	return key, nil
}

// signingKey is one key of a pool with its key id.
type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

func newSigningKey() (*signingKey, error) {
	priv, err := newKey()
	if err != nil {
		return nil, err
	}
	return &signingKey{kid: keyID(&priv.PublicKey), priv: priv}, nil
}

// keyID returns the kid of pub: like Cognito's kids, a standard base64
// string (with '+', '/' and '=' padding), here of the SHA-256 of the
// modulus bytes.
func keyID(pub *rsa.PublicKey) string {
	sum := sha256.Sum256(pub.N.Bytes())
	return base64.StdEncoding.EncodeToString(sum[:])
}

// jwk is one key of a served JWKS, with Cognito's fields.
type jwk struct {
	Alg string `json:"alg"`
	E   string `json:"e"`
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n"`
	Use string `json:"use"`
}

func (k *signingKey) jwk() jwk {
	pub := &k.priv.PublicKey
	return jwk{
		Alg: "RS256",
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		Kid: k.kid,
		Kty: "RSA",
		N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		Use: "sig",
	}
}

// encodeJWKS returns the JWKS document of keys, in order.
func encodeJWKS(keys []*signingKey) []byte {
	doc := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(keys))}
	for _, k := range keys {
		doc.Keys = append(doc.Keys, k.jwk())
	}
	data, err := json.Marshal(doc)
	if err != nil {
		panic("fakepool: encoding jwks: " + err.Error()) // cannot happen: only strings
	}
	return data
}
