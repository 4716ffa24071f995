package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// answerCounter is a ResponseWriter that counts every call that would
// answer the proxy.
type answerCounter struct {
	h     http.Header
	calls int
}

func (w *answerCounter) Header() http.Header         { return w.h }
func (w *answerCounter) WriteHeader(int)             { w.calls++ }
func (w *answerCounter) Write(b []byte) (int, error) { w.calls++; return len(b), nil }

// TestForwardAuthCanceledAnswersNothing guards the forward-auth side of
// finding 18: when the proxy goes away while the keys are fetched, the
// endpoint answers nothing (http.ErrAbortHandler) — an empty 200 would
// read as "allow" to auth_request — and no header is set.
func TestForwardAuthCanceledAnswersNothing(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	asked := make(chan struct{}, 1)
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-r.Context().Done() // never answers: the fetch outlives the request
	}))
	defer keys.Close()
	dir := t.TempDir()
	text := fmt.Sprintf("pools:\n  - user_pool_id: %s\n    jwks_url: %s\n    allow_http: true\n    client_ids: [%s]\n    token_use: access\npolicy:\n  rules:\n    - name: me\n      route: GET /me\n",
		pool.PoolID(), keys.URL+"/jwks.json", pool.ClientID())
	file := filepath.Join(dir, "gate.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(file, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	g := newTestGate(t, cfg, zap.NewNop())

	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "/auth", nil).WithContext(ctx)
	r.Header.Set("X-Forwarded-Method", "GET")
	r.Header.Set("X-Forwarded-Uri", "/me")
	r.Header.Set("X-Forwarded-Host", "api.example.com")
	r.Header.Set("Authorization", "Bearer "+pool.AccessToken())
	w := &answerCounter{h: http.Header{}}
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		g.forwardAuthHandler().ServeHTTP(w, r)
	}()
	<-asked // the check waits for the key endpoint
	cancel()
	if got := <-done; got != http.ErrAbortHandler {
		t.Fatalf("panic = %v, want http.ErrAbortHandler", got)
	}
	if w.calls != 0 || len(w.h) != 0 {
		t.Errorf("answered: %d writes, header %v", w.calls, w.h)
	}
}
