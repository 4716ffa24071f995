package claims

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// Token is a verified Cognito access or ID token. Verify returns it only
// when every check passed.
//
// Every Token that Verify returns is the caller's own copy, including when
// it comes from the verified-token cache: the struct and its Groups,
// Scopes, Roles and Identities slices are not shared with any other call,
// so a handler that changes them (say, tok.Groups[0] = "admin", or an
// append) changes only what it holds and never what a later request with
// the same token is authorized by. (A cache hit's slices are cut from one
// backing array with their capacity equal to their length, so an append to
// one of them reallocates instead of writing into its neighbour; a miss
// returns the token the verification built, whose slices are its own and
// which the cache, holding a copy, never reads.) The claims JSON
// behind Claim, Claims and Payload is shared but never written: those
// methods return copies. Like any Go value, a Token that one goroutine
// changes must not be read by another without synchronisation.
type Token struct {
	// Use is AccessToken or IDToken.
	Use TokenUse
	// Issuer is iss: the user pool's issuer URL.
	Issuer string
	// Subject is sub: the user's stable id (a UUID).
	Subject string
	// Username is username (access tokens) or cognito:username (ID
	// tokens).
	Username string
	// ClientID is the app client: client_id (access) or aud (ID).
	ClientID string
	// Groups is cognito:groups; nil when the user is in none.
	Groups []string
	// Scopes is the scope claim of access tokens, split on single spaces
	// (RFC 6749 section 3.3); empty, not nil, when the claim is "". A
	// claim that is not such a list of scope-tokens (tabs, doubled or
	// leading spaces, quotes, non-ASCII) makes the token malformed.
	Scopes []string
	// Roles is cognito:roles and PreferredRole cognito:preferred_role (ID
	// tokens of users in groups with IAM roles).
	Roles         []string
	PreferredRole string
	// Email and EmailVerified are the email attributes of ID tokens.
	Email         string
	EmailVerified bool
	// Identities lists linked federated identities (ID tokens of users who
	// signed in through a SAML, OIDC or social provider).
	Identities []Identity
	// Version is the access token format version (2 for current pools).
	Version int64

	// Times: exp, iat, auth_time, and nbf (zero when absent).
	Expiry, IssuedAt, AuthTime, NotBefore time.Time

	// JTI, OriginJTI and EventID are jti, origin_jti and event_id.
	JTI, OriginJTI, EventID string

	// KeyID and Algorithm are the header's kid and alg.
	KeyID, Algorithm string

	payload []byte // the decoded claims JSON
}

// NewToken returns a Token with the exported fields of fields (its slices
// copied) whose Claim, Claims, Decode and Payload read payload: for tokens
// verified outside this package, such as a load balancer's data token
// (package alb). payload must be one JSON object the strict decoder
// accepts, else the error wraps ErrMalformed. NewToken verifies nothing:
// the caller vouches for fields and payload.
func NewToken(fields Token, payload []byte) (*Token, error) {
	if err := jsonstrict.ObjectEach(payload, func([]byte, []byte, jsonstrict.Kind) error { return nil }); err != nil {
		return nil, errorf("%w: payload: %v", ErrMalformed, err)
	}
	t := fields.clone()
	t.payload = bytes.Clone(payload)
	return t, nil
}

// clone returns a deep copy of t for one caller: a new struct, and new
// Groups, Scopes, Roles and Identities slices (nil stays nil, empty stays
// empty). The three string slices share one backing array, each cut with
// its capacity equal to its length so that an append to one reallocates
// instead of overwriting the next. The strings themselves and the payload
// are shared: Go strings cannot be changed, and the payload is never
// written (Claim, Claims and Payload copy out of it).
//
// It costs one allocation for the struct and the strings' array (two when
// the slices hold more than eight strings), and one for Identities when
// there are any.
func (t *Token) clone() *Token {
	var c *Token
	var buf []string
	switch n := len(t.Groups) + len(t.Scopes) + len(t.Roles); {
	case n == 0:
		c = new(Token)
	case n <= len(tokenWithStrings{}.buf):
		// The usual token (a few groups and scopes): one allocation.
		ts := new(tokenWithStrings)
		c, buf = &ts.tok, ts.buf[:n]
	default:
		c, buf = new(Token), make([]string, n)
	}
	*c = *t
	c.Groups, buf = cloneInto(t.Groups, buf)
	c.Scopes, buf = cloneInto(t.Scopes, buf)
	c.Roles, _ = cloneInto(t.Roles, buf)
	c.Identities = slices.Clone(t.Identities) // Identity holds only values and strings
	return c
}

// tokenWithStrings is a Token and the array of its groups, scopes and
// roles in one allocation, for clone.
type tokenWithStrings struct {
	tok Token
	buf [8]string
}

// cloneInto copies s into the front of buf and returns the copy, with its
// capacity equal to its length, and the rest of buf. A nil s gives nil and
// an empty one an empty, non-nil slice with no capacity.
func cloneInto(s, buf []string) (out, rest []string) {
	switch {
	case s == nil:
		return nil, buf
	case len(s) == 0:
		return s[:0:0], buf
	}
	n := copy(buf, s)
	return buf[:n:n], buf[n:]
}

// Identity is one entry of the identities claim.
type Identity struct {
	UserID       string
	ProviderName string
	ProviderType string
	Issuer       string
	Primary      bool
	DateCreated  time.Time
}

// HasGroup reports whether the user is in group g.
func (t *Token) HasGroup(g string) bool { return slices.Contains(t.Groups, g) }

// HasScope reports whether the token grants scope s.
func (t *Token) HasScope(s string) bool { return slices.Contains(t.Scopes, s) }

// Claim returns the raw JSON value of the named claim, exactly as signed,
// and whether it is present. Names are case-sensitive.
func (t *Token) Claim(name string) (json.RawMessage, bool) {
	var out json.RawMessage
	err := jsonstrict.ObjectEach(t.payload, func(n, v []byte, _ jsonstrict.Kind) error {
		if string(n) == name {
			out = bytes.Clone(v)
			return errStop
		}
		return nil
	})
	return out, err == errStop
}

// StringClaim returns the named claim when it is present and a JSON string.
func (t *Token) StringClaim(name string) (string, bool) {
	raw, ok := t.Claim(name)
	if !ok {
		return "", false
	}
	s, err := jsonstrict.String(raw)
	return s, err == nil
}

// Custom returns the custom user attribute attr (the claim "custom:"+attr).
func (t *Token) Custom(attr string) (string, bool) { return t.StringClaim("custom:" + attr) }

// Claims decodes every claim into a map; numbers are json.Number.
func (t *Token) Claims() (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(t.payload))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// Payload returns a copy of the token's claims JSON, exactly as signed.
func (t *Token) Payload() []byte { return bytes.Clone(t.payload) }

// Decode decodes the token's claims into v, as json.Unmarshal does, for
// typed access to claims this package has no accessor for:
//
//	var custom struct {
//		Tenant string `json:"custom:tenant"`
//		Plan   string `json:"custom:plan"`
//	}
//	if err := tok.Decode(&custom); err != nil { ... }
//
// The JSON is the signed payload itself, and Verify has already read all
// of it with the strict decoder (see Strict decoding in the package
// documentation): it is valid UTF-8 without lone surrogate escapes, no
// object repeats a member name, nothing nests more than 64 deep. What v
// gets is therefore what the checks read, with one exception that Decode
// closes: encoding/json matches member names to struct fields without
// regard to case, so two members whose names differ only in case ("tenant"
// and "Tenant", or a name and its Unicode case fold) could each fill the
// same field, and which one wins is not what the claims say. Decode
// refuses such a payload, in any object at any depth, with an error,
// whatever v is. Numbers decoded into an interface value are json.Number,
// as with Claims. Decode changes nothing in t.
func (t *Token) Decode(v any) error {
	if err := caseCollision(t.payload, jsonstrict.Object); err != nil {
		return errorf("decode: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(t.payload))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return errorf("decode: %w", err)
	}
	return nil
}

// caseCollision returns an error when an object in the JSON value v of the
// given kind, at any depth, has two member names that encoding/json would
// match to the same struct field: different, but equal under Unicode
// simple case folding (as bytes.EqualFold compares them).
func caseCollision(v []byte, kind jsonstrict.Kind) error {
	switch kind {
	case jsonstrict.Object:
		var folded map[string]string // folded name -> name
		return jsonstrict.ObjectEach(v, func(name, value []byte, kind jsonstrict.Kind) error {
			if folded == nil {
				folded = make(map[string]string)
			}
			f := foldName(name)
			if other, ok := folded[f]; ok {
				return fmt.Errorf("members %q and %q differ only in case", msg.Clip(other, 64), msg.Clip(string(name), 64))
			}
			folded[f] = string(name)
			return caseCollision(value, kind)
		})
	case jsonstrict.Array:
		return jsonstrict.ArrayEach(v, func(value []byte, kind jsonstrict.Kind) error {
			return caseCollision(value, kind)
		})
	}
	return nil
}

// foldName returns name with every rune replaced by the smallest rune of
// its case-folding orbit, so that two names are equal under bytes.EqualFold
// exactly when their foldNames are equal.
func foldName(name []byte) string {
	var b strings.Builder
	for _, r := range string(name) {
		for {
			next := unicode.SimpleFold(r)
			if next <= r {
				r = next
				break
			}
			r = next
		}
		b.WriteRune(r)
	}
	return b.String()
}
