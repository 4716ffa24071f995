package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// extAuthzE2EConfig turns on the ext_authz listener of the binary.
const extAuthzE2EConfig = "forward_auth:\n  grpc_listen: 127.0.0.1:0\n"

// startExtAuthz runs `cognito-gate forward-auth` with the ext_authz
// listener and returns the process and a client of it.
func startExtAuthz(t *testing.T, pool *cognitotest.Pool) (*proc, authv3.AuthorizationClient) {
	t.Helper()
	cfg := writeConfig(t, pool, "", extAuthzPolicy, extAuthzE2EConfig)
	p := start(t, []string{"forward-auth", "admin", extAuthzListener}, "forward-auth", "--config", cfg)
	conn, err := grpc.NewClient(strings.TrimPrefix(p.addr[extAuthzListener], "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return p, authv3.NewAuthorizationClient(conn)
}

// TestExtAuthzBinary runs the binary's ext_authz listener over a real
// gRPC connection on 127.0.0.1, as Envoy calls it: allowed, denied and
// refused checks with their answers and counts on /metrics, the HTTP
// forward-auth listener beside it, an HTTP/1 client refused, and a
// graceful stop.
func TestExtAuthzBinary(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	p, client := startExtAuthz(t, pool)
	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"))
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	check := func(t *testing.T, req *authv3.CheckRequest) envoyAnswer {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := client.Check(ctx, req)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		return answerOf(t, resp)
	}
	series := func(result, reason string) string {
		return `cognito_gate_requests_total{reason="` + reason + `",result="` + result + `"}`
	}
	for _, tc := range []struct {
		name           string
		req            *authv3.CheckRequest
		status         int // 200: allowed
		result, reason string
		sub            string
	}{
		{"admin", envoyCheck("DELETE", "api.example.com", "/admin/users/1", bearer(admin), nil), 200, "allowed", "ok", "sub-alice"},
		{"anonymous", envoyCheck("GET", "api.example.com", "/public/x?a=1", nil, nil), 200, "allowed", "ok", ""},
		{"no token", envoyCheck("GET", "api.example.com", "/me", nil, nil), 401, "denied", "missing_token", ""},
		{"group", envoyCheck("GET", "api.example.com", "/admin/x", bearer(bob), nil), 403, "denied", "group_denied", ""},
		{"the route's rule", envoyCheck("GET", "api.example.com", "/public/x", nil, map[string]string{contextExtensionRule: "admin"}), 403, "denied", "no_rule", ""},
		{"spoofed identity", envoyCheck("GET", "api.example.com", "/public/x", map[string]string{"x-auth-groups": "admin"}, nil), 400, "denied", "bad_request", ""},
		{"path trick", envoyCheck("GET", "api.example.com", "/admin/../public/x", nil, nil), 400, "denied", "non_canonical_path", ""},
		{"host list", envoyCheck("GET", "a.example,internal.example.com", "/public/x", nil, nil), 400, "denied", "bad_request", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := metric(t, p, series(tc.result, tc.reason))
			a := check(t, tc.req)
			if tc.status == 200 && !a.allowed || tc.status != 200 && (a.allowed || a.status != tc.status) {
				t.Fatalf("allowed %v, status %d %s; want %d", a.allowed, a.status, a.body, tc.status)
			}
			if a.allowed && a.header.Get("X-Auth-Sub") != tc.sub {
				t.Errorf("x-auth-sub %q, want %q", a.header.Get("X-Auth-Sub"), tc.sub)
			}
			if got := metric(t, p, series(tc.result, tc.reason)); got != before+1 {
				t.Errorf("%s counted %v times, want 1", series(tc.result, tc.reason), got-before)
			}
		})
	}
	// The HTTP forward-auth endpoint still answers on listen.
	resp := get(t, "GET", p.addr["forward-auth"]+"/auth", admin, map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/admin/x", "X-Forwarded-Host": "api.example.com"})
	if resp.StatusCode != 200 || resp.Header.Get("X-Auth-Sub") != "sub-alice" {
		t.Errorf("HTTP forward-auth: %d %q", resp.StatusCode, resp.Header.Get("X-Auth-Sub"))
	}
	// The gRPC listener speaks HTTP/2 only: an HTTP/1 request gets no
	// answer (the connection is reset).
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(p.addr[extAuthzListener], "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(conn, head("GET", "/public/x", "api.example.com"))
	if b, _ := io.ReadAll(conn); len(b) > 0 {
		t.Errorf("an HTTP/1 request was answered: %q", b)
	}
	conn.Close()
	// A graceful stop: the listener closes and the process exits 0.
	p.signal(t, syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.stderr.String())
	}
}

// TestExtAuthzBinaryKeysUnavailable: the binary answers a key outage
// with an explicit 503 denial, never a gRPC error.
func TestExtAuthzBinaryKeysUnavailable(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	pool.SetFault(cognitotest.Fault{Status: 500})
	p, client := startExtAuthz(t, pool)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := client.Check(ctx, envoyCheck("GET", "api.example.com", "/me", bearer(pool.AccessToken()), nil))
	if err != nil {
		t.Fatalf("a key outage is a gRPC error, which failure_mode_allow would allow: %v", err)
	}
	a := answerOf(t, resp)
	if a.allowed || a.status != 503 || codes.Code(a.code) != codes.Unavailable || a.header.Get("Retry-After") == "" {
		t.Errorf("allowed %v, %d, %v, %v", a.allowed, a.status, codes.Code(a.code), a.header)
	}
	if got := metric(t, p, `cognito_gate_requests_total{reason="jwks_unavailable",result="unavailable"}`); got != 1 {
		t.Errorf("jwks_unavailable counted %v times", got)
	}
}

// TestExtAuthzBinaryCanceled: a call Envoy gives up on while the gate
// waits for keys is recorded as canceled.
func TestExtAuthzBinaryCanceled(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	p, client := startExtAuthz(t, pool)
	pool.SetFault(cognitotest.Fault{Hang: true})
	fetches := pool.Fetches()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := client.Check(ctx, envoyCheck("GET", "api.example.com", "/me", bearer(pool.AccessToken(cognitotest.WithUnpublishedKey())), nil))
		errc <- err
	}()
	waitFor(t, "the gate to fetch keys", func() bool { return pool.Fetches() > fetches })
	cancel()
	if err := <-errc; grpcstatus.Code(err) != codes.Canceled {
		t.Fatalf("Check: %v, want Canceled", err)
	}
	waitFor(t, "the call recorded as canceled", func() bool {
		return metric(t, p, `cognito_gate_requests_total{reason="canceled",result="canceled"}`) == 1
	})
	if got := metric(t, p, `cognito_gate_requests_total{reason="jwks_unavailable",result="unavailable"}`); got != 0 {
		t.Errorf("counted as unavailable: %v", got)
	}
}

// TestExtAuthzBinaryReload: a reload (SIGHUP) that replaces the whole
// configuration applies to the ext_authz listener's next call: the new
// policy judges it, the new identity header names are set, the new server
// settings apply (its server is replaced, gracefully: no call fails).
func TestExtAuthzBinaryReload(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	cfg := writeConfig(t, pool, "", extAuthzPolicy, extAuthzE2EConfig)
	p := start(t, []string{"forward-auth", "admin", extAuthzListener}, "forward-auth", "--config", cfg)
	conn, err := grpc.NewClient(strings.TrimPrefix(p.addr[extAuthzListener], "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := authv3.NewAuthorizationClient(conn)
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	check := func() envoyAnswer {
		t.Helper()
		resp, err := client.Check(context.Background(), envoyCheck("GET", "api.example.com", "/open/x", bearer(bob), nil))
		if err != nil {
			t.Fatal(err)
		}
		return answerOf(t, resp)
	}
	if a := check(); a.allowed || a.status != 403 {
		t.Fatalf("before the reload: allowed %v, %d; want 403 (no rule)", a.allowed, a.status)
	}
	// 8 KB of gRPC metadata: within the default server.max_header_bytes,
	// over the one the reload sets.
	padded := func() error {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-pad", strings.Repeat("a", 8<<10))
		_, err := client.Check(ctx, envoyCheck("GET", "api.example.com", "/open/x", bearer(bob), nil))
		return err
	}
	if err := padded(); err != nil {
		t.Fatalf("8 KB of metadata before the reload: %v", err)
	}
	// Calls on another connection meanwhile: none may fail while the
	// listener's server is replaced. The first connection stays idle: the
	// old server must hand it over too (HTTP/2 GOAWAY), not keep serving
	// it with the old settings.
	busy, err := grpc.NewClient(strings.TrimPrefix(p.addr[extAuthzListener], "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyClient := authv3.NewAuthorizationClient(busy)
	var calls atomic.Int64
	stop, failed := make(chan struct{}), make(chan error, 1)
	go func() {
		defer close(failed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := busyClient.Check(context.Background(), envoyCheck("GET", "api.example.com", "/open/x", bearer(bob), nil)); err != nil {
				failed <- err
				return
			}
			calls.Add(1)
		}
	}()
	dir := filepath.Dir(cfg)
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(extAuthzPolicy+"  - name: open\n    route: /open/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "identity_headers:\n  sub: X-User\nserver:\n  max_header_bytes: 4096\n")
	f.Close()
	for calls.Load() == 0 {
		runtime.Gosched()
	}
	p.signal(t, syscall.SIGHUP)
	waitLog(t, p, "configuration reloaded")
	// The old server's GOAWAY may reach the client just after the log
	// line: a call may still be taken by the old server, not for long
	// (without the hand-over, until server.shutdown_timeout is over).
	for deadline := time.Now().Add(2 * time.Second); padded() == nil; {
		if time.Now().After(deadline) {
			t.Fatal("8 KB of metadata after the reload set server.max_header_bytes to 4096: still accepted 2 s later; the ext_authz listener kept its start-up server settings")
		}
	}
	a := check()
	if !a.allowed || a.header.Get("X-User") != "sub-bob" || a.header.Get("X-Auth-Sub") != "" || !slices.Contains(a.remove, "x-auth-sub") {
		t.Fatalf("after the reload: allowed %v (%d), headers %v, removed %q", a.allowed, a.status, a.header, a.remove)
	}
	close(stop)
	if err := <-failed; err != nil {
		t.Fatalf("a call failed while the server was replaced (after %d calls): %v", calls.Load(), err)
	}
}
