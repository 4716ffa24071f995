package assertion

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Type is the typ header of every assertion (RFC 8725 section 3.11,
// explicit typing: the media type application/cognito-gate-assertion+jwt
// without its "application/"). Verify refuses any other, and no Cognito
// token carries one, so neither can pass for the other.
const Type = "cognito-gate-assertion+jwt"

// Lifetimes of assertions.
const (
	// DefaultLifetime is SignerConfig.Lifetime's zero value.
	DefaultLifetime = 30 * time.Second
	// MaxLifetime is the longest lifetime a Signer mints and a Verifier
	// accepts (exp - iat): an assertion authorizes one request, and
	// whoever captures it can replay it for that request until it expires.
	MaxLifetime = 60 * time.Second
)

// reserved lists the payload members the Signer writes itself, which
// SignerConfig.Claims may not name.
var reserved = []string{
	"iss", "aud", "iat", "exp", "nbf", "jti", "cognito_iss", "sub", "username", "client_id",
	"token_use", "groups", "scope", "origin_jti", "auth_time", "htm", "host", "path",
}

// SignerConfig configures a Signer. Issuer and Keys are required.
type SignerConfig struct {
	// Issuer is the assertions' iss: the gate's own name, which the
	// upstreams' VerifierConfig.Issuer must equal, e.g.
	// "https://gate.example.com" — never the Cognito issuer, which the
	// assertion carries as cognito_iss. Required: at most 256 bytes of
	// UTF-8 without spaces or control characters.
	Issuer string
	// Audience is the assertions' aud: the upstream they are for (its
	// VerifierConfig.Audience). Empty means no aud, which a Verifier
	// accepts only with SkipAudienceCheck; set it, so that an assertion
	// minted for one upstream is refused by another. Same rules as
	// Issuer.
	Audience string
	// Lifetime is exp - iat, whole seconds from 1 s to MaxLifetime (60 s).
	// Zero means DefaultLifetime (30 s). It bounds the replay window of a
	// captured assertion (see Verifier.CheckRequest).
	Lifetime time.Duration
	// Claims lists claims of the verified token to copy into the
	// assertion as they were signed (claims.Token.Claim), under the same
	// names, e.g. "email", "custom:tenant": those an upstream's policy or
	// handlers read. A claim the token lacks is left out. The names the
	// assertion writes itself (iss, aud, iat, exp, nbf, jti, cognito_iss,
	// sub, username, client_id, token_use, groups, scope, origin_jti,
	// auth_time, htm, host, path) cannot be listed; empty, duplicated or
	// non-UTF-8 names neither.
	Claims []string
	// MaxBytes bounds the assertion: Sign refuses (ErrSign) a token and
	// request that would make a longer one. Zero means
	// claims.DefaultMaxTokenBytes (16 KiB), what a Verifier accepts by
	// default. Upstream proxies and servers cap header sizes too (nginx: 8
	// KiB per header line by default).
	MaxBytes int
	// Keys is the key set whose signing key signs. Required. Its Retain
	// must be at least Lifetime + DefaultLeeway.
	Keys *KeySet
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Signer mints assertions. Build it once with NewSigner; it is safe for
// concurrent use, and signs with whatever key its KeySet names at the time
// of each call.
type Signer struct {
	iss, aud string // JSON-quoted
	lifetime int64  // seconds
	claims   []signedClaim
	maxBytes int
	keys     *KeySet
	now      func() time.Time
}

// signedClaim is one name of SignerConfig.Claims: its name, and its
// JSON-quoted form followed by a colon.
type signedClaim struct{ name, member string }

// NewSigner validates cfg, reporting every problem (each a *ConfigError
// matching ErrConfig), and returns a Signer.
func NewSigner(cfg SignerConfig) (*Signer, error) {
	var p problems
	s := &Signer{maxBytes: cfg.MaxBytes, keys: cfg.Keys, now: cfg.Now}
	if problem := checkName(cfg.Issuer); problem != "" {
		p.add("Issuer", "%s", problem)
	}
	if cfg.Audience != "" {
		if problem := checkName(cfg.Audience); problem != "" {
			p.add("Audience", "%s", problem)
		}
	}
	lifetime := cfg.Lifetime
	if lifetime == 0 {
		lifetime = DefaultLifetime
	}
	switch {
	case lifetime < time.Second || lifetime > MaxLifetime:
		p.add("Lifetime", "%s is outside 1s to %s", cfg.Lifetime, MaxLifetime)
	case lifetime%time.Second != 0:
		p.add("Lifetime", "%s is not whole seconds (exp and iat are)", cfg.Lifetime)
	}
	for i, name := range cfg.Claims {
		switch {
		case name == "" || !utf8.ValidString(name) || len(name) > 256:
			p.add("Claims", "entry %d, %s, is empty, over 256 bytes or not UTF-8", i, quote(name))
		case slices.Contains(reserved, name):
			p.add("Claims", "entry %d, %q, is written by the assertion itself", i, name)
		case slices.Contains(cfg.Claims[:i], name):
			p.add("Claims", "entry %d, %q, is listed twice", i, name)
		default:
			s.claims = append(s.claims, signedClaim{name: name, member: string(appendJSONString(nil, name)) + ":"})
		}
	}
	if s.maxBytes == 0 {
		s.maxBytes = claims.DefaultMaxTokenBytes
	}
	if s.maxBytes < 512 {
		p.add("MaxBytes", "%d is too small for any assertion", cfg.MaxBytes)
	}
	switch {
	case cfg.Keys == nil:
		p.add("Keys", "required: the key set that signs")
	case cfg.Keys.state.Load() == nil:
		p.add("Keys", "a KeySet not made by NewKeySet")
	case cfg.Keys.retain < lifetime+DefaultLeeway:
		p.add("Keys", "the key set's retain (%s) is shorter than lifetime + %s: a key could be withdrawn while its assertions are valid", cfg.Keys.retain, DefaultLeeway)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	s.iss = string(appendJSONString(nil, cfg.Issuer))
	if cfg.Audience != "" {
		s.aud = string(appendJSONString(nil, cfg.Audience))
	}
	s.lifetime = int64(lifetime / time.Second)
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// checkName returns what is wrong with an issuer or audience, or "".
func checkName(s string) string {
	switch {
	case s == "":
		return "required"
	case len(s) > 256 || !utf8.ValidString(s):
		return "over 256 bytes or not UTF-8"
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return quote(s) + " contains spaces or control characters"
	}
	return ""
}

// Request is what an assertion says was authorized: the method, Host and
// escaped path of the request the policy allowed (never its query).
type Request struct {
	Method string // e.g. "GET"
	Host   string // as the gate judged it, e.g. "api.example.com" or "api.example.com:8443"
	Path   string // escaped, e.g. "/orders/a%20b"; begins with '/'
}

// RequestOf returns r's method, Host and escaped path (r.URL.EscapedPath).
// In the gate, r is the request the policy judged: the client's in serve
// mode, the rebuilt original request in forward-auth mode.
func RequestOf(r *http.Request) Request {
	return Request{Method: r.Method, Host: r.Host, Path: r.URL.EscapedPath()}
}

// bufPool holds the scratch buffers of Sign.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Sign mints the assertion of tok, a token the gate verified, for the
// request req that the policy allowed: a compact JWS signed with the key
// set's signing key (ES256, r||s), with header {"alg":"ES256","kid":...,
// "typ":Type} and these claims:
//
//   - iss (SignerConfig.Issuer), aud (SignerConfig.Audience, unless
//     empty), iat (now, in whole seconds), exp (iat + Lifetime), jti (128
//     random bits, base64url);
//   - cognito_iss (tok.Issuer), sub, username, client_id and token_use
//     (tok.Use), groups (an array, when tok.Groups is not nil), scope
//     (space-separated, when tok.Scopes is not nil), origin_jti and
//     auth_time (when the token has them) — the names of RFC 9068 where
//     it has one;
//   - htm (the method, as RFC 9449 names it), host and path (req);
//   - each of SignerConfig.Claims that tok has, exactly as signed.
//
// Empty strings are left out. A nil token, one without Subject, Issuer or
// Use, a request without method, host or a path beginning with '/',
// strings that are not UTF-8 or an assertion over MaxBytes give an error
// matching ErrSign: refuse the request then.
func (s *Signer) Sign(tok *claims.Token, req Request) (string, error) {
	if err := checkSignable(tok, req); err != nil {
		return "", err
	}
	key := s.keys.Signing()
	iat := s.now().Unix()

	pb := bufPool.Get().(*[]byte)
	defer bufPool.Put(pb)
	payload := s.appendPayload((*pb)[:0], tok, req, iat)
	*pb = payload

	n := len(key.header) + 1 + b64.EncodedLen(len(payload)) + 1 + b64.EncodedLen(es256Size)
	if n > s.maxBytes {
		return "", errorf("assertion of %d bytes, limit %d: %w", n, s.maxBytes, ErrSign)
	}
	ib := bufPool.Get().(*[]byte)
	defer bufPool.Put(ib)
	input := append((*ib)[:0], key.header...)
	input = b64.AppendEncode(append(input, '.'), payload)
	*ib = input

	var sig [es256Size]byte
	if err := signES256(key.priv, input, &sig); err != nil {
		return "", errorf("sign: %v: %w", err, ErrSign)
	}
	var out strings.Builder
	out.Grow(n)
	out.Write(input)
	out.WriteByte('.')
	var enc [86]byte // b64.EncodedLen(es256Size)
	b64.Encode(enc[:], sig[:])
	out.Write(enc[:])
	return out.String(), nil
}

// checkSignable returns the ErrSign error of what tok or req lacks.
func checkSignable(tok *claims.Token, req Request) error {
	var problem string
	switch {
	case tok == nil:
		problem = "no token"
	case tok.Subject == "" || tok.Issuer == "" || tok.Use == "":
		problem = "the token has no sub, issuer or token_use"
	case req.Method == "" || req.Host == "":
		problem = "the request has no method or host"
	case !strings.HasPrefix(req.Path, "/"):
		problem = "the request path " + quote(req.Path) + " does not begin with '/'"
	case !validStrings(tok, req):
		problem = "a string of the token or request is not UTF-8"
	default:
		return nil
	}
	return errorf("%s: %w", problem, ErrSign)
}

// validStrings reports whether every string Sign writes is UTF-8 (the
// selected claims are JSON the token's parser checked).
func validStrings(tok *claims.Token, req Request) bool {
	for _, s := range []string{tok.Issuer, tok.Subject, tok.Username, tok.ClientID, string(tok.Use), tok.OriginJTI, req.Method, req.Host, req.Path} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	for _, l := range [][]string{tok.Groups, tok.Scopes} {
		for _, s := range l {
			if !utf8.ValidString(s) {
				return false
			}
		}
	}
	return true
}

// appendPayload appends the assertion's claims JSON to b.
func (s *Signer) appendPayload(b []byte, tok *claims.Token, req Request, iat int64) []byte {
	b = append(b, `{"iss":`...)
	b = append(b, s.iss...)
	if s.aud != "" {
		b = append(b, `,"aud":`...)
		b = append(b, s.aud...)
	}
	b = strconv.AppendInt(append(b, `,"iat":`...), iat, 10)
	b = strconv.AppendInt(append(b, `,"exp":`...), iat+s.lifetime, 10)
	var jti [16]byte
	_, _ = rand.Read(jti[:]) // never fails (crypto/rand, Go 1.24+)
	b = append(b, `,"jti":"`...)
	b = append(b64.AppendEncode(b, jti[:]), '"')
	b = appendMember(b, "cognito_iss", tok.Issuer)
	b = appendMember(b, "sub", tok.Subject)
	b = appendMember(b, "username", tok.Username)
	b = appendMember(b, "client_id", tok.ClientID)
	b = appendMember(b, "token_use", string(tok.Use))
	if tok.Groups != nil {
		b = append(b, `,"groups":[`...)
		for i, g := range tok.Groups {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, g)
		}
		b = append(b, ']')
	}
	if tok.Scopes != nil {
		b = append(b, `,"scope":"`...)
		for i, sc := range tok.Scopes {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendJSONStringBody(b, sc)
		}
		b = append(b, '"')
	}
	b = appendMember(b, "origin_jti", tok.OriginJTI)
	if !tok.AuthTime.IsZero() {
		b = strconv.AppendInt(append(b, `,"auth_time":`...), tok.AuthTime.Unix(), 10)
	}
	b = appendMember(b, "htm", req.Method)
	b = appendMember(b, "host", req.Host)
	b = appendMember(b, "path", req.Path)
	for _, c := range s.claims {
		if raw, ok := tok.Claim(c.name); ok {
			b = append(append(append(b, ','), c.member...), raw...)
		}
	}
	return append(b, '}')
}

// appendMember appends `,"name":"value"` to b, or nothing when value is
// empty. name needs no escaping.
func appendMember(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(append(append(b, `,"`...), name...), `":`...)
	return appendJSONString(b, value)
}

// appendJSONString appends the UTF-8 string s to b as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	return append(appendJSONStringBody(append(b, '"'), s), '"')
}

// appendJSONStringBody appends the UTF-8 string s to b as the inside of a
// JSON string: runs of bytes that need no escape as they are, '"' and '\'
// after a backslash, control characters as \u00XX.
func appendJSONStringBody(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for len(s) > 0 {
		i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == '"' || r == '\\' })
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		if c := s[i]; c < 0x20 {
			b = append(b, `\u00`...)
			b = append(b, hex[c>>4], hex[c&0xf])
		} else {
			b = append(b, '\\', c)
		}
		s = s[i+1:]
	}
	return b
}

// es256Size is the length of an ES256 signature, r||s (RFC 7518 section
// 3.4).
const es256Size = 64

// signES256 signs input with priv (ECDSA P-256, SHA-256) into sig as r||s,
// each a 32-byte big-endian integer (RFC 7518 section 3.4).
// crypto/ecdsa.SignASN1 returns the ASN.1 DER form, SEQUENCE { INTEGER r,
// INTEGER s }, which this unpacks.
func signES256(priv *ecdsa.PrivateKey, input []byte, sig *[es256Size]byte) error {
	sum := sha256.Sum256(input)
	der, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
	if err != nil {
		return err
	}
	return derToES256(der, sig)
}

// errDER is the error of a DER signature that derToES256 cannot read.
var errDER = errorf("not an ASN.1 DER ECDSA P-256 signature")

// derToES256 writes the DER ECDSA signature der as r||s into sig. Every
// length of a P-256 signature fits in one byte.
func derToES256(der []byte, sig *[es256Size]byte) error {
	if len(der) < 2 || der[0] != 0x30 || int(der[1]) != len(der)-2 {
		return errDER
	}
	rest := der[2:]
	for half := 0; half < 2; half++ {
		if len(rest) < 2 || rest[0] != 0x02 || int(rest[1]) > len(rest)-2 {
			return errDER
		}
		v := rest[2 : 2+int(rest[1])]
		rest = rest[2+len(v):]
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) > es256Size/2 {
			return errDER
		}
		copy(sig[half*32+32-len(v):(half+1)*32], v)
	}
	if len(rest) != 0 {
		return errDER
	}
	return nil
}
