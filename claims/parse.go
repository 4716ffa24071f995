package claims

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// b64 decodes JWS segments: base64url without padding, and Strict so that
// non-zero trailing bits (a second spelling of the same bytes) are refused.
var b64 = base64.RawURLEncoding.Strict()

// maxKIDBytes bounds the kid header; Cognito's are 44 bytes.
const maxKIDBytes = 256

// maxNumericDate is 9999-12-31T23:59:59Z; later dates are refused as
// malformed rather than risk overflow in time arithmetic. The bound also
// refuses dates in milliseconds (or finer): any such value after 1978 is
// past it, where read as seconds it would be an exp thousands of years
// ahead, a token that never expires.
const maxNumericDate = 253402300799

// errStop ends an ObjectEach walk early; it never leaves the package.
var errStop = errors.New("stop")

// segments is a compact JWS cut into its decoded parts. The decoded parts
// share one buffer that is never written after split returns;
// Token.payload is part of it. The Token's strings are copies (decoded by
// jsonstrict.String): views into the buffer through package unsafe saved
// 14 of 30 allocations a token, but no target of bench/ needed them.
type segments struct {
	header, payload, sig []byte
	signingInput         []byte // the raw "header.payload" bytes; read-only
}

// split checks the compact serialization (exactly three non-empty segments
// of base64url characters and nothing else: no padding, no whitespace) and
// decodes the segments into one buffer.
//
// The strict base64url decoder refuses every byte outside the alphabet
// except the line breaks it skips, so split looks for the dots and the line
// breaks (with the vectorised strings.IndexByte) and leaves the rest of the
// alphabet check to the decoder.
func split(raw string) (segments, error) {
	d1 := strings.IndexByte(raw, '.')
	if d1 < 0 {
		return segments{}, errorf("fewer than three segments: %w", ErrMalformed)
	}
	d2 := strings.IndexByte(raw[d1+1:], '.')
	if d2 < 0 {
		return segments{}, errorf("fewer than three segments: %w", ErrMalformed)
	}
	d2 += d1 + 1
	if strings.IndexByte(raw[d2+1:], '.') >= 0 {
		return segments{}, errorf("more than three segments: %w", ErrMalformed)
	}
	if i := strings.IndexByte(raw, '\n'); i >= 0 {
		return segments{}, errorf("byte %d is not base64url: %w", i, ErrMalformed)
	}
	if i := strings.IndexByte(raw, '\r'); i >= 0 {
		return segments{}, errorf("byte %d is not base64url: %w", i, ErrMalformed)
	}
	if d1 == 0 || d2 == d1+1 || d2 == len(raw)-1 {
		return segments{}, errorf("empty segment: %w", ErrMalformed)
	}
	// One copy of the token, to decode from and to hash.
	b := []byte(raw)
	h, p, s := b[:d1], b[d1+1:d2], b[d2+1:]
	buf := make([]byte, b64.DecodedLen(len(h))+b64.DecodedLen(len(p))+b64.DecodedLen(len(s)))
	var seg segments
	var err error
	if seg.header, buf, err = decode(buf, h); err != nil {
		return segments{}, errorf("header: %w", err)
	}
	if seg.payload, buf, err = decode(buf, p); err != nil {
		return segments{}, errorf("payload: %w", err)
	}
	if seg.sig, _, err = decode(buf, s); err != nil {
		return segments{}, errorf("signature: %w", err)
	}
	seg.signingInput = b[:d2:d2]
	return seg, nil
}

// decode decodes s into the front of buf and returns the decoded bytes and
// the rest of buf.
func decode(buf, s []byte) (out, rest []byte, err error) {
	n, err := b64.Decode(buf, s)
	if err != nil {
		return nil, nil, errorf("bad base64url: %w", ErrMalformed)
	}
	return buf[:n:n], buf[n:], nil
}

// parseHeader reads alg and kid. A crit header is refused: no extension is
// understood, and RFC 7515 requires rejecting what is not. jku, x5u, jwk
// and x5c are ignored — keys come only from the configured key set.
func parseHeader(hdr []byte, t *Token) error {
	var hasAlg bool
	err := jsonstrict.ObjectEach(hdr, func(name, v []byte, _ jsonstrict.Kind) error {
		var err error
		switch string(name) {
		case "alg":
			hasAlg = true
			t.Algorithm, err = jsonstrict.String(v)
		case "kid":
			t.KeyID, err = jsonstrict.String(v)
		case "crit":
			return errors.New("crit extensions are not supported")
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	switch {
	case err != nil:
		return errorf("header: %v: %w", err, ErrMalformed)
	case !hasAlg:
		return errorf("header: no alg: %w", ErrMalformed)
	case t.KeyID == "":
		return errorf("header: no kid: %w", ErrMalformed)
	case len(t.KeyID) > maxKIDBytes:
		return errorf("header: kid of %d bytes: %w", len(t.KeyID), ErrMalformed)
	}
	return nil
}

// rawClaims holds what parseClaims read before the token kind is known.
type rawClaims struct {
	tokenUse, clientID, aud, username, cognitoUsername string
	hasExp, hasIat                                     bool
}

// parseClaims decodes the claims JSON into t exactly: names are
// case-sensitive, a duplicate name is an error (so no later value can
// override a checked one), and every known claim must have its type.
func parseClaims(payload []byte, t *Token, rc *rawClaims) error {
	err := jsonstrict.ObjectEach(payload, func(name, v []byte, _ jsonstrict.Kind) error {
		var err error
		switch string(name) {
		case "iss":
			t.Issuer, err = jsonstrict.String(v)
		case "sub":
			t.Subject, err = jsonstrict.String(v)
		case "token_use":
			rc.tokenUse, err = jsonstrict.String(v)
		case "client_id":
			rc.clientID, err = jsonstrict.String(v)
		case "aud":
			rc.aud, err = jsonstrict.String(v)
		case "username":
			rc.username, err = jsonstrict.String(v)
		case "cognito:username":
			rc.cognitoUsername, err = jsonstrict.String(v)
		case "cognito:groups":
			t.Groups, err = jsonstrict.Strings(v)
		case "cognito:roles":
			t.Roles, err = jsonstrict.Strings(v)
		case "cognito:preferred_role":
			t.PreferredRole, err = jsonstrict.String(v)
		case "scope":
			var s string
			if s, err = jsonstrict.String(v); err == nil {
				t.Scopes, err = parseScopes(s)
			}
		case "email":
			t.Email, err = jsonstrict.String(v)
		case "email_verified":
			t.EmailVerified, err = boolish(v)
		case "identities":
			t.Identities, err = parseIdentities(v)
		case "version":
			t.Version, err = jsonstrict.Int64(v)
		case "exp":
			rc.hasExp = true
			t.Expiry, err = numericDate(v)
		case "iat":
			rc.hasIat = true
			t.IssuedAt, err = numericDate(v)
		case "nbf":
			t.NotBefore, err = numericDate(v)
		case "auth_time":
			t.AuthTime, err = numericDate(v)
		case "jti":
			t.JTI, err = jsonstrict.String(v)
		case "origin_jti":
			t.OriginJTI, err = jsonstrict.String(v)
		case "event_id":
			t.EventID, err = jsonstrict.String(v)
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return errorf("payload: %v: %w", err, ErrMalformed)
	}
	t.payload = payload
	return nil
}

// numericDate decodes a JWT NumericDate. Only integers between 0 and year
// 9999 are accepted; Cognito never writes fractions.
func numericDate(v []byte) (time.Time, error) {
	n, err := jsonstrict.Int64(v)
	if err != nil {
		return time.Time{}, err
	}
	if n < 0 || n > maxNumericDate {
		return time.Time{}, fmt.Errorf("date %d out of range", n)
	}
	return time.Unix(n, 0), nil
}

// parseScopes splits the scope claim as RFC 6749 section 3.3 defines it:
// scope-tokens separated by single spaces,
//
//	scope       = scope-token *( SP scope-token )
//	scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
//
// The empty string is no scopes (an empty, non-nil list). Anything else
// that is not such a list — a tab, line break or other whitespace between
// tokens, two spaces in a row, a leading or trailing space, a quote, a
// backslash, a control or non-ASCII byte — is an error, and the token is
// malformed.
//
// The security reason: consumers of one token must agree on the scopes it
// grants. strings.Fields, which this replaced, also splits on tabs, so
// "openid\temail" granted email here while an upstream that splits on
// spaces (as the RFC says) reads the single scope "openid\temail"; and a
// scope with a quote or backslash could not be quoted into a
// WWW-Authenticate scope attribute. Cognito writes only well-formed lists,
// so refusing the rest costs nothing legitimate. The strings are
// substrings of s (no copies).
func parseScopes(s string) ([]string, error) {
	if s == "" {
		return []string{}, nil
	}
	out := make([]string, 0, strings.Count(s, " ")+1)
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ' ' {
			if !isScopeChar(s[i]) {
				return nil, fmt.Errorf("byte %d (%#x) is not allowed in a scope", i, s[i])
			}
			continue
		}
		if i == start {
			return nil, fmt.Errorf("empty scope at byte %d (a leading, trailing or doubled space)", i)
		}
		out = append(out, s[start:i])
		start = i + 1
	}
	return out, nil
}

// isScopeChar reports whether c may appear in an RFC 6749 scope-token:
// printable ASCII except space, '"' and '\\'.
func isScopeChar(c byte) bool { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\' }

// boolish decodes a JSON boolean, or the strings "true"/"false" that
// Cognito writes for some attributes.
func boolish(v []byte) (bool, error) {
	if b, err := jsonstrict.Bool(v); err == nil {
		return b, nil
	}
	s, err := jsonstrict.String(v)
	if err != nil {
		return false, fmt.Errorf("want a boolean")
	}
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("want a boolean")
}

// parseIdentities decodes the identities claim: an array of objects whose
// known members are strings (dateCreated a string of milliseconds, primary
// "true"/"false" or a boolean).
func parseIdentities(v []byte) ([]Identity, error) {
	var out []Identity
	err := jsonstrict.ArrayEach(v, func(elem []byte, kind jsonstrict.Kind) error {
		if kind != jsonstrict.Object {
			return fmt.Errorf("identity is not an object")
		}
		var id Identity
		err := jsonstrict.ObjectEach(elem, func(name, v []byte, _ jsonstrict.Kind) error {
			var err error
			switch string(name) {
			case "userId":
				id.UserID, err = jsonstrict.String(v)
			case "providerName":
				id.ProviderName, err = jsonstrict.String(v)
			case "providerType":
				id.ProviderType, err = jsonstrict.String(v)
			case "issuer":
				if jsonstrict.Valid(v) && string(v) == "null" {
					return nil
				}
				id.Issuer, err = jsonstrict.String(v)
			case "primary":
				id.Primary, err = boolish(v)
			case "dateCreated":
				id.DateCreated, err = millis(v)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
		out = append(out, id)
		return err
	})
	return out, err
}

// millis decodes milliseconds since the epoch, as a number or a string of
// digits.
func millis(v []byte) (time.Time, error) {
	n, err := jsonstrict.Int64(v)
	if err != nil {
		s, serr := jsonstrict.String(v)
		if serr != nil {
			return time.Time{}, fmt.Errorf("want milliseconds")
		}
		if n, err = jsonstrict.Int64([]byte(s)); err != nil {
			return time.Time{}, fmt.Errorf("want milliseconds")
		}
	}
	if n < 0 || n > maxNumericDate*1000 {
		return time.Time{}, fmt.Errorf("date out of range")
	}
	return time.UnixMilli(n), nil
}
