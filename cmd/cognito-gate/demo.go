package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
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

// demoConfigNote heads the output of --print-config: the configuration
// names the fake pool's key endpoint and the demo upstream, which live only
// as long as the demo process.
const demoConfigNote = `# Printed by 'cognito-gate demo --print-config', and valid while that demo
# runs: the demo serves the fake user pool's keys (jwks_url) and the demo
# upstream (upstream). Start the gateway with:
#   cognito-gate serve --config <this file>
`

// demoConfigEnd is the last line of --print-config's output.
const demoConfigEnd = "# end of the demo configuration\n"

const demoSynopsis = `demo [--listen 127.0.0.1:8080] [--admin-listen 127.0.0.1:8081] [--log-level warn] [--print-config]

Starts a fake Cognito user pool, a small upstream that echoes what it
receives, and the gateway in front of it, all on loopback addresses, then
prints curl commands with tokens to try. No AWS account or configuration
needed. The addresses must be loopback ones (127.0.0.1, ::1, localhost):
the fake pool's keys are public test keys.

With --print-config, the demo prints the gateway's configuration on stdout
and runs only the fake pool and the upstream, until Ctrl-C; run the gateway
yourself with 'cognito-gate serve --config <file>' on that output. The
curl commands then go to stderr.`

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", demoSynopsis, stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "gateway `address` on loopback (127.0.0.1:0 picks a free port)")
	admin := fs.String("admin-listen", defaultAdminListen, "admin `address` on loopback, for /metrics, /healthz, /readyz")
	logLevel := fs.String("log-level", "warn", "log `level`: debug, info, warn, error")
	printConfig := fs.Bool("print-config", false, "print the gateway's configuration, then run only the fake pool and the upstream (for cognito-gate serve)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// A usage mistake is explained, then the usage: run prints nothing
	// for errUsage.
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "cognito-gate demo: "+format+"\n\n", a...)
		fs.Usage()
		return errUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	addrs := []*demoAddr{{flag: "--listen", value: *listen}, {flag: "--admin-listen", value: *admin}}
	for _, a := range addrs {
		addr, err := loopbackAddr(a.value)
		if err != nil {
			return usageErr("%s %s", a.flag, err)
		}
		a.addr = addr
	}
	if addrs[0].addr == addrs[1].addr && !strings.HasSuffix(addrs[0].addr, ":0") {
		return usageErr("--listen and --admin-listen are both %s; give them different ports", addrs[0].addr)
	}
	if *printConfig {
		// serve will listen on these: fix a free port for ":0" now, so
		// that the configuration and the curl commands name it, and say
		// at once which flag moves a busy one.
		for _, a := range addrs {
			if err := a.reserve(); err != nil {
				return err
			}
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

	text := fmt.Sprintf(demoConfig, addrs[0].addr, addrs[1].addr, "http://"+upLn.Addr().String(), pool.PoolID(), pool.JWKSURL(), pool.ClientID(),
		*logLevel, indent(demoPolicy, "  "))
	if *printConfig {
		return demoPrintConfig(ctx, text, pool, upLn.Addr().String(), addrs, stdout, stderr)
	}
	cfg, err := parseConfig([]byte(text), "demo.yaml", nil)
	if err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	// The instance serve runs (reload.go), on the demo's configuration.
	in, err := newInstance(cfg, commandServe, "proxy", (*gate).proxyHandler, true)
	if err != nil {
		return err
	}
	lns, err := in.listen()
	if err != nil {
		in.close()
		return listenError(err, addrs)
	}
	if err := in.current().g.verifier.Hydrate(ctx); err != nil {
		closeListeners(lns)
		in.close()
		return err
	}

	base := "http://" + lns[0].ln.Addr().String()
	adminURL := "http://" + lns[1].ln.Addr().String()
	fmt.Fprintf(stdout, "cognito-gate demo: fake user pool %s, gateway %s, upstream %s\n", pool.PoolID(), base, upLn.Addr())
	printDemoCommands(stdout, pool, base, adminURL)
	return in.serve(ctx, lns, nil)
}

// demoPrintConfig prints the configuration text for `cognito-gate serve`
// on stdout and the curl commands to try through that gateway on stderr,
// then keeps the fake pool and the upstream running until ctx ends or the
// process is interrupted.
func demoPrintConfig(ctx context.Context, text string, pool *fakepool.Pool, upstream string, addrs []*demoAddr, stdout, stderr io.Writer) error {
	// What is printed must load: the same check as serve's.
	if _, err := parseConfig([]byte(text), "demo.yaml", nil); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	first, rest, _ := strings.Cut(text, "\n")
	fmt.Fprint(stdout, first+"\n"+demoConfigNote+rest+demoConfigEnd)
	fmt.Fprintf(stderr, "cognito-gate demo: fake user pool %s and upstream %s are running; the gateway is yours to start:\n", pool.PoolID(), upstream)
	fmt.Fprintf(stderr, "  cognito-gate serve --config <the configuration above>\n")
	printDemoCommands(stderr, pool, "http://"+addrs[0].addr, "http://"+addrs[1].addr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// printDemoCommands prints the demo's curl commands against the gateway at
// base (and its admin listener at adminURL), with tokens of pool.
func printDemoCommands(out io.Writer, pool *fakepool.Pool, base, adminURL string) {
	adminTok := pool.AccessToken(fakepool.WithUsername("alice"), fakepool.WithGroups("admin"), fakepool.WithScopes("orders/write"))
	readerTok := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("readers"))
	expired := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithIssuedAt(time.Now().Add(-2*time.Hour)))
	idTok := pool.IDToken(fakepool.WithUsername("bob"))
	machineTok := pool.ClientCredentialsToken(fakepool.WithScopes("reports/read"))
	bobSub := subjectOf(readerTok)

	fmt.Fprintf(out, "policy: public /public/, signed-in GET /api/me, admins /admin/, readers (or the reports/read scope) GET /api/reports/, own data /api/users/{sub}/\n\n")
	lines := []struct{ tok, method, path, want string }{
		{"", "", "/public/hello", "200  anonymous access to a public route"},
		{"", "", "/api/me", "401  no token"},
		{readerTok, "", "/api/me", "200  bob's access token; the upstream sees X-Auth-* headers"},
		{readerTok, "", "/api/reports/2026", "200  bob is in readers"},
		{machineTok, "", "/api/reports/2026", "200  " + demoMachineLine},
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
		fmt.Fprintln(out, b.String())
	}
	fmt.Fprintf(out, "\nmetrics: curl -s %s/metrics | grep cognito_gate_requests_total\n", adminURL)
	fmt.Fprintf(out, "ready:   curl -s %s/readyz\n", adminURL)
	fmt.Fprintln(out, "Press Ctrl-C to stop.")
}

// demoMachineLine is the comment of the demo's machine-to-machine curl
// line.
const demoMachineLine = "a machine token (client credentials, scope reports/read): X-Auth-Caller-Type: machine, X-Auth-Caller: the client id, no X-Auth-Username"

// demoAddr is one of the demo's listen flags: its name, its value as
// given and the loopback address it stands for.
type demoAddr struct {
	flag, value, addr string
}

// reserve replaces a ":0" port by a free one, and fails, naming the flag,
// when the address cannot be listened on.
func (a *demoAddr) reserve() error {
	ln, err := net.Listen("tcp", a.addr)
	if err != nil {
		return listenError(err, []*demoAddr{a})
	}
	a.addr = ln.Addr().String()
	return ln.Close()
}

// listenError explains a failure to listen on one of addrs by the flag
// that moves it; other errors are returned as they are.
func listenError(err error, addrs []*demoAddr) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" || op.Addr == nil {
		return err
	}
	for _, a := range addrs {
		if op.Addr.String() != a.addr {
			continue
		}
		what := "cannot be listened on"
		if errors.Is(err, syscall.EADDRINUSE) {
			what = "is in use"
		}
		return fmt.Errorf("%s %s %s (%w); choose another address with %s, e.g. %s 127.0.0.1:0 for a free port", a.flag, a.addr, what, op.Err, a.flag, a.flag)
	}
	return err
}

// loopbackAddr checks a listen address given to the demo and returns it
// as IP:port: the host must be a loopback IP or "localhost" (which stands
// for 127.0.0.1), the port a number. The demo mints tokens with public
// test keys, so it never listens where other machines could reach it.
func loopbackAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if !strings.Contains(s, ":") || net.ParseIP(s) != nil {
			return "", fmt.Errorf("%q has no port; want host:port, e.g. 127.0.0.1:8080 or localhost:8080", s)
		}
		return "", fmt.Errorf("%q: want host:port, e.g. 127.0.0.1:8080 or localhost:8080", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("%q: the port %q is not a number from 0 to 65535", s, port)
	}
	if host == "" {
		return "", fmt.Errorf("%q would listen on every interface; the demo listens on loopback addresses only (127.0.0.1, ::1, localhost): its tokens are signed with public test keys", s)
	}
	if strings.EqualFold(host, "localhost") {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return "", fmt.Errorf("%q: the host %q is neither an IP address nor localhost; the demo listens on loopback addresses only (127.0.0.1, ::1, localhost)", s, host)
	case !ip.IsLoopback():
		return "", fmt.Errorf("%q is not a loopback address; the demo listens on loopback addresses only (127.0.0.1, ::1, localhost): its tokens are signed with public test keys", s)
	}
	return net.JoinHostPort(ip.String(), port), nil
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
