// Command proxybench measures cognito-gate where operators run it — the
// serve reverse proxy and the forward-auth endpoint behind nginx and
// Caddy — side by side with the upstream alone, a bare
// httputil.ReverseProxy, nginx and Caddy alone, and oauth2-proxy in bearer
// JWT mode, in one run on 127.0.0.1 (issue 18). bench/proxy.sh builds it
// and oauth2-proxy v7.15.6 and runs it:
//
//	bench/proxy.sh                      # 3 rounds of 3 s per path, 16 and 64 connections
//	bench/proxy.sh --duration 10s --rounds 5 --conns 16,64,128
//
// Every path gets the same requests: GET with one 985-byte access token of
// the fake pool (cognitotest/fakepool) in Authorization, the baselines
// included, so that header bytes are not mistaken for auth cost; the
// anonymous route gets a padding header of the same length instead. The
// gate paths: an anonymous route, one token repeated (cache hits), 10,000
// distinct tokens cycled with the cache on, the same with the cache off,
// the same through a cache smaller than the set (churn), and an invalid
// token (401). The load generator is in this process: a fixed number of
// keep-alive connections, each sending its next request when the previous
// answer is read; every answer's status is checked (and a 200's body is
// the upstream's), a wrong one is counted, reported, and makes the command
// exit 1. The upstream and the bare proxy are this program re-executed
// (PROXYBENCH_ROLE), so that each has its own process.
//
// Each round measures every path once at each connection count, paths
// interleaved, so that the machine's load bursts spread over all of them.
// It reports, per path, req/s, p50 and p99 latency (from the sorted
// samples) and the CPU seconds per 1,000 requests of each process involved
// (utime+stime from /proc/<pid>/stat at the window's edges: the proxy,
// nginx's master and workers together, the auth service, the upstream, the
// load generator), the gate's token cache hit ratio (its admin /metrics),
// and issue 18's ratios as medians of per-round ratios. Then: start-up to
// /readyz with 1 and with --pools pools (an in-process server publishes
// the pool's key set under any pool id), and the memory of a fresh gate
// after --mem-tokens distinct tokens, with the cache on and off, at Go's
// default GOGC (what RSS shows with the collector's headroom) and at
// GOGC=1 (the heap in use is then what is live: the target's figure).
//
// The peers' configurations (nginx.conf, Caddyfile, oauth2-proxy flags)
// are written to a temporary directory and listen on 127.0.0.1 ports; see
// peers.go for what each sets and why.
package main
