package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestAmplifyCookieSource runs the Amplify source in the middleware with
// real tokens: the signed-in user's access token authenticates; an
// ambiguous session is 400, another user's cookie nothing.
func TestAmplifyCookieSource(t *testing.T) {
	e := newEnv(t)
	src, err := middleware.AmplifyCookie(e.Pool.ClientID(), claims.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	p := "CognitoIdentityServiceProvider." + e.Pool.ClientID() + "."
	alice := e.Pool.AccessToken(cognitotest.WithUsername("alice@example.com"))
	bob := e.Pool.AccessToken(cognitotest.WithUsername("bob"))
	tests := []struct {
		name     string
		cookie   string
		want     int
		wantUser string
	}{
		{"signed in", p + "LastAuthUser=alice@example.com; " + p + "alice%40example.com.accessToken=" + alice + "; " + p + "alice%40example.com.refreshToken=r", 200, "alice@example.com"},
		{"the last user's, not another's", p + "bob.accessToken=" + bob + "; " + p + "LastAuthUser=alice@example.com; " + p + "alice%40example.com.accessToken=" + alice, 200, "alice@example.com"},
		{"only another user's token", p + "LastAuthUser=alice@example.com; " + p + "bob.accessToken=" + bob, 401, ""},
		{"no cookies", "", 401, ""},
		{"LastAuthUser twice", p + "LastAuthUser=bob; " + p + "LastAuthUser=alice@example.com; " + p + "bob.accessToken=" + bob, 400, ""},
		{"token without LastAuthUser", p + "bob.accessToken=" + bob, 400, ""},
		{"forged token", p + "LastAuthUser=bob; " + p + "bob.accessToken=" + bob + "x", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bearerReq("GET", "/me", "")
			if tt.cookie != "" {
				r.Header.Set("Cookie", tt.cookie)
			}
			rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), TokenSources: []middleware.TokenSource{src}}, r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d (body %s)", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 200 && (s.tok == nil || s.tok.Username != tt.wantUser) {
				t.Errorf("handler saw %+v, want user %q", s.tok, tt.wantUser)
			}
		})
	}
}

// ExampleAmplifyCookie reads the access token an Amplify app keeps in its
// cookies, after the Authorization header. State-changing routes served
// this way need a CSRF defense (see AmplifyCookie).
func ExampleAmplifyCookie() {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	pool, err := cognitotest.Start(cognitotest.Config{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		Now:   func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	if err := v.Hydrate(context.Background()); err != nil {
		panic(err)
	}

	amplify, err := middleware.AmplifyCookie(pool.ClientID(), claims.AccessToken)
	if err != nil {
		panic(err)
	}
	m, err := middleware.New(middleware.Config{
		Verifier:     v,
		TokenSources: []middleware.TokenSource{middleware.AuthorizationHeader(), amplify},
	})
	if err != nil {
		panic(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := claims.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", tok.Caller())
	}))

	// The cookies as Amplify writes them for the user alice@example.com.
	prefix := "CognitoIdentityServiceProvider." + pool.ClientID() + "."
	r := httptest.NewRequest("GET", "/me", nil)
	r.Header.Set("Cookie", prefix+"LastAuthUser=alice@example.com; "+
		prefix+"alice%40example.com.accessToken="+pool.AccessToken(cognitotest.WithUsername("alice@example.com")))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 hello alice@example.com
}
