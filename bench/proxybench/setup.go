package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// benchPoolID is the fake pool's id.
const benchPoolID = "us-east-1_ProxyBench"

// Paths the requests go to: the gate's policy allows any valid token on
// /api/ and anyone on /public/.
const (
	apiPath    = "/api/items?page=1"
	publicPath = "/public/items?page=1"
)

// tokens are the requests' credentials, all of the same length.
type tokens struct {
	cached   string   // the same token every request
	distinct []string // cycled
	invalid  string   // cached with another token's signature
}

// mintTokens mints n distinct access tokens and the repeated one, with
// usernames of one width so that every token has the same length, on
// every CPU (minting is not timed).
func mintTokens(pool *fakepool.Pool, n int) (tokens, error) {
	mint := func(user string) string {
		return pool.AccessToken(fakepool.WithUsername(user), fakepool.WithSubject("sub-"+user), fakepool.WithScopes("openid", "items/read"))
	}
	t := tokens{distinct: make([]string, n)}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				t.distinct[i] = mint(fmt.Sprintf("bench-d%06d", i))
			}
		})
	}
	t.cached = mint("bench-c000000")
	other := mint("bench-x000000")
	wg.Wait()
	t.invalid = t.cached[:strings.LastIndexByte(t.cached, '.')] + other[strings.LastIndexByte(other, '.'):]
	for _, tok := range append([]string{t.invalid}, t.distinct...) {
		if len(tok) != len(t.cached) {
			return t, fmt.Errorf("minted tokens of %d and %d bytes; the run needs one length", len(tok), len(t.cached))
		}
	}
	return t, nil
}

// subject is one path measured: where the requests go, what they are, and
// which processes take part.
type subject struct {
	name   string
	desc   string
	addr   string
	w      workload
	groups []group
	gate   *gateproc.Gateway // whose cache hit ratio is reported; nil for none
}

// env is everything the run started.
type env struct {
	dir      string
	pool     *fakepool.Pool
	issuer   *issuerServer
	toks     tokens
	bin      string
	upstream string
	upGroup  group
	self     group
	procs    []*proc
	gates    []*gateproc.Gateway
	subjects []*subject
	notes    []string
}

func (e *env) close() {
	for _, g := range e.gates {
		g.Stop()
	}
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].stop()
	}
	if e.issuer != nil {
		e.issuer.srv.Close()
	}
	if e.pool != nil {
		e.pool.Close()
	}
}

// selfCmd re-executes this program in a role (see runRole).
func selfCmd(role string, extraEnv ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), extraEnv...)
	return cmd, nil
}

// startGate writes a configuration and starts the gate on it, with env
// added to its environment.
func (e *env) startGate(ctx context.Context, command, name string, s gateSpec, env ...string) (*gateproc.Gateway, error) {
	cfg, err := writeGateConfig(e.dir, name, s)
	if err != nil {
		return nil, err
	}
	g, err := gateproc.Start(ctx, e.bin, command, cfg, e.dir+"/"+name+".log", env...)
	if err != nil {
		return nil, err
	}
	e.gates = append(e.gates, g)
	if _, err := g.WaitReady(ctx, 30e9); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return g, nil
}

// hostport strips the scheme of a gateproc URL.
func hostport(u string) string { return strings.TrimPrefix(u, "http://") }

// setup starts the pool, the upstream, the bare proxy, the gates and the
// peers that are installed, and lists the subjects. A peer left out (its
// binary missing) is noted, not an error.
func setup(ctx context.Context, o options, logf func(string, ...any)) (*env, error) {
	e := &env{bin: o.binary}
	var err error
	if e.dir, err = os.MkdirTemp("", "proxybench"); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	if e.bin == "" {
		logf("building cognito-gate")
		if e.bin, err = gateproc.Build(ctx, e.dir, false); err != nil {
			return nil, err
		}
	}
	is, ln, err := startIssuerServer()
	if err != nil {
		return nil, err
	}
	e.issuer = is
	if e.pool, err = fakepool.New(fakepool.Config{PoolID: benchPoolID, Issuer: is.url + "/" + benchPoolID}); err != nil {
		ln.Close()
		return nil, err
	}
	is.pool = e.pool
	go is.srv.Serve(ln)
	logf("minting %d tokens", o.tokens)
	if e.toks, err = mintTokens(e.pool, o.tokens); err != nil {
		return nil, err
	}
	e.self = group{label: "loadgen", pids: []int{os.Getpid()}}

	cmd, err := selfCmd("upstream")
	if err != nil {
		return nil, err
	}
	up, addr, err := startProc(ctx, e.dir, "upstream", cmd, "upstream", "")
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, up)
	e.upstream = addr
	e.upGroup = group{label: "upstream", pids: []int{up.pid()}}

	cmd, err = selfCmd("bare", "PROXYBENCH_UPSTREAM=http://"+e.upstream)
	if err != nil {
		return nil, err
	}
	bare, bareAddr, err := startProc(ctx, e.dir, "bare", cmd, "bare", "")
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, bare)

	pool := poolSpec{id: benchPoolID, issuer: e.pool.Issuer(), jwksURL: is.jwksURL(benchPoolID), clientID: e.pool.ClientID()}
	serve, err := e.startGate(ctx, "serve", "serve", gateSpec{upstream: e.upstream, pools: []poolSpec{pool}})
	if err != nil {
		return nil, err
	}
	nocache, err := e.startGate(ctx, "serve", "serve-nocache", gateSpec{upstream: e.upstream, pools: []poolSpec{pool}, cacheOff: true})
	if err != nil {
		return nil, err
	}
	churn, err := e.startGate(ctx, "serve", "serve-churn", gateSpec{upstream: e.upstream, pools: []poolSpec{pool}, maxEntries: o.churnEntries})
	if err != nil {
		return nil, err
	}
	fa, err := e.startGate(ctx, "forward-auth", "forward-auth", gateSpec{pools: []poolSpec{pool}})
	if err != nil {
		return nil, err
	}

	cred := credLine(e.toks.cached)
	api := func(addr string, toks []string, want int) workload {
		return newWorkload(addr, apiPath, toks, cred, want)
	}
	one := []string{e.toks.cached}
	gateGroup := func(g *gateproc.Gateway, label string) group { return group{label: label, pids: []int{g.Pid()}} }
	add := func(name, desc, addr string, w workload, gate *gateproc.Gateway, groups ...group) {
		groups = append(groups, e.upGroup, e.self)
		e.subjects = append(e.subjects, &subject{name: name, desc: desc, addr: addr, w: w, groups: groups, gate: gate})
	}
	bareG := group{label: "proxy", pids: []int{bare.pid()}}
	add("upstream", "the upstream alone", e.upstream, api(e.upstream, one, http.StatusOK), nil)
	add("bare", "bare httputil.ReverseProxy", bareAddr, api(bareAddr, one, http.StatusOK), nil, bareG)
	sa, sg := hostport(serve.Main), gateGroup(serve, "proxy")
	add("serve-anon", "serve, anonymous route, no token (a padding header of the token's size)", sa,
		newWorkload(sa, publicPath, nil, cred, http.StatusOK), serve, sg)
	add("serve-cached", "serve, one valid token repeated (cache hits)", sa, api(sa, one, http.StatusOK), serve, sg)
	add("serve-distinct", fmt.Sprintf("serve, %d distinct valid tokens cycled, cache on (default size)", o.tokens), sa,
		api(sa, e.toks.distinct, http.StatusOK), serve, sg)
	na := hostport(nocache.Main)
	add("serve-nocache", "serve, distinct tokens, token cache off (RSA every request)", na,
		api(na, e.toks.distinct, http.StatusOK), nocache, gateGroup(nocache, "proxy"))
	ca := hostport(churn.Main)
	add("serve-churn", fmt.Sprintf("serve, %d distinct tokens through a cache of %d entries (churn)", o.tokens, o.churnEntries), ca,
		api(ca, e.toks.distinct, http.StatusOK), churn, gateGroup(churn, "proxy"))
	add("serve-invalid", "serve, an invalid token (bad signature: 401)", sa,
		api(sa, []string{e.toks.invalid}, http.StatusUnauthorized), serve, sg)

	faAddr := hostport(fa.Main)
	faG := gateGroup(fa, "auth")
	if o.nginx != "" {
		p, a, err := startNginx(ctx, o.nginx, e.dir, e.upstream, faAddr)
		if err != nil {
			return nil, err
		}
		e.procs = append(e.procs, p)
		ng := group{label: "proxy", pids: append([]int{p.pid()}, childrenOf(p.pid())...)}
		add("nginx", "nginx proxy_pass alone", a.alone, api(a.alone, one, http.StatusOK), nil, ng)
		add("nginx-fa", "nginx + auth_request -> forward-auth, upstream { keepalive } block", a.keepalive,
			api(a.keepalive, one, http.StatusOK), fa, ng, faG)
		add("nginx-fa-conn", "nginx + auth_request -> forward-auth, a new connection per subrequest", a.perRequest,
			api(a.perRequest, one, http.StatusOK), fa, ng, faG)
	} else {
		e.notes = append(e.notes, "nginx not found: its rows are left out")
	}
	if o.caddy != "" {
		p, a, err := startCaddy(ctx, o.caddy, e.dir, e.upstream, faAddr)
		if err != nil {
			return nil, err
		}
		e.procs = append(e.procs, p)
		cg := group{label: "proxy", pids: []int{p.pid()}}
		add("caddy", "Caddy reverse_proxy alone", a[0], api(a[0], one, http.StatusOK), nil, cg)
		add("caddy-fa", "Caddy + forward_auth -> forward-auth", a[1], api(a[1], one, http.StatusOK), fa, cg, faG)
	} else {
		e.notes = append(e.notes, "caddy not found: its rows are left out")
	}
	if o.oauth2Proxy != "" {
		p, addr, err := startOAuth2Proxy(ctx, o.oauth2Proxy, e.dir, e.upstream, e.pool.Issuer(), e.pool.ClientID())
		if err != nil {
			return nil, err
		}
		e.procs = append(e.procs, p)
		add("oauth2-proxy", "oauth2-proxy, bearer JWT, the same token", addr, api(addr, one, http.StatusOK), nil,
			group{label: "proxy", pids: []int{p.pid()}})
	} else {
		e.notes = append(e.notes, "oauth2-proxy not given (--oauth2-proxy): its row is left out")
	}
	ok = true
	return e, nil
}
