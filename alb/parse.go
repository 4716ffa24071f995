package alb

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// The two encodings of a data token's segments: base64url with the '='
// padding the load balancer writes, or without, as RFC 7515 writes it.
// Both are Strict: non-zero trailing bits, a second spelling of the same
// bytes, are refused.
var (
	padded   = base64.URLEncoding.Strict()
	unpadded = base64.RawURLEncoding.Strict()
)

// maxNumericDate is 9999-12-31T23:59:59Z, the bound package claims puts on
// NumericDates: it also refuses dates in milliseconds, which read as
// seconds would be an exp thousands of years ahead.
const maxNumericDate = 253402300799

// segments is a data token cut into its decoded parts.
type segments struct {
	header, payload, sig []byte
	signingInput         string // the raw "header.payload", padding included
}

// split checks the compact serialization of a data token and decodes it:
// exactly three non-empty segments of base64url characters, either every
// one in the padded form (the load balancer's: each segment's length a
// multiple of four, with one or two '=' where the bytes need them) or
// every one unpadded (RFC 7515's). A token that mixes the forms, has
// padding where none is due or too little or too much of it, a '+' or
// '/' of the standard alphabet, whitespace or line breaks (which Go's
// decoder would skip) is malformed. (A segment whose length needs no
// padding reads the same in both forms.)
//
// The signature covers the segments exactly as sent, padding included.
func split(raw string) (segments, error) {
	h, rest, ok1 := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	switch {
	case !ok1 || !ok2:
		return segments{}, fmt.Errorf("alb: fewer than three segments: %w", claims.ErrMalformed)
	case strings.IndexByte(s, '.') >= 0:
		return segments{}, fmt.Errorf("alb: more than three segments: %w", claims.ErrMalformed)
	case h == "" || p == "" || s == "":
		return segments{}, fmt.Errorf("alb: empty segment: %w", claims.ErrMalformed)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; !isBase64URL(c) && c != '.' && c != '=' {
			return segments{}, fmt.Errorf("alb: byte %d (%#x) is not base64url: %w", i, c, claims.ErrMalformed)
		}
	}
	enc, form := unpadded, "unpadded"
	if strings.HasSuffix(h, "=") || strings.HasSuffix(p, "=") || strings.HasSuffix(s, "=") {
		enc, form = padded, "padded"
	}
	var seg segments
	var err error
	for _, part := range []struct {
		name string
		in   string
		out  *[]byte
	}{{"header", h, &seg.header}, {"payload", p, &seg.payload}, {"signature", s, &seg.sig}} {
		if *part.out, err = enc.DecodeString(part.in); err != nil {
			return segments{}, fmt.Errorf("alb: %s is not %s base64url like the other segments: %w", part.name, form, claims.ErrMalformed)
		}
	}
	seg.signingInput = raw[:len(h)+1+len(p)]
	return seg, nil
}

// isBase64URL reports whether c is in the base64url alphabet (RFC 4648
// section 5), padding aside.
func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// header is what a data token's JWS header says.
type header struct {
	alg, kid, signer, client, iss string
	hasAlg, hasExp                bool
	exp                           time.Time
}

// parseHeader reads the header's members strictly (internal/jsonstrict: no
// duplicate names, RFC 8259 JSON, valid UTF-8): alg, kid, signer, client
// and iss must be strings and exp a NumericDate. crit is refused (no
// extension is understood); typ, jku, x5u, jwk, x5c and any other member
// are ignored: the key comes only from the configured endpoint.
func parseHeader(b []byte, h *header) error {
	err := jsonstrict.ObjectEach(b, func(name, v []byte, _ jsonstrict.Kind) error {
		var err error
		switch string(name) {
		case "alg":
			h.hasAlg = true
			h.alg, err = jsonstrict.String(v)
		case "kid":
			h.kid, err = jsonstrict.String(v)
		case "signer":
			h.signer, err = jsonstrict.String(v)
		case "client":
			h.client, err = jsonstrict.String(v)
		case "iss":
			h.iss, err = jsonstrict.String(v)
		case "exp":
			h.hasExp = true
			h.exp, err = numericDate(v)
		case "crit":
			return errors.New("crit extensions are not supported")
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	var missing string
	switch {
	case err != nil:
		return fmt.Errorf("alb: header: %v: %w", err, claims.ErrMalformed)
	case !h.hasAlg:
		missing = "alg"
	case h.kid == "":
		missing = "kid"
	case h.signer == "":
		missing = "signer"
	case h.client == "":
		missing = "client"
	case h.iss == "":
		missing = "iss"
	case !h.hasExp:
		missing = "exp"
	default:
		return nil
	}
	return fmt.Errorf("alb: header: no %s: %w", missing, claims.ErrMalformed)
}

// payload is what parsePayload reads besides the Token's fields.
type payload struct {
	iss            string
	hasIss, hasExp bool
	exp            time.Time
}

// parsePayload reads the user claims strictly into t: sub, username,
// email and name must be strings, email_verified a boolean or the string
// "true" or "false", iss a string, exp, nbf and iat NumericDates. Other
// claims are kept as they are signed (Token.Payload) and not read.
func parsePayload(b []byte, t *Token, p *payload) error {
	err := jsonstrict.ObjectEach(b, func(name, v []byte, _ jsonstrict.Kind) error {
		var err error
		switch string(name) {
		case "sub":
			t.Subject, err = jsonstrict.String(v)
		case "username":
			t.Username, err = jsonstrict.String(v)
		case "email":
			t.Email, err = jsonstrict.String(v)
		case "name":
			t.Name, err = jsonstrict.String(v)
		case "email_verified":
			t.EmailVerified, err = boolOrString(v)
		case "iss":
			p.hasIss = true
			p.iss, err = jsonstrict.String(v)
		case "exp":
			p.hasExp = true
			p.exp, err = numericDate(v)
		case "nbf":
			t.NotBefore, err = numericDate(v)
		case "iat":
			t.IssuedAt, err = numericDate(v)
		}
		if err != nil {
			return fmt.Errorf("claim %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("alb: payload: %v: %w", err, claims.ErrMalformed)
	}
	if t.Subject == "" {
		return fmt.Errorf("alb: payload: no sub: %w", claims.ErrMalformed)
	}
	t.payload = b
	return nil
}

// numericDate decodes a NumericDate: an integer from 0 to year 9999.
func numericDate(v []byte) (time.Time, error) {
	n, err := jsonstrict.Int64(v)
	switch {
	case err != nil:
		return time.Time{}, err
	case n < 0 || n > maxNumericDate:
		return time.Time{}, fmt.Errorf("date %d out of range", n)
	}
	return time.Unix(n, 0), nil
}

// boolOrString decodes true, false, "true" or "false".
func boolOrString(v []byte) (bool, error) {
	if b, err := jsonstrict.Bool(v); err == nil {
		return b, nil
	}
	switch s, _ := jsonstrict.String(v); s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New("want true, false, \"true\" or \"false\"")
}

// isUUID reports whether kid is a UUID in its canonical text form (RFC
// 9562 section 4): 36 characters, hyphens at offsets 8, 13, 18 and 23, hex
// digits elsewhere, all lowercase or all uppercase. Version and variant
// are not checked: AWS's own example kid,
// "12345678-1234-1234-1234-123456789012", has neither. Only such a kid is
// ever put into a URL: it holds no '/', '.', '%', '?' or any other byte
// that could make the request go anywhere but one key of the endpoint.
func isUUID(kid string) bool {
	if len(kid) != 36 {
		return false
	}
	var lower, upper bool
	for i := 0; i < len(kid); i++ {
		switch c := kid[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'f':
			lower = true
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			return false
		}
	}
	return !(lower && upper)
}
