package grpcmw_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
	"github.com/cognito-gate/cognito-gate/policy"
)

// TestUnaryStatuses: every way a unary call is allowed or denied over a
// real grpc-go connection — the status code, the message and ErrorInfo
// reason, the challenge trailer, whether the handler ran and with which
// token and rule, and exactly one recorded outcome per call.
func TestUnaryStatuses(t *testing.T) {
	env := adaptertest.NewEnv(t)
	pool := env.Pool
	bob := pool.AccessToken(cognitotest.WithUsername("bob"))
	alice := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"))
	writer := pool.AccessToken(cognitotest.WithUsername("wes"), cognitotest.WithScopes("orders/write"))
	expired := pool.AccessToken(cognitotest.WithIssuedAt(adaptertest.T0.Add(-2*time.Hour)), cognitotest.WithLifetime(time.Hour))
	unknownKey := pool.AccessToken(cognitotest.WithUnpublishedKey())
	idToken := pool.IDToken(cognitotest.WithUsername("ida"))

	const realm = `Bearer realm="cognito-gate"`
	tests := []struct {
		name   string
		method string
		md     []string
		code   codes.Code
		msg    string // the status message, or the answer when OK
		result string
		reason string
		// trailer is the www-authenticate trailer of a denial.
		trailer string
	}{
		{"anonymous rule, no token", "Public", nil, codes.OK, "|public", "allowed", "ok", ""},
		{"anonymous rule, token", "Public", bearer(bob), codes.OK, "bob|public", "allowed", "ok", ""},
		{"any token, none", "Whoami", nil, codes.Unauthenticated, "unauthorized: missing_token", "denied", "missing_token", realm},
		{"any token", "Whoami", bearer(bob), codes.OK, "bob|whoami", "allowed", "ok", ""},
		{"scheme in lower case", "Whoami", []string{"authorization", "bearer " + bob}, codes.OK, "bob|whoami", "allowed", "ok", ""},
		{"several spaces after the scheme", "Whoami", []string{"authorization", "Bearer   " + bob}, codes.OK, "bob|whoami", "allowed", "ok", ""},
		{"expired", "Whoami", bearer(expired), codes.Unauthenticated, "invalid_token: expired", "denied", "expired",
			realm + `, error="invalid_token", error_description="expired"`},
		{"unknown key", "Whoami", bearer(unknownKey), codes.Unauthenticated, "invalid_token: unknown_kid", "denied", "unknown_kid",
			realm + `, error="invalid_token", error_description="unknown_kid"`},
		{"not a JWT", "Whoami", bearer("abc.def.ghi"), codes.Unauthenticated, "invalid_token: malformed", "denied", "malformed",
			realm + `, error="invalid_token", error_description="malformed"`},
		{"another scheme is no token", "Whoami", []string{"authorization", "Basic dXNlcjpwYXNz"}, codes.Unauthenticated, "unauthorized: missing_token", "denied", "missing_token", realm},
		{"group missing", "Admin", bearer(bob), codes.PermissionDenied, "insufficient_scope: group_denied", "denied", "group_denied",
			realm + `, error="insufficient_scope", error_description="group_denied"`},
		{"group present", "Admin", bearer(alice), codes.OK, "alice|admin", "allowed", "ok", ""},
		{"scope missing", "Write", bearer(bob), codes.PermissionDenied, `insufficient_scope: insufficient_scope; scope="orders/write"`, "denied", "insufficient_scope",
			realm + `, error="insufficient_scope", error_description="insufficient_scope", scope="orders/write"`},
		{"scope present", "Write", bearer(writer), codes.OK, "wes|write", "allowed", "ok", ""},
		{"ID token where access tokens are required", "Access", bearer(idToken), codes.Unauthenticated, "invalid_token: wrong_token_use", "denied", "wrong_token_use",
			realm + `, error="invalid_token", error_description="wrong_token_use"`},
		{"GET rule never matches a call", "Get", bearer(bob), codes.PermissionDenied, "insufficient_scope: no_rule", "denied", "no_rule",
			realm + `, error="insufficient_scope", error_description="no_rule"`},
		{"GET rule never matches a call, no token", "Get", nil, codes.Unauthenticated, "unauthorized: missing_token", "denied", "missing_token", realm},
		{"no rule", "Other", bearer(bob), codes.PermissionDenied, "insufficient_scope: no_rule", "denied", "no_rule",
			realm + `, error="insufficient_scope", error_description="no_rule"`},
		// The extractor's strictness, as for HTTP: 400, never "no token".
		{"authorization twice", "Public", []string{"authorization", "Bearer " + bob, "authorization", "Bearer " + alice}, codes.InvalidArgument, "invalid_request: malformed", "denied", "malformed",
			realm + `, error="invalid_request", error_description="malformed"`},
		{"empty bearer", "Public", []string{"authorization", "Bearer"}, codes.InvalidArgument, "invalid_request: malformed", "denied", "malformed",
			realm + `, error="invalid_request", error_description="malformed"`},
		{"bearer with only spaces", "Public", []string{"authorization", "Bearer   "}, codes.InvalidArgument, "invalid_request: malformed", "denied", "malformed",
			realm + `, error="invalid_request", error_description="malformed"`},
		{"two tokens", "Public", []string{"authorization", "Bearer " + bob + " " + alice}, codes.InvalidArgument, "invalid_request: malformed", "denied", "malformed",
			realm + `, error="invalid_request", error_description="malformed"`},
		{"no space after the scheme", "Public", []string{"authorization", "Bearer" + bob}, codes.InvalidArgument, "invalid_request: malformed", "denied", "malformed",
			realm + `, error="invalid_request", error_description="malformed"`},
		{"leading space (metadata is not trimmed)", "Public", []string{"authorization", " Bearer " + bob}, codes.InvalidArgument, "invalid_request: malformed", "denied", "malformed",
			realm + `, error="invalid_request", error_description="malformed"`},
		{"trailing space (metadata is not trimmed)", "Public", []string{"authorization", "Bearer " + bob + " "}, codes.InvalidArgument, "invalid_request: malformed", "denied", "malformed",
			realm + `, error="invalid_request", error_description="malformed"`},
	}
	ts := newServer(t, middleware.Config{Policy: testPolicy(t)}, serverOpts{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := sums(t, ts.reg)
			series := requests(t, ts.reg, tt.result, tt.reason)
			handled := ts.svc.unaryCalls.Load()

			got, trailer, err := call(t, ts.conn, tt.method, tt.md...)

			st := status.Convert(err)
			if st.Code() != tt.code {
				t.Fatalf("code = %v (%q), want %v", st.Code(), st.Message(), tt.code)
			}
			ran := ts.svc.unaryCalls.Load() - handled
			if tt.code == codes.OK {
				if got != tt.msg || ran != 1 {
					t.Errorf("answer %q, handler ran %d times; want %q, once", got, ran, tt.msg)
				}
			} else {
				if ran != 0 {
					t.Errorf("the handler ran for a denied call")
				}
				checkDenial(t, st, tt.msg, tt.reason)
				if got := strings.Join(trailer.Get("www-authenticate"), ","); got != tt.trailer {
					t.Errorf("www-authenticate trailer = %q, want %q", got, tt.trailer)
				}
				for i := 1; i < len(tt.md); i += 2 {
					if v := strings.TrimPrefix(strings.TrimSpace(tt.md[i]), "Bearer"); len(v) > 8 && (strings.Contains(st.Message(), v) || strings.Contains(trailer.String(), v)) {
						t.Errorf("the answer holds the credential: %q, %v", st.Message(), trailer)
					}
				}
			}
			after, _ := sums(t, ts.reg)
			if d := requests(t, ts.reg, tt.result, tt.reason) - series; d != 1 || after-before != 1 {
				t.Errorf("recorded %v as %s/%s and %v in all; want 1 and 1", d, tt.result, tt.reason, after-before)
			}
		})
	}
	t.Run("no credential in the logs", func(t *testing.T) {
		for _, e := range ts.logs.All() {
			line := e.Message
			for k, v := range e.ContextMap() {
				line += " " + k + "=" + strings.ReplaceAll(strings.ReplaceAll(toString(v), "\n", ""), " ", "")
			}
			for _, tok := range []string{bob, alice, writer, expired, unknownKey, idToken} {
				if strings.Contains(line, tok[strings.LastIndexByte(tok, '.')+1:]) || strings.Contains(line, tok[:40]) {
					t.Fatalf("log line holds a token: %s", line)
				}
			}
			if e.ContextMap()["method"] != "POST" || !strings.HasPrefix(toString(e.ContextMap()["path"]), "/test.v1.Echo/") {
				t.Errorf("log line %s: method and path are not the call's", line)
			}
		}
		if n := ts.logs.Len(); n != len(tests) {
			t.Errorf("%d log lines, want one per call (%d)", n, len(tests))
		}
	})
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

// checkDenial checks a denial's message and its ErrorInfo detail.
func checkDenial(t *testing.T, st *status.Status, msg, reason string) {
	t.Helper()
	if st.Message() != msg {
		t.Errorf("message = %q, want %q", st.Message(), msg)
	}
	var info *errdetails.ErrorInfo
	for _, d := range st.Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			info = i
		}
	}
	code, _, _ := strings.Cut(msg, ":")
	switch {
	case info == nil:
		t.Errorf("no ErrorInfo in %v", st.Details())
	case info.GetReason() != strings.ToUpper(reason) || info.GetDomain() != grpcmw.ErrorDomain ||
		info.GetMetadata()["reason"] != reason || info.GetMetadata()["error"] != code:
		t.Errorf("ErrorInfo = %v, want reason %s, error %s", info, reason, code)
	}
}

// TestUnaryKeysUnavailable: a key outage is Unavailable, with a retry
// delay, recorded as unavailable.
func TestUnaryKeysUnavailable(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Down"})
	pool.SetFault(cognitotest.Fault{Status: 500})
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ts := newServer(t, middleware.Config{Verifier: v, Policy: testPolicy(t)}, serverOpts{})
	_, trailer, err := call(t, ts.conn, "Whoami", bearer(pool.AccessToken())...)
	st := status.Convert(err)
	if st.Code() != codes.Unavailable {
		t.Fatalf("code = %v (%q), want Unavailable", st.Code(), st.Message())
	}
	checkDenial(t, st, "temporarily_unavailable: jwks_unavailable", "jwks_unavailable")
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry.GetRetryDelay().AsDuration() != 5*time.Second {
		t.Errorf("RetryInfo = %v, want 5s", retry)
	}
	if len(trailer.Get("www-authenticate")) != 0 {
		t.Errorf("a 503 has a challenge: %v", trailer)
	}
	if got := requests(t, ts.reg, "unavailable", "jwks_unavailable"); got != 1 || ts.svc.unaryCalls.Load() != 0 {
		t.Errorf("unavailable/jwks_unavailable = %v, handler calls %d; want 1, 0", got, ts.svc.unaryCalls.Load())
	}
}

// TestUnaryInternalError: a verifier failure outside the vocabulary is
// Internal, never OK and never the error's text.
func TestUnaryInternalError(t *testing.T) {
	ts := newServer(t, middleware.Config{Verifier: adaptertest.LyingVerifier{Err: errors.New("secret detail")}, Policy: testPolicy(t)}, serverOpts{})
	_, _, err := call(t, ts.conn, "Whoami", bearer("a.b.c")...)
	st := status.Convert(err)
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "secret") {
		t.Fatalf("status = %v %q, want Internal without the error's text", st.Code(), st.Message())
	}
	checkDenial(t, st, "server_error: internal_error", "internal_error")
	if got := requests(t, ts.reg, "unavailable", "internal_error"); got != 1 {
		t.Errorf("unavailable/internal_error = %v, want 1", got)
	}
}

// TestSkipper: Config.Skipper is given the call as a request; a skipped
// call reaches its handler unchecked, without a token in its context,
// counted as skipped.
func TestSkipper(t *testing.T) {
	skip := func(r *http.Request) bool { return r.URL.Path == "/test.v1.Echo/Other" && r.Method == "POST" }
	ts := newServer(t, middleware.Config{Policy: testPolicy(t), Skipper: skip}, serverOpts{})
	got, _, err := call(t, ts.conn, "Other", bearer("not-even-a-jwt")...)
	if err != nil || got != "|" {
		t.Fatalf("skipped call = %q, %v; want the handler without a token", got, err)
	}
	if n := requests(t, ts.reg, "skipped", "ok"); n != 1 {
		t.Errorf("skipped = %v, want 1", n)
	}
	if _, _, err := call(t, ts.conn, "Whoami"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("an unskipped call = %v, want Unauthenticated", err)
	}
}

// TestNewRefusesHTTPHooks: a middleware whose hooks write HTTP answers
// cannot be used for gRPC.
func TestNewRefusesHTTPHooks(t *testing.T) {
	v := adaptertest.NewEnv(t).Verifier
	tests := []struct {
		name string
		cfg  middleware.Config
	}{
		{"ErrorHandler", middleware.Config{Verifier: v, ErrorHandler: func(http.ResponseWriter, *http.Request, error) {}}},
		{"OnSuccess", middleware.Config{Verifier: v, OnSuccess: func(http.ResponseWriter, *http.Request, *claims.Token) {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := middleware.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := grpcmw.New(m); !errors.Is(err, grpcmw.ErrConfig) || !strings.Contains(err.Error(), tt.name) {
				t.Errorf("New = %v, want ErrConfig naming %s", err, tt.name)
			}
		})
	}
	if _, err := grpcmw.New(nil); !errors.Is(err, grpcmw.ErrConfig) {
		t.Errorf("New(nil) = %v, want ErrConfig", err)
	}
}

// TestSharedWithHTTP: one middleware serves HTTP and gRPC; SetPolicy
// applies to both, and both record into the same metrics.
func TestSharedWithHTTP(t *testing.T) {
	ts := newServer(t, middleware.Config{Policy: testPolicy(t)}, serverOpts{})
	h := ts.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	httpCode := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/test.v1.Echo/Whoami", nil))
		return rec.Code
	}
	if _, _, err := call(t, ts.conn, "Whoami"); status.Code(err) != codes.Unauthenticated || httpCode() != http.StatusUnauthorized {
		t.Fatalf("before SetPolicy: gRPC %v, HTTP %d; want Unauthenticated, 401", err, httpCode())
	}
	open, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "open", Route: "POST /test.v1.Echo/", Anonymous: true}}})
	if err != nil {
		t.Fatal(err)
	}
	ts.m.SetPolicy(open)
	if got, _, err := call(t, ts.conn, "Whoami"); err != nil || got != "|open" || httpCode() != http.StatusOK {
		t.Fatalf("after SetPolicy: gRPC %q %v, HTTP %d; want the open rule for both", got, err, httpCode())
	}
	if n := requests(t, ts.reg, "denied", "missing_token"); n != 2 {
		t.Errorf("denied/missing_token = %v, want 2 (one gRPC call, one HTTP request)", n)
	}
}

// TestUnaryMessageReadBeforeCheck: grpc-go reads a unary call's message
// before the interceptors run, bounded by MaxRecvMsgSize: a message over
// the bound is refused before the check, which records nothing.
func TestUnaryMessageReadBeforeCheck(t *testing.T) {
	ts := newServer(t, middleware.Config{Policy: testPolicy(t)}, serverOpts{grpcOpt: []grpc.ServerOption{grpc.MaxRecvMsgSize(1024)}})
	err := ts.conn.Invoke(t.Context(), "/test.v1.Echo/Whoami", wrapperspb.String(strings.Repeat("x", 2048)), new(wrapperspb.StringValue))
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a 2 KiB message = %v, want ResourceExhausted", err)
	}
	if calls, _ := sums(t, ts.reg); calls != 0 {
		t.Errorf("%v calls recorded, want none: the check did not run", calls)
	}
	if _, _, err := call(t, ts.conn, "Whoami"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a small message without a token = %v, want Unauthenticated", err)
	}
}
