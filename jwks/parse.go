package jwks

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
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
	// KeyID is the entry's kid when it could be read, cut to 256 bytes (an
	// ellipsis marks the cut).
	KeyID string
	// Reason says why, as a snake_case code from a fixed set (the Skip*
	// constants), suitable as a log field or metric label.
	Reason string
	// Detail says why in a few words for people, with what the entry
	// held (its kty, use, alg or modulus size), e.g. `kty is "EC", not
	// RSA`.
	Detail string
}

// Reasons for skipping a key-set entry, the values of SkippedKey.Reason.
const (
	SkipInvalid      = "invalid_jwk"     // not a JSON Web Key
	SkipNotRSA       = "not_rsa"         // kty is not RSA
	SkipUse          = "use_not_sig"     // use is present and not "sig", or key_ops is present without "verify"
	SkipAlg          = "alg_not_allowed" // alg is present and not RS256, RS384 or RS512
	SkipNoKID        = "missing_kid"     // no kid, an empty one, or one over 256 bytes
	SkipDuplicateKID = "duplicate_kid"   // another entry has the same kid (both are skipped)
	SkipSize         = "rsa_size"        // RSA modulus outside 2048..8192 bits
	SkipExponent     = "rsa_exponent"    // RSA exponent even, below 3 or over 2^31-1
	SkipPrivate      = "private_key"     // private key material published
	SkipTooManyKeys  = "too_many_keys"   // entries after the first MaxKeys
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
		return nil, nil, errorf("document is not a json object: %w", ErrMalformed)
	}
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		return nil, nil, errorf("decode: %w", ErrMalformed)
	}
	if doc.Keys == nil {
		return nil, nil, errorf("no \"keys\" array: %w", ErrMalformed)
	}

	keys := make(map[string]*Key, len(doc.Keys))
	var skipped []SkippedKey
	first := map[string]int{} // kid -> index of the first entry with it
	for i, raw := range doc.Keys {
		if i >= MaxKeys {
			skipped = append(skipped, SkippedKey{Index: i, Reason: SkipTooManyKeys, Detail: fmt.Sprintf("more than %d keys", MaxKeys)})
			continue
		}
		k, reason, detail := parseKey(raw)
		if reason != "" {
			skipped = append(skipped, SkippedKey{Index: i, KeyID: msg.Clip(k.kid, maxKIDBytes), Reason: reason, Detail: detail})
			continue
		}
		if j, seen := first[k.kid]; seen {
			// Two keys under one kid are ambiguous: use neither.
			delete(keys, k.kid)
			skipped = append(skipped, SkippedKey{Index: i, KeyID: k.kid, Reason: SkipDuplicateKID,
				Detail: fmt.Sprintf("entry %d has the same kid; neither is used", j)})
			continue
		}
		first[k.kid] = i
		keys[k.kid] = newKey(k.kid, k.alg, k.pub, k.rsaKey)
	}
	if len(keys) == 0 {
		return nil, skipped, errorf("%d entries, none usable: %w", len(doc.Keys), ErrNoUsableKeys)
	}
	return keys, skipped, nil
}

type parsedKey struct {
	kid, alg string
	pub      *rsa.PublicKey
	rsaKey   *jose.RSAKey // pub, ready to verify
}

// parseKey returns the entry's fields, or the reason it is skipped (a Skip*
// code and a detail, with whatever kid could be read).
func parseKey(raw json.RawMessage) (k parsedKey, reason, detail string) {
	jk, err := jose.ParseJWK(raw)
	switch {
	case errors.Is(err, jose.ErrRSAModulusTooSmall):
		return parsedKey{kid: jk.KeyID}, SkipSize, fmt.Sprintf("rsa modulus under %d bits", MinRSABits)
	case errors.Is(err, jose.ErrRSAExponent):
		return parsedKey{kid: jk.KeyID}, SkipExponent, "rsa exponent even, below 3 or above 2^31-1"
	case err != nil:
		return parsedKey{}, SkipInvalid, "not a valid JSON Web Key"
	}
	k = parsedKey{kid: jk.KeyID, alg: jk.Alg, pub: jk.RSA}
	switch {
	case jk.Private:
		return k, SkipPrivate, "carries private key material"
	case jk.KeyType != "RSA" || jk.RSA == nil:
		return k, SkipNotRSA, fmt.Sprintf("kty is %q, not RSA", msg.Clip(jk.KeyType, 16))
	case jk.Use != "" && jk.Use != "sig":
		return k, SkipUse, fmt.Sprintf("use is %q, not \"sig\"", msg.Clip(jk.Use, 16))
	case jk.NotForVerify:
		// RFC 7517 section 4.3: the key is for these operations only.
		return k, SkipUse, "key_ops does not hold \"verify\""
	case jk.Alg != "" && !jose.Supported(jk.Alg):
		return k, SkipAlg, fmt.Sprintf("alg is %q, not RS256, RS384 or RS512", msg.Clip(jk.Alg, 16))
	case jk.KeyID == "":
		return k, SkipNoKID, "no kid"
	case len(jk.KeyID) > maxKIDBytes:
		return k, SkipNoKID, fmt.Sprintf("kid of %d bytes, over %d", len(jk.KeyID), maxKIDBytes)
	}
	if bits := jk.RSA.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
		return k, SkipSize, fmt.Sprintf("rsa modulus of %d bits, outside %d..%d", bits, MinRSABits, MaxRSABits)
	}
	// Even exponents and 1 are not RSA; exponents beyond 2^31 are refused by
	// crypto/rsa anyway.
	if e := jk.RSA.E; e < 3 || e%2 == 0 || e > 1<<31-1 {
		return k, SkipExponent, fmt.Sprintf("rsa exponent %d is not allowed", e)
	}
	rk, err := jose.NewRSAKey(jk.RSA)
	if err != nil {
		// What the checks above leave: an even modulus, which is no RSA
		// modulus.
		return k, SkipInvalid, "rsa modulus is even"
	}
	k.rsaKey = rk
	return k, "", ""
}
