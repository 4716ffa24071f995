package jwks

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"

	"github.com/cognito-gate/cognito-gate/internal/jose"
)

// Limits on what a key set may hold.
const (
	// MinRSABits is the smallest RSA modulus accepted.
	MinRSABits = 2048
	// MaxRSABits is the largest RSA modulus accepted; larger keys would let a
	// hostile key set make every verification slow.
	MaxRSABits = 8192
	// MaxKeys is the most keys taken from one key set; later entries are
	// skipped. Cognito publishes two.
	MaxKeys = 64
	// maxKIDBytes bounds a key id.
	maxKIDBytes = 256
)

// SkippedKey describes a key-set entry that was not accepted.
type SkippedKey struct {
	// Index is the entry's position in the "keys" array.
	Index int
	// KeyID is the entry's kid when it could be read, at most 256 bytes.
	KeyID string
	// Reason says why, in a few words from a fixed set (see the Skip*
	// constants).
	Reason string
}

// Reasons for skipping a key-set entry.
const (
	SkipInvalid      = "invalid jwk"
	SkipNotRSA       = "kty is not RSA"
	SkipUse          = "use is not sig"
	SkipAlg          = "alg is not RS256, RS384 or RS512"
	SkipNoKID        = "missing kid"
	SkipDuplicateKID = "duplicate kid"
	SkipSize         = "rsa modulus outside 2048..8192 bits"
	SkipExponent     = "rsa exponent not allowed"
	SkipPrivate      = "private key material published"
	SkipTooManyKeys  = "more than 64 keys"
)

// Parse validates a JSON Web Key Set document and returns its usable keys by
// kid, together with the entries it skipped. It returns ErrMalformed when
// data is not a JSON object with a "keys" array and ErrNoUsableKeys when no
// entry is usable.
func Parse(data []byte) (map[string]*Key, []SkippedKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, fmt.Errorf("jwks: document is not a json object: %w", ErrMalformed)
	}
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		return nil, nil, fmt.Errorf("jwks: decode: %w", ErrMalformed)
	}
	if doc.Keys == nil {
		return nil, nil, fmt.Errorf("jwks: no \"keys\" array: %w", ErrMalformed)
	}

	keys := make(map[string]*Key, len(doc.Keys))
	var skipped []SkippedKey
	dup := map[string]bool{}
	for i, raw := range doc.Keys {
		if i >= MaxKeys {
			skipped = append(skipped, SkippedKey{Index: i, Reason: SkipTooManyKeys})
			continue
		}
		k, reason := parseKey(raw)
		if reason != "" {
			skipped = append(skipped, SkippedKey{Index: i, KeyID: truncate(k.kid, maxKIDBytes), Reason: reason})
			continue
		}
		if _, seen := keys[k.kid]; seen || dup[k.kid] {
			// Two keys under one kid are ambiguous: use neither.
			delete(keys, k.kid)
			dup[k.kid] = true
			skipped = append(skipped, SkippedKey{Index: i, KeyID: truncate(k.kid, maxKIDBytes), Reason: SkipDuplicateKID})
			continue
		}
		keys[k.kid] = newKey(k.kid, k.alg, k.pub)
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("jwks: %d entries, none usable: %w", len(doc.Keys), ErrNoUsableKeys)
	}
	return keys, skipped, nil
}

type parsedKey struct {
	kid, alg string
	pub      *rsa.PublicKey
}

// parseKey returns the entry's fields, or the reason it is skipped (with
// whatever kid could be read).
func parseKey(raw json.RawMessage) (parsedKey, string) {
	jk, err := jose.ParseJWK(raw)
	if err != nil {
		return parsedKey{}, SkipInvalid
	}
	k := parsedKey{kid: jk.KeyID, alg: jk.Alg, pub: jk.RSA}
	switch {
	case jk.Private:
		return k, SkipPrivate
	case jk.KeyType != "RSA" || jk.RSA == nil:
		return k, SkipNotRSA
	case jk.Use != "" && jk.Use != "sig":
		return k, SkipUse
	case jk.Alg != "" && !jose.Supported(jk.Alg):
		return k, SkipAlg
	case jk.KeyID == "" || len(jk.KeyID) > maxKIDBytes:
		return k, SkipNoKID
	}
	if bits := jk.RSA.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
		return k, SkipSize
	}
	// Even exponents and 1 are not RSA; exponents beyond 2^31 are refused by
	// crypto/rsa anyway.
	if e := jk.RSA.E; e < 3 || e%2 == 0 || e > 1<<31-1 {
		return k, SkipExponent
	}
	return k, ""
}

// truncate shortens s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
