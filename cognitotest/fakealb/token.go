package fakealb

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The headers a load balancer adds, in canonical form.
const (
	DataHeader        = "X-Amzn-Oidc-Data"
	AccessTokenHeader = "X-Amzn-Oidc-Accesstoken"
	IdentityHeader    = "X-Amzn-Oidc-Identity"
)

// TokenOption changes one aspect of a data token minted by Data or
// Headers (or, for WithKeyID, Unpadded and WithDERSignature, of one Sign
// makes). Options apply in order, a later one winning; WithHeader,
// WithoutHeader, WithClaim and WithoutClaim apply after all the others,
// to the finished header and payload.
type TokenOption func(*tokenSpec)

// tokenSpec collects the options of one token. Nil pointers and zero
// times mean the ALB's default.
type tokenSpec struct {
	username               string
	subject, email         *string
	signer, client, issuer *string
	kid                    string
	expiry                 time.Time
	lifetime               *time.Duration
	headerOps, claimOps    []fieldOp
	unpadded, derSignature bool
}

// fieldOp sets or removes one header or payload member.
type fieldOp struct {
	name   string
	value  any
	remove bool
}

// WithUsername sets the payload's username, by default DefaultUsername;
// the email is username + "@example.com" and the sub a UUID derived from
// the issuer and the username (the same for every token of that user, not
// random) unless WithEmail and WithSubject say otherwise.
func WithUsername(username string) TokenOption {
	return func(s *tokenSpec) { s.username = username }
}

// WithSubject sets the payload's sub (and x-amzn-oidc-identity).
func WithSubject(sub string) TokenOption { return func(s *tokenSpec) { s.subject = &sub } }

// WithEmail sets the payload's email.
func WithEmail(email string) TokenOption { return func(s *tokenSpec) { s.email = &email } }

// WithSigner sets the header's signer instead of the ALB's ARN: a token
// of another load balancer, signed with the same key.
func WithSigner(arn string) TokenOption { return func(s *tokenSpec) { s.signer = &arn } }

// WithClientID sets the header's client instead of the ALB's.
func WithClientID(id string) TokenOption { return func(s *tokenSpec) { s.client = &id } }

// WithIssuer sets the header's and the payload's iss instead of the
// ALB's.
func WithIssuer(iss string) TokenOption { return func(s *tokenSpec) { s.issuer = &iss } }

// WithExpiry sets exp (in whole seconds, header and payload) to t.
func WithExpiry(t time.Time) TokenOption { return func(s *tokenSpec) { s.expiry = t } }

// WithLifetime sets exp to now plus d instead of the ALB's
// TokenLifetime; a negative d mints an expired token.
func WithLifetime(d time.Duration) TokenOption { return func(s *tokenSpec) { s.lifetime = &d } }

// WithKeyID signs with the ALB's key kid, served or retired, and names it
// in the header. Minting panics when the ALB never had kid, a mistake in
// the calling test; to name a kid the ALB does not have, use
// WithHeader("kid", ...).
func WithKeyID(kid string) TokenOption { return func(s *tokenSpec) { s.kid = kid } }

// WithHeader adds the header member name or replaces its value ("alg",
// "kid", "exp", "crit", ...). The token is still signed with ES256 by the
// key it would have been signed with.
func WithHeader(name string, value any) TokenOption {
	return func(s *tokenSpec) { s.headerOps = append(s.headerOps, fieldOp{name: name, value: value}) }
}

// WithoutHeader removes the header member name.
func WithoutHeader(name string) TokenOption {
	return func(s *tokenSpec) { s.headerOps = append(s.headerOps, fieldOp{name: name, remove: true}) }
}

// WithClaim adds the payload claim name or replaces its value. The value
// is encoded with encoding/json; minting panics when it cannot be.
func WithClaim(name string, value any) TokenOption {
	return func(s *tokenSpec) { s.claimOps = append(s.claimOps, fieldOp{name: name, value: value}) }
}

// WithoutClaim removes the payload claim name.
func WithoutClaim(name string) TokenOption {
	return func(s *tokenSpec) { s.claimOps = append(s.claimOps, fieldOp{name: name, remove: true}) }
}

// Unpadded encodes every segment without '=' padding, as RFC 7515 does,
// instead of as the load balancer does.
func Unpadded() TokenOption { return func(s *tokenSpec) { s.unpadded = true } }

// WithDERSignature writes the signature in ASN.1 DER, as
// crypto/ecdsa.SignASN1 makes it, instead of JWS's r||s: a token a
// correct verifier refuses.
func WithDERSignature() TokenOption { return func(s *tokenSpec) { s.derSignature = true } }

// Data mints an x-amzn-oidc-data value: header {"typ":"JWT","kid",
// "alg":"ES256","iss","client","signer","exp"}, payload {"sub",
// "email_verified":"true","email","username","exp","iss"}, in that order,
// each segment padded base64url, signed with ES256 (r||s) by the current
// key.
func (a *ALB) Data(opts ...TokenOption) string {
	tok, _ := a.mint(opts)
	return tok
}

// Headers returns the headers a load balancer adds to a request: a data
// token minted with opts, x-amzn-oidc-identity (its sub) and, unless
// accessToken is empty, x-amzn-oidc-accesstoken. The sub and username
// default to the access token's sub and username claims (read without
// verification: it is the test's own token), so that one minted by a
// fakepool.Pool and the data token describe the same user; opts win over
// them.
func (a *ALB) Headers(accessToken string, opts ...TokenOption) http.Header {
	if accessToken != "" {
		var c struct {
			Sub      string `json:"sub"`
			Username string `json:"username"`
		}
		if parts := strings.Split(accessToken, "."); len(parts) == 3 {
			if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
				_ = json.Unmarshal(b, &c)
			}
		}
		var pre []TokenOption
		if c.Sub != "" {
			pre = append(pre, WithSubject(c.Sub))
		}
		if c.Username != "" {
			pre = append(pre, WithUsername(c.Username))
		}
		opts = append(pre, opts...)
	}
	tok, sub := a.mint(opts)
	h := http.Header{}
	h.Set(DataHeader, tok)
	h.Set(IdentityHeader, sub)
	if accessToken != "" {
		h.Set(AccessTokenHeader, accessToken)
	}
	return h
}

// mint builds and signs a data token, and returns it with its sub.
func (a *ALB) mint(opts []TokenOption) (token, sub string) {
	spec := tokenSpec{username: DefaultUsername}
	for _, opt := range opts {
		if opt != nil {
			opt(&spec)
		}
	}
	exp := spec.expiry
	if exp.IsZero() {
		lifetime := a.cfg.TokenLifetime
		if spec.lifetime != nil {
			lifetime = *spec.lifetime
		}
		exp = a.cfg.Now().Add(lifetime)
	}
	iss := orDefault(spec.issuer, a.cfg.Issuer)
	sub = orDefault(spec.subject, subjectOf(iss, spec.username))
	kid, key := a.signingKey("WithKeyID", spec.kid)

	// In the order load balancers write the members.
	header := object{
		{"typ", "JWT"},
		{"kid", kid},
		{"alg", "ES256"},
		{"iss", iss},
		{"client", orDefault(spec.client, a.cfg.ClientID)},
		{"signer", orDefault(spec.signer, a.cfg.Signer)},
		{"exp", exp.Unix()},
	}
	payload := object{
		{"sub", sub},
		{"email_verified", "true"},
		{"email", orDefault(spec.email, spec.username+"@example.com")},
		{"username", spec.username},
		{"exp", exp.Unix()},
		{"iss", iss},
	}
	header = header.apply(spec.headerOps)
	payload = payload.apply(spec.claimOps)
	return encode(key, header.json(), payload.json(), &spec), sub
}

// Sign signs the exact bytes given, for tests of duplicate members and
// odd JSON: base64url(headerJSON) "." base64url(payloadJSON) "." the
// ES256 signature, padded unless Unpadded is among opts, by the current
// key or WithKeyID's. Other options are ignored. It panics when the ALB
// has no key WithKeyID names.
func (a *ALB) Sign(headerJSON, payloadJSON []byte, opts ...TokenOption) string {
	var spec tokenSpec
	for _, opt := range opts {
		if opt != nil {
			opt(&spec)
		}
	}
	_, key := a.signingKey("Sign", spec.kid)
	return encode(key, headerJSON, payloadJSON, &spec)
}

// SignES256 returns the ES256 signature (r||s, 64 bytes) of input by the
// ALB's key kid (served or retired; the current one for ""), for tests
// that assemble tokens segment by segment. It panics when the ALB never
// had kid.
func (a *ALB) SignES256(kid string, input []byte) []byte {
	_, key := a.signingKey("SignES256", kid)
	return signRS(key, input)
}

// signingKey returns kid and its key, or the current ones for "".
func (a *ALB) signingKey(op, kid string) (string, *ecdsa.PrivateKey) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if kid == "" {
		kid = a.current
	}
	return kid, a.mustKeyLocked(op, kid)
}

// encode returns the compact token of header and payload signed by key,
// in the form spec asks for.
func encode(key *ecdsa.PrivateKey, header, payload []byte, spec *tokenSpec) string {
	enc := base64.URLEncoding
	if spec.unpadded {
		enc = base64.RawURLEncoding
	}
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	var sig []byte
	if spec.derSignature {
		digest := sha256.Sum256([]byte(input))
		var err error
		if sig, err = ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
			panic("fakealb: signing: " + err.Error())
		}
	} else {
		sig = signRS(key, []byte(input))
	}
	return input + "." + enc.EncodeToString(sig)
}

// signRS returns the JWS ES256 signature of input: r and s as 32-byte
// big-endian integers (RFC 7518 section 3.4).
func signRS(key *ecdsa.PrivateKey, input []byte) []byte {
	digest := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		panic("fakealb: signing: " + err.Error()) // crypto/rand does not fail
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig
}

// subjectOf derives the sub of username at iss: a version 4 UUID made of
// the SHA-256 of both, stable across runs.
func subjectOf(iss, username string) string {
	sum := sha256.Sum256([]byte(iss + "\x00" + username))
	return formatUUID([16]byte(sum[:16]))
}

// object is a JSON object whose members keep their order.
type object []member

type member struct {
	name  string
	value any
}

// apply returns o with ops applied: a set replaces the member in place or
// appends it, a removal drops it.
func (o object) apply(ops []fieldOp) object {
	for _, op := range ops {
		i := slices.IndexFunc(o, func(m member) bool { return m.name == op.name })
		switch {
		case op.remove && i >= 0:
			o = slices.Delete(o, i, i+1)
		case op.remove:
		case i >= 0:
			o[i].value = op.value
		default:
			o = append(o, member{op.name, op.value})
		}
	}
	return o
}

// json encodes o, its values with encoding/json; it panics when a value
// cannot be encoded.
func (o object) json() []byte {
	b := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		name, _ := json.Marshal(m.name)
		value, err := json.Marshal(m.value)
		if err != nil {
			panic(fmt.Sprintf("fakealb: encoding %s: %v", name, err))
		}
		b = append(append(append(b, name...), ':'), value...)
	}
	return append(b, '}')
}

func orDefault(v *string, def string) string {
	if v != nil {
		return *v
	}
	return def
}
