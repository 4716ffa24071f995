package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

//go:embed demo_policy.yaml
var demoPolicy string

// demoConfig is the configuration the demo runs: the fake pool's keys are
// served on 127.0.0.1, everything else is as for a real pool.
const demoConfig = `# cognito-gate demo configuration (generated)
listen: %s
admin_listen: %s
upstream: %s
pools:
  - user_pool_id: %s
    jwks_url: %s
    allow_http: true          # the fake pool serves its keys over plain http on 127.0.0.1
    client_ids: [%s]
    token_use: access
log:
  level: %s
  format: console
policy:
%s`

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [--listen 127.0.0.1:8080] [--admin-listen 127.0.0.1:9090]\n\nStarts a fake Cognito user pool, a small upstream that echoes what it\nreceives, and the gateway in front of it, all on 127.0.0.1, then prints\ncurl commands with tokens to try. No AWS account or configuration needed.", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "gateway `address` (127.0.0.1:0 picks a free port)")
	admin := fs.String("admin-listen", "127.0.0.1:9090", "admin `address` for /metrics, /healthz, /readyz")
	logLevel := fs.String("log-level", "warn", "log `level`: debug, info, warn, error")
	printConfig := fs.Bool("print-config", false, "print the generated configuration and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, a := range []string{*listen, *admin} {
		if host, _, err := net.SplitHostPort(a); err != nil || !net.ParseIP(host).IsLoopback() {
			return fmt.Errorf("%w: the demo listens on loopback addresses only, got %q", errUsage, a)
		}
	}

	pool, err := fakepool.New(fakepool.Config{PoolID: "us-east-1_DemoPool1"})
	if err != nil {
		return err
	}
	defer pool.Close()

	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	up := &http.Server{Handler: http.HandlerFunc(echoUpstream), ReadHeaderTimeout: 5 * time.Second}
	go up.Serve(upLn)
	defer up.Close()

	text := fmt.Sprintf(demoConfig, *listen, *admin, "http://"+upLn.Addr().String(), pool.PoolID(), pool.JWKSURL(), pool.ClientID(),
		*logLevel, indent(demoPolicy, "  "))
	if *printConfig {
		fmt.Fprint(stdout, text)
		return nil
	}
	cfg, err := parseConfig([]byte(text), "demo.yaml", nil)
	if err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	g, lns, stop, err := startGate(cfg, commandServe, "proxy", (*gate).proxyHandler, true)
	if err != nil {
		return err
	}
	defer stop()
	if err := g.verifier.Hydrate(ctx); err != nil {
		return err
	}

	base := "http://" + lns[0].ln.Addr().String()
	adminURL := "http://" + lns[1].ln.Addr().String()
	adminTok := pool.AccessToken(fakepool.WithUsername("alice"), fakepool.WithGroups("admin"), fakepool.WithScopes("orders/write"))
	readerTok := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("readers"))
	expired := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithIssuedAt(time.Now().Add(-2*time.Hour)))
	idTok := pool.IDToken(fakepool.WithUsername("bob"))
	bobSub := subjectOf(readerTok)

	fmt.Fprintf(stdout, "cognito-gate demo: fake user pool %s, gateway %s, upstream %s\n", pool.PoolID(), base, upLn.Addr())
	fmt.Fprintf(stdout, "policy: public /public/, signed-in GET /api/me, admins /admin/, readers GET /api/reports/, own data /api/users/{sub}/\n\n")
	lines := []struct{ tok, method, path, want string }{
		{"", "", "/public/hello", "200  anonymous access to a public route"},
		{"", "", "/api/me", "401  no token"},
		{readerTok, "", "/api/me", "200  bob's access token; the upstream sees X-Auth-* headers"},
		{readerTok, "", "/api/reports/2026", "200  bob is in readers"},
		{readerTok, "", "/admin/stats", "403  bob is not an admin (group_denied)"},
		{adminTok, "", "/admin/stats", "200  alice is"},
		{readerTok, "POST", "/api/orders", "403  bob lacks the orders/write scope (insufficient_scope)"},
		{adminTok, "POST", "/api/orders", "200  alice has it"},
		{readerTok, "", "/api/users/" + bobSub + "/profile", "200  bob's own data"},
		{adminTok, "", "/api/users/" + bobSub + "/profile", "403  not alice's (claim_denied)"},
		{expired, "", "/api/me", "401  an expired token (invalid_token, expired)"},
		{idTok, "", "/api/me", "401  an ID token where access tokens are required (wrong_token_use)"},
	}
	for _, l := range lines {
		var b strings.Builder
		b.WriteString("curl -i ")
		if l.tok != "" {
			fmt.Fprintf(&b, "-H 'Authorization: Bearer %s' ", l.tok)
		}
		if l.method != "" {
			fmt.Fprintf(&b, "-X %s ", l.method)
		}
		fmt.Fprintf(&b, "%s%s   # %s", base, l.path, l.want)
		fmt.Fprintln(stdout, b.String())
	}
	fmt.Fprintf(stdout, "\nmetrics: curl -s %s/metrics | grep cognito_gate_requests_total\n", adminURL)
	fmt.Fprintf(stdout, "ready:   curl -s %s/readyz\n", adminURL)
	fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
	return g.run(ctx, lns, nil)
}

// echoUpstream answers with what reached it: method, path and the
// identity headers.
func echoUpstream(w http.ResponseWriter, r *http.Request) {
	ids := map[string]string{}
	var names []string
	for name := range r.Header {
		if strings.HasPrefix(name, "X-Auth-") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		ids[n] = r.Header.Get(n)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"upstream": "demo", "method": r.Method, "path": r.URL.Path, "identity": ids,
		"authorization_forwarded": r.Header.Get("Authorization") != "",
	})
}

// subjectOf reads the sub claim of a token minted by the demo's own pool
// (no verification needed: the demo made it).
func subjectOf(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
	}
	if b, err := b64url(parts[1]); err == nil {
		json.Unmarshal(b, &c)
	}
	return c.Sub
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
