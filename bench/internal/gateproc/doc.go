// Package gateproc runs the cognito-gate binary for the bench module's
// load tools (loadtest, proxybench): it builds the binary from the
// repository, starts `serve` or `forward-auth` on a configuration and
// waits for its listeners, scrapes and parses its Prometheus metrics, and
// summarises latencies. Everything it starts listens on 127.0.0.1 only, as
// the configurations the tools write say.
package gateproc
