package assertion_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// keyServer serves a gate's key set over http on 127.0.0.1, or whatever
// answer a test puts in its place, and counts the requests.
type keyServer struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	answer   http.HandlerFunc // nil: the key set
}

func newKeyServer(t *testing.T, keys *assertion.KeySet) *keyServer {
	ks := &keyServer{}
	ks.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.requests.Add(1)
		ks.mu.Lock()
		answer := ks.answer
		ks.mu.Unlock()
		if answer != nil {
			answer(w, r)
			return
		}
		keys.ServeHTTP(w, r)
	}))
	t.Cleanup(ks.Close)
	return ks
}

// set replaces the answer (nil: the key set again).
func (ks *keyServer) set(answer http.HandlerFunc) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.answer = answer
}

// remote returns a Verifier of g's assertions that fetches its key set
// from ks with the default HTTP client, on g's clock; edit changes the
// key-fetch settings first.
func (g *gate) remote(t *testing.T, ks *keyServer, edit func(*jwks.Config)) *assertion.Verifier {
	t.Helper()
	return g.verifier(t, func(c *assertion.VerifierConfig) {
		c.JWKS, c.JWKSURL, c.AllowHTTP = nil, ks.URL+"/.well-known/jwks.json", true
		if edit != nil {
			edit(&c.Keys)
		}
	})
}

// TestKeySetAnswers: what a Verifier makes of the key set endpoint's
// answer. Only a set with a usable key serves; a broken answer is
// jwks_unavailable (503), never a key.
func TestKeySetAnswers(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	raw := g.sign(t, cognitoToken(t), request)
	jwk := string(g.key.JWK())
	body := func(status int, s string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			w.Write([]byte(s))
		}
	}
	tests := []struct {
		name   string
		answer http.HandlerFunc
		want   claims.Reason
	}{
		{"the key set", nil, claims.ReasonOK},
		{"plain application/json", body(200, `{"keys":[`+jwk+`]}`), claims.ReasonOK},
		{"500", body(500, `{"keys":[`+jwk+`]}`), claims.ReasonJWKSUnavailable},
		{"404", body(404, ""), claims.ReasonJWKSUnavailable},
		{"a redirect, not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, claims.ReasonJWKSUnavailable},
		{"over the size limit", body(200, `{"keys":[`+jwk+`],"pad":"`+strings.Repeat("x", assertion.DefaultMaxJWKSBytes)+`"}`), claims.ReasonJWKSUnavailable},
		{"not JSON", body(200, "<html>"), claims.ReasonJWKSUnavailable},
		{"no keys member", body(200, `{}`), claims.ReasonJWKSUnavailable},
		{"keys not an array", body(200, `{"keys":{}}`), claims.ReasonJWKSUnavailable},
		{"duplicate keys member", body(200, `{"keys":[],"keys":[`+jwk+`]}`), claims.ReasonJWKSUnavailable},
		{"an RSA key set (Cognito's)", body(200, string(pool.JWKS())), claims.ReasonJWKSUnavailable},
		{"the key twice", body(200, `{"keys":[`+jwk+`,`+jwk+`]}`), claims.ReasonJWKSUnavailable},
		{"the key with use enc", body(200, `{"keys":[`+strings.Replace(jwk, `"use":"sig"`, `"use":"enc"`, 1)+`]}`), claims.ReasonJWKSUnavailable},
		{"the key with key_ops for signing only", body(200, `{"keys":[`+strings.Replace(jwk, `"use":"sig"`, `"key_ops":["sign"]`, 1)+`]}`), claims.ReasonJWKSUnavailable},
		{"the key with key_ops verify", body(200, `{"keys":[`+strings.Replace(jwk, `"use":"sig"`, `"key_ops":["verify"]`, 1)+`]}`), claims.ReasonOK},
		{"the key with alg ES384", body(200, `{"keys":[`+strings.Replace(jwk, `"alg":"ES256"`, `"alg":"ES384"`, 1)+`]}`), claims.ReasonJWKSUnavailable},
		{"the key and an RSA key", body(200, `{"keys":[`+jwk+`,`+strings.TrimSuffix(strings.TrimPrefix(string(pool.JWKS()), `{"keys":[`), `]}`)+`]}`), claims.ReasonOK},
		{"another key only", body(200, `{"keys":[`+string(newGate(t, assertion.SignerConfig{}).key.JWK())+`]}`), claims.ReasonUnknownKID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := newKeyServer(t, g.keys)
			ks.set(tt.answer)
			_, err := g.remote(t, ks, nil).Verify(context.Background(), raw)
			wantReason(t, err, tt.want)
			if n := ks.requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// TestKeyFetchRules: one fetch at a time, none within the cooldown, a new
// kid fetched at once, a set refreshed in the background when old, last
// good keys served through failures until MaxStaleness, then refused.
func TestKeyFetchRules(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	ks := newKeyServer(t, g.keys)
	events := make(chan jwks.FetchEvent, 16)
	v := g.remote(t, ks, func(c *jwks.Config) {
		c.Cooldown, c.RefreshInterval, c.MaxStaleness = 10*time.Second, time.Minute, time.Hour
		c.Observer = jwks.ObserverFunc(func(e jwks.FetchEvent) { events <- e })
	})
	// fetched returns the next fetch's event: at once for a fetch a caller
	// waited for (the Observer hears of it first), as soon as it ends for
	// a background one.
	fetched := func(when string, want jwks.Trigger, result string) jwks.FetchEvent {
		t.Helper()
		select {
		case e := <-events:
			if e.Trigger != want || e.Result() != result {
				t.Errorf("%s: fetch %s:%s, want %s:%s", when, e.Trigger, e.Result(), want, result)
			}
			return e
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no fetch", when)
			return jwks.FetchEvent{}
		}
	}
	noFetch := func(when string) {
		t.Helper()
		select {
		case e := <-events:
			t.Errorf("%s: fetch %s, want none", when, e.Trigger)
		default:
		}
	}
	tok := cognitoToken(t)
	verify := func() error {
		_, err := v.Verify(context.Background(), g.sign(t, tok, request))
		return err
	}

	// Concurrent first use: one fetch.
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := verify(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	fetched("16 concurrent first uses", jwks.TriggerInitial, "ok")
	noFetch("16 concurrent first uses")

	// A kid the set lacks, inside the cooldown: no request.
	other := newGate(t, assertion.SignerConfig{})
	other.clock = g.clock
	_, err := v.Verify(context.Background(), other.sign(t, tok, request))
	wantReason(t, err, claims.ReasonUnknownKID)
	noFetch("unknown kid inside the cooldown")

	// A new key of the gate after the cooldown: fetched at once.
	g.clock.Advance(10 * time.Second)
	_, next := keyPair(t)
	must(t, g.keys.Set(next, g.key))
	if err := verify(); err != nil {
		t.Errorf("the new key: %v", err)
	}
	if e := fetched("new kid after the cooldown", jwks.TriggerUnknownKID, "ok"); len(e.Added) != 1 || e.Added[0] != next.ID() || e.Keys != 2 {
		t.Errorf("rotation event %+v, want %s added, 2 keys", e, next.ID())
	}

	// Old: refreshed in the background, the caller served meanwhile.
	g.clock.Advance(time.Minute)
	if err := verify(); err != nil {
		t.Error(err)
	}
	fetched("a minute later", jwks.TriggerInterval, "ok")

	// The endpoint fails: last good keys served until MaxStaleness.
	ks.set(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	g.clock.Advance(59 * time.Minute)
	if err := verify(); err != nil {
		t.Errorf("stale but within MaxStaleness: %v", err)
	}
	fetched("59 minutes later, failing", jwks.TriggerInterval, "status")
	g.clock.Advance(time.Minute)
	err = verify()
	wantReason(t, err, claims.ReasonJWKSUnavailable)
	if !errors.Is(err, jwks.ErrStatus) {
		t.Errorf("error %v, want it to say why (jwks.ErrStatus)", err)
	}
	fetched("past MaxStaleness", jwks.TriggerStale, "status")
	// Failures back off: inside twice the cooldown, no new attempt.
	g.clock.Advance(15 * time.Second)
	wantReason(t, verify(), claims.ReasonJWKSUnavailable)
	noFetch("after two failures, 15 s later")
	if n := ks.requests.Load(); n != 5 {
		t.Errorf("%d requests, want 5", n)
	}
}

// TestKeyFetchCancel: a caller that gives up while the key set is
// fetched is canceled (never jwks_unavailable), and Close ends the fetch.
func TestKeyFetchCancel(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	ks := newKeyServer(t, g.keys)
	hung := make(chan struct{})
	ks.set(func(w http.ResponseWriter, r *http.Request) {
		close(hung)
		<-r.Context().Done()
	})
	v := g.remote(t, ks, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-hung
		cancel()
	}()
	_, err := v.Verify(ctx, g.sign(t, cognitoToken(t), request))
	wantReason(t, err, claims.ReasonCanceled)
	done := make(chan struct{})
	go func() {
		v.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end the fetch")
	}
	_, err = v.Verify(context.Background(), g.sign(t, cognitoToken(t), request))
	wantReason(t, err, claims.ReasonJWKSUnavailable)
}

// TestKeyFetchTimeout: a key set endpoint that does not answer within
// FetchTimeout is jwks_unavailable.
func TestKeyFetchTimeout(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	ks := newKeyServer(t, g.keys)
	ks.set(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	v := g.remote(t, ks, func(c *jwks.Config) { c.FetchTimeout = 50 * time.Millisecond })
	err := v.Hydrate(context.Background())
	wantReason(t, err, claims.ReasonJWKSUnavailable)
	wantIs(t, err, context.DeadlineExceeded)
}
