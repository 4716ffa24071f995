package main

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// noHostPolicy names no host: the policy itself never looks at the Host,
// so only the gate's own check (policy.CheckHost) stands between a bad
// Host and the upstream's X-Forwarded-Host.
const noHostPolicy = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
`

// badHosts are Host values that are not one host name or IP literal with
// at most one port, which Go's server lets through to the handler.
var badHosts = []string{"a.example,internal.example", "internal.example:1:2", "a.example:99999x"}

// TestBoundaryHostsWithoutHostRules guards finding 5 where the policy
// cannot: with no host rule, a bad Host is still 400 in serve (and never
// reaches the upstream as X-Forwarded-Host), and a bad X-Forwarded-Host is
// 400 in forward-auth.
func TestBoundaryHostsWithoutHostRules(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	serve := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, "http://"+up.addr, noHostPolicy, ""))
	fa := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", writeConfig(t, pool, "", noHostPolicy, ""))
	for _, h := range badHosts {
		t.Run(h, func(t *testing.T) {
			before := up.count()
			if resp := rawDo(t, serve.addr["proxy"], head("GET", "/public/x", h)); resp.status != 400 || up.count() != before {
				t.Errorf("serve: status %d, %d requests upstream; want 400 and none", resp.status, up.count()-before)
			}
			resp := rawDo(t, fa.addr["forward-auth"], head("GET", "/auth", "gate.internal",
				"X-Forwarded-Method: GET", "X-Forwarded-Uri: /public/x", "X-Forwarded-Host: "+h))
			if resp.status != 400 {
				t.Errorf("forward-auth: status %d, want 400", resp.status)
			}
		})
	}
	// The same requests with a good host pass: the refusals above are the
	// host's.
	before := up.count()
	if resp := rawDo(t, serve.addr["proxy"], head("GET", "/public/x", "a.example")); resp.status != 200 || up.count() != before+1 {
		t.Errorf("serve, good host: status %d", resp.status)
	}
	if resp := rawDo(t, fa.addr["forward-auth"], head("GET", "/auth", "gate.internal",
		"X-Forwarded-Method: GET", "X-Forwarded-Uri: /public/x", "X-Forwarded-Host: a.example")); resp.status != 200 {
		t.Errorf("forward-auth, good host: status %d", resp.status)
	}
}
