package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// amplifyConfig is tokens.amplify: the token an Amplify app keeps in its
// cookies, CognitoIdentityServiceProvider.<client_id>.<LastAuthUser>.accessToken
// (or .idToken), read by middleware.AmplifyCookie.
type amplifyConfig struct {
	ClientID string `yaml:"client_id"`
	TokenUse string `yaml:"token_use"` // "access" or "id"
}

// amplifyTokens checks tokens.amplify and adds its source with add. It
// runs in tokens, after the cookie source and before the query parameter,
// and after pools, whose client ids it reads.
func (v *validator) amplifyTokens(add func(middleware.TokenSource, carrier)) {
	a := v.fc.Tokens.Amplify
	if a == nil {
		return
	}
	if v.fc.Tokens.ALB != nil {
		v.bad("tokens.amplify", "behind the load balancer its headers are the credential: set no other token source")
	}
	if v.fc.ForwardAuth.GRPCListen != "" {
		// Refused rather than let through, as extAuthz refuses the
		// sources whose credentials its answers cannot remove.
		v.bad("tokens.amplify", "not with forward_auth.grpc_listen: the ext_authz answer does not remove Amplify's cookies from the upstream request")
	}
	use := claims.TokenUse(a.TokenUse)
	switch use {
	case claims.AccessToken, claims.IDToken:
	case "":
		v.bad("tokens.amplify.token_use", `required: %q (the accessToken cookie) or %q (the idToken cookie)`, claims.AccessToken, claims.IDToken)
		return
	default:
		v.bad("tokens.amplify.token_use", `%q: want %q or %q`, a.TokenUse, claims.AccessToken, claims.IDToken)
		return
	}
	if a.ClientID == "" {
		v.bad("tokens.amplify.client_id", "required: the app client id in the names of the cookies, CognitoIdentityServiceProvider.<client_id>.…")
		return
	}
	src, err := middleware.AmplifyCookie(a.ClientID, use)
	if err != nil {
		// The kind is valid: the error is the client id's.
		v.bad("tokens.amplify.client_id", "%s", strings.TrimPrefix(err.Error(), "middleware: amplify cookie: "))
		return
	}
	if !v.acceptsClient(a.ClientID, use) {
		v.bad("tokens.amplify.client_id", "%q is in no pool's client_ids with token_use %s or any: every token of these cookies would be refused", a.ClientID, use)
		return
	}
	add(src, carrierAmplify)
	v.gc.credentials.amplify = newAmplifyCookies(src, a.ClientID)
}

// acceptsClient reports whether a pool accepts use tokens of the app
// client id: it lists id (or skips the client check) and accepts that
// token use.
func (v *validator) acceptsClient(id string, use claims.TokenUse) bool {
	for _, p := range v.gc.claims.Pools {
		if (p.SkipClientIDCheck || slices.Contains(p.ClientIDs, id)) && (p.TokenUse == use || p.TokenUse == claims.AnyToken) {
			return true
		}
	}
	return false
}

// amplifyCookiePrefix begins the name of every cookie Amplify keeps its
// session in, as middleware.AmplifyCookie reads them (TestAmplifyPrefix
// checks that the two agree).
const amplifyCookiePrefix = "CognitoIdentityServiceProvider."

// amplifyCookies knows the Amplify source's cookies, as the source reads
// their names (Owns) and as upstreams that read cookie names as PHP does
// would (paramName): CognitoIdentityServiceProvider_<client>_alice_accessToken
// is the accessToken cookie of alice to such an upstream, and so is
// CognitoIdentityServiceProvider%2E<client>.alice.accessToken.
type amplifyCookies struct {
	src *middleware.AmplifySource
	// php is the prefix of every cookie name of the app client as
	// paramName reads it: CognitoIdentityServiceProvider_<client>_, a
	// '+' of the client id read as '_'.
	php string
}

func newAmplifyCookies(src *middleware.AmplifySource, clientID string) *amplifyCookies {
	return &amplifyCookies{src: src, php: paramName(amplifyCookiePrefix + clientID + ".")}
}

// strip removes the app client's Amplify cookies from the Cookie headers
// of h: with keep (the verified token came from them and is forwarded)
// only the look-alikes, which the source does not read but a PHP-style
// upstream would read as those cookies; else every one of them, the
// look-alikes, LastAuthUser and every user's access, ID and refresh
// tokens included.
func (a *amplifyCookies) strip(h http.Header, keep bool) {
	filterCookies(h, func(name string) bool {
		if a.src.Owns(name) {
			return !keep
		}
		return a.lookalike(name)
	}, a.named)
}

// lookalike reports whether a PHP-style upstream reads name as one of the
// app client's Amplify cookies.
func (a *amplifyCookies) lookalike(name string) bool {
	return strings.HasPrefix(paramName(lenientEscapes(name)), a.php)
}

// named reports whether name is one of the app client's Amplify cookies
// or a look-alike: the names a cookie pair may not hide (cookiepair.Hides),
// in either mode of strip.
func (a *amplifyCookies) named(name string) bool { return a.src.Owns(name) || a.lookalike(name) }

// lenientEscapes returns s with every '%' that does not begin a %XX
// escape written as "%25", so that paramName decodes s as PHP does: PHP
// decodes the escapes of a name and leaves a stray '%' as it is, where
// url.QueryUnescape (and so paramName) would give up on the whole name.
// "CognitoIdentityServiceProvider%2Ec.a%zz.idToken" is
// CognitoIdentityServiceProvider_c_a%zz_idToken to PHP.
func lenientEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			b.WriteString("%25")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
