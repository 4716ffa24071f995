package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestCheck: the adapter API reports each outcome as Handler acts on it.
func TestCheck(t *testing.T) {
	e := newEnv(t)
	reader := e.Pool.AccessToken(cognitotest.WithUsername("rob"), cognitotest.WithGroups("readers"))
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		req          *http.Request
		allowed      bool
		status       int    // of Err, when denied
		user         string // of Token
		redirect     string
		rule         string // in Request's context
		anonymous    bool   // Anonymous allows
		anonRedirect string
	}{
		{name: "allowed", req: bearerReq("GET", "/me", reader), allowed: true, user: "rob", rule: "profile"},
		{name: "anonymous route", req: bearerReq("GET", "/public/x", ""), allowed: true, rule: "public"},
		{name: "cleaned path", req: bearerReq("GET", "/admin/../public/x", ""), allowed: true, redirect: "/public/x", rule: "public"},
		{name: "no token", req: bearerReq("GET", "/me", ""), status: 401},
		{name: "bad token on an anonymous route", req: bearerReq("GET", "/public/x", "x.y.z"), status: 401, anonymous: true},
		{name: "bad token on an anonymous route, cleaned path", req: bearerReq("GET", "/admin/../public/x", "x.y.z"), status: 401, anonymous: true, anonRedirect: "/public/x"},
		{name: "policy denial", req: bearerReq("GET", "/admin/x", reader), status: 403, user: "rob"},
		{name: "policy denial on a path that is anonymous when cleaned", req: bearerReq("GET", "/public/../admin/x", reader), status: 403, user: "rob"},
		{name: "unreadable", req: func() *http.Request {
			r := bearerReq("GET", "/public/x", reader)
			r.Header.Add("Authorization", "Bearer x.y.z")
			return r
		}(), status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := m.Check(tt.req)
			if o.Allowed() != tt.allowed || o.Canceled() {
				t.Fatalf("Allowed %v, Canceled %v; want %v, false", o.Allowed(), o.Canceled(), tt.allowed)
			}
			user := ""
			if tok := o.Token(); tok != nil {
				user = tok.Username
			}
			if user != tt.user {
				t.Errorf("Token user %q, want %q", user, tt.user)
			}
			if got := o.Redirect(); got != tt.redirect {
				t.Errorf("Redirect = %q, want %q", got, tt.redirect)
			}
			if !tt.allowed {
				if err := o.Err(); err == nil || err.Status != tt.status {
					t.Errorf("Err = %v, want status %d", err, tt.status)
				}
				if o.Request() != nil {
					t.Error("Request of a denial is not nil")
				}
				anon, ok := o.Anonymous()
				if ok != tt.anonymous {
					t.Fatalf("Anonymous allows %v, want %v", ok, tt.anonymous)
				}
				if ok {
					if anon.Token() != nil || !anon.Allowed() || anon.Err() != nil || anon.Redirect() != tt.anonRedirect {
						t.Errorf("anonymous outcome: token %v, allowed %v, err %v, redirect %q", anon.Token(), anon.Allowed(), anon.Err(), anon.Redirect())
					}
					if rule, _ := middleware.RuleFromContext(anon.Request().Context()); rule != "public" {
						t.Errorf("anonymous rule %q, want public", rule)
					}
				}
				return
			}
			if o.Err() != nil {
				t.Errorf("Err of an allowed request = %v", o.Err())
			}
			if _, ok := o.Anonymous(); ok {
				t.Error("Anonymous of an allowed request")
			}
			r := o.Request()
			rule, _ := middleware.RuleFromContext(r.Context())
			tok, _ := claims.FromContext(r.Context())
			if rule != tt.rule || tok != o.Token() {
				t.Errorf("Request context: rule %q, token %v; want %q, %v", rule, tok, tt.rule, o.Token())
			}
		})
	}

	var zero middleware.Outcome
	if zero.Allowed() || zero.Canceled() || zero.Redirect() != "" || zero.Token() != nil {
		t.Error("the zero Outcome is not a denial")
	}
	if _, ok := zero.Anonymous(); ok {
		t.Error("the zero Outcome continues anonymously")
	}
}

// TestCheckCanceled: a request whose client went away is Canceled, never
// allowed.
func TestCheckCanceled(t *testing.T) {
	m, err := middleware.New(middleware.Config{Verifier: adaptertest.LyingVerifier{Err: claims.ErrJWKSUnavailable}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := m.Check(bearerReq("GET", "/", "x.y.z").WithContext(ctx))
	if !o.Canceled() || o.Allowed() || o.Err().Reason != claims.ReasonCanceled {
		t.Errorf("Canceled %v, Allowed %v, Err %v", o.Canceled(), o.Allowed(), o.Err())
	}
	if _, ok := o.Anonymous(); ok {
		t.Error("a canceled request continues anonymously")
	}
}

// TestSkipIsRecorded: Skip counts the request as skipped, as
// Config.Skipper's are.
func TestSkipIsRecorded(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: newEnv(t).Verifier, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	m.Skip(bearerReq("GET", "/", ""))
	if got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "skipped", "reason": "ok"}); got != 1 {
		t.Errorf("skipped = %v, want 1", got)
	}
}

func TestHookAccessors(t *testing.T) {
	e := newEnv(t)
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier})
	if err != nil {
		t.Fatal(err)
	}
	if m.ErrorHandler() != nil || m.OnSuccess() != nil {
		t.Error("hooks of a Middleware without them are not nil")
	}
	var called []string
	m, err = middleware.New(middleware.Config{Verifier: e.Verifier,
		ErrorHandler: func(http.ResponseWriter, *http.Request, error) { called = append(called, "error") },
		OnSuccess:    func(http.ResponseWriter, *http.Request, *claims.Token) { called = append(called, "success") }})
	if err != nil {
		t.Fatal(err)
	}
	m.ErrorHandler()(nil, nil, nil)
	m.OnSuccess()(nil, nil, nil)
	if len(called) != 2 {
		t.Errorf("accessors returned other functions: %v", called)
	}
}

func TestCloseIfBodyUnread(t *testing.T) {
	tests := []struct {
		name string
		req  func() *http.Request
		want bool
	}{
		{"no body", func() *http.Request { return httptest.NewRequest("GET", "/", nil) }, false},
		{"content length", func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.ContentLength = 10
			return r
		}, true},
		{"unknown length", func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.ContentLength = -1
			return r
		}, true},
		{"chunked", func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.TransferEncoding = []string{"chunked"}
			return r
		}, true},
		{"HTTP/2", func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.ContentLength, r.ProtoMajor = 10, 2
			return r
		}, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if got := middleware.CloseIfBodyUnread(h, tt.req()); got != tt.want || (h.Get("Connection") == "close") != tt.want {
			t.Errorf("%s: CloseIfBodyUnread = %v, Connection %q; want %v", tt.name, got, h.Get("Connection"), tt.want)
		}
	}
	// A recorder cannot set deadlines: nothing happens.
	middleware.BoundUnreadBody(httptest.NewRecorder())
}

func TestSetErrorHeadersAndErrorCode(t *testing.T) {
	tests := []struct {
		e          middleware.Error
		code       string
		challenge  string
		retryAfter bool
	}{
		{middleware.Error{Status: 401, Reason: claims.ReasonMissingToken}, "unauthorized", `Bearer realm="api"`, false},
		{middleware.Error{Status: 401, Reason: claims.ReasonExpired, TokenSent: true}, "invalid_token", `Bearer realm="api", error="invalid_token", error_description="expired"`, false},
		{middleware.Error{Status: 403, Reason: claims.ReasonGroupDenied, TokenSent: true}, "insufficient_scope", `Bearer realm="api", error="insufficient_scope", error_description="group_denied"`, false},
		{middleware.Error{Status: 400, Reason: claims.ReasonMalformed, TokenSent: true}, "invalid_request", `Bearer realm="api", error="invalid_request", error_description="malformed"`, false},
		{middleware.Error{Status: 503, Reason: claims.ReasonJWKSUnavailable, TokenSent: true}, "temporarily_unavailable", "", true},
		{middleware.Error{Status: 500, Reason: claims.ReasonInternal, TokenSent: true}, "server_error", "", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		middleware.SetErrorHeaders(h, "api", &tt.e)
		if got := tt.e.ErrorCode(); got != tt.code {
			t.Errorf("%d %s: ErrorCode = %q, want %q", tt.e.Status, tt.e.Reason, got, tt.code)
		}
		if h.Get("WWW-Authenticate") != tt.challenge || h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" || (h.Get("Retry-After") != "") != tt.retryAfter {
			t.Errorf("%d %s: headers %v", tt.e.Status, tt.e.Reason, h)
		}
	}
}
