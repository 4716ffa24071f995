package main

import (
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// callerPolicy has an anonymous area, a signed-in area and a machine API
// authorized by scope.
const callerPolicy = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
  - name: me
    route: GET /me
  - name: jobs
    route: /jobs/
    scopes_any: [jobs/run]
`

// TestBoundaryServeAmplifyCookies guards the Amplify source through the
// binary: the token of the user LastAuthUser names, in cookies laid out
// as Amplify lays them out, verifies and gives the upstream the identity
// headers; the app client's Amplify cookies then reach the upstream only
// with forward_authorization, and never when the token came from elsewhere
// or there was none; look-alikes a PHP upstream would read as them never
// do; an ambiguous cookie set is 400.
func TestBoundaryServeAmplifyCookies(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	amplify := "tokens:\n  amplify:\n    client_id: " + pool.ClientID() + "\n    token_use: access\n"
	forwarding := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, "http://"+up.addr, callerPolicy, amplify))
	stripping := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, "http://"+up.addr, callerPolicy, amplify+"forward_authorization: false\n"))

	p := "CognitoIdentityServiceProvider." + pool.ClientID() + "."
	alice := pool.AccessToken(cognitotest.WithUsername("alice@example.com"), cognitotest.WithSubject("sub-alice"))
	session := []string{
		p + "LastAuthUser=alice%40example.com", p + "alice%40example.com.accessToken=" + alice,
		p + "alice%40example.com.idToken=" + pool.IDToken(), p + "alice%40example.com.refreshToken=eyJjdHkiOiJKV1QifQ.refresh",
	}
	amplifyCookies := strings.Join(session, "; ")
	lookalikes := "CognitoIdentityServiceProvider_" + pool.ClientID() + "_alice%40example_com_accessToken=forged; " +
		"CognitoIdentityServiceProvider%2E" + pool.ClientID() + ".alice%40example.com.idToken%zz=forged"
	for _, tc := range []struct {
		name, target string
		lines        []string
		status       int
		forwarded    string // Cookie upstream with forward_authorization
		stripped     string // Cookie upstream without
		username     string // X-Auth-Username upstream, "" for none
	}{
		{"Amplify's session", "/me", []string{"Cookie: theme=dark; " + amplifyCookies + "; " + lookalikes}, 200,
			"theme=dark; " + amplifyCookies, "theme=dark", "alice@example.com"},
		{"a bearer token beside Amplify cookies", "/me", []string{"Authorization: Bearer " + pool.AccessToken(cognitotest.WithUsername("bob")), "Cookie: " + amplifyCookies + "; a=1"}, 200,
			"a=1", "a=1", "bob"},
		{"signed out, a refresh token left", "/public/x", []string{"Cookie: " + p + "LastAuthUser=; " + p + "bob.refreshToken=R; " + lookalikes + "; a=1"}, 200,
			"a=1", "a=1", ""},
		{"a token cookie without LastAuthUser", "/public/x", []string{"Cookie: " + p + "alice.accessToken=" + alice}, 400, "", "", ""},
		{"LastAuthUser twice", "/me", []string{"Cookie: " + amplifyCookies + "; " + p + "LastAuthUser=bob"}, 400, "", "", ""},
		{"LastAuthUser spelled otherwise", "/me", []string{"Cookie: " + strings.Replace(amplifyCookies, "LastAuthUser", "LastAuth%55ser", 1)}, 400, "", "", ""},
		{"a forged token", "/me", []string{"Cookie: " + p + "LastAuthUser=mallory; " + p + "mallory.accessToken=forged.forged.forged"}, 401, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, gw := range []struct {
				name   string
				p      *proc
				cookie string
			}{{"forwarding", forwarding, tc.forwarded}, {"stripping", stripping, tc.stripped}} {
				before := up.count()
				resp := rawDo(t, gw.p.addr["proxy"], head("GET", tc.target, "api.example.com", tc.lines...))
				if resp.status != tc.status {
					t.Fatalf("%s: status %d, want %d: %s", gw.name, resp.status, tc.status, resp.body)
				}
				if tc.status != 200 {
					if up.count() != before {
						t.Errorf("%s: a refused request reached the upstream", gw.name)
					}
					continue
				}
				r := up.since(before)[0]
				if got := strings.Join(r.values("Cookie"), "; "); got != gw.cookie {
					t.Errorf("%s: Cookie upstream\n%q, want\n%q", gw.name, got, gw.cookie)
				}
				if got := r.values("X-Auth-Username"); tc.username == "" && len(got) > 0 || tc.username != "" && (len(got) != 1 || got[0] != tc.username) {
					t.Errorf("%s: X-Auth-Username %q, want %q", gw.name, got, tc.username)
				}
			}
		})
	}
}

// TestBoundaryCallerHeaders guards the caller headers through the binary,
// in serve and forward-auth: no client-sent spelling of X-Auth-Caller,
// X-Auth-Caller-Type or X-Auth-Pool-Id reaches the upstream (forward-auth
// refuses the subrequest that carries one); a machine-to-machine token is
// named by its client id and typed machine, without X-Auth-Username; a
// user's token is typed user.
func TestBoundaryCallerHeaders(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	cfg := writeConfig(t, pool, "http://"+up.addr, callerPolicy, "identity_headers:\n  pool_id: X-Auth-Pool-Id\n")
	serve := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	fa := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)
	machine := pool.ClientCredentialsToken(cognitotest.WithScopes("jobs/run"))
	user := pool.AccessToken(cognitotest.WithUsername("carol"), cognitotest.WithSubject("sub-carol"), cognitotest.WithScopes("jobs/run"))
	spoof := []string{"X-Auth-Caller: admin", "X_Auth_Caller: admin", "x.auth.caller: admin", "X-Auth-Caller-Type: user",
		"X_AUTH_CALLER_TYPE: user", "X-Auth-Caller.Type: user", "X-Auth-Pool-Id: us-east-1_Spoofed", "X~Auth~Pool~Id: us-east-1_Spoofed",
		"X-Auth-Username: admin"}
	headers := []string{"X-Auth-Caller", "X-Auth-Caller-Type", "X-Auth-Pool-Id", "X-Auth-Username", "X-Auth-Sub"}
	for _, tc := range []struct {
		name, target, tok string
		want              map[string]string // every header of headers upstream; absent: none
	}{
		{"anonymous", "/public/x", "", map[string]string{}},
		{"machine", "/jobs/42", machine, map[string]string{"X-Auth-Caller": pool.ClientID(), "X-Auth-Caller-Type": "machine",
			"X-Auth-Pool-Id": pool.PoolID(), "X-Auth-Sub": pool.ClientID()}},
		{"user", "/jobs/42", user, map[string]string{"X-Auth-Caller": "carol", "X-Auth-Caller-Type": "user", "X-Auth-Pool-Id": pool.PoolID(),
			"X-Auth-Username": "carol", "X-Auth-Sub": "sub-carol"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := spoof
			if tc.tok != "" {
				lines = append(lines[:len(lines):len(lines)], "Authorization: Bearer "+tc.tok)
			}
			before := up.count()
			if resp := rawDo(t, serve.addr["proxy"], head("GET", tc.target, "api.example.com", lines...)); resp.status != 200 {
				t.Fatalf("serve: status %d: %s", resp.status, resp.body)
			}
			r := up.since(before)[0]
			for _, name := range headers {
				got := r.values(name)
				want, ok := tc.want[name]
				if !ok && len(got) > 0 || ok && (len(got) != 1 || got[0] != want) {
					t.Errorf("serve: %s upstream %q, want %q (headers sent: %q)", name, got, want, r.names())
				}
			}

			// Forward-auth answers with the same headers, and refuses a
			// subrequest carrying a spelling of one.
			auth := []string{"X-Forwarded-Method: GET", "X-Forwarded-Uri: " + tc.target, "X-Forwarded-Host: api.example.com"}
			if tc.tok != "" {
				auth = append(auth, "Authorization: Bearer "+tc.tok)
			}
			resp := rawDo(t, fa.addr["forward-auth"], head("GET", "/auth", "gate.internal", auth...))
			if resp.status != 200 {
				t.Fatalf("forward-auth: status %d: %s", resp.status, resp.body)
			}
			for _, name := range headers {
				got := resp.header.Values(name)
				want, ok := tc.want[name]
				if !ok && len(got) > 0 || ok && (len(got) != 1 || got[0] != want) {
					t.Errorf("forward-auth: %s %q, want %q", name, got, want)
				}
			}
			for _, s := range spoof[:8] {
				if resp := rawDo(t, fa.addr["forward-auth"], head("GET", "/auth", "gate.internal", append(auth[:len(auth):len(auth)], s)...)); resp.status != 400 {
					t.Errorf("forward-auth with %q: status %d, want 400", s, resp.status)
				}
			}
		})
	}
}
