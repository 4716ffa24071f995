package echomw_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v5"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/middleware"
	echomw "github.com/cognito-gate/cognito-gate/middleware/echomw/v5"
	"github.com/cognito-gate/cognito-gate/policy"
)

// One middleware.Middleware serves an Echo v5 application and a net/http
// handler alike (New shares its verifier, policy and metrics); the pool's
// keys are given to the verifier (claims.Pool.Keys), so nothing is
// fetched.
func ExampleNew() {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), Keys: pool.JWKS(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	rules := []policy.Rule{{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}}}
	p, err := policy.New(policy.Config{Rules: rules})
	if err != nil {
		panic(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: v, Policy: p})
	if err != nil {
		panic(err)
	}
	mw, err := echomw.New(m, echomw.Config{})
	if err != nil {
		panic(err)
	}

	e := echo.New()
	e.Use(mw)
	e.GET("/admin/users", func(c *echo.Context) error {
		tok, _ := echomw.Token(c)
		return c.String(http.StatusOK, "users, for "+tok.Username)
	})
	plain := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "plain ok") }))

	ask := func(h http.Handler, tok string) {
		req := httptest.NewRequest("GET", "/admin/users", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	admin := pool.AccessToken(fakepool.WithUsername("ann"), fakepool.WithGroups("admin"))
	ask(e, admin)
	ask(plain, admin)
	ask(e, pool.AccessToken(fakepool.WithGroups("readers")))
	// Output:
	// 200 users, for ann
	// 200 plain ok
	// 403 {"error":"insufficient_scope","reason":"group_denied"}
}
