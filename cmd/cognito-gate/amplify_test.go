package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/cookiepair"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// amplifyFor returns the Amplify cookies of the app client clientID.
func amplifyFor(t testing.TB, clientID string) *amplifyCookies {
	t.Helper()
	src, err := middleware.AmplifyCookie(clientID, claims.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	return newAmplifyCookies(src, clientID)
}

// TestAmplifyPrefix: the prefix the proxy folds is the one the source
// reads.
func TestAmplifyPrefix(t *testing.T) {
	a := amplifyFor(t, "web+1")
	for name, want := range map[string]bool{
		amplifyCookiePrefix + "web+1.LastAuthUser":                true,
		amplifyCookiePrefix + "web+1.alice%40example.com.idToken": true,
		amplifyCookiePrefix + "web+2.LastAuthUser":                false,
		"CognitoIdentityServiceProvider_web+1_LastAuthUser":       false,
	} {
		if got := a.src.Owns(name); got != want {
			t.Errorf("Owns(%q) = %v, want %v", name, got, want)
		}
	}
	if want := "CognitoIdentityServiceProvider_web_1_"; a.php != want {
		t.Errorf("php prefix %q, want %q", a.php, want)
	}
}

// TestAmplifyStrip: the app client's Amplify cookies, and every name a
// PHP-style upstream reads as one of them, leave the Cookie header unless
// the verified token came from them and is forwarded; then only the
// look-alikes go.
func TestAmplifyStrip(t *testing.T) {
	const p = "CognitoIdentityServiceProvider.web1."
	tests := []struct {
		name, cookie   string
		strip, forward string // the Cookie header after strip, without and with keep
	}{
		{"a session", "theme=dark; " + p + "LastAuthUser=alice%40example.com; " + p + "alice%40example.com.accessToken=T; " + p + "alice%40example.com.idToken=I; " +
			p + "alice%40example.com.refreshToken=R; " + p + "alice%40example.com.clockDrift=0; lang=en",
			"theme=dark; lang=en",
			"theme=dark; " + p + "LastAuthUser=alice%40example.com; " + p + "alice%40example.com.accessToken=T; " + p + "alice%40example.com.idToken=I; " +
				p + "alice%40example.com.refreshToken=R; " + p + "alice%40example.com.clockDrift=0; lang=en"},
		{"another user's tokens", p + "bob.accessToken=B; a=1", "a=1", p + "bob.accessToken=B; a=1"},
		{"another app client's", "CognitoIdentityServiceProvider.web2.LastAuthUser=bob; CognitoIdentityServiceProvider.web2.bob.accessToken=B",
			"CognitoIdentityServiceProvider.web2.LastAuthUser=bob; CognitoIdentityServiceProvider.web2.bob.accessToken=B",
			"CognitoIdentityServiceProvider.web2.LastAuthUser=bob; CognitoIdentityServiceProvider.web2.bob.accessToken=B"},
		{"underscores", "CognitoIdentityServiceProvider_web1_alice_accessToken=F; a=1", "a=1", "a=1"},
		{"escaped dots", "CognitoIdentityServiceProvider%2Eweb1%2Ealice.accessToken=F; a=1", "a=1", "CognitoIdentityServiceProvider%2Eweb1%2Ealice.accessToken=F; a=1"},
		{"escaped dot and a stray percent", "CognitoIdentityServiceProvider%2Eweb1.a%zz.accessToken=F; a=1", "a=1", "a=1"},
		{"stray percent", p + "a%zz.accessToken=F; a=1", "a=1", p + "a%zz.accessToken=F; a=1"},
		{"spaces and plus", "CognitoIdentityServiceProvider web1+alice.accessToken=F; CognitoIdentityServiceProvider+web1.x=F; a=1", "a=1", "a=1"},
		{"leading spaces", "a=1;    CognitoIdentityServiceProvider_web1_LastAuthUser=F", "a=1", "a=1"},
		{"an array", "CognitoIdentityServiceProvider_web1_alice_accessToken[]=F; CognitoIdentityServiceProvider[web1]=F; a=1", "CognitoIdentityServiceProvider[web1]=F; a=1", "CognitoIdentityServiceProvider[web1]=F; a=1"},
		{"a longer client id", "CognitoIdentityServiceProvider.web12.alice.accessToken=F; CognitoIdentityServiceProvider_web12_x=F",
			"CognitoIdentityServiceProvider.web12.alice.accessToken=F; CognitoIdentityServiceProvider_web12_x=F",
			"CognitoIdentityServiceProvider.web12.alice.accessToken=F; CognitoIdentityServiceProvider_web12_x=F"},
		{"only Amplify's", p + "LastAuthUser=alice", "", p + "LastAuthUser=alice"},
		{"none", "", "", ""},
	}
	a := amplifyFor(t, "web1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, keep := range []bool{false, true} {
				h := http.Header{}
				if tt.cookie != "" {
					h.Set("Cookie", tt.cookie)
				}
				a.strip(h, keep)
				want := tt.strip
				if keep {
					want = tt.forward
				}
				if got := h.Get("Cookie"); got != want || want == "" && len(h["Cookie"]) > 0 {
					t.Errorf("keep %v: Cookie %q, want %q", keep, got, want)
				}
			}
		})
	}
}

// TestLenientEscapes: a '%' that does not begin an escape is written
// "%25"; everything else stays.
func TestLenientEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"":       "",
		"abc":    "abc",
		"a%2Eb":  "a%2Eb",
		"a%2eb":  "a%2eb",
		"a%zz":   "a%25zz",
		"%":      "%25",
		"a%2":    "a%252",
		"%%41":   "%25%41",
		"%4G%41": "%254G%41",
	} {
		if got := lenientEscapes(in); got != want {
			t.Errorf("lenientEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}

// phpCookieNames is the tests' oracle for what a PHP upstream makes of a
// Cookie header, written apart from paramName: the names it registers,
// each percent-decoded leniently (a stray '%' stays) with '+' read as a
// space, leading spaces dropped, '.' and ' ' read as '_', and a name with
// a bracketed part the array of what comes before the bracket.
func phpCookieNames(header string) []string {
	var out []string
	for _, part := range strings.Split(header, ";") {
		raw, _, _ := strings.Cut(part, "=")
		var b []byte
		for i := 0; i < len(raw); i++ {
			switch c := raw[i]; {
			case c == '+':
				b = append(b, ' ')
			case c == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]):
				b = append(b, hexVal(raw[i+1])<<4|hexVal(raw[i+2]))
				i += 2
			default:
				b = append(b, c)
			}
		}
		name := strings.TrimLeft(string(b), " ")
		if i := strings.IndexByte(name, '['); i >= 0 && strings.IndexByte(name[i:], ']') >= 0 {
			name = name[:i]
		}
		name = strings.NewReplacer(".", "_", " ", "_", "[", "_").Replace(name)
		out = append(out, name)
	}
	return out
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// FuzzAmplifyStrip: whatever the Cookie header, a stripped header holds no
// cookie the Amplify source owns and none a PHP upstream would register
// under one of the app client's Amplify names; a forwarded one keeps
// every cookie the source owns, and drops only look-alikes.
func FuzzAmplifyStrip(f *testing.F) {
	f.Add("theme=dark; CognitoIdentityServiceProvider.web1.LastAuthUser=alice; CognitoIdentityServiceProvider.web1.alice.accessToken=T", false)
	f.Add("CognitoIdentityServiceProvider%2Eweb1.a%zz.idToken=F; CognitoIdentityServiceProvider_web1_x=F", true)
	f.Add(" CognitoIdentityServiceProvider+web1.x[]=F;a=1", false)
	a := amplifyFor(f, "web1")
	f.Fuzz(func(t *testing.T, cookie string, keep bool) {
		h := http.Header{"Cookie": {cookie}}
		a.strip(h, keep)
		after := h.Get("Cookie")
		if len(h["Cookie"]) > 1 {
			t.Fatalf("%d Cookie headers", len(h["Cookie"]))
		}
		// owned counts the source's cookies of s; a pair that hides
		// another cookie in its name or value (cookiepair.Hides: "a.b.
		// CognitoIdentityServiceProvider+web1+", two cookies to lenient
		// parsers) is stripped in both modes, so it is not counted.
		owned := func(s string) int {
			n := 0
			for _, part := range strings.Split(s, ";") {
				name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
				hidden := cookiepair.Hides(strings.TrimSpace(name), val, a.named)
				if a.src.Owns(strings.TrimSpace(name)) && !hidden {
					n++
				}
			}
			return n
		}
		if keep {
			if owned(after) != owned(cookie) {
				t.Errorf("forwarded: %d of the source's cookies stayed of %d: %q -> %q", owned(after), owned(cookie), cookie, after)
			}
			return
		}
		if after == "" {
			return
		}
		if n := owned(after); n > 0 {
			t.Errorf("%d of the source's cookies stayed: %q -> %q", n, cookie, after)
		}
		for _, name := range phpCookieNames(after) {
			if strings.HasPrefix(name, "CognitoIdentityServiceProvider_web1_") {
				t.Errorf("PHP reads %q as an Amplify cookie: %q -> %q", name, cookie, after)
			}
		}
	})
}
