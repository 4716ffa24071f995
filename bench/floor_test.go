package bench

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// floor is the least work an honest verifier of these tokens does, with
// the standard library only: split the compact JWS into exactly three
// segments, base64url-decode all three, JSON-decode the header and the
// claims into structs, pick the pre-parsed *rsa.PublicKey by kid from a map,
// verify the RS256 signature over the signing input, and compare iss,
// client_id, token_use and exp (with the same leeway as the others).
type floor struct {
	keys     map[string]*rsa.PublicKey
	issuer   string
	clientID string
	now      func() time.Time
}

var errFloor = errors.New("floor: rejected")

// floorHeader and floorClaims are what the floor decodes: the header fields
// it needs and the claims it compares.
type floorHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type floorClaims struct {
	Iss      string `json:"iss"`
	ClientID string `json:"client_id"`
	TokenUse string `json:"token_use"`
	Exp      int64  `json:"exp"`
}

func (f *floor) verify(raw string) error {
	h, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return errFloor
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return errFloor
	}
	hdr, err := b64.DecodeString(h)
	if err != nil {
		return errFloor
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return errFloor
	}
	sig, err := b64.DecodeString(s)
	if err != nil {
		return errFloor
	}
	var hd floorHeader
	if err := json.Unmarshal(hdr, &hd); err != nil || hd.Alg != "RS256" {
		return errFloor
	}
	key := f.keys[hd.Kid]
	if key == nil {
		return errFloor
	}
	sum := sha256.Sum256([]byte(raw[:len(h)+1+len(p)]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return errFloor
	}
	var c floorClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return errFloor
	}
	if c.Iss != f.issuer || c.ClientID != f.clientID || c.TokenUse != "access" ||
		!f.now().Before(time.Unix(c.Exp, 0).Add(leeway)) {
		return errFloor
	}
	return nil
}

// newFloor builds the floor with the pool's published keys, pre-parsed.
func (fx *fixture) newFloor() *floor {
	f := &floor{keys: make(map[string]*rsa.PublicKey), issuer: fx.pool.Issuer(), clientID: clientID, now: fx.fixedNow}
	for _, kid := range fx.pool.KeyIDs() {
		f.keys[kid] = fx.pool.PublicKey(kid)
	}
	return f
}
