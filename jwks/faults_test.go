package jwks_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// TestFaultMatrix runs the key cache against a real key server (on
// 127.0.0.1) that misbehaves in each way a JWKS endpoint can, with an
// injected clock. For every fault: keys already held keep serving, a new kid
// costs one fetch and then fails fast, the failure is reported with its
// result, and when the endpoint recovers the next attempt after the backoff
// succeeds on its own.
func TestFaultMatrix(t *testing.T) {
	huge := []byte(`{"keys":[],"pad":"` + strings.Repeat("x", 10<<20) + `"}`)
	tests := []struct {
		name       string
		fault      cognitotest.Fault
		wantResult string
	}{
		{"500", cognitotest.Fault{Status: http.StatusInternalServerError}, "status"},
		{"404", cognitotest.Fault{Status: http.StatusNotFound}, "status"},
		{"429", cognitotest.Fault{Status: http.StatusTooManyRequests, Body: []byte("slow down")}, "status"},
		{"redirect", cognitotest.Fault{Status: http.StatusFound}, "status"},
		{"hangs past the timeout", cognitotest.Fault{Hang: true}, "timeout"},
		{"closes mid-body", cognitotest.Fault{CloseMidBody: true}, "network"},
		{"10 MiB body", cognitotest.Fault{Body: huge}, "too_large"},
		{"invalid JSON", cognitotest.Fault{Body: []byte(`{"keys":[`)}, "malformed"},
		{"html", cognitotest.Fault{Body: []byte(`<html>maintenance</html>`)}, "malformed"},
		{"empty keys", cognitotest.Fault{Body: []byte(`{"keys":[]}`)}, "no_usable_keys"},
		{"wrong kty, use and alg", cognitotest.Fault{Body: []byte(`{"keys":[
			{"kty":"oct","kid":"a","k":"c2VjcmV0"},
			{"kty":"RSA","kid":"b","use":"enc","n":"AQAB","e":"AQAB"},
			{"kty":"RSA","kid":"c","alg":"PS256","n":"AQAB","e":"AQAB"}]}`)}, "no_usable_keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := cognitotest.New(t, cognitotest.Config{})
			// Generous, so that a loaded machine cannot turn another fault
			// into a timeout; short where the timeout is the fault.
			timeout := 5 * time.Second
			if tt.fault.Hang {
				timeout = 300 * time.Millisecond
			}
			clock := &fakeClock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
			var mu sync.Mutex
			var events []jwks.FetchEvent
			c, err := jwks.New(jwks.Config{
				Now:          clock.Now,
				FetchTimeout: timeout,
				Observer: jwks.ObserverFunc(func(e jwks.FetchEvent) {
					mu.Lock()
					events = append(events, e)
					mu.Unlock()
				}),
			}, jwks.Source{Issuer: pool.Issuer(), URL: pool.JWKSURL(), AllowHTTP: true})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Hydrate(bg); err != nil {
				t.Fatal(err)
			}
			known := pool.KeyIDs()[0]
			newKID := pool.Rotate()

			pool.SetFault(tt.fault)
			clock.Advance(jwks.DefaultCooldown)
			// Keys already held keep serving, without a fetch.
			if _, err := c.Key(bg, pool.Issuer(), known); err != nil {
				t.Fatalf("known kid during the fault: %v", err)
			}
			// A new kid costs one fetch, which fails; the known kid still works.
			n := pool.Fetches()
			if _, err := c.Key(bg, pool.Issuer(), newKID); !errors.Is(err, jwks.ErrKeyNotFound) {
				t.Fatalf("new kid during the fault: %v, want ErrKeyNotFound", err)
			}
			if got := pool.Fetches() - n; got != 1 {
				t.Fatalf("fetches for the new kid = %d, want 1", got)
			}
			st := c.Set(pool.Issuer()).Status()
			if !st.Usable || st.Keys != 2 || st.Failures != 1 || st.Fetches[tt.wantResult] != 1 {
				t.Fatalf("status = %+v, want usable with 2 keys and one %q failure", st, tt.wantResult)
			}
			mu.Lock()
			last := events[len(events)-1]
			mu.Unlock()
			if last.Err == nil || last.Result() != tt.wantResult || last.Keys != 2 || last.Trigger != jwks.TriggerUnknownKID {
				t.Fatalf("event = %+v", last)
			}
			// Inside the cooldown further new-kid lookups fail fast.
			for range 50 {
				if _, err := c.Key(bg, pool.Issuer(), newKID); !errors.Is(err, jwks.ErrKeyNotFound) {
					t.Fatal(err)
				}
			}
			if got := pool.Fetches() - n; got != 1 {
				t.Fatalf("fetches inside the cooldown = %d, want still 1", got)
			}
			// Recovery: the endpoint comes back, the next attempt after the
			// cooldown finds the new key.
			pool.ClearFault()
			clock.Advance(jwks.DefaultCooldown)
			if _, err := c.Key(bg, pool.Issuer(), newKID); err != nil {
				t.Fatalf("new kid after recovery: %v", err)
			}
			if st := c.Set(pool.Issuer()).Status(); st.Failures != 0 || st.Keys != 3 {
				t.Fatalf("status after recovery = %+v", st)
			}
		})
	}
}
