package echomw_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/echomw"
	"github.com/cognito-gate/cognito-gate/policy"
)

// The lines between the README markers are README.md's Echo snippet
// (TestReadmeSnippet keeps them equal).
func ExampleWithConfig() {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}}})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "orders", Route: "GET /orders/{id}"}}})
	if err != nil {
		panic(err)
	}

	// README: begin
	e := echo.New()
	e.Use(echomw.WithConfig(echomw.Config{Config: middleware.Config{Verifier: v, Policy: p}}))
	e.GET("/orders/:id", func(c echo.Context) error {
		tok, _ := echomw.Token(c) // or claims.FromContext(c.Request().Context())
		return c.String(http.StatusOK, "order "+c.Param("id")+" for "+tok.Username+"\n")
	})
	// README: end

	for _, tok := range []string{"", pool.AccessToken(fakepool.WithUsername("bob"))} {
		req := httptest.NewRequest("GET", "/orders/42", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Header().Get("WWW-Authenticate"), " ", rec.Body.String())
	}
	// Output:
	// 401 Bearer realm="cognito-gate" {"error":"unauthorized","reason":"missing_token"}
	// 200  order 42 for bob
}
