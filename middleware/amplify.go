package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/internal/cookiepair"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// amplifyPrefix begins the name of every cookie Amplify keeps its Cognito
// session in (AUTH_KEY_PREFIX in aws-amplify/amplify-js).
const amplifyPrefix = "CognitoIdentityServiceProvider."

// amplifyClientID matches the app client ids that AmplifyCookie accepts:
// Cognito's ClientId pattern, [\w+]+ of at most 128 characters, none of
// which Amplify encodes in a cookie name.
var amplifyClientID = regexp.MustCompile(`^[A-Za-z0-9_+]{1,128}$`)

// AmplifySource is the token source AmplifyCookie returns.
type AmplifySource struct {
	kind   claims.TokenUse
	prefix string // "CognitoIdentityServiceProvider.<clientId>."
	suffix string // ".accessToken" or ".idToken"
	name   string // for Name
}

var _ TokenSource = (*AmplifySource)(nil)

// AmplifyCookie reads the token that Amplify JavaScript (v6, aws-amplify's
// CookieStorage and the Next.js adapter's server-side auth alike) keeps in
// cookies for the app client clientID: the access token (kind
// claims.AccessToken) or the ID token (claims.IDToken) of the user who
// signed in last. Amplify names the cookies
//
//	CognitoIdentityServiceProvider.<clientId>.LastAuthUser           the username
//	CognitoIdentityServiceProvider.<clientId>.<username>.accessToken
//	CognitoIdentityServiceProvider.<clientId>.<username>.idToken
//	CognitoIdentityServiceProvider.<clientId>.<username>.refreshToken (never read)
//
// and writes them with js-cookie: in a name, the username is
// percent-encoded as encodeURIComponent does (UTF-8, upper-case hex) except
// for # $ & + ^ ` |, which stay as they are, and ( ) as %28 %29 — or as
// they are, from the Next.js adapter — so that the username
// alice@example.com is in alice%40example.com.accessToken; in a value,
// only what a cookie cannot hold is encoded (alice@example.com stays).
// The source reads the LastAuthUser cookie, decodes its value, and then
// the token cookie of that user and kind.
//
// It is strict, like the other sources: the request is invalid (400),
// never "no token", when the LastAuthUser cookie or the user's token
// cookie is sent twice (in any spelling), when a cookie name of this app
// client is spelled otherwise than Amplify spells it (as the lowercase
// %40 or the raw @ for alice@example.com: a reader that looks the canonical
// name up, as the Next.js adapter does, would not see it) or does not
// decode, when LastAuthUser does not decode to UTF-8, or when a token
// cookie of this kind comes without a LastAuthUser cookie (Amplify would
// then read the user "username", which the gate does not guess). There is
// no token when none of these cookies is sent, when LastAuthUser is empty
// (signed out), and when only other users' token cookies are sent: those
// are never read, whoever they name. The token cookie's value is read as
// Cookie reads a value (quotes removed, empty is no token, a space or tab
// is invalid); what it holds is the verifier's to judge. The username of
// LastAuthUser is not compared with the token's username claim: Amplify
// stores the name the user signed in with, which may be an alias (an
// email address) of the username in the token.
//
// Cross-site requests. Browsers send cookies with requests that other
// sites make them send: a cookie-borne token authenticates a forged
// cross-site request just as it does the user's own, which an
// Authorization header never does. Amplify's CookieStorage sets no
// SameSite attribute unless configured (browsers then default to Lax:
// sent on cross-site top-level GET navigations), and its cookies are not
// HttpOnly (any script of the page, an injected one included, can read
// the tokens); the Next.js adapter's server-side auth sets HttpOnly and
// SameSite=Strict. Configure SameSite=Strict (or Lax) where you can, and
// protect every state-changing route (POST, PUT, PATCH, DELETE) that
// accepts this source against cross-site request forgery: require a
// header a cross-site form cannot send (a custom header, or check Origin
// or Sec-Fetch-Site), or accept only the Authorization header there. Keep
// GET and HEAD free of side effects. A proxy should also not pass these
// cookies (the refresh token among them) to upstreams that do not need
// them; Owns names them.
//
// AmplifyCookie returns an error when clientID is not an app client id
// ([A-Za-z0-9_+], 1 to 128 characters) or kind is neither
// claims.AccessToken nor claims.IDToken.
func AmplifyCookie(clientID string, kind claims.TokenUse) (*AmplifySource, error) {
	if !amplifyClientID.MatchString(clientID) {
		return nil, fmt.Errorf("middleware: amplify cookie: client id %q: want 1 to 128 letters, digits, _ or +", clientID)
	}
	s := &AmplifySource{kind: kind, prefix: amplifyPrefix + clientID + "."}
	switch kind {
	case claims.AccessToken:
		s.suffix = ".accessToken"
	case claims.IDToken:
		s.suffix = ".idToken"
	default:
		return nil, fmt.Errorf("middleware: amplify cookie: token kind %q: want %q or %q", kind, claims.AccessToken, claims.IDToken)
	}
	s.name = "amplify cookie " + s.prefix + "<LastAuthUser>" + s.suffix
	return s, nil
}

// Name describes the source for logs: "amplify cookie
// CognitoIdentityServiceProvider.<clientId>.<LastAuthUser>.accessToken"
// (or .idToken).
func (s *AmplifySource) Name() string { return s.name }

// Owns reports whether the cookie named name, as sent, is one of the app
// client's Amplify cookies (LastAuthUser, and every user's access, ID and
// refresh tokens, and the rest of Amplify's session), in any spelling
// that decodes to one, or undecodable but named so: what a proxy strips
// when it forwards a request whose token it did not verify.
func (s *AmplifySource) Owns(name string) bool {
	dec, err := decodeCookieName(name)
	if err != nil {
		return strings.HasPrefix(name, s.prefix)
	}
	return strings.HasPrefix(dec, s.prefix)
}

// Token returns the token of the user LastAuthUser names; see
// AmplifyCookie.
func (s *AmplifySource) Token(r *http.Request) (string, error) {
	user, ok, err := s.lastAuthUser(r)
	if err != nil {
		return "", err
	}
	var want string // the decoded name of the user's token cookie
	if ok {
		want = s.prefix + user + s.suffix
	}
	var val string
	n := 0
	for name, v := range cookies(r) {
		if cookiepair.Hides(name, v, s.Owns) {
			return "", fmt.Errorf("cookie %s hides an amplify cookie in its value: %w", quoted(name), errInvalidRequest)
		}
		dec, mine, _ := s.decode(name) // lastAuthUser has checked every name
		if !mine || !strings.HasSuffix(dec, s.suffix) {
			continue
		}
		switch {
		case !ok:
			return "", fmt.Errorf("amplify cookie %s without a LastAuthUser cookie: %w", quoted(name), errInvalidRequest)
		case dec == want:
			n++
			val = v
		}
	}
	return soleCookie(quoted(want), n, val)
}

// lastAuthUser returns the decoded value of the LastAuthUser cookie, and
// whether there is a user (a cookie with a non-empty value). It checks the
// name of every cookie of the app client on the way (see decode).
func (s *AmplifySource) lastAuthUser(r *http.Request) (user string, ok bool, err error) {
	key := s.prefix + "LastAuthUser"
	var raw string
	n := 0
	for name, v := range cookies(r) {
		dec, mine, err := s.decode(name)
		switch {
		case err != nil:
			return "", false, err
		case mine && dec == key:
			n++
			raw = v
		}
	}
	switch {
	case n == 0:
		return "", false, nil
	case n > 1:
		return "", false, fmt.Errorf("cookie %s sent %d times: %w", key, n, errInvalidRequest)
	}
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	user, err = url.PathUnescape(raw)
	if err != nil || !utf8.ValidString(user) {
		return "", false, fmt.Errorf("cookie %s: value does not decode to UTF-8: %w", key, errInvalidRequest)
	}
	return user, user != "", nil
}

// decode returns the decoded name of the cookie named name, as sent, and
// whether it is one of the app client's. It refuses (an invalid request) a
// name of the app client that does not decode, or that Amplify would not
// have written so (see AmplifyCookie): two readers could then disagree
// about which cookie it is.
func (s *AmplifySource) decode(name string) (dec string, mine bool, err error) {
	dec, derr := decodeCookieName(name)
	switch {
	case derr != nil && strings.HasPrefix(name, s.prefix):
		return "", false, fmt.Errorf("amplify cookie %s: name does not decode: %w", quoted(name), errInvalidRequest)
	case derr != nil || !strings.HasPrefix(dec, s.prefix):
		return "", false, nil
	case !spelledAsAmplify(name, dec):
		return "", false, fmt.Errorf("amplify cookie %s: not spelled as Amplify spells %s: %w", quoted(name), quoted(dec), errInvalidRequest)
	}
	return dec, true, nil
}

// errCookieName is the error of a cookie name that does not decode.
var errCookieName = errors.New("cookie name does not decode")

// decodeCookieName decodes a cookie name as js-cookie reads one
// (decodeURIComponent): every %XX escape, which must make valid UTF-8; a
// malformed escape or invalid UTF-8 is an error. A name without "%" is
// itself.
func decodeCookieName(name string) (string, error) {
	if strings.IndexByte(name, '%') < 0 {
		return name, nil
	}
	dec, err := url.PathUnescape(name)
	if err != nil || !utf8.ValidString(dec) {
		return "", errCookieName
	}
	return dec, nil
}

// spelledAsAmplify reports whether raw is dec as js-cookie writes a cookie
// name: encodeURIComponent (every byte but A-Z a-z 0-9 - _ . ! ~ * ' ( )
// percent-encoded in upper-case hex), then # $ & + ^ ` | back as they
// are, and ( ) as %28 %29 — or, as the Next.js adapter writes them, ( )
// as they are (one way or the other throughout). It makes no allocation.
func spelledAsAmplify(raw, dec string) bool {
	return spelled(raw, dec, false) || spelled(raw, dec, true)
}

// spelled is spelledAsAmplify with parentheses kept as they are or not.
func spelled(raw, dec string, keepParens bool) bool {
	const hex = "0123456789ABCDEF"
	j := 0
	for i := 0; i < len(dec); i++ {
		c := dec[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			strings.IndexByte("-_.!~*'#$&+^`|", c) >= 0,
			keepParens && (c == '(' || c == ')'):
			if j >= len(raw) || raw[j] != c {
				return false
			}
			j++
		default:
			if j+3 > len(raw) || raw[j] != '%' || raw[j+1] != hex[c>>4] || raw[j+2] != hex[c&15] {
				return false
			}
			j += 3
		}
	}
	return j == len(raw)
}

// quoted is a cookie name, clipped, quoted for an error text.
func quoted(name string) string { return fmt.Sprintf("%q", msg.Clip(name, 200)) }
