package claims

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// Token is a verified Cognito access or ID token. Verify returns it only
// when every check passed. A Token is immutable; share it freely.
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
	// Scopes is the space-separated scope claim of access tokens.
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
