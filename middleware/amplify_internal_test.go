package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/claims"
)

// testClient is the app client of the Amplify cookie tests.
const testClient = "6q7gatetest0client0id12345"

// jsEncodeURIComponent is JavaScript's encodeURIComponent of a valid UTF-8
// string: every byte of every character but A-Z a-z 0-9 - _ . ! ~ * ' ( )
// as %XX in upper-case hex.
func jsEncodeURIComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.!~*'()", rune(c))) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// jsCookieName is js-cookie 3's encoding of a cookie name, step by step
// as its source writes it: encodeURIComponent, then
// .replace(/%(2[346B]|5E|60|7C)/g, decodeURIComponent), then
// .replace(/[()]/g, escape); nextName skips the last step, as the Next.js
// adapter's ensureEncodedForJSCookie does.
func jsCookieName(name string, next bool) string {
	s := jsEncodeURIComponent(name)
	for _, r := range []struct{ esc, ch string }{{"%23", "#"}, {"%24", "$"}, {"%26", "&"}, {"%2B", "+"}, {"%5E", "^"}, {"%60", "`"}, {"%7C", "|"}} {
		s = strings.ReplaceAll(s, r.esc, r.ch)
	}
	if !next {
		s = strings.NewReplacer("(", "%28", ")", "%29").Replace(s)
	}
	return s
}

// jsCookieValue is js-cookie 3's encoding of a value: encodeURIComponent,
// then .replace(/%(2[346BF]|3[AC-F]|40|5[BDE]|60|7[BCD])/g, decodeURIComponent).
func jsCookieValue(v string) string {
	s := jsEncodeURIComponent(v)
	for _, esc := range []string{"23", "24", "26", "2B", "2F", "3A", "3C", "3D", "3E", "3F", "40", "5B", "5D", "5E", "60", "7B", "7C", "7D"} {
		c, _ := strconv.ParseUint(esc, 16, 8)
		s = strings.ReplaceAll(s, "%"+esc, string(rune(c)))
	}
	return s
}

// amplifyCookies returns the Cookie header Amplify makes for user's
// session: LastAuthUser, and the access, ID and refresh token cookies.
func amplifyCookies(user, access, id string, next bool) string {
	p := "CognitoIdentityServiceProvider." + testClient + "."
	name := func(s string) string { return jsCookieName(p+s, next) }
	value := jsCookieValue
	if next {
		value = func(v string) string { return v } // the Next.js adapter writes values raw
	}
	return name("LastAuthUser") + "=" + value(user) + "; " +
		name(user+".accessToken") + "=" + access + "; " +
		name(user+".idToken") + "=" + id + "; " +
		name(user+".refreshToken") + "=opaque-refresh-token"
}

func TestJSCookieReference(t *testing.T) {
	// The reference encoders against what js-cookie writes.
	tests := []struct{ got, want string }{
		{jsCookieName("CognitoIdentityServiceProvider.c.alice@example.com.accessToken", false), "CognitoIdentityServiceProvider.c.alice%40example.com.accessToken"},
		{jsCookieName("a+b#c$d&e^f`g|h", false), "a+b#c$d&e^f`g|h"},
		{jsCookieName("(x) y", false), "%28x%29%20y"},
		{jsCookieName("(x) y", true), "(x)%20y"},
		{jsCookieName("jöns", false), "j%C3%B6ns"},
		{jsCookieValue("alice@example.com"), "alice@example.com"},
		{jsCookieValue("a b;c,d\"e\\f/g:h"), "a%20b%3Bc%2Cd%22e%5Cf/g:h"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestAmplifyCookieConfig(t *testing.T) {
	for _, tt := range []struct {
		client string
		kind   claims.TokenUse
	}{
		{"", claims.AccessToken}, {"a.b", claims.AccessToken}, {"a b", claims.AccessToken}, {"a%41", claims.AccessToken},
		{"é", claims.AccessToken}, {strings.Repeat("a", 129), claims.AccessToken},
		{testClient, claims.AnyToken}, {testClient, ""}, {testClient, "refresh"},
	} {
		if s, err := AmplifyCookie(tt.client, tt.kind); err == nil {
			t.Errorf("AmplifyCookie(%q, %q) = %v, want an error", tt.client, tt.kind, s.Name())
		}
	}
	s, err := AmplifyCookie("abc_+1", claims.IDToken)
	if err != nil || s.Name() != "amplify cookie CognitoIdentityServiceProvider.abc_+1.<LastAuthUser>.idToken" {
		t.Errorf("AmplifyCookie: %v, %v", s, err)
	}
}

// TestAmplifyCookie: the token comes only from the cookie of the user
// LastAuthUser names, laid out as Amplify lays it out; anything two
// readers could read differently is an invalid request.
func TestAmplifyCookie(t *testing.T) {
	const (
		p   = "CognitoIdentityServiceProvider." + testClient + "."
		tok = "header.payload.signature"
		id  = "idheader.idpayload.idsignature"
	)
	invalid := errInvalidRequest
	tests := []struct {
		name    string
		kind    claims.TokenUse // "" means the access token
		cookies []string        // Cookie headers
		want    string
		wantErr error
	}{
		{name: "as Amplify writes it", cookies: []string{amplifyCookies("alice", tok, id, false)}, want: tok},
		{name: "id token", kind: claims.IDToken, cookies: []string{amplifyCookies("alice", tok, id, false)}, want: id},
		{name: "email username (js-cookie)", cookies: []string{amplifyCookies("alice@example.com", tok, id, false)}, want: tok},
		{name: "email username (Next.js adapter)", cookies: []string{amplifyCookies("alice@example.com", tok, id, true)}, want: tok},
		{name: "username with spaces and punctuation", cookies: []string{amplifyCookies("Ann Lee, Jr.; +1 (x)", tok, id, false)}, want: tok},
		{name: "parentheses, Next.js adapter", cookies: []string{amplifyCookies("(x)", tok, id, true)}, want: tok},
		{name: "non-ASCII username", cookies: []string{amplifyCookies("jöns-çé", tok, id, false)}, want: tok},
		{name: "username with the suffix in it", cookies: []string{amplifyCookies("x.accessToken", tok, id, false)}, want: tok},
		{name: "username LastAuthUser", cookies: []string{amplifyCookies("LastAuthUser", tok, id, false)}, want: tok},
		{name: "LastAuthUser value percent-encoded", cookies: []string{p + "LastAuthUser=alice%40example.com; " + p + "alice%40example.com.accessToken=" + tok}, want: tok},
		{name: "LastAuthUser quoted", cookies: []string{p + `LastAuthUser="alice"; ` + p + "alice.accessToken=" + tok}, want: tok},
		{name: "token quoted", cookies: []string{p + "LastAuthUser=alice; " + p + `alice.accessToken="` + tok + `"`}, want: tok},
		{name: "in two Cookie headers", cookies: []string{p + "LastAuthUser=alice", "a=1; " + p + "alice.accessToken=" + tok}, want: tok},
		{name: "token cookie before LastAuthUser", cookies: []string{p + "alice.accessToken=" + tok + "; " + p + "LastAuthUser=alice"}, want: tok},
		{name: "another user's cookies too", cookies: []string{amplifyCookies("alice", tok, id, false) + "; " + p + "bob.accessToken=forged"}, want: tok},
		{name: "another client's cookies too", cookies: []string{amplifyCookies("alice", tok, id, false) + "; CognitoIdentityServiceProvider.other.LastAuthUser=bob; CognitoIdentityServiceProvider.other.bob.accessToken=forged"}, want: tok},
		{name: "another client's undecodable cookie", cookies: []string{amplifyCookies("alice", tok, id, false) + "; CognitoIdentityServiceProvider.other.%ZZ.accessToken=x"}, want: tok},

		// No token.
		{name: "no cookies"},
		{name: "other cookies only", cookies: []string{"session=abc; CognitoIdentityServiceProvider.other.LastAuthUser=bob"}},
		{name: "LastAuthUser without a token cookie", cookies: []string{p + "LastAuthUser=alice; " + p + "alice.refreshToken=r"}},
		{name: "signed out: LastAuthUser empty", cookies: []string{p + "LastAuthUser="}},
		{name: "token cookie emptied", cookies: []string{p + "LastAuthUser=alice; " + p + "alice.accessToken="}},
		{name: "only another user's token", cookies: []string{p + "LastAuthUser=alice; " + p + "bob.accessToken=forged"}},
		{name: "id token only, access wanted", cookies: []string{p + "LastAuthUser=alice; " + p + "alice.idToken=" + id}},
		{name: "prefix in another case", cookies: []string{"cognitoIdentityServiceProvider." + testClient + ".LastAuthUser=alice; cognitoIdentityServiceProvider." + testClient + ".alice.accessToken=x"}},
		{name: "client id in another case", cookies: []string{"CognitoIdentityServiceProvider.6Q7GATETEST0CLIENT0ID12345.LastAuthUser=alice; CognitoIdentityServiceProvider.6Q7GATETEST0CLIENT0ID12345.alice.accessToken=x"}},

		// Invalid requests.
		{name: "LastAuthUser twice", cookies: []string{p + "LastAuthUser=alice; " + p + "LastAuthUser=bob; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "LastAuthUser twice, same value", cookies: []string{p + "LastAuthUser=alice; " + p + "LastAuthUser=alice; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "LastAuthUser in two headers", cookies: []string{p + "LastAuthUser=alice; " + p + "alice.accessToken=" + tok, p + "LastAuthUser=bob"}, wantErr: invalid},
		{name: "token cookie twice", cookies: []string{p + "LastAuthUser=alice; " + p + "alice.accessToken=" + tok + "; " + p + "alice.accessToken=forged"}, wantErr: invalid},
		{name: "token cookie twice in two spellings", cookies: []string{p + "LastAuthUser=(x); " + p + "%28x%29.accessToken=" + tok + "; " + p + "(x).accessToken=forged"}, wantErr: invalid},
		{name: "token cookie without LastAuthUser", cookies: []string{p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "the user Amplify would guess", cookies: []string{p + "username.accessToken=" + tok}, wantErr: invalid},
		{name: "token cookie with LastAuthUser empty", cookies: []string{p + "LastAuthUser=; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "lower-case escape", cookies: []string{p + "LastAuthUser=alice@example.com; " + p + "alice%40example.com.accessToken=" + tok + "; " + p + "alice%40example.com.idToken=x; " + p + "bob%2a.accessToken=x"}, wantErr: invalid},
		{name: "raw @ in a name", cookies: []string{p + "LastAuthUser=alice@example.com; " + p + "alice@example.com.accessToken=" + tok}, wantErr: invalid},
		{name: "escaped letter in a name", cookies: []string{p + "LastAuthUser=alice; " + p + "%61lice.accessToken=" + tok}, wantErr: invalid},
		{name: "escaped prefix", cookies: []string{p + "LastAuthUser=alice; %43ognitoIdentityServiceProvider." + testClient + ".alice.accessToken=" + tok}, wantErr: invalid},
		{name: "escaped LastAuthUser name", cookies: []string{"CognitoIdentityServiceProvider." + testClient + ".%4CastAuthUser=bob; " + p + "LastAuthUser=alice; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "mixed parentheses", cookies: []string{p + "LastAuthUser=(x); " + p + "(x%29.accessToken=" + tok}, wantErr: invalid},
		{name: "malformed escape in a name", cookies: []string{p + "LastAuthUser=alice; " + p + "alice%ZZ.accessToken=x; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "invalid UTF-8 in a name", cookies: []string{p + "LastAuthUser=alice; " + p + "%FF.accessToken=x; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "LastAuthUser malformed escape", cookies: []string{p + "LastAuthUser=al%ZZ; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "LastAuthUser invalid UTF-8", cookies: []string{p + "LastAuthUser=%C3; " + p + "alice.accessToken=" + tok}, wantErr: invalid},
		{name: "token with a space", cookies: []string{p + "LastAuthUser=alice; " + p + `alice.accessToken="a b"`}, wantErr: invalid},
		{name: "token cookie hidden after a space", cookies: []string{amplifyCookies("alice", tok, id, false) + "; theme=dark " + p + "alice.accessToken=forged"}, wantErr: invalid},
		{name: "token cookie hidden after a comma", cookies: []string{amplifyCookies("alice", tok, id, false) + "; theme=dark," + p + "alice.accessToken=forged"}, wantErr: invalid},
		{name: "LastAuthUser hidden", cookies: []string{amplifyCookies("alice", tok, id, false) + "; theme=dark " + p + "LastAuthUser=bob"}, wantErr: invalid},
		{name: "escaped name hidden", cookies: []string{amplifyCookies("alice", tok, id, false) + "; theme=dark %43ognitoIdentityServiceProvider." + testClient + ".alice.accessToken=forged"}, wantErr: invalid},
		{name: "hidden without a LastAuthUser", cookies: []string{"theme=dark " + p + "alice.accessToken=forged"}, wantErr: invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = claims.AccessToken
			}
			s, err := AmplifyCookie(testClient, kind)
			if err != nil {
				t.Fatal(err)
			}
			r := &http.Request{Header: http.Header{"Cookie": tt.cookies}}
			got, err := s.Token(r)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Token() = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestAmplifyOwns(t *testing.T) {
	s, err := AmplifyCookie(testClient, claims.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	p := "CognitoIdentityServiceProvider." + testClient + "."
	for name, want := range map[string]bool{
		p + "LastAuthUser":                    true,
		p + "alice%40example.com.accessToken": true,
		p + "bob.idToken":                     true,
		p + "bob.refreshToken":                true,
		p + "bob.clockDrift":                  true,
		p + "%ZZ.accessToken":                 true, // undecodable, named so
		"%43ognitoIdentityServiceProvider." + testClient + ".x.accessToken": true,
		"CognitoIdentityServiceProvider.other.LastAuthUser":                 false,
		"CognitoIdentityServiceProvider." + testClient:                      false,
		"session": false,
		"":        false,
	} {
		if got := s.Owns(name); got != want {
			t.Errorf("Owns(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzAmplifyCookie reads arbitrary Cookie headers: it never panics, an
// error is always an invalid request with no token, and a token is always
// the value of the one cookie whose name decodes to the token cookie of
// the user the one LastAuthUser cookie names.
func FuzzAmplifyCookie(f *testing.F) {
	p := "CognitoIdentityServiceProvider." + testClient + "."
	for _, s := range []string{
		amplifyCookies("alice@example.com", "a.b.c", "d.e.f", false),
		amplifyCookies("(x) y", "a.b.c", "d.e.f", true),
		p + "LastAuthUser=alice; " + p + "alice.accessToken=x; " + p + "alice.accessToken=y",
		p + "LastAuthUser=al%ZZ",
		p + "%FF.accessToken=x",
		p + "alice.accessToken=x",
		"a=1;;b;" + p + "LastAuthUser=\"alice\";" + p + "alice.accessToken=\"x\"",
		p + "LastAuthUser=\"alice\";" + p + "alice.accessToken=\"", // a lone quote: CI's fuzzer
	} {
		f.Add(s)
	}
	s, err := AmplifyCookie(testClient, claims.AccessToken)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := &http.Request{Header: http.Header{"Cookie": {header}}}
		tok, err := s.Token(r)
		if err != nil {
			if tok != "" || !errors.Is(err, errInvalidRequest) {
				t.Fatalf("%q: token %q, error %v", header, tok, err)
			}
			return
		}
		if tok == "" {
			return
		}
		if hasBlank(tok) {
			t.Fatalf("%q: token %q has blanks", header, tok)
		}
		var users, matches []string
		for name, v := range cookies(r) {
			dec, err := decodeCookieName(name)
			if err != nil {
				continue
			}
			if dec == p+"LastAuthUser" {
				users = append(users, v)
			}
			if strings.HasPrefix(dec, p) && strings.HasSuffix(dec, ".accessToken") {
				matches = append(matches, dec+"="+unquoteCookie(v))
			}
		}
		if len(users) != 1 {
			t.Fatalf("%q: token %q with %d LastAuthUser cookies", header, tok, len(users))
		}
		user, _ := decodeCookieName(unquoteCookie(users[0]))
		n := 0
		for _, m := range matches {
			if strings.HasPrefix(m, p+user+".accessToken=") {
				n++
				if m != p+user+".accessToken="+tok {
					t.Fatalf("%q: token %q, but the user's cookie is %q", header, tok, m)
				}
			}
		}
		if n != 1 {
			t.Fatalf("%q: token %q from %d cookies of user %q", header, tok, n, user)
		}
	})
}

// FuzzAmplifyRoundTrip: whatever the username, the cookies Amplify writes
// for it (js-cookie, or the Next.js adapter) give back the user's token,
// and the other user's cookies beside them are never read.
func FuzzAmplifyRoundTrip(f *testing.F) {
	for _, u := range []string{"alice", "alice@example.com", "Ann Lee, Jr.; (x) +1", "jöns", "%41", "x.accessToken", `"q"`, "a=b"} {
		f.Add(u, false)
		f.Add(u, true)
	}
	s, err := AmplifyCookie(testClient, claims.AccessToken)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, user string, next bool) {
		if user == "" || !utf8.ValidString(user) || next && strings.ContainsAny(user, ";%\x00\r\n \t\"") {
			// Empty means signed out; JavaScript strings are valid
			// Unicode; the Next.js adapter writes values raw, which only
			// a cookie-safe username survives (one with "%" it reads
			// back decoded itself).
			return
		}
		const tok = "header.payload.signature"
		h := amplifyCookies(user, tok, "i.d.t", next) + "; " + jsCookieName("CognitoIdentityServiceProvider."+testClient+".x"+user+".accessToken", next) + "=other"
		got, err := s.Token(&http.Request{Header: http.Header{"Cookie": {h}}})
		if got != tok || err != nil {
			t.Fatalf("user %q (next %v): %q: Token() = %q, %v", user, next, h, got, err)
		}
	})
}

// unquoteCookie takes off one pair of double quotes around a cookie value,
// as RFC 6265 and net/http do; the oracle of FuzzAmplifyCookie.
func unquoteCookie(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}
