package alb_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// TestMiddlewareHeaders: behind the middleware (Config.Headers), the
// policy judges the access token of a verified set of three headers (its
// groups); no data header is anonymous; spliced, forged and partial
// headers are refused with their reasons, never judged anonymous.
func TestMiddlewareHeaders(t *testing.T) {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	cv, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer cv.Close()
	lb, err := fakealb.New(fakealb.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	av, err := alb.New(alb.Config{Region: lb.Region(), KeyURL: lb.KeyURL(), AllowHTTP: true, Issuer: lb.Issuer(),
		Signers: []string{lb.Signer()}, ClientIDs: []string{lb.ClientID()}})
	if err != nil {
		t.Fatal(err)
	}
	defer av.Close()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "public", Route: "/public/", Anonymous: true},
		{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Headers: alb.Headers{Data: av, Access: cv}, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := claims.FromContext(r.Context())
		user := "-"
		if tok != nil {
			user = tok.Username
		}
		io.WriteString(w, user)
	}))
	admin := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("admin"))
	reader := pool.AccessToken(fakepool.WithUsername("bob"))
	mallory := pool.AccessToken(fakepool.WithUsername("mallory"), fakepool.WithSubject("5a1f0b7e-0c9d-4e8a-9b6f-3d2c1b0a9f8e"), fakepool.WithGroups("admin"))
	other, err := fakealb.New(fakealb.Config{Signer: "arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/x/50dc6c495c0c9188"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tests := []struct {
		name, path string
		header     http.Header
		wantStatus int
		wantBody   string // the user, or the JSON reason
	}{
		{"admin", "/admin/x", lb.Headers(admin), 200, "bob"},
		{"not in the group", "/admin/x", lb.Headers(reader), 403, `"group_denied"`},
		{"no headers, anonymous route", "/public/x", http.Header{}, 200, "-"},
		{"no headers, protected route", "/admin/x", http.Header{}, 401, `"missing_token"`},
		{"another user's access token", "/admin/x", func() http.Header {
			h := lb.Headers(admin)
			h.Set(alb.AccessTokenHeader, mallory)
			return h
		}(), 401, `"identity_mismatch"`},
		{"another load balancer", "/admin/x", other.Headers(admin), 401, `"wrong_signer"`},
		{"data token only, on an anonymous route", "/public/x", func() http.Header {
			h := lb.Headers(admin)
			h.Del(alb.AccessTokenHeader)
			return h
		}(), 401, `"malformed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			for k, v := range tt.header {
				r.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("%d %s, want %d with %s", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	if _, err := middleware.New(middleware.Config{Headers: alb.Headers{Data: av, Access: cv}, Verifier: cv, Policy: p}); err == nil {
		t.Error("Headers beside a Verifier accepted")
	}
}
