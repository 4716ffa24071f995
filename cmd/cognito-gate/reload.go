package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/heapfloor"
	"github.com/cognito-gate/cognito-gate/livecheck"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// hydrateTimeout bounds the wait for key sets at start-up and when a
// reload starts a new key cache.
const hydrateTimeout = 10 * time.Second

// instance is a serving process (serve, forward-auth) whose configuration
// a reload replaces as a whole. Each configuration runs as a generation:
// a gate (verifier, middleware, identity headers, upstream, ...) and the
// handlers built on it. Requests go to the current generation, which a
// reload swaps atomically once the new one is complete; what needs a
// restart is refused, never half-applied. The metrics registry, the
// request counters, the drain state, the listeners and the logger live
// across generations.
type instance struct {
	cmd, name    string
	handler      func(*gate) http.Handler
	needUpstream bool

	logger *zap.Logger
	level  zap.AtomicLevel

	reg         *prometheus.Registry
	metrics     *middleware.Metrics
	proxyErrors *prometheus.CounterVec
	keyMetrics  *switchingCollector
	limits      *limitGauges
	drain       *drainState
	revocation  *denyList // the deny list (revocation.go), across generations
	// assertionKeys is the assertion key set (assertion.go), across
	// generations.
	assertionKeys *assertionKeys
	// live is the live check (livecheck.go), across generations; nil
	// without one.
	live *livecheck.Checker

	cur atomic.Pointer[generation]

	// hydrate bounds key set waits; tests shorten it.
	hydrate time.Duration

	// heap is the collector's heap floor (heapfloor.go), set by
	// serveWith; nil in tests and under GOGC.
	heap *heapfloor.Tuner

	run  *runner
	done chan struct{} // closed when the instance stops
	wg   sync.WaitGroup
}

// generation is one configuration running.
type generation struct {
	g     *gate
	main  http.Handler
	admin http.Handler
	// listenTLS and adminTLS are the listeners' TLS configurations, nil
	// for plain HTTP.
	listenTLS, adminTLS *tls.Config
}

// newInstance builds the instance of cfg for cmd, whose main listener
// serves handler. Nothing listens yet (see listen).
func newInstance(cfg *gateConfig, cmd, name string, handler func(*gate) http.Handler, needUpstream bool) (*instance, error) {
	zc, err := loggerConfig(cfg.raw.Log)
	if err != nil {
		return nil, err
	}
	logger, err := zc.Build()
	if err != nil {
		return nil, err
	}
	return newInstanceLogging(cfg, cmd, name, handler, needUpstream, logger, zc.Level)
}

// newInstanceLogging is newInstance with the logger given (and the level
// that log.level sets on each reload); in-process tests log to theirs.
func newInstanceLogging(cfg *gateConfig, cmd, name string, handler func(*gate) http.Handler, needUpstream bool, logger *zap.Logger, level zap.AtomicLevel) (*instance, error) {
	var err error
	in := &instance{cmd: cmd, name: name, handler: handler, needUpstream: needUpstream, logger: logger, level: level,
		reg: prometheus.NewRegistry(), keyMetrics: &switchingCollector{}, limits: newLimitGauges(), drain: &drainState{},
		hydrate: hydrateTimeout, done: make(chan struct{})}
	if in.metrics, err = middleware.NewMetrics(in.reg, nil); err != nil {
		logger.Sync()
		return nil, err
	}
	in.proxyErrors = newProxyErrors()
	in.reg.MustRegister(append(in.limits.collectors(), in.proxyErrors, in.keyMetrics, newBuildInfoGauge(readBuildInfo()),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))...)
	in.revocation = newDenyList(cfg.revocation, logger)
	in.reg.MustRegister(in.revocation.collectors()...)
	in.assertionKeys = newAssertionKeys()
	in.reg.MustRegister(in.assertionKeys.collectors()...)
	if in.live, err = newLiveChecker(cfg, in.reg); err != nil {
		logger.Sync()
		return nil, err
	}
	gen, err := in.build(context.Background(), cfg, nil)
	if err != nil {
		logger.Sync()
		return nil, err
	}
	in.install(gen)
	in.revocation.start()
	for _, w := range append(cfg.warnings(cmd), cfg.operationsWarnings()...) {
		logger.Warn("configuration: " + w)
	}
	return in, nil
}

// newProxyErrors is cognito_gate_proxy_errors_total, its series started.
func newProxyErrors() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: middleware.Namespace, Subsystem: "proxy", Name: "errors_total",
		Help: "Allowed requests the proxy could not complete, by cause: upstream (502), client (a broken request body, 400), canceled (the client went away).",
	}, []string{"cause"})
	for _, cause := range []string{causeUpstream, causeClient, causeCanceled} {
		c.WithLabelValues(cause)
	}
	return c
}

func (in *instance) current() *generation { return in.cur.Load() }

// build makes the generation of cfg. The key cache of prev is kept when
// the verification settings (pools, algorithms, leeway, jwks, token_cache)
// did not change, so that a reload of anything else fetches no key; else
// a new verifier is started, taking over prev's key sets of the pools
// whose key set address did not change (jwks.Config.Carry: their keys are
// not fetched again), and, on a reload, given hydrate to load the other
// keys, and refused if a pool whose keys prev holds has none in it.
func (in *instance) build(ctx context.Context, cfg *gateConfig, prev *generation) (*generation, error) {
	g := &gate{cfg: cfg, logger: in.logger, reg: in.reg, proxyErrors: in.proxyErrors}
	g.revocation = in.revocation
	fresh := prev == nil || !sameVerification(prev.g.cfg, cfg)
	if fresh {
		cc := cfg.claims
		cc.JWKS.Observer = middleware.LogJWKS(in.logger)
		cc.Denylist = in.revocation.denylist()
		if prev != nil {
			// The pools whose key set address stays keep their keys: a
			// reload that adds a pool fetches that pool's only.
			cc.JWKS.Carry = prev.g.verifier.Keys()
		}
		v, err := claims.New(cc)
		if err != nil {
			return nil, err
		}
		g.verifier = v
	} else {
		g.verifier = prev.g.verifier
	}
	// closeNew releases what this build started, on failure.
	closeNew := func() {
		if fresh {
			g.verifier.Close()
		}
		if g.alb != nil {
			g.alb.Close()
		}
	}
	if err := g.newMiddleware(in.metrics, in.live); err != nil {
		closeNew()
		return nil, err
	}
	if fresh && prev != nil {
		if err := keysLost(ctx, in.hydrate, prev.g.verifier, g.verifier); err != nil {
			closeNew()
			return nil, err
		}
	}
	if err := in.assertionKeys.attach(g); err != nil {
		closeNew()
		return nil, err
	}
	gen := &generation{g: g, main: in.drain.closeConnections(in.handler(g)), admin: in.drain.readiness(g.adminHandler(in.needUpstream))}
	if lt := cfg.ops.listenTLS; lt != nil {
		gen.listenTLS = lt.pair.serverConfig(lt.minVersion)
	}
	if at := cfg.ops.adminTLS; at != nil {
		gen.adminTLS = at.pair.serverConfig(at.minVersion)
	}
	return gen, nil
}

// keysLost waits up to timeout for next's key sets and reports the issuers
// whose keys prev holds but next could not load.
func keysLost(ctx context.Context, timeout time.Duration, prev, next *claims.Verifier) error {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	next.Hydrate(hctx) // errors are judged per issuer below
	var lost []string
	for _, s := range next.Keys().Sets() {
		st := s.Status()
		if old := prev.Keys().Set(st.Issuer); old != nil && old.Status().Usable && !st.Usable {
			msg := st.Issuer
			if st.LastError != nil {
				msg += ": " + st.LastError.Error()
			}
			lost = append(lost, msg)
		}
	}
	if len(lost) > 0 {
		return fmt.Errorf("the new key cache could not load the keys of %s, which the current one holds", strings.Join(lost, "; "))
	}
	return nil
}

// sameVerification reports whether a and b configure the same verifier.
func sameVerification(a, b *gateConfig) bool { return reflect.DeepEqual(a.claims, b.claims) }

// install makes gen current and sets what follows it: the key set metrics,
// the limit gauges, the log level.
func (in *instance) install(gen *generation) {
	in.cur.Store(gen)
	in.keyMetrics.set(gen.g.verifier)
	in.limits.set(&gen.g.cfg.raw)
	in.level.UnmarshalText([]byte(orDefault(gen.g.cfg.raw.Log.Level, "info")))
}

// listen opens the main and admin listeners of the current generation.
// They serve whatever generation is current (see reload).
func (in *instance) listen() ([]listener, error) {
	gen := in.current()
	raw := gen.g.cfg.raw
	mln, err := net.Listen("tcp", raw.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	aln, err := net.Listen("tcp", raw.AdminListen)
	if err != nil {
		mln.Close()
		return nil, fmt.Errorf("admin_listen: %w", err)
	}
	lns := []listener{
		{name: in.name, srv: in.server(gen, in.mainHandler), ln: mln},
		{name: "admin", srv: in.server(gen, in.adminHandler), ln: aln, drain: in.drain.start},
	}
	if gen.listenTLS != nil {
		lns[0].tls = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return in.current().listenTLS, nil }}
	}
	if gen.adminTLS != nil {
		lns[1].tls = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return in.current().adminTLS, nil }}
	}
	return lns, nil
}

func (in *instance) mainHandler(w http.ResponseWriter, r *http.Request) {
	in.current().main.ServeHTTP(w, r)
}

func (in *instance) adminHandler(w http.ResponseWriter, r *http.Request) {
	in.current().admin.ServeHTTP(w, r)
}

// server is an http.Server with gen's server settings serving h.
func (in *instance) server(gen *generation, h http.HandlerFunc) *http.Server { return gen.g.server(h) }

// serve runs the instance on lns until a stop signal (see runner), with
// the file watch (see watch.go), then releases it.
func (in *instance) serve(ctx context.Context, lns []listener, out io.Writer) error {
	triggers := make(chan struct{}, 1)
	raw := in.current().g.cfg.raw
	in.run = &runner{logger: in.logger, lns: lns, out: out, reload: func() { in.reload(ctx) }, triggers: triggers,
		drainDelay: raw.Server.DrainDelay, shutdownTimeout: raw.Server.ShutdownTimeout}
	w := &watcher{in: in, triggers: triggers}
	in.wg.Add(1)
	go func() { defer in.wg.Done(); w.loop(in.done, nil) }()
	err := in.run.run(ctx)
	in.close()
	return err
}

// close stops the watch and the verifiers' background work.
func (in *instance) close() {
	select {
	case <-in.done:
		return
	default:
	}
	close(in.done)
	in.wg.Wait()
	if gen := in.current(); gen != nil {
		gen.g.Close()
	}
	if in.live != nil {
		in.live.Close()
	}
	in.logger.Sync()
}

// errRestart marks a change a reload refuses: it needs a restart.
var errRestart = errors.New("needs a restart")

// reload re-reads the configuration file and, when it loads and needs no
// restart, swaps in a generation built from it; anything else is logged
// and changes nothing. On a success the listeners whose server settings
// changed get a new server (new connections only; see slot.serve), the
// replaced key cache and load balancer verifier are closed after the
// shutdown timeout.
func (in *instance) reload(ctx context.Context) {
	in.revocation.reload()
	prev := in.current()
	file := prev.g.cfg.file
	next, err := loadConfig(file, nil)
	if err == nil {
		err = next.forCommand(in.cmd)
	}
	if err == nil {
		err = restartOnly(prev.g.cfg, next)
	}
	var gen *generation
	if err == nil {
		gen, err = in.build(ctx, next, prev)
	}
	if err != nil {
		msg := "reload failed; keeping the current configuration"
		if errors.Is(err, errRestart) {
			msg = "reload refused; keeping the current configuration (restart to apply)"
		}
		in.logger.Error(msg, zap.String("config", file), zap.Error(err))
		return
	}
	in.install(gen)
	in.setHeapFloor(next.raw.Server)
	changed := changedSections(&prev.g.cfg.raw, &next.raw)
	if in.run != nil {
		if httpSettings(prev.g.cfg.raw.Server) != httpSettings(next.raw.Server) {
			in.replaceServers(gen, prev.g.cfg.raw.Server.ShutdownTimeout)
		}
		in.run.shutdownTimeout = next.raw.Server.ShutdownTimeout
		in.run.drainDelay = next.raw.Server.DrainDelay
	}
	in.retire(prev, gen, prev.g.cfg.raw.Server.ShutdownTimeout)
	for _, w := range append(next.warnings(in.cmd), next.operationsWarnings()...) {
		in.logger.Warn("configuration: " + w)
	}
	in.logger.Info("configuration reloaded", zap.String("config", file), zap.Strings("changed", changed),
		zap.Bool("key_cache_kept", gen.g.verifier == prev.g.verifier), zap.Strings("key_sets_fetched", fetchedAnew(prev, gen)),
		zap.Strings("rules", next.policy.Rules()))
}

// fetchedAnew lists the issuers whose key sets gen fetched rather than
// took over from prev (see build): none when the key cache was kept.
func fetchedAnew(prev, gen *generation) []string {
	out := []string{}
	if gen.g.verifier == prev.g.verifier {
		return out
	}
	for _, s := range gen.g.verifier.Keys().Sets() {
		if old := prev.g.verifier.Keys().Set(s.Issuer()); s.URL() != "" && (old == nil || old.URL() != s.URL()) {
			out = append(out, s.Issuer())
		}
	}
	return out
}

// httpSettings are the server settings an http.Server holds.
func httpSettings(s serverConfig) [5]int64 {
	return [5]int64{int64(s.ReadHeaderTimeout), int64(s.ReadTimeout), int64(s.WriteTimeout), int64(s.IdleTimeout), int64(s.MaxHeaderBytes)}
}

// replaceServers gives the main, admin and ext_authz listeners new
// servers with gen's settings; the old ones finish their connections
// within grace.
func (in *instance) replaceServers(gen *generation, grace time.Duration) {
	for _, s := range in.run.slots {
		switch s.name {
		case in.name:
			s.serve(in.server(gen, in.mainHandler), grace)
		case "admin":
			s.serve(in.server(gen, in.adminHandler), grace)
		case extAuthzListener:
			s.serve(gen.g.extAuthzServer(s.handler()), grace) // the same gRPC server, which judges with the current gate
		}
	}
}

// retire closes, after grace (for the requests that still use them), the
// verifiers of prev that gen does not use.
func (in *instance) retire(prev, gen *generation, grace time.Duration) {
	var closers []func()
	if prev.g.verifier != gen.g.verifier {
		closers = append(closers, func() { prev.g.verifier.Close() })
	}
	if prev.g.alb != nil && prev.g.alb != gen.g.alb {
		closers = append(closers, func() { prev.g.alb.Close() })
	}
	if len(closers) == 0 {
		return
	}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
		case <-in.done:
		}
		for _, c := range closers {
			c()
		}
	}()
}

// restartOnly refuses the changes from a to b that a running process
// cannot apply: the listen addresses, turning TLS on or off for a
// listener, the log format.
func restartOnly(a, b *gateConfig) error {
	var errs []error
	diff := func(key, x, y string) {
		if x != y {
			errs = append(errs, fmt.Errorf("%s: %q -> %q: %w", key, x, y, errRestart))
		}
	}
	diff("listen", a.raw.Listen, b.raw.Listen)
	diff("admin_listen", a.raw.AdminListen, b.raw.AdminListen)
	diff("forward_auth.grpc_listen", a.raw.ForwardAuth.GRPCListen, b.raw.ForwardAuth.GRPCListen)
	diff("tls", tlsState(a.ops.listenTLS), tlsState(b.ops.listenTLS))
	diff("admin_tls", tlsState(a.ops.adminTLS), tlsState(b.ops.adminTLS))
	diff("log.format", orDefault(a.raw.Log.Format, "json"), orDefault(b.raw.Log.Format, "json"))
	errs = append(errs, revocationRestart(a, b))
	errs = append(errs, liveCheckRestart(a, b))
	return errors.Join(errs...)
}

func tlsState(lt *listenerTLS) string {
	if lt == nil {
		return "off"
	}
	return "on"
}

// changedSections names the top-level keys whose values differ between a
// and b, as the YAML spells them.
func changedSections(a, b *fileConfig) []string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	var out []string
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			name, _, _ := strings.Cut(va.Type().Field(i).Tag.Get("yaml"), ",")
			out = append(out, name)
		}
	}
	return out
}

// switchingCollector reports the key sets and token cache of the current
// verifier (middleware's collector of it), so that a reload that starts a
// new key cache is followed by the metrics.
type switchingCollector struct {
	cur atomic.Pointer[[]prometheus.Collector]
}

// set switches to v's collectors: the ones middleware.NewMetrics
// registers for a verifier beyond those it registers without one.
func (c *switchingCollector) set(v *claims.Verifier) {
	var without, with collectorCapture
	middleware.NewMetrics(&without, nil)
	middleware.NewMetrics(&with, v)
	extra := with.cs[len(without.cs):]
	c.cur.Store(&extra)
}

// Describe sends nothing: the collector is unchecked, as what it reports
// follows the current verifier.
func (c *switchingCollector) Describe(chan<- *prometheus.Desc) {}

func (c *switchingCollector) Collect(ch chan<- prometheus.Metric) {
	if cs := c.cur.Load(); cs != nil {
		for _, x := range *cs {
			x.Collect(ch)
		}
	}
}

// collectorCapture is a prometheus.Registerer that keeps what is
// registered with it.
type collectorCapture struct{ cs []prometheus.Collector }

func (c *collectorCapture) Register(x prometheus.Collector) error {
	c.cs = append(c.cs, x)
	return nil
}

func (c *collectorCapture) MustRegister(xs ...prometheus.Collector) { c.cs = append(c.cs, xs...) }

func (c *collectorCapture) Unregister(prometheus.Collector) bool { return false }
