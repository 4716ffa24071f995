package main

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/prototext"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// countingCore is a zap core that counts the entries written to it.
type countingCore struct {
	zapcore.LevelEnabler
	n atomic.Int64
}

func (c *countingCore) With([]zapcore.Field) zapcore.Core { return c }
func (c *countingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}
func (c *countingCore) Write(zapcore.Entry, []zapcore.Field) error { c.n.Add(1); return nil }
func (c *countingCore) Sync() error                                { return nil }

// denialBody is the JSON body of every denial (middleware.WriteError).
var denialBody = regexp.MustCompile(`^\{"error":"(invalid_request|unauthorized|invalid_token|insufficient_scope|temporarily_unavailable|server_error)","reason":"[a-z_]+"\}\n$`)

// FuzzExtAuthzCheck feeds CheckRequests with arbitrary method, host, path,
// headers (in the headers map or in header_map), a context extension and
// one of a few tokens to the ext_authz handler. It must never panic and
// always answer in Envoy's terms: status OK with an OkHttpResponse, or
// another status with a DeniedHttpResponse of 400, 401, 403, 500 or 503,
// WriteError's body and the gRPC code of its status; count each call
// once; never put a token in its answer; and allow only what HTTP
// forward-auth allows: a path and Host judged as sent, no spelling of an
// identity header or routing override, the route's rule when it names
// one. An allowed answer sets only lower-case identity headers (and
// Cookie), replacing any a client sent, and removes every identity name
// it does not set, never one it sets.
func FuzzExtAuthzCheck(f *testing.F) {
	pool := cognitotest.New(f, cognitotest.Config{})
	lines := &countingCore{LevelEnabler: zapcore.DebugLevel}
	// Every denial logged (no sampling), so that a line counts an outcome:
	// the fuzzer makes far more than log.denial_sampling's 100 a second.
	g := newExtAuthzGate(f, pool, extAuthzPolicy, "tokens:\n  cookie: session\nlog:\n  denial_sampling: {disabled: true}\n", lines)
	tokens := []string{
		"",
		pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin")),
		pool.AccessToken(cognitotest.WithSubject("sub-bob"), cognitotest.WithScopes("orders/read")),
		pool.AccessToken(cognitotest.WithExpiry(time.Now().Add(-time.Hour))),
		"x.y.z",
	}
	f.Add("GET", "api.example.com", "/admin/x", "", false, "", "", uint8(1))
	f.Add("DELETE", "api.example.com", "/users/sub-bob/x?a=1", "cookie: theme=dark; session=", false, "cognito_gate_rule", "profile", uint8(2))
	f.Add("GET", "api.example.com", "/public/../admin/x", "x_auth_groups: admin", true, "", "", uint8(0))
	f.Add("GET", "internal.example.com:8443", "/public//x", "X-Auth-Sub: a\nx-original-url: /admin", false, "cognito_gate_rule", "public", uint8(1))
	f.Add("GET", "a,b", "http://x/admin", ":path: /public/x\n:authority: api.example.com", true, "cognito_gate_x", "", uint8(3))
	f.Add("OPTIONS", "api.example.com", "*", "authorization: Bearer a,Bearer b", false, "route", "admin", uint8(4))
	f.Add("GET", "api.example.com", "/orders/1#x", "x-token: \x00", false, "cognito_gate_rule", "orders", uint8(2))
	f.Fuzz(func(t *testing.T, method, host, path, headers string, raw bool, extKey, extValue string, tokenIdx uint8) {
		tok := tokens[int(tokenIdx)%len(tokens)]
		h := map[string]string{}
		if tok != "" {
			h["authorization"] = "Bearer " + tok
		}
		for line := range strings.SplitSeq(headers, "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok {
				h[k] = v
			}
		}
		var ext map[string]string
		if extKey != "" {
			ext = map[string]string{extKey: extValue}
		}
		req := envoyCheck(method, host, path, h, ext)
		if raw {
			rawHeaders(req)
		}
		before := lines.n.Load()
		resp := g.extAuthzCheck(context.Background(), req)
		if resp == nil {
			t.Fatal("no answer to a live call")
		}
		// Each outcome is recorded once: one log line (and its metrics,
		// in the same call; TestExtAuthzCheck counts those).
		if got := lines.n.Load() - before; got != 1 {
			t.Fatalf("%d outcomes recorded, want 1", got)
		}
		text := prototext.Format(resp)
		for _, tk := range tokens[1:] {
			if strings.Contains(text, tk) {
				t.Fatalf("a token in the answer: %s", text)
			}
		}
		a := answerOf(t, resp)
		if !a.allowed {
			if !slices.Contains([]int{400, 401, 403, 500, 503}, a.status) {
				t.Fatalf("denial status %d", a.status)
			}
			if !denialBody.MatchString(a.body) {
				t.Fatalf("denial body %q", a.body)
			}
			if codes.Code(a.code) != grpcCodeOf(a.status) {
				t.Fatalf("gRPC code %v for HTTP %d", codes.Code(a.code), a.status)
			}
			return
		}
		r, err := checkRequest(context.Background(), req, g.cfg.raw.Server.MaxHeaderBytes)
		if err != nil {
			t.Fatalf("allowed a request that cannot be judged: %v", err)
		}
		if name := g.cfg.filter.smuggled(r.Header); name != "" {
			t.Fatalf("allowed a request with %q", name)
		}
		if d := g.mw.Policy().Decide(r, nil); d.Path != r.URL.EscapedPath() {
			t.Fatalf("allowed %q, judged as %q", r.URL.EscapedPath(), d.Path)
		}
		if extKey == contextExtensionRule {
			if ex := g.mw.Policy().Explain(r, nil); len(ex.Matches) == 0 || ex.Matches[0].Rule != extValue {
				t.Fatalf("allowed on a route of rule %q, judged by %v", extValue, ex.Matches)
			}
		} else if strings.HasPrefix(extKey, contextExtensionPrefix) {
			t.Fatalf("allowed with context extension %q", extKey)
		}
		for name := range a.header {
			if !g.cfg.headers.isIdentity(name) && name != "Cookie" {
				t.Fatalf("set %s, not an identity header", name)
			}
		}
		for _, n := range g.cfg.headers.names {
			if a.header.Get(n) == "" && !slices.Contains(a.remove, strings.ToLower(n)) {
				t.Fatalf("identity header %s neither set nor removed", n)
			}
		}
		for _, n := range a.remove {
			if _, ok := a.header[http.CanonicalHeaderKey(n)]; ok {
				t.Fatalf("%s both set and removed", n)
			}
		}
	})
}
