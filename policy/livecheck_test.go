package policy_test

import (
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// livePolicy has a rule with live_check beside rules without it.
const livePolicy = `default: deny
rules:
  - name: health
    route: GET /healthz
    anonymous: true
  - name: payments
    route: POST /payments/
    token_use: access
    live_check: true
  - name: staff-payments
    route: GET /payments/
    groups_any: [staff]
    live_check: true
  - name: orders
    route: /orders/
  - name: off
    route: /off/
    live_check: false
`

// TestDecideLiveCheck: Decision.LiveCheck is set when, and only when, a
// rule with live_check allows the request; denials, the default and other
// rules never ask for the check.
func TestDecideLiveCheck(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p, err := parse([]byte(livePolicy))
	if err != nil {
		t.Fatal(err)
	}
	if !p.LiveCheck() {
		t.Error("LiveCheck() = false for a policy with live_check rules")
	}
	tests := []struct {
		name, method, target, user string
		allow, live                bool
		rule                       string
		reason                     claims.Reason
	}{
		{"live rule allows", "POST", "/payments/1", "alice", true, true, "payments", claims.ReasonOK},
		{"live rule, ID token: denied before any check", "POST", "/payments/1", "alice-id", false, false, "payments", claims.ReasonWrongTokenUse},
		{"live rule, no token", "POST", "/payments/1", "none", false, false, "payments", claims.ReasonMissingToken},
		{"live rule with a group, member", "GET", "/payments/1", "dave", true, true, "staff-payments", claims.ReasonOK},
		{"live rule with a group, not a member", "GET", "/payments/1", "alice", false, false, "staff-payments", claims.ReasonGroupDenied},
		{"rule without live_check", "GET", "/orders/1", "alice", true, false, "orders", claims.ReasonOK},
		{"live_check: false", "GET", "/off/1", "alice", true, false, "off", claims.ReasonOK},
		{"anonymous rule", "GET", "/healthz", "none", true, false, "health", claims.ReasonOK},
		{"default", "GET", "/nowhere", "alice", false, false, policy.RuleDefault, claims.ReasonNoRule},
		{"non-canonical", "POST", "/payments/..%2F", "alice", false, false, policy.RuleNonCanonical, claims.ReasonNonCanonicalPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(request(t, tt.method, tt.target), users[tt.user])
			if d.Allow != tt.allow || d.LiveCheck != tt.live || d.Rule != tt.rule || d.Reason != tt.reason {
				t.Errorf("Decide = %v (live check %v); want allow %v, live check %v, rule %s, reason %s", d, d.LiveCheck, tt.allow, tt.live, tt.rule, tt.reason)
			}
			if got := strings.Contains(d.String(), "live_check=required"); got != tt.live {
				t.Errorf("String() = %q; live_check=required shown %v, want %v", d, got, tt.live)
			}
			if ex := p.Explain(request(t, tt.method, tt.target), users[tt.user]); !equalDecision(ex.Decision, d) || ex.Decision.LiveCheck != d.LiveCheck {
				t.Errorf("Explain decided %v (live check %v), Decide %v (%v)", ex.Decision, ex.Decision.LiveCheck, d, d.LiveCheck)
			}
		})
	}

	without, err := parse([]byte("rules:\n  - name: a\n    route: /a\n    live_check: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if without.LiveCheck() {
		t.Error("LiveCheck() = true for a policy without live_check rules")
	}
}

// TestExplainLiveCheck: explain shows that the rule requires the live
// check and that explain does not make it.
func TestExplainLiveCheck(t *testing.T) {
	f := newFixture(t)
	p, err := parse([]byte(livePolicy))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Explain(request(t, "POST", "/payments/1"), f.users(t)["alice"]).String()
	for _, want := range []string{
		"  ok     live_check: want Cognito still accepts the token (GetUser); got made by the middleware after this decision, not here",
		"decision allow 200 ok rule=payments path=/payments/1 live_check=required",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Explain lacks %q:\n%s", want, s)
		}
	}
	if s := p.Explain(request(t, "GET", "/orders/1"), f.users(t)["alice"]).String(); strings.Contains(s, "live_check") {
		t.Errorf("a rule without live_check explained with it:\n%s", s)
	}
}

// TestNewLiveCheck: the Go form behaves as the YAML one.
func TestNewLiveCheck(t *testing.T) {
	f := newFixture(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "pay", Route: "/pay", LiveCheck: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Decide(request(t, "GET", "/pay"), f.users(t)["alice"]); !d.Allow || !d.LiveCheck || !p.LiveCheck() {
		t.Errorf("Decide = %v, live check %v, policy %v; want allowed with the live check", d, d.LiveCheck, p.LiveCheck())
	}
	_, err = policy.New(policy.Config{Rules: []policy.Rule{{Name: "pay", Route: "/pay", Anonymous: true, LiveCheck: true}}})
	if err == nil || !strings.Contains(err.Error(), "rules[0].live_check: an anonymous rule has no token to check") {
		t.Errorf("anonymous with live_check: %v", err)
	}
}
