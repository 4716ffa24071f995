package jwks_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// keyPool is a fake pool used only as a source of RSA keys and their kids.
func keyPool(t testing.TB) *cognitotest.Pool {
	t.Helper()
	return cognitotest.New(t, cognitotest.Config{})
}

// jwk renders one RSA public key as a JWK object; extra members override.
func jwk(kid string, pub *rsa.PublicKey, extra map[string]any) map[string]any {
	m := map[string]any{
		"kty": "RSA",
		"kid": kid,
		"use": "sig",
		"alg": "RS256",
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// set renders a key set document.
func set(keys ...map[string]any) []byte {
	if keys == nil {
		keys = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// fakeJWKS is an in-memory key set endpoint: an http.RoundTripper whose
// answer the test sets. It works inside testing/synctest bubbles, where real
// sockets would not.
type fakeJWKS struct {
	mu      sync.Mutex
	body    []byte
	status  int
	delay   time.Duration // answer after this long (fake time in a bubble)
	hang    bool          // answer only when the request is cancelled
	fetches atomic.Int64
}

func newFakeJWKS(body []byte) *fakeJWKS { return &fakeJWKS{body: body, status: http.StatusOK} }

func (f *fakeJWKS) Set(status int, body []byte) {
	f.mu.Lock()
	f.status, f.body = status, body
	f.mu.Unlock()
}

func (f *fakeJWKS) SetDelay(d time.Duration, hang bool) {
	f.mu.Lock()
	f.delay, f.hang = d, hang
	f.mu.Unlock()
}

func (f *fakeJWKS) Fetches() int { return int(f.fetches.Load()) }

func (f *fakeJWKS) Client() *http.Client { return &http.Client{Transport: f} }

func (f *fakeJWKS) RoundTrip(req *http.Request) (*http.Response, error) {
	f.fetches.Add(1)
	f.mu.Lock()
	status, body, delay, hang := f.status, f.body, f.delay, f.hang
	f.mu.Unlock()
	if hang {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return &http.Response{
		StatusCode: status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(body)),
		Request:    req,
	}, nil
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var bg = context.Background()
