// Command echo protects an Echo (v4) service with cognito-gate, through
// the adapter package middleware/echomw (middleware/echomw/v5 for Echo v5,
// with the same API). It runs against a fake Cognito user pool on
// 127.0.0.1, so it needs no AWS account:
//
//	go run ./examples/echo
//
// and prints curl commands with tokens to try. With a real pool, replace
// the fake pool (package fakepool, for tests and demos only) by your
// UserPoolID and app client id.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/echomw"
	"github.com/cognito-gate/cognito-gate/policy"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, os.Stdout, nil); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx ends. When ready is not nil it receives the
// listening address.
func run(ctx context.Context, addr string, out io.Writer, ready chan<- string) error {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		return err
	}
	defer pool.Close()
	logger, _ := zap.NewDevelopment()
	defer logger.Sync()

	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: pool.PoolID(),
			JWKSURL:    pool.JWKSURL(),
			AllowHTTP:  true,
			ClientIDs:  []string{pool.ClientID()},
			TokenUse:   claims.AccessToken,
		}},
		JWKS: jwks.Config{Observer: middleware.LogJWKS(logger)},
	})
	if err != nil {
		return err
	}
	defer v.Close()

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/hello", func(c echo.Context) error { return c.String(http.StatusOK, "hello, anyone\n") })
	e.GET("/orders/:id", func(c echo.Context) error {
		tok, _ := echomw.Token(c)
		return c.JSON(http.StatusOK, map[string]string{"order": c.Param("id"), "reader": tok.Username})
	})
	e.DELETE("/orders/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })

	// The policy's rules use Echo's own routes, converted to ServeMux
	// patterns.
	rules := map[string]policy.Rule{
		"GET /hello":          {Name: "hello", Anonymous: true},
		"GET /orders/{id}":    {Name: "orders-read", Requirement: policy.Requirement{ScopesAny: []string{"orders/read", "orders/write"}}},
		"DELETE /orders/{id}": {Name: "orders-delete", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
	}
	var cfg policy.Config
	for _, rt := range e.Routes() {
		pattern, err := echomw.RoutePattern(rt)
		if err != nil {
			return err
		}
		rule, ok := rules[pattern]
		if !ok {
			return fmt.Errorf("route %s has no rule", pattern)
		}
		rule.Route = pattern
		cfg.Rules = append(cfg.Rules, rule)
	}
	p, err := policy.New(cfg)
	if err != nil {
		return err
	}
	mw, err := echomw.Config{Config: middleware.Config{Verifier: v, Policy: p, Logger: logger}}.ToMiddleware()
	if err != nil {
		return err
	}
	e.Use(mw)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	e.Listener = ln
	base := "http://" + ln.Addr().String()
	admin := pool.AccessToken(fakepool.WithUsername("alice"), fakepool.WithGroups("admin"))
	reader := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithScopes("orders/read"))
	fmt.Fprintf(out, "listening on %s (fake user pool %s)\n\n", base, pool.PoolID())
	fmt.Fprintf(out, "curl -i %s/hello                                                 # 200, no token needed\n", base)
	fmt.Fprintf(out, "curl -i %s/orders/42                                             # 401, no token\n", base)
	fmt.Fprintf(out, "curl -i -H 'Authorization: Bearer %s' %s/orders/42              # 200, bob may read\n", reader, base)
	fmt.Fprintf(out, "curl -i -H 'Authorization: Bearer %s' -X DELETE %s/orders/42    # 403, bob is no admin\n", reader, base)
	fmt.Fprintf(out, "curl -i -H 'Authorization: Bearer %s' -X DELETE %s/orders/42    # 204, alice is\n", admin, base)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	errc := make(chan error, 1)
	go func() { errc <- e.Start("") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
