package assertion

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// maxDate is 9999-12-31T23:59:59Z, the bound package claims puts on
// NumericDates: it refuses dates in milliseconds too.
const maxDate = 253402300799

// maxKIDBytes bounds the kid header: a thumbprint is 43 bytes.
const maxKIDBytes = 256

// base64URL marks the bytes of the base64url alphabet (RFC 4648 section
// 5), without padding.
var base64URL = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// jws is an assertion cut into its decoded parts.
type jws struct {
	header, payload, sig []byte
	signingInput         string // "header.payload" as sent
}

// cut checks the compact serialization — exactly three non-empty segments
// of base64url characters, no padding, no whitespace or line breaks
// (which Go's decoder would skip) — and decodes the segments, strictly: a
// segment with non-zero trailing bits, a second spelling of its bytes, is
// malformed.
func cut(raw string) (jws, error) {
	if strings.Count(raw, ".") != 2 {
		return jws{}, errorf("not three segments: %w", claims.ErrMalformed)
	}
	for i := 0; i < len(raw); i++ {
		if !base64URL[raw[i]] && raw[i] != '.' {
			return jws{}, errorf("byte %d (%#x) is not base64url: %w", i, raw[i], claims.ErrMalformed)
		}
	}
	h, rest, _ := strings.Cut(raw, ".")
	p, s, _ := strings.Cut(rest, ".")
	var t jws
	var err error
	for _, seg := range [...]struct {
		name string
		in   string
		out  *[]byte
	}{{"header", h, &t.header}, {"payload", p, &t.payload}, {"signature", s, &t.sig}} {
		if seg.in == "" {
			return jws{}, errorf("empty %s: %w", seg.name, claims.ErrMalformed)
		}
		if *seg.out, err = b64.DecodeString(seg.in); err != nil {
			return jws{}, errorf("%s: bad base64url: %w", seg.name, claims.ErrMalformed)
		}
	}
	t.signingInput = raw[:len(h)+1+len(p)]
	return t, nil
}

// header is what an assertion's JWS header says.
type header struct {
	alg, kid, typ string
}

// parseHeader reads alg and kid, strings and required, and typ, a string
// (absent in a Cognito token: Verify refuses it as ErrWrongType). crit is
// refused (no extension is understood, and RFC 7515 requires refusing
// what is not); jku, x5u, jwk, x5c and every other member are ignored:
// keys come only from the configured key set.
func parseHeader(b []byte) (header, error) {
	var h header
	f := [...]member{
		{name: "alg", kind: text, must: true, str: &h.alg},
		{name: "kid", kind: text, must: true, str: &h.kid},
		{name: "typ", kind: text, str: &h.typ},
		{name: "crit", kind: refused},
	}
	if err := decodeObject(b, f[:]); err != nil {
		return header{}, errorf("header: %v: %w", err, claims.ErrMalformed)
	}
	return h, nil
}

// payload is what an assertion's claims say. The has* fields report
// members that were present.
type payload struct {
	iss, jti, cognitoIss, use, sub, method, host, path string
	iat, exp, authTime                                 time.Time
	aud, groups, roles                                 []string
	username, clientID, scope, originJTI               string
	email, preferredRole                               string
	emailVerified                                      bool
	hasAud, hasGroups, hasScope, hasRoles, hasVerified bool
}

// parsePayload reads the claims strictly (internal/jsonstrict: RFC 8259
// JSON, valid UTF-8, no member twice in any object, at most 64 levels
// deep). iss, iat, exp, jti, cognito_iss, sub, token_use, htm, host and
// path are required, and but for the dates non-empty strings; aud is a
// string or an array of strings; groups and cognito:roles arrays of
// strings; scope, username, client_id, origin_jti, email and
// cognito:preferred_role strings; auth_time a NumericDate; email_verified
// true, false, "true" or "false". Other members are the selected claims
// of the token, kept as they are (claims.Token.Claim) and not read.
func parsePayload(b []byte) (payload, error) {
	var p payload
	f := [...]member{
		{name: "iss", kind: text, must: true, str: &p.iss},
		{name: "iat", kind: date, must: true, time: &p.iat},
		{name: "exp", kind: date, must: true, time: &p.exp},
		{name: "jti", kind: text, must: true, str: &p.jti},
		{name: "cognito_iss", kind: text, must: true, str: &p.cognitoIss},
		{name: "sub", kind: text, must: true, str: &p.sub},
		{name: "token_use", kind: text, must: true, str: &p.use},
		{name: "htm", kind: text, must: true, str: &p.method},
		{name: "host", kind: text, must: true, str: &p.host},
		{name: "path", kind: text, must: true, str: &p.path},
		{name: "aud", kind: stringOrList, list: &p.aud, seen: &p.hasAud},
		{name: "username", kind: text, str: &p.username},
		{name: "client_id", kind: text, str: &p.clientID},
		{name: "scope", kind: text, str: &p.scope, seen: &p.hasScope},
		{name: "groups", kind: list, list: &p.groups, seen: &p.hasGroups},
		{name: "origin_jti", kind: text, str: &p.originJTI},
		{name: "auth_time", kind: date, time: &p.authTime},
		{name: "email", kind: text, str: &p.email},
		{name: "email_verified", kind: boolish, flag: &p.emailVerified, seen: &p.hasVerified},
		{name: "cognito:roles", kind: list, list: &p.roles, seen: &p.hasRoles},
		{name: "cognito:preferred_role", kind: text, str: &p.preferredRole},
	}
	if err := decodeObject(b, f[:]); err != nil {
		return payload{}, errorf("payload: %v: %w", err, claims.ErrMalformed)
	}
	return p, nil
}

// kind says how decodeObject reads a member.
type kind uint8

const (
	text         kind = iota // a string, into str; non-empty if must
	list                     // an array of strings, into list
	stringOrList             // a string or an array of strings, into list
	date                     // a NumericDate (an integer from 0 to year 9999), into time
	boolish                  // true, false, "true" or "false", into flag
	refused                  // never allowed
)

// member is one member of an object that decodeObject reads: its name,
// how, and where to. must makes it required; seen, when not nil, is set
// when the member is present.
type member struct {
	name string
	kind kind
	must bool
	str  *string
	list *[]string
	time *time.Time
	flag *bool
	seen *bool
}

// decodeObject walks the JSON object b and decodes each member that f
// names as its entry says; members f does not name are skipped. A
// required member that is absent, a refused one that is present, or a
// value of the wrong type is an error.
func decodeObject(b []byte, f []member) error {
	var have uint64 // bit i: f[i] was present
	err := jsonstrict.ObjectEach(b, func(name, v []byte, k jsonstrict.Kind) error {
		for i := range f {
			if f[i].name == string(name) {
				have |= 1 << i
				if err := f[i].decode(v, k); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range f {
		if f[i].must && have&(1<<i) == 0 {
			return fmt.Errorf("no %s", f[i].name)
		}
	}
	return nil
}

// decode reads the value v, of JSON kind k, into the member's target.
func (m *member) decode(v []byte, k jsonstrict.Kind) error {
	if m.seen != nil {
		*m.seen = true
	}
	var err error
	switch m.kind {
	case text:
		*m.str, err = jsonstrict.String(v)
		if err == nil && m.must && *m.str == "" {
			err = errors.New("empty")
		}
	case list:
		*m.list, err = jsonstrict.Strings(v)
	case stringOrList:
		if k != jsonstrict.StringKind {
			*m.list, err = jsonstrict.Strings(v)
			break
		}
		var s string
		s, err = jsonstrict.String(v)
		*m.list = []string{s}
	case date:
		var n int64
		if n, err = jsonstrict.Int64(v); err == nil && (n < 0 || n > maxDate) {
			err = fmt.Errorf("date %d out of range", n)
		}
		*m.time = time.Unix(n, 0)
	case boolish:
		switch s, _ := jsonstrict.String(v); {
		case k == jsonstrict.True || k == jsonstrict.False:
			*m.flag = k == jsonstrict.True
		case s == "true" || s == "false":
			*m.flag = s == "true"
		default:
			err = errors.New("want true, false, \"true\" or \"false\"")
		}
	case refused:
		err = errors.New("not supported")
	}
	return err
}
