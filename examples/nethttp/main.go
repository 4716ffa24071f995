// Command nethttp protects a net/http service with cognito-gate. It runs
// against a fake Cognito user pool on 127.0.0.1, so it needs no AWS account:
//
//	go run ./examples/nethttp
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

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
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

	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "hello", Route: "GET /hello", Anonymous: true},
		{Name: "me", Route: "GET /me"},
		{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
	}})
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, v)
	if err != nil {
		return err
	}
	auth, err := middleware.New(middleware.Config{Verifier: v, Policy: p, Metrics: metrics, Logger: logger})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello, anyone")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := claims.FromContext(r.Context())
		fmt.Fprintf(w, "you are %s, groups %v\n", tok.Username, tok.Groups)
	})
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := claims.FromContext(r.Context())
		fmt.Fprintf(w, "welcome to the admin area, %s\n", tok.Username)
	})
	root := http.NewServeMux()
	root.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	root.Handle("/", auth.Handler(mux))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: root, ReadHeaderTimeout: 5 * time.Second}
	base := "http://" + ln.Addr().String()
	admin := pool.AccessToken(fakepool.WithUsername("alice"), fakepool.WithGroups("admin"))
	reader := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("readers"))
	fmt.Fprintf(out, "listening on %s (fake user pool %s)\n\n", base, pool.PoolID())
	fmt.Fprintf(out, "curl -i %s/hello                                   # 200, no token needed\n", base)
	fmt.Fprintf(out, "curl -i %s/me                                      # 401, no token\n", base)
	fmt.Fprintf(out, "curl -i -H 'Authorization: Bearer %s' %s/me       # 200, bob\n", reader, base)
	fmt.Fprintf(out, "curl -i -H 'Authorization: Bearer %s' %s/admin/   # 403, bob is no admin\n", reader, base)
	fmt.Fprintf(out, "curl -i -H 'Authorization: Bearer %s' %s/admin/   # 200, alice is\n", admin, base)
	fmt.Fprintf(out, "curl -s %s/metrics | grep cognito_gate_requests_total\n", base)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
