package main

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
)

// liveConfig is validConfig with live_check on its rule; the live_check
// section, if any, starts at line 12.
var liveConfig = strings.Replace(validConfig, "      route: /\n", "      route: /\n      live_check: true\n", 1)

func TestLiveCheckConfigErrors(t *testing.T) {
	endpoint := func(url string) string {
		return strings.Replace(liveConfig, "    token_use: access\n", "    token_use: access\n    live_check_endpoint: "+url+"\n", 1)
	}
	tests := []struct {
		name, text string
		want       string // file:line: field: fragment
	}{
		{"unknown failure mode", liveConfig + "live_check:\n  failure_mode: open\n", `gate.yaml:13: live_check.failure_mode: "open": want fail_closed`},
		{"negative timeout", liveConfig + "live_check:\n  timeout: -1s\n", "gate.yaml:13: live_check.timeout: "},
		{"cache_ttl over the bound", liveConfig + "live_check:\n  cache_ttl: 1h\n", "gate.yaml:13: live_check.cache_ttl: "},
		{"negative rate", liveConfig + "live_check:\n  rate: -1\n", "gate.yaml:13: live_check.rate: "},
		{"negative max_concurrent", liveConfig + "live_check:\n  max_concurrent: -1\n", "gate.yaml:13: live_check.max_concurrent: "},
		{"unknown key", liveConfig + "live_check:\n  positive: 1s\n", "gate.yaml:13: live_check.positive"},
		{"plain http endpoint without allow_http", endpoint("http://127.0.0.1:9229/"), "gate.yaml:4: pools[0].allow_http: live_check_endpoint \"http://127.0.0.1:9229/\" is plain http"},
		{"endpoint with a path", endpoint("https://idp.example.com/x/"), "gate.yaml:7: pools[0].live_check_endpoint: "},
		{"endpoint without live_check", strings.Replace(endpoint("https://idp.example.com/"), "      live_check: true\n", "", 1),
			"gate.yaml:7: pools[0].live_check_endpoint: set only with a live_check section or rules with live_check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tt.text), "gate.yaml", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestLiveCheckConfig: the defaults fail closed; fail_open and a plain
// http endpoint are warned about, as is a section no rule uses.
func TestLiveCheckConfig(t *testing.T) {
	tests := []struct {
		name, text   string
		wantFailOpen bool
		wantWarnings []string
	}{
		{"rules without a section: the defaults", liveConfig, false, nil},
		{"fail_closed", liveConfig + "live_check:\n  failure_mode: fail_closed\n  cache_ttl: 10s\n", false, nil},
		{"fail_open", liveConfig + "live_check:\n  failure_mode: fail_open\n", true, []string{"live_check.failure_mode is fail_open"}},
		{"an emulator", strings.Replace(liveConfig, "    token_use: access\n", "    token_use: access\n    allow_http: true\n    live_check_endpoint: http://127.0.0.1:9229/\n", 1), false,
			[]string{"pools[0].live_check_endpoint http://127.0.0.1:9229/ is plain http"}},
		{"a section no rule uses", strings.Replace(liveConfig, "      live_check: true\n", "", 1) + "live_check:\n  rate: 5\n", false,
			[]string{"live_check is configured but no rule has live_check: true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gc, err := parseConfig([]byte(tt.text), "gate.yaml", nil)
			if err != nil {
				t.Fatal(err)
			}
			if gc.liveCheck == nil || gc.liveCheck.cfg.FailOpen != tt.wantFailOpen {
				t.Fatalf("live check %+v, want one with FailOpen %v", gc.liveCheck, tt.wantFailOpen)
			}
			ws := strings.Join(gc.liveCheckWarnings(), "\n")
			for _, w := range tt.wantWarnings {
				if !strings.Contains(ws, w) {
					t.Errorf("warnings %q lack %q", ws, w)
				}
			}
			if len(tt.wantWarnings) == 0 && ws != "" {
				t.Errorf("warnings %q, want none", ws)
			}
		})
	}
	gc, err := parseConfig([]byte(strings.Replace(liveConfig, "      live_check: true\n", "", 1)), "gate.yaml", nil)
	if err != nil || gc.liveCheck != nil {
		t.Errorf("no live_check rule, no section: %v, live check %+v; want none", err, gc.liveCheck)
	}
}

// TestLiveCheckEndToEnd: the binary with a live_check rule asks the fake
// pool's user pool API; a user disabled at the pool is refused 401
// revoked once the cached answer (cache_ttl 1s) runs out, counted in the
// request and live check metrics; the route without live_check never
// calls GetUser.
func TestLiveCheckEndToEnd(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	policyYAML := "default: deny\nrules:\n  - name: me\n    route: GET /me\n    live_check: true\n  - name: public\n    route: /public/\n"
	cfg := writeConfig(t, pool, up.URL, policyYAML, "live_check:\n  cache_ttl: 1s\n")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	withEndpoint := strings.Replace(string(text), "    token_use: access\n", "    token_use: access\n    live_check_endpoint: "+pool.APIURL()+"\n", 1)
	if err := os.WriteFile(cfg, []byte(withEndpoint), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	s, err := pool.SignIn(cognitotest.WithUsername("lc-e2e"))
	if err != nil {
		t.Fatal(err)
	}
	if resp := get(t, "GET", p.addr["proxy"]+"/public/x", s.AccessToken, nil); resp.StatusCode != 200 || pool.APIRequests("GetUser") != 0 {
		t.Fatalf("route without live_check: %d after %d GetUser calls; want 200 after none", resp.StatusCode, pool.APIRequests("GetUser"))
	}
	wantStatus(t, p, s.AccessToken, 200, "before")
	if n := pool.APIRequests("GetUser"); n != 1 {
		t.Fatalf("%d GetUser calls, want 1", n)
	}
	if err := pool.AdminDisableUser("lc-e2e"); err != nil {
		t.Fatal(err)
	}
	disabled := time.Now()
	deadline := disabled.Add(10 * time.Second)
	for {
		resp := get(t, "GET", p.addr["proxy"]+"/me", s.AccessToken, nil)
		if resp.StatusCode == 401 {
			break
		}
		if resp.StatusCode != 200 || time.Now().After(deadline) {
			t.Fatalf("after the user was disabled: %d for %s", resp.StatusCode, time.Since(disabled))
		}
		time.Sleep(50 * time.Millisecond) // polling the child until its cached answer expires
	}
	wantStatus(t, p, s.AccessToken, 401, "after cache_ttl")
	for _, m := range []string{
		`cognito_gate_requests_total{reason="revoked",result="denied"} 2`,
		`cognito_gate_live_check_checks_total{result="revoked",source="call"} 1`,
		`cognito_gate_live_check_checks_total{result="revoked",source="cache"} 1`,
		`cognito_gate_live_check_checks_total{result="accepted",source="call"} 1`,
		`cognito_gate_live_check_fail_open_total{result="unavailable"} 0`,
	} {
		waitMetric(t, p, m)
	}
	if strings.Contains(p.stderr.String(), s.AccessToken) {
		t.Error("the access token is in the log")
	}
}

// TestLiveCheckWithALB: live_check rules need the access token as sent,
// which tokens.alb does not give the middleware: refused at load.
func TestLiveCheckWithALB(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	lb := newFakeALB(t, fakealb.Config{})
	noEnv := func(string) (string, bool) { return "", false }
	livePolicy := "rules:\n  - name: me\n    route: GET /me\n    live_check: true\n"
	_, err := loadConfig(writeConfig(t, pool, "http://127.0.0.1:1", livePolicy, albSection(lb, "required")), noEnv)
	if err == nil || !strings.Contains(err.Error(), "tokens.alb: the policy has rules with live_check") {
		t.Errorf("live_check with tokens.alb: %v", err)
	}
	if _, err := loadConfig(writeConfig(t, pool, "http://127.0.0.1:1", strings.Replace(livePolicy, "    live_check: true\n", "", 1), albSection(lb, "required")), noEnv); err != nil {
		t.Errorf("tokens.alb without live_check rules: %v", err)
	}
}

// TestLiveCheckRestart: the checker is the process's; a reload that
// changes its settings, or the pools it checks, needs a restart.
func TestLiveCheckRestart(t *testing.T) {
	load := func(text string) *gateConfig {
		t.Helper()
		gc, err := parseConfig([]byte(text), "gate.yaml", nil)
		if err != nil {
			t.Fatal(err)
		}
		return gc
	}
	base := load(liveConfig + "live_check:\n  cache_ttl: 10s\n")
	for _, tt := range []struct {
		name, text string
		restart    bool
	}{
		{"same", liveConfig + "live_check:\n  cache_ttl: 10s\n", false},
		{"another cache_ttl", liveConfig + "live_check:\n  cache_ttl: 20s\n", true},
		{"fail_open", liveConfig + "live_check:\n  cache_ttl: 10s\n  failure_mode: fail_open\n", true},
		{"another pool", strings.Replace(liveConfig, "us-east-1_AbC123", "us-east-1_XyZ789", 1) + "live_check:\n  cache_ttl: 10s\n", true},
		{"no live check any more", validConfig, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := liveCheckRestart(base, load(tt.text))
			if got := errors.Is(err, errRestart); got != tt.restart {
				t.Errorf("liveCheckRestart: %v, want a restart %v", err, tt.restart)
			}
		})
	}
}
