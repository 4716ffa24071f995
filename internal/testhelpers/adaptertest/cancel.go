package adaptertest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// BlockingKeys is an in-memory key set endpoint that works inside synctest
// bubbles: it blocks until the request is canceled.
type BlockingKeys struct{}

// RoundTrip waits for r's context to end and returns its error.
func (BlockingKeys) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// writeCounter is a ResponseWriter that counts every call that would
// answer the client.
type writeCounter struct {
	h     http.Header
	calls int
}

func (w *writeCounter) Header() http.Header         { return w.h }
func (w *writeCounter) WriteHeader(int)             { w.calls++ }
func (w *writeCounter) Write(b []byte) (int, error) { w.calls++; return len(b), nil }

// Canceled guards finding 18 in the adapter: a client that disconnected
// while keys were fetched was answered 503, counted as
// unavailable/jwks_unavailable and logged at warn. It is result
// "canceled", reason "canceled", logged at debug, and nothing is answered:
// the response is aborted (http.ErrAbortHandler), never an empty 200, and
// neither an error handler nor the route runs — whichever error handler
// is configured.
func Canceled(t *testing.T, a Adapter) {
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Cancel", Now: func() time.Time { return time.Now() }})
	for _, variant := range []string{"ErrorHandler", "Config.ErrorHandler", "default"} {
		t.Run(variant, func(t *testing.T) {
			if variant == "ErrorHandler" && !a.EchoHooks {
				t.Skip("needs Echo hooks")
			}
			synctest.Test(t, func(t *testing.T) {
				v, err := claims.New(claims.Config{
					Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
					JWKS:  jwks.Config{HTTPClient: &http.Client{Transport: BlockingKeys{}}},
				})
				if err != nil {
					t.Fatal(err)
				}
				defer v.Close()
				reg := prometheus.NewRegistry()
				metrics, err := middleware.NewMetrics(reg, nil)
				if err != nil {
					t.Fatal(err)
				}
				core, logs := observer.New(zapcore.DebugLevel)
				var mu sync.Mutex
				var called []string
				note := func(s string) { mu.Lock(); called = append(called, s); mu.Unlock() }
				spec := Spec{
					Config:  middleware.Config{Verifier: v, Policy: Policy(t), Metrics: metrics, Logger: zap.New(core)},
					Handler: func() { note("route") },
				}
				switch variant {
				case "ErrorHandler":
					spec.ErrorHandler = func(error) Action { note("ErrorHandler"); return ReturnErr }
				case "Config.ErrorHandler":
					spec.Config.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
						note("Config.ErrorHandler")
						w.WriteHeader(http.StatusTeapot)
					}
				}
				h := build(t, a, spec)
				w := &writeCounter{h: make(http.Header)}
				if got := serveCanceled(h, w, pool.AccessToken()); got != http.ErrAbortHandler {
					t.Fatalf("panic = %v, want http.ErrAbortHandler", got)
				}
				if w.calls != 0 || len(w.h) != 0 || len(called) != 0 {
					t.Errorf("answered: %d writes, header %v, called %v", w.calls, w.h, called)
				}
				for labels, want := range map[[2]string]float64{
					{"canceled", "canceled"}:            1,
					{"unavailable", "jwks_unavailable"}: 0,
					{"unavailable", "internal_error"}:   0,
				} {
					if got := Sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": labels[0], "reason": labels[1]}); got != want {
						t.Errorf("requests_total{result=%q,reason=%q} = %v, want %v", labels[0], labels[1], got, want)
					}
				}
				entries := logs.All()
				if len(entries) != 1 || entries[0].Level != zapcore.DebugLevel || entries[0].Message != "request canceled" ||
					entries[0].ContextMap()["reason"] != "canceled" || entries[0].ContextMap()["status"] != int64(claims.StatusClientClosed) {
					t.Errorf("log entries = %+v, want one debug line with reason canceled", entries)
				}
			})
		})
	}
}

// serveCanceled sends a request for /me through h on a context that is
// canceled once the request waits for the blocked key endpoint, and
// returns what the handler panicked with.
func serveCanceled(h http.Handler, w http.ResponseWriter, tok string) (panicked any) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		h.ServeHTTP(w, BearerReq("GET", "/me", tok).WithContext(ctx))
	}()
	synctest.Wait()
	cancel()
	<-done
	return panicked
}
