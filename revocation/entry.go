package revocation

import (
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Lifetimes and limits of entries.
const (
	// MaxTokenLifetime is the longest an access or ID token of a Cognito
	// user pool lives: an app client's AccessTokenValidity and
	// IdTokenValidity range from five minutes to one day (refresh tokens
	// live up to ten years, but a revoked refresh token mints nothing, and
	// the gate never sees refresh tokens).
	MaxTokenLifetime = 24 * time.Hour

	// EntryLifetime is as long as an entry is ever needed: a token issued
	// just before the revocation lives MaxTokenLifetime, and the verifier
	// accepts it for up to claims.MaxLeeway past its exp. ExpiresFor uses
	// it.
	EntryLifetime = MaxTokenLifetime + claims.MaxLeeway

	// MaxClockSkew is how far the clock of whoever wrote an entry may be
	// ahead of the gate's: an issued_before up to this far in the future,
	// and an expires up to this far past EntryLifetime from now, are
	// accepted.
	MaxClockSkew = 5 * time.Minute

	// MaxLifetime bounds expires: an entry that would live longer than
	// this from the moment it is loaded is refused (and with it the whole
	// file), because no token it could stop lives that long — a far
	// expiry is a mistake (a wrong year, milliseconds for seconds) that
	// would otherwise hold memory, and a user's tokens, for years.
	MaxLifetime = EntryLifetime + MaxClockSkew

	// MaxValueBytes bounds a value (a jti, sub, username, client id or
	// issuer). Cognito's are far shorter: ids are 36-byte UUIDs, client
	// ids 26 bytes, usernames at most 128 characters.
	MaxValueBytes = 512

	// MaxNoteBytes bounds an entry's note.
	MaxNoteBytes = 256

	// MaxLineBytes bounds one line of the file.
	MaxLineBytes = 4096
)

// Kind is what an entry matches: one claim of the token, named as the
// file names it.
type Kind string

// The kinds of entries.
const (
	// JTI matches the token with this jti: one access or ID token.
	JTI Kind = "jti"
	// OriginJTI matches every access and ID token of one sign-in: the
	// tokens minted from one refresh token share its origin_jti. This is
	// what Cognito's RevokeToken (and the revocation endpoint) ends.
	OriginJTI Kind = "origin_jti"
	// Subject matches the tokens of one user by sub, the user's stable id.
	Subject Kind = "sub"
	// Username matches the tokens of one user by username (access tokens)
	// or cognito:username (ID tokens), compared byte for byte.
	Username Kind = "username"
	// ClientID matches the tokens of one app client: client_id (access
	// tokens) or aud (ID tokens).
	ClientID Kind = "client_id"
)

// kinds lists the kinds in the order of snapshot.rules, whose indexes
// are the kind… constants.
var kinds = [...]Kind{JTI, OriginJTI, Subject, Username, ClientID}

// The indexes of the kinds in kinds.
const (
	kindJTI = iota
	kindOriginJTI
	kindSubject
	kindUsername
	kindClientID
)

// watermarked reports whether entries of kind k may carry issued_before:
// those that match many tokens over time (a user's, a client's). A jti or
// an origin_jti names tokens that all come from before the revocation.
func (k Kind) watermarked() bool { return k == Subject || k == Username || k == ClientID }

// Entry is one deny rule, one line of the file.
type Entry struct {
	// Kind and Value say which tokens it matches: those whose claim Kind
	// is exactly Value.
	Kind  Kind
	Value string
	// Issuer, when set, narrows the entry to the tokens of that user pool:
	// of a Cognito issuer, its pool id, whatever the form or region of the
	// token's iss; any other issuer exactly. Usernames in particular are
	// only unique within a pool.
	Issuer string
	// IssuedBefore, when set (Subject, Username and ClientID entries
	// only), narrows the entry to tokens whose sign-in began before it:
	// auth_time when the token has one earlier than its iat, iat
	// otherwise. Tokens of later sign-ins pass. Zero means every token.
	IssuedBefore time.Time
	// Expires is when the entry stops matching and is dropped; at most
	// MaxLifetime after the entry is loaded.
	Expires time.Time
	// Note is free text for people (a ticket, who and why); it is checked
	// but not kept.
	Note string
}

// ExpiresFor returns the expiry an entry made at revokedAt needs: the
// moment every token issued up to revokedAt has expired, leeway included
// (revokedAt plus EntryLifetime, rounded up to a whole second).
func ExpiresFor(revokedAt time.Time) time.Time {
	return ceilSecond(revokedAt.Add(EntryLifetime))
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if s := t.Truncate(time.Second); !s.Equal(t) {
		return s.Add(time.Second)
	}
	return t
}

// timeLayout is how the file writes times: RFC 3339 in whole seconds.
const timeLayout = time.RFC3339

// String returns e as one line of the file, without the newline: a JSON
// object with the members in a fixed order, times in UTC. The line loads
// back to e (but for the note, which is not kept, and time zones).
func (e Entry) String() string {
	b := []byte{'{'}
	b = appendMember(b, string(e.Kind), e.Value)
	if e.Issuer != "" {
		b = appendMember(append(b, ','), keyIssuer, e.Issuer)
	}
	if !e.IssuedBefore.IsZero() {
		b = appendMember(append(b, ','), keyIssuedBefore, e.IssuedBefore.UTC().Format(timeLayout))
	}
	b = appendMember(append(b, ','), keyExpires, e.Expires.UTC().Format(timeLayout))
	if e.Note != "" {
		b = appendMember(append(b, ','), keyNote, e.Note)
	}
	return string(append(b, '}'))
}

// appendMember appends "name":"value" to b.
func appendMember(b []byte, name, value string) []byte {
	b = appendJSONString(b, name)
	return appendJSONString(append(b, ':'), value)
}

// appendJSONString appends s as a JSON string: '"', '\\' and control
// characters escaped, everything else as it is (bytes that are not UTF-8
// stay, and make a line the parser refuses).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
