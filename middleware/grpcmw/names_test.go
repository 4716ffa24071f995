package grpcmw_test

import (
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// proxy is an UnknownServiceHandler, as a gRPC proxy has: it answers one
// message with "<whoami>@<method name>".
func proxy(_ any, ss grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(ss)
	if err := ss.RecvMsg(new(wrapperspb.StringValue)); err != nil {
		return err
	}
	return ss.SendMsg(wrapperspb.String(whoami(ss.Context()) + "@" + method))
}

// TestMethodNames: with an UnknownServiceHandler, which gets every method
// name, a name the policy would judge only in cleaned form is refused
// (InvalidArgument, non_canonical_path), as is one the policy refuses as
// non-canonical; clean names are judged as they are.
func TestMethodNames(t *testing.T) {
	bob := adaptertest.NewEnv(t).Pool.AccessToken(cognitotest.WithUsername("bob"))
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "public", Route: "POST /public.v1.Svc/", Anonymous: true},
		{Name: "proxied", Route: "POST /proxied.v1.Svc/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, middleware.Config{Policy: p}, serverOpts{grpcOpt: []grpc.ServerOption{grpc.UnknownServiceHandler(proxy)}})
	tests := []struct {
		name, method string
		md           []string
		code         codes.Code
		answer       string
		reason       string
		// decided is the policy rule recorded as deciding, "" for none.
		decided string
	}{
		{"clean, anonymous", "/public.v1.Svc/Do", nil, codes.OK, "|public@/public.v1.Svc/Do", "ok", "public"},
		{"clean, group missing", "/proxied.v1.Svc/Do", bearer(bob), codes.PermissionDenied, "", "group_denied", "proxied"},
		{"dot-dot into the public service", "/proxied.v1.Svc/Do/../../public.v1.Svc/x", nil, codes.InvalidArgument, "", "non_canonical_path", ""},
		{"dot-dot, with a token", "/public.v1.Svc/../proxied.v1.Svc/Do", bearer(bob), codes.InvalidArgument, "", "non_canonical_path", ""},
		{"empty segment", "/public.v1.Svc//Do", nil, codes.InvalidArgument, "", "non_canonical_path", ""},
		{"dot segment", "/public.v1.Svc/./Do", nil, codes.InvalidArgument, "", "non_canonical_path", ""},
		{"trailing dot-dot", "/public.v1.Svc/Do/..", nil, codes.InvalidArgument, "", "non_canonical_path", ""},
		{"percent sign (refused by the policy)", "/public.v1.Svc/D%2Fo", nil, codes.InvalidArgument, "", "non_canonical_path", policy.RuleNonCanonical},
		{"semicolon (refused by the policy)", "/public.v1.Svc/Do;x", nil, codes.InvalidArgument, "", "non_canonical_path", policy.RuleNonCanonical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := sums(t, ts.reg)
			result := "denied"
			if tt.code == codes.OK {
				result = "allowed"
			}
			series := requests(t, ts.reg, result, tt.reason)
			var decisions float64
			if tt.decided != "" {
				decisions = decisionsOf(t, ts, tt.decided)
			}
			got, _, err := bidi(t, ts.conn, tt.method, []string{"x"}, tt.md...)
			if status.Code(err) != tt.code {
				t.Fatalf("%s = %q, %v; want %v", tt.method, got, err, tt.code)
			}
			if tt.code == codes.OK && (len(got) != 1 || got[0] != tt.answer) {
				t.Errorf("answers = %q, want %q", got, tt.answer)
			}
			after, _ := sums(t, ts.reg)
			if d := requests(t, ts.reg, result, tt.reason) - series; d != 1 || after-before != 1 {
				t.Errorf("recorded %v as %s/%s, %v in all; want 1 and 1", d, result, tt.reason, after-before)
			}
			if tt.decided != "" {
				if d := decisionsOf(t, ts, tt.decided) - decisions; d != 1 {
					t.Errorf("%v decisions by rule %s, want 1", d, tt.decided)
				}
			}
		})
	}
}

// decisionsOf returns the policy decisions recorded for rule, allow and
// deny.
func decisionsOf(t *testing.T, ts *testServer, rule string) float64 {
	t.Helper()
	var n float64
	for _, res := range []string{"allow", "deny"} {
		n += adaptertest.Sample(t, ts.reg, "cognito_gate_policy_decisions_total", map[string]string{"rule": rule, "result": res})
	}
	return n
}

// TestAuthority: the call's :authority is the Host that host patterns
// match (without its port), and must be canonical once a rule names a
// host.
func TestAuthority(t *testing.T) {
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "internal", Route: "orders.internal/test.v1.Echo/", Anonymous: true},
		{Name: "elsewhere", Route: "POST /test.v1.Echo/"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts := newServer(t, middleware.Config{Policy: p}, serverOpts{})
	tests := []struct {
		authority string // "" for the dialed address
		code      codes.Code
		answer    string
		reason    string
	}{
		{"", codes.Unauthenticated, "", "missing_token"},
		{"orders.internal", codes.OK, "|internal", "ok"},
		{"orders.internal:8443", codes.OK, "|internal", "ok"},
		{"other.internal", codes.Unauthenticated, "", "missing_token"},
		{"Orders.Internal", codes.InvalidArgument, "", "non_canonical_path"},
		{"orders.internal.", codes.InvalidArgument, "", "non_canonical_path"},
		{"orders.internal,other.internal", codes.InvalidArgument, "", "bad_request"},
		{"orders.internal:1:2", codes.InvalidArgument, "", "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.authority, func(t *testing.T) {
			conn := ts.conn
			if tt.authority != "" {
				conn = dial(t, ts.addr, grpc.WithAuthority(tt.authority))
			}
			got, _, err := call(t, conn, "Whoami")
			st := status.Convert(err)
			if st.Code() != tt.code || got != tt.answer {
				t.Fatalf("Whoami = %q, %v; want %q, %v", got, err, tt.answer, tt.code)
			}
			if tt.code != codes.OK && st.Message()[len(st.Message())-len(tt.reason):] != tt.reason {
				t.Errorf("message = %q, want reason %s", st.Message(), tt.reason)
			}
		})
	}
}

// TestPatterns: the rule patterns the package documentation gives for
// gRPC methods match the calls it says they match.
func TestPatterns(t *testing.T) {
	env := adaptertest.NewEnv(t)
	named := func(user string) []string { return bearer(env.Pool.AccessToken(cognitotest.WithUsername(user))) }
	tests := []struct {
		rule policy.Rule
		// allowed and denied are methods of the test service called with
		// the token of the user named like the method.
		allowed, denied []string
	}{
		{policy.Rule{Route: "POST /test.v1.Echo/"}, []string{"Whoami", "Admin"}, nil},
		{policy.Rule{Route: "/test.v1.Echo/"}, []string{"Whoami", "Admin"}, nil},
		{policy.Rule{Route: "GET /test.v1.Echo/"}, nil, []string{"Whoami", "Admin"}},
		{policy.Rule{Route: "POST /test.v1.Echo/Whoami"}, []string{"Whoami"}, []string{"Admin", "Other"}},
		{policy.Rule{Route: "POST /test.v1.Echo/whoami"}, nil, []string{"Whoami"}},
		{policy.Rule{Route: "POST /test.v1.Echo/{method}", Requirement: policy.Requirement{
			Claims: []policy.Condition{{Claim: "username", Op: policy.OpEquals, Value: "{method}"}}}}, []string{"Whoami", "Admin"}, nil},
		{policy.Rule{Route: "127.0.0.1/test.v1.Echo/"}, []string{"Whoami"}, nil},
		{policy.Rule{Route: "orders.internal/test.v1.Echo/"}, nil, []string{"Whoami"}},
	}
	for _, tt := range tests {
		t.Run(tt.rule.Route, func(t *testing.T) {
			tt.rule.Name = "r"
			p, err := policy.New(policy.Config{Rules: []policy.Rule{tt.rule}})
			if err != nil {
				t.Fatal(err)
			}
			ts := newServer(t, middleware.Config{Policy: p}, serverOpts{})
			for _, method := range tt.allowed {
				if got, _, err := call(t, ts.conn, method, named(method)...); err != nil || got != method+"|r" {
					t.Errorf("%s = %q, %v; want allowed by the rule", method, got, err)
				}
			}
			for _, method := range tt.denied {
				if _, _, err := call(t, ts.conn, method, named(method)...); status.Code(err) != codes.PermissionDenied {
					t.Errorf("%s = %v, want PermissionDenied (no_rule)", method, err)
				}
			}
			if len(tt.rule.Requirement.Claims) > 0 {
				if _, _, err := call(t, ts.conn, "Admin", named("Whoami")...); status.Code(err) != codes.PermissionDenied {
					t.Errorf("Whoami's token for Admin = %v, want PermissionDenied ({method} is bound)", err)
				}
			}
		})
	}
}
