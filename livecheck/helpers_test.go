package livecheck_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
	"github.com/cognito-gate/cognito-gate/livecheck"
)

// t0 is the start of the tests' clocks.
var t0 = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

// clock is the tests' injected clock.
type clock = fakeclock.Clock

func newClock() *clock { return fakeclock.New(t0) }

// The issuer and user of forged tokens (forge).
const (
	poolID = "eu-west-1_LiveTest1"
	issuer = "https://cognito-idp.eu-west-1.amazonaws.com/" + poolID
	user   = "alice"
	sub    = "7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01"
)

// forge returns a raw token and the *claims.Token a verifier would make
// of it: an access token of user in the pool of issuer, issued at t0 and
// expiring an hour later, with the admin scope, its claims changed by
// edit (a nil value removes a claim). Its signature is not real: the
// Checker trusts the token it is given, and these tests are of the
// Checker.
func forge(t testing.TB, edit map[string]any) (string, *claims.Token) {
	t.Helper()
	c := map[string]any{
		"sub": sub, "iss": issuer, "client_id": "1example23456789abcdefghij", "token_use": "access",
		"scope": "aws.cognito.signin.user.admin", "username": user, "jti": "jti-" + t.Name(),
		"iat": t0.Unix(), "auth_time": t0.Unix(), "exp": t0.Add(time.Hour).Unix(),
	}
	for k, v := range edit {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	str := func(k string) string { s, _ := c[k].(string); return s }
	num := func(k string) time.Time { n, _ := c[k].(int64); return time.Unix(n, 0) }
	fields := claims.Token{
		Use: claims.TokenUse(str("token_use")), Issuer: str("iss"), Subject: str("sub"), Username: str("username"),
		ClientID: str("client_id"), Expiry: num("exp"), IssuedAt: num("iat"), AuthTime: num("auth_time"), JTI: str("jti"),
	}
	if s := str("scope"); s != "" {
		fields.Scopes = strings.Split(s, " ")
	}
	tok, err := claims.NewToken(fields, payload)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	raw := enc.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc.EncodeToString(payload) + "." + enc.EncodeToString([]byte("signature-"+t.Name()))
	return raw, tok
}

// userAnswer is GetUser's answer for username and sub.
func userAnswer(username, sub string) string {
	b, _ := json.Marshal(map[string]any{
		"Username": username,
		"UserAttributes": []map[string]string{
			{"Name": "sub", "Value": sub}, {"Name": "email_verified", "Value": "true"}, {"Name": "email", "Value": username + "@example.com"},
		},
		"UserMFASettingList": []string{},
	})
	return string(b)
}

// api is a fake GetUser endpoint, served in process (no network, so that
// it runs inside a testing/synctest bubble): it records every request and
// answers with respond, which may block (on the request's context, say).
type api struct {
	mu       sync.Mutex
	requests []*seen
	respond  func(w http.ResponseWriter, r *http.Request)
}

// seen is one request the fake endpoint received.
type seen struct {
	method, url string
	header      http.Header
	body        []byte
}

// newAPI returns a fake endpoint that answers every request with status,
// the Content-Type of the protocol and body.
func newAPI(status int, body string) *api {
	return &api{respond: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}}
}

func (a *api) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.requests = append(a.requests, &seen{r.Method, r.URL.String(), r.Header.Clone(), body})
	respond := a.respond
	a.mu.Unlock()
	rec := httptest.NewRecorder()
	respond(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// calls returns the number of requests received.
func (a *api) calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.requests)
}

func (a *api) last() *seen {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[len(a.requests)-1]
}

// setRespond replaces the answers.
func (a *api) setRespond(f func(w http.ResponseWriter, r *http.Request)) {
	a.mu.Lock()
	a.respond = f
	a.mu.Unlock()
}

// events collects the Checker's events.
type events struct {
	mu   sync.Mutex
	list []livecheck.Event
}

func (e *events) ObserveCheck(ev livecheck.Event) {
	e.mu.Lock()
	e.list = append(e.list, ev)
	e.mu.Unlock()
}

func (e *events) all() []livecheck.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]livecheck.Event(nil), e.list...)
}

func (e *events) last(t *testing.T) livecheck.Event {
	t.Helper()
	all := e.all()
	if len(all) == 0 {
		t.Fatal("no event")
	}
	return all[len(all)-1]
}

// checkerFor returns a Checker of the forged tokens' pool whose calls go
// to a, with the clock now (nil: time.Now) and events recorded, changed
// by edit.
func checkerFor(t testing.TB, a *api, now func() time.Time, ev *events, edit func(*livecheck.Config)) *livecheck.Checker {
	t.Helper()
	return newChecker(t, livecheck.Config{
		Pools:      []livecheck.Pool{{UserPoolID: poolID}},
		HTTPClient: &http.Client{Transport: a},
		Now:        now,
	}, ev, edit)
}

// newChecker returns the Checker of cfg changed by edit, its events
// recorded in ev (unless nil), closed when the test ends.
func newChecker(t testing.TB, cfg livecheck.Config, ev *events, edit func(*livecheck.Config)) *livecheck.Checker {
	t.Helper()
	if ev != nil {
		cfg.Observer = ev
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := livecheck.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// poolEnv is a fake user pool (cognitotest), a verifier of its tokens and
// a clock shared by the pool, the verifier and the Checkers made with it.
type poolEnv struct {
	pool     *cognitotest.Pool
	verifier *claims.Verifier
	clock    *clock
}

func newPoolEnv(t *testing.T) *poolEnv {
	t.Helper()
	e := &poolEnv{clock: newClock()}
	e.pool = cognitotest.New(t, cognitotest.Config{Now: e.clock.Now})
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{Issuer: e.pool.Issuer(), Keys: e.pool.JWKS(), ClientIDs: []string{e.pool.ClientID()}, TokenUse: claims.AnyToken}},
		Now:   e.clock.Now,
		Cache: claims.CacheConfig{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	e.verifier = v
	return e
}

// verify returns the verified token of raw.
func (e *poolEnv) verify(t *testing.T, raw string) *claims.Token {
	t.Helper()
	tok, err := e.verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return tok
}

// checker returns a Checker of the pool calling its API (APIURL), with
// the env's clock, changed by edit.
func (e *poolEnv) checker(t *testing.T, ev *events, edit func(*livecheck.Config)) *livecheck.Checker {
	t.Helper()
	return newChecker(t, livecheck.Config{
		Pools: []livecheck.Pool{{Issuer: e.pool.Issuer(), Endpoint: e.pool.APIURL(), AllowHTTP: true}},
		Now:   e.clock.Now,
	}, ev, edit)
}

// wantErr checks that err is nil for want nil, else matches want.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: %v, want nil", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}
