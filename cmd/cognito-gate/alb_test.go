package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
)

// albSection is a tokens.alb section for lb (its fakepool defaults: the
// same issuer and app client as cognitotest's default pool).
func albSection(lb *fakealb.ALB, access string) string {
	return fmt.Sprintf("tokens:\n  alb:\n    region: %s\n    issuer: %s\n    signers: [%s]\n    client_ids: [%s]\n    key_url: %s\n    allow_http: true\n    access_token: %s\n",
		lb.Region(), lb.Issuer(), lb.Signer(), lb.ClientID(), lb.KeyURL(), access)
}

func newFakeALB(t *testing.T, cfg fakealb.Config) *fakealb.ALB {
	t.Helper()
	lb, err := fakealb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Close)
	return lb
}

// TestBoundaryALBHeaders: behind tokens.alb the load balancer's three
// headers are the credential. A verified set reaches the upstream with the
// identity headers of its access token; a set from another load balancer,
// spliced users, a partial set are refused; headers that were not
// verified (a stray access token on an anonymous route, look-alike
// spellings) never reach the upstream, and neither does an Authorization
// header (not a token source behind the load balancer).
func TestBoundaryALBHeaders(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	lb := newFakeALB(t, fakealb.Config{})
	other := newFakeALB(t, fakealb.Config{Signer: "arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/x/50dc6c495c0c9188"})
	up := newRawUpstream(t)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, "http://"+up.addr, boundaryPolicy, albSection(lb, "required")))

	admin := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithGroups("admin"))
	mallory := pool.AccessToken(cognitotest.WithUsername("mallory"), cognitotest.WithSubject("5a1f0b7e-0c9d-4e8a-9b6f-3d2c1b0a9f8e"), cognitotest.WithGroups("admin"))
	lines := func(h map[string][]string, extra ...string) []string {
		var out []string
		for k, vs := range h {
			for _, v := range vs {
				out = append(out, k+": "+v)
			}
		}
		return append(out, extra...)
	}
	bob := lb.Headers(admin)
	for _, tc := range []struct {
		name, target string
		lines        []string
		wantStatus   int
		wantUser     string // X-Auth-Username upstream
	}{
		{"verified", "/admin/x", lines(bob), 200, "bob"},
		{"another load balancer", "/admin/x", lines(other.Headers(admin)), 401, ""},
		{"spliced: another user's access token", "/admin/x", lines(map[string][]string{
			alb.DataHeader: bob.Values(alb.DataHeader), alb.IdentityHeader: bob.Values(alb.IdentityHeader), alb.AccessTokenHeader: {mallory}}), 401, ""},
		{"data token alone", "/public/x", lines(map[string][]string{alb.DataHeader: bob.Values(alb.DataHeader)}), 401, ""},
		{"a bearer token is no credential here", "/admin/x", []string{"Authorization: Bearer " + admin}, 401, ""},
		{"stray access token, anonymous route", "/public/x", []string{"X-Amzn-Oidc-Accesstoken: " + admin, "X-Amzn-Oidc-Identity: bob", "Authorization: Bearer " + admin}, 200, ""},
		{"look-alike spellings beside a verified set", "/admin/x", lines(bob, "X_Amzn_Oidc_Identity: mallory", "X-Amzn-Oidc.Data: forged"), 200, "bob"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := up.count()
			resp := rawDo(t, p.addr["proxy"], head("GET", tc.target, "api.example.com", tc.lines...))
			if resp.status != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.status, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				if up.count() != before {
					t.Error("a refused request reached the upstream")
				}
				return
			}
			r := up.since(before)[0]
			if got := strings.Join(r.values("X-Auth-Username"), ","); got != tc.wantUser {
				t.Errorf("X-Auth-Username upstream = %q, want %q", got, tc.wantUser)
			}
			if a := r.values("Authorization"); len(a) > 0 {
				t.Errorf("Authorization upstream: %q", a)
			}
			for _, name := range r.names() {
				if sameHeader(name, alb.DataHeader) || sameHeader(name, alb.AccessTokenHeader) || sameHeader(name, alb.IdentityHeader) {
					// Only the canonical spellings of a verified set are
					// forwarded, with the values the load balancer wrote.
					forwarded := tc.wantUser != "" && name == http.CanonicalHeaderKey(name) && !strings.ContainsAny(name, "_.")
					if !forwarded || r.values(name)[0] == "forged" || r.values(name)[0] == "mallory" {
						t.Errorf("%s upstream: %q", name, r.values(name))
					}
				}
			}
		})
	}
}

// TestCheckALBConfig: tokens.alb's problems are errors at their keys.
func TestCheckALBConfig(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	lb := newFakeALB(t, fakealb.Config{})
	noEnv := func(string) (string, bool) { return "", false }
	parse := func(extra string) error {
		cfg := writeConfig(t, pool, "http://127.0.0.1:1", boundaryPolicy, extra)
		_, err := loadConfig(cfg, noEnv)
		return err
	}
	if err := parse(albSection(lb, "required")); err != nil {
		t.Fatalf("a valid section: %v", err)
	}
	for _, tt := range []struct{ name, section, want string }{
		{"no access_token setting", strings.Replace(albSection(lb, "x"), "    access_token: x\n", "", 1), `tokens.alb.access_token: required: "required"`},
		{"unknown access_token", albSection(lb, "maybe"), `tokens.alb.access_token: "maybe": want "required" or "ignored"`},
		{"no region", strings.Replace(albSection(lb, "ignored"), "    region: "+lb.Region()+"\n", "", 1), "tokens.alb.region:"},
		{"no signers", strings.Replace(albSection(lb, "ignored"), "    signers: ["+lb.Signer()+"]\n", "", 1), "tokens.alb.signers:"},
		{"a signer that is no ALB ARN", strings.Replace(albSection(lb, "ignored"), lb.Signer(), "arn:aws:iam::123456789012:role/x", 1), "tokens.alb.signers"},
		{"beside a bearer source", albSection(lb, "ignored") + "  authorization: true\n", "tokens.alb: behind the load balancer its headers are the credential"},
		{"no pool for the access token", strings.Replace(albSection(lb, "required"), "client_ids: ["+lb.ClientID()+"]", "client_ids: [otherclient]", 1), "tokens.alb.access_token: required, but no pool verifies"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := parse(tt.section)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
