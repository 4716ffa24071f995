package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
)

func TestLogsNeverHoldTheToken(t *testing.T) {
	e := newEnv(t)
	core, logs := observer.New(zapcore.DebugLevel)
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	admin := e.Pool.AccessToken(cognitotest.WithSubject("sub-admin"), cognitotest.WithGroups("admin"))
	reader := e.Pool.AccessToken(cognitotest.WithSubject("sub-reader"), cognitotest.WithGroups("readers"))
	expired := e.Pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-3 * time.Hour)))
	forged := reader[:strings.LastIndexByte(reader, '.')] + admin[strings.LastIndexByte(admin, '.'):]
	tokens := []string{admin, reader, expired, forged}

	for _, tc := range []struct{ path, tok, id string }{
		{"/admin/x", admin, "req-1"}, {"/admin/x", reader, "req-2"}, {"/me", expired, ""}, {"/me", forged, ""}, {"/me", "", ""},
	} {
		r := bearerReq("GET", tc.path, tc.tok)
		if tc.id != "" {
			r.Header.Set("X-Request-Id", tc.id)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}

	entries := logs.All()
	if len(entries) != 5 {
		t.Fatalf("%d log entries, want 5", len(entries))
	}
	want := []struct {
		level  zapcore.Level
		fields map[string]string
	}{
		{zapcore.DebugLevel, map[string]string{"result": "allowed", "reason": "ok", "rule": "admin", "sub": "sub-admin", "request_id": "req-1", "issuer": e.Pool.Issuer(), "client_id": e.Pool.ClientID()}},
		{zapcore.InfoLevel, map[string]string{"result": "denied", "reason": "group_denied", "rule": "admin", "sub": "sub-reader", "request_id": "req-2"}},
		{zapcore.InfoLevel, map[string]string{"result": "denied", "reason": "expired", "path": "/me"}},
		{zapcore.InfoLevel, map[string]string{"result": "denied", "reason": "bad_signature"}},
		{zapcore.InfoLevel, map[string]string{"result": "denied", "reason": "missing_token"}},
	}
	for i, w := range want {
		got := entries[i]
		if got.Level != w.level {
			t.Errorf("entry %d level %s, want %s", i, got.Level, w.level)
		}
		ctx := got.ContextMap()
		for k, v := range w.fields {
			if ctx[k] != v {
				t.Errorf("entry %d field %s = %v, want %q", i, k, ctx[k], v)
			}
		}
		if got, ok := ctx["status"].(int64); !ok || got == 0 {
			t.Errorf("entry %d has no status", i)
		}
	}
	assertNoSecrets(t, entries, tokens)

	// A client-chosen path is logged only in part.
	logs.TakeAll()
	h.ServeHTTP(httptest.NewRecorder(), bearerReq("GET", "/"+strings.Repeat("p", 5000), ""))
	if got := logs.All()[0].ContextMap()["path"].(string); len(got) > 300 || !strings.HasPrefix(got, "/ppp") {
		t.Errorf("logged path of %d bytes", len(got))
	}
}

func TestLogJWKS(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	var now atomic.Int64
	now.Store(t0.Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_LogJWKS", Now: clock})
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		Now:   clock,
		JWKS:  jwks.Config{Observer: middleware.LogJWKS(zap.New(core))},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Hydrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A rotation, then a failure while keys are held.
	old := pool.KeyIDs()[0]
	pool.Rotate()
	pool.Retire(old)
	now.Add(int64(jwks.DefaultCooldown / time.Second))
	if _, err := v.Verify(t.Context(), pool.AccessToken()); err != nil {
		t.Fatal(err)
	}
	pool.SetFault(cognitotest.Fault{Status: http.StatusInternalServerError})
	now.Add(int64(jwks.DefaultCooldown / time.Second))
	v.Verify(t.Context(), pool.AccessToken(cognitotest.WithUnpublishedKey()))

	var msgs []string
	for _, en := range logs.All() {
		msgs = append(msgs, en.Level.String()+" "+en.Message)
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{"info jwks keys changed", "warn jwks fetch failed, serving last good keys"} {
		if !strings.Contains(joined, want) {
			t.Errorf("logs lack %q:\n%s", want, joined)
		}
	}
	changed := logs.FilterMessage("jwks keys changed").All()
	if len(changed) < 2 || len(changed[len(changed)-1].ContextMap()["removed"].([]any)) != 1 {
		t.Errorf("rotation entries = %+v", changed)
	}
}

// assertNoSecrets fails if any log field holds a token or its signature.
func assertNoSecrets(t *testing.T, entries []observer.LoggedEntry, tokens []string) {
	t.Helper()
	for _, en := range entries {
		text := en.Message
		for k, v := range en.ContextMap() {
			text += " " + k + "=" + strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " "))
		}
		for _, tok := range tokens {
			sig := tok[strings.LastIndexByte(tok, '.')+1:]
			payload := strings.Split(tok, ".")[1]
			if strings.Contains(text, tok) || strings.Contains(text, sig[:20]) || strings.Contains(text, payload[:20]) {
				t.Errorf("log entry %q holds token material", en.Message)
			}
		}
	}
}

// TestLogJWKSSkippedKey: a key set entry that was not accepted is logged
// at warn with its index, kid, the snake_case reason and the detail for
// people.
func TestLogJWKSSkippedKey(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	middleware.LogJWKS(zap.New(core)).ObserveFetch(jwks.FetchEvent{Issuer: "https://issuer", Keys: 1,
		Skipped: []jwks.SkippedKey{{Index: 1, KeyID: "k2", Reason: jwks.SkipNotRSA, Detail: `kty is "EC", not RSA`}}})
	entries := logs.FilterMessage("jwks key skipped").All()
	if len(entries) != 1 || entries[0].Level != zapcore.WarnLevel {
		t.Fatalf("entries = %+v, want one warning", logs.All())
	}
	got := entries[0].ContextMap()
	want := map[string]any{"issuer": "https://issuer", "index": int64(1), "kid": "k2", "skip_reason": jwks.SkipNotRSA, "skip_detail": `kty is "EC", not RSA`}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}
