package main

import (
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
)

// withPoolKeys is validConfig with lines added to its pool (from line 7 on).
func withPoolKeys(lines string) string {
	return strings.Replace(validConfig, "    token_use: access\n", "    token_use: access\n"+lines, 1)
}

// TestConfigIssuersAmplifyCallerErrors: every problem of
// pools[].issuer_formats, pools[].regions, tokens.amplify and the caller
// identity headers is reported at its key, with its line.
func TestConfigIssuersAmplifyCallerErrors(t *testing.T) {
	amplify := func(lines string) string { return validConfig + "tokens:\n  amplify:\n" + lines }
	tests := []struct{ name, text, want string }{
		// pools[].issuer_formats
		{"formats empty", withPoolKeys("    issuer_formats: []\n"), `gate.yaml:7: pools[0].issuer_formats: empty; leave it unset for both formats`},
		{"formats unknown", withPoolKeys("    issuer_formats: [original, newest]\n"), `gate.yaml:7: pools[0].issuer_formats: entry 1, "newest": want "original" or "updated"`},
		{"formats twice", withPoolKeys("    issuer_formats: [updated, updated]\n"), `gate.yaml:7: pools[0].issuer_formats: entry 1, "updated", is listed twice`},
		{"formats not a list", withPoolKeys("    issuer_formats: updated\n"), `gate.yaml:7: pools[0].issuer_formats: want a list`},
		{"formats of one key set", withPoolKeys("    issuer_formats: [original, updated]\n    jwks_url: https://keys.example.com/jwks.json\n"), `gate.yaml:7: pools[0].issuer_formats: both formats, but jwks_url or keys_file is one key set`},
		{"formats with an issuer", strings.Replace(withPoolKeys("    issuer_formats: [updated]\n"), "user_pool_id: us-east-1_AbC123", "issuer: https://idp.example.com/pool", 1), `gate.yaml:7: pools[0].issuer_formats: needs user_pool_id`},
		// pools[].regions
		{"regions empty", withPoolKeys("    regions: []\n"), `gate.yaml:7: pools[0].regions: empty; leave it unset for a pool that is not replicated`},
		{"region malformed", withPoolKeys("    regions: [us-west-2, west]\n"), `gate.yaml:7: pools[0].regions: entry 1, "west", is not an AWS region`},
		{"own region", withPoolKeys("    regions: [us-east-1]\n"), `gate.yaml:7: pools[0].regions: entry 0, "us-east-1", is the pool's own region`},
		{"region twice", withPoolKeys("    regions: [us-west-2, us-west-2]\n"), `gate.yaml:7: pools[0].regions: entry 1, "us-west-2", is listed twice`},
		{"regions of one key set", withPoolKeys("    regions: [us-west-2]\n    jwks_url: https://keys.example.com/jwks.json\n"), `gate.yaml:7: pools[0].regions: set together with jwks_url or keys_file`},
		{"regions with the updated format", withPoolKeys("    issuer_formats: [updated]\n    regions: [us-west-2]\n"), `gate.yaml:8: pools[0].regions: needs the original issuer format`},
		{"regions not a list", withPoolKeys("    regions: us-west-2\n"), `gate.yaml:7: pools[0].regions: want a list`},
		// tokens.amplify
		{"amplify without token_use", amplify("    client_id: abc\n"), `gate.yaml:12: tokens.amplify.token_use: required: "access" (the accessToken cookie) or "id"`},
		{"amplify token_use refresh", amplify("    client_id: abc\n    token_use: refresh\n"), `gate.yaml:14: tokens.amplify.token_use: "refresh": want "access" or "id"`},
		{"amplify without client_id", amplify("    token_use: access\n"), `gate.yaml:12: tokens.amplify.client_id: required: the app client id`},
		{"amplify client id with a dot", amplify("    client_id: a.b\n    token_use: access\n"), `gate.yaml:13: tokens.amplify.client_id: client id "a.b": want 1 to 128 letters, digits, _ or +`},
		{"amplify client of no pool", amplify("    client_id: other\n    token_use: access\n"), `gate.yaml:13: tokens.amplify.client_id: "other" is in no pool's client_ids with token_use access or any`},
		{"amplify ID tokens of an access pool", amplify("    client_id: abc\n    token_use: id\n"), `gate.yaml:13: tokens.amplify.client_id: "abc" is in no pool's client_ids with token_use id or any`},
		{"amplify unknown key", amplify("    client_id: abc\n    token_use: access\n    user: alice\n"), `gate.yaml:15: tokens.amplify.user: unknown key`},
		{"amplify not a mapping", validConfig + "tokens:\n  amplify: abc\n", `gate.yaml:12: tokens.amplify: want a mapping`},
		{"amplify behind the load balancer", validConfig + "tokens:\n  amplify:\n    client_id: abc\n    token_use: access\n  alb:\n    region: us-east-1\n    issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123\n    signers: [\"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188\"]\n    client_ids: [abc]\n    access_token: ignored\n",
			`gate.yaml:12: tokens.amplify: behind the load balancer its headers are the credential`},
		{"amplify beside ext_authz", amplify("    client_id: abc\n    token_use: access\n") + "forward_auth:\n  grpc_listen: 127.0.0.1:8082\n",
			`gate.yaml:12: tokens.amplify: not with forward_auth.grpc_listen`},
		// identity_headers.caller, caller_type, pool_id
		{"caller not a header name", validConfig + "identity_headers:\n  caller: \"X Caller\"\n", `gate.yaml:12: identity_headers.caller: not a valid header name: "X Caller"`},
		{"caller type reserved", validConfig + "identity_headers:\n  caller_type: Cookie\n", `gate.yaml:12: identity_headers.caller_type: Cookie cannot carry identity`},
		{"pool id a proxy header", validConfig + "identity_headers:\n  pool_id: X-Forwarded-Pool\n", `gate.yaml:12: identity_headers.pool_id: X-Forwarded-Pool is a proxy header`},
		{"caller type as caller, folded", validConfig + "identity_headers:\n  caller_type: X_Auth_Caller\n", `gate.yaml:12: identity_headers.caller_type: header X_Auth_Caller is also used by identity_headers.caller`},
		{"pool id as sub", validConfig + "identity_headers:\n  sub: X-Pool\n  pool_id: X-Pool\n", `gate.yaml:13: identity_headers.pool_id: header X-Pool is also used by identity_headers.sub`},
		{"a claim header on the caller's default name", validConfig + "identity_headers:\n  claims:\n    custom:caller: X-Auth-Caller\n", `gate.yaml:13: identity_headers.claims.custom:caller: header X-Auth-Caller is also used by identity_headers.caller`},
		{"caller empty", validConfig + "identity_headers:\n  caller: \"\"\n", ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(tt.text), "gate.yaml", func(string) (string, bool) { return "", false })
			if tt.want == "" {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				if cfg.headers.caller != "X-Auth-Caller" {
					t.Errorf("caller header %q, want the default", cfg.headers.caller)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseConfig succeeded, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
			for _, goName := range []string{"IssuerFormats", "Regions", "ClientID", "TokenUse", "JWKSURL"} {
				if strings.Contains(err.Error(), goName) {
					t.Errorf("error names the Go field %s:\n%v", goName, err)
				}
			}
		})
	}
}

// TestConfigIssuers: issuer_formats and regions reach the verifier's
// pool as written; absent, they stay nil (the verifier's defaults).
func TestConfigIssuers(t *testing.T) {
	tests := []struct {
		name    string
		lines   string
		formats []claims.IssuerFormat
		regions []string
		issuers []string // the verifier's, in order
	}{
		{"defaults", "", nil, nil, []string{
			"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"}},
		{"updated only", "    issuer_formats: [updated]\n", []claims.IssuerFormat{claims.IssuerUpdated}, nil, []string{
			"https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"}},
		{"original only, replicated", "    issuer_formats: [original]\n    regions: [us-west-2, eu-west-1]\n", []claims.IssuerFormat{claims.IssuerOriginal}, []string{"us-west-2", "eu-west-1"}, []string{
			"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_AbC123",
			"https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC123"}},
		{"both, replicated", "    regions: [us-west-2]\n", nil, []string{"us-west-2"}, []string{
			"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_AbC123",
			"https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(withPoolKeys(tt.lines)), "gate.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			p := cfg.claims.Pools[0]
			if !slices.Equal(p.IssuerFormats, tt.formats) || (p.IssuerFormats == nil) != (tt.formats == nil) {
				t.Errorf("IssuerFormats = %#v, want %#v", p.IssuerFormats, tt.formats)
			}
			if !slices.Equal(p.Regions, tt.regions) || (p.Regions == nil) != (tt.regions == nil) {
				t.Errorf("Regions = %#v, want %#v", p.Regions, tt.regions)
			}
			v, err := claims.New(cfg.claims)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if got := v.Issuers(); !slices.Equal(got, tt.issuers) {
				t.Errorf("issuers %q, want %q", got, tt.issuers)
			}
		})
	}
}

// TestConfigAmplifySource: tokens.amplify adds its source after the cookie
// and before the query parameter, with its carrier; a pool that skips the
// client check, or accepts any token use, accepts its client.
func TestConfigAmplifySource(t *testing.T) {
	tokens := "tokens:\n  cookie: session\n  query: access_token\n  header: X-Token\n  amplify:\n    client_id: abc\n    token_use: access\n"
	cfg, err := parseConfig([]byte(validConfig+tokens), "gate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var carriers []carrier
	for _, s := range cfg.sources {
		names = append(names, s.Name())
		carriers = append(carriers, cfg.credentials.carriers[s])
	}
	if want := []carrier{carrierAuthorization, carrierHeader, carrierCookie, carrierAmplify, carrierQuery}; !slices.Equal(carriers, want) {
		t.Errorf("carriers %v (sources %q), want %v", carriers, names, want)
	}
	if want := "amplify cookie CognitoIdentityServiceProvider.abc.<LastAuthUser>.accessToken"; !slices.Contains(names, want) {
		t.Errorf("sources %q lack %q", names, want)
	}
	if cfg.credentials.amplify == nil {
		t.Error("credentials.amplify not set")
	}
	for name, text := range map[string]string{
		"skip_client_id_check":     strings.Replace(validConfig, "    client_ids: [abc]\n", "    skip_client_id_check: true\n", 1) + strings.Replace(tokens, "abc", "other", 1),
		"token_use any, id tokens": strings.Replace(validConfig, "token_use: access", "token_use: any", 1) + strings.Replace(tokens, "token_use: access", "token_use: id", 1),
		"a second pool":            strings.Replace(validConfig, "policy:", "  - user_pool_id: us-east-1_Other1\n    client_ids: [web]\n    token_use: id\npolicy:", 1) + strings.NewReplacer("abc", "web", "token_use: access", "token_use: id").Replace(tokens),
	} {
		if _, err := parseConfig([]byte(text), "gate.yaml", nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestConfigCallerHeaders: the caller headers' defaults, renames and "-";
// their default names (and X-Auth-Pool-Id) are stripped from clients
// whatever the configuration says.
func TestConfigCallerHeaders(t *testing.T) {
	tests := []struct {
		name, headers              string
		caller, callerType, poolID string
	}{
		{"defaults", "", "X-Auth-Caller", "X-Auth-Caller-Type", ""},
		{"renamed", "identity_headers:\n  caller: X-Who\n  caller_type: X-Who-Type\n  pool_id: X-Pool\n", "X-Who", "X-Who-Type", "X-Pool"},
		{"pool id by its default name", "identity_headers:\n  pool_id: X-Auth-Pool-Id\n", "X-Auth-Caller", "X-Auth-Caller-Type", "X-Auth-Pool-Id"},
		{"turned off", "identity_headers:\n  caller: \"-\"\n  caller_type: \"-\"\n  pool_id: \"-\"\n", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(validConfig+tt.headers), "gate.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			ih := cfg.headers
			if ih.caller != tt.caller || ih.callerType != tt.callerType || ih.poolID != tt.poolID {
				t.Errorf("caller %q, caller_type %q, pool_id %q; want %q, %q, %q", ih.caller, ih.callerType, ih.poolID, tt.caller, tt.callerType, tt.poolID)
			}
			for _, name := range []string{"X-Auth-Caller", "x_auth_caller_type", "X.Auth.Pool.Id", "X-Auth-Username", tt.caller, tt.poolID} {
				if name != "" && !ih.isIdentity(name) {
					t.Errorf("%s is not stripped from client requests", name)
				}
			}
		})
	}
}

// TestSetIdentityCaller: a machine token is named by its client id in the
// caller header, typed machine, and has no username header; a user's
// token is typed user. The pool id header names the pool of either issuer
// format and of a replica region.
func TestSetIdentityCaller(t *testing.T) {
	cfg, err := parseConfig([]byte(validConfig+"identity_headers:\n  pool_id: X-Auth-Pool-Id\n"), "gate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	const pool = "eu-west-1_AbC123"
	machine := &claims.Token{Use: claims.AccessToken, Subject: "m2mclient", ClientID: "m2mclient", Issuer: "https://cognito-idp.us-west-2.amazonaws.com/" + pool}
	user := &claims.Token{Use: claims.AccessToken, Subject: "2f0e-uuid", Username: "alice", ClientID: "web", Issuer: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/" + pool}
	emulator := &claims.Token{Use: claims.IDToken, Subject: "s", Username: "bob", ClientID: "web", Issuer: "http://127.0.0.1:9229/local_pool"}
	tests := []struct {
		name string
		tok  *claims.Token
		want map[string]string // every header set; "" for none
	}{
		{"machine", machine, map[string]string{"X-Auth-Caller": "m2mclient", "X-Auth-Caller-Type": "machine", "X-Auth-Username": "",
			"X-Auth-Sub": "m2mclient", "X-Auth-Client-Id": "m2mclient", "X-Auth-Pool-Id": pool}},
		{"user", user, map[string]string{"X-Auth-Caller": "alice", "X-Auth-Caller-Type": "user", "X-Auth-Username": "alice", "X-Auth-Pool-Id": pool}},
		{"not a Cognito issuer", emulator, map[string]string{"X-Auth-Caller": "bob", "X-Auth-Caller-Type": "user", "X-Auth-Pool-Id": ""}},
		{"anonymous", nil, map[string]string{"X-Auth-Caller": "", "X-Auth-Caller-Type": "", "X-Auth-Pool-Id": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"X-Auth-Caller": {"spoofed"}, "X_auth_caller_type": {"machine"}, "X-Auth-Pool-Id": {"spoofed"}}
			cfg.headers.setIdentity(h, tt.tok)
			for name, want := range tt.want {
				if got := h.Values(name); want == "" && len(got) > 0 || want != "" && (len(got) != 1 || got[0] != want) {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if got := h["X_auth_caller_type"]; len(got) > 0 {
				t.Errorf("a look-alike of X-Auth-Caller-Type stayed: %q", got)
			}
		})
	}
}

// TestSetIdentityCanonicalNames: identity header names written in any case
// in the file are set under their canonical form, where http.Header's Get
// and the wire writer find them, built-in and claim headers alike (the
// names are made canonical once, when the file is read).
func TestSetIdentityCanonicalNames(t *testing.T) {
	extra := "identity_headers:\n  sub: x-user-SUB\n  pool_id: x-pool-id\n  claims:\n    custom:tenant: x-TENANT\n"
	cfg, err := parseConfig([]byte(validConfig+extra), "gate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := claims.NewToken(claims.Token{Use: claims.AccessToken, Subject: "alice-sub", Username: "alice", ClientID: "web",
		Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"}, []byte(`{"custom:tenant":"acme"}`))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	cfg.headers.setIdentity(h, tok)
	for name, want := range map[string]string{"X-User-Sub": "alice-sub", "X-Pool-Id": "eu-west-1_AbC123", "X-Tenant": "acme", "X-Auth-Username": "alice"} {
		if got := h[name]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q (headers %v)", name, got, want, h)
		}
	}
	for name := range h {
		if name != textproto.CanonicalMIMEHeaderKey(name) {
			t.Errorf("header %q set under a name that is not canonical", name)
		}
	}
}

// TestSetIdentityLeavesOutControlCharacters: a value with a control
// character (a claim carrying "\r\n" and a header of its own, a NEL, a
// NUL) is not set at all — never cut, never sent — while the token's other
// headers are.
func TestSetIdentityLeavesOutControlCharacters(t *testing.T) {
	cfg, err := parseConfig([]byte(validConfig+"identity_headers:\n  claims:\n    custom:tenant: X-Tenant\n    custom:org: X-Org\n"), "gate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := claims.NewToken(claims.Token{Use: claims.AccessToken, Subject: "alice-sub", Username: "alice\u0085", ClientID: "web\x00",
		Groups: []string{"readers"}, Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"},
		[]byte(`{"custom:tenant":"acme\r\nX-Auth-Groups: admin","custom:org":"Café"}`))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	cfg.headers.setIdentity(h, tok)
	for name, want := range map[string]string{
		"X-Auth-Sub": "alice-sub", "X-Auth-Groups": "readers", "X-Org": "Café",
		"X-Tenant": "", "X-Auth-Username": "", "X-Auth-Client-Id": "", "X-Auth-Caller": "",
	} {
		got := h[name]
		if want == "" && got != nil || want != "" && (len(got) != 1 || got[0] != want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
