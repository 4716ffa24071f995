// Command loadtest drives the cognito-gate reverse proxy with concurrent
// clients for a fixed number of requests and checks every answer, while
// the fake user pool's keys rotate and its JWKS endpoint fails for windows
// of the run. It then sends the same requests to the upstream directly, for
// comparison, and prints a report: decisions checked, wrong decisions, 5xx
// by reason, throughput, latency percentiles, the gateway's goroutines and
// heap before and after, and its key set fetches by result.
//
//	go run ./loadtest                     # 40,000 requests, 16 clients
//	go run ./loadtest --requests 5000 --concurrency 4
//	go run ./loadtest --binary ./cognito-gate
//
// Everything runs on 127.0.0.1: a fake pool (cognitotest/fakepool), a checking upstream
// (it compares the identity headers it receives with the ones the client
// says the token carries) and the cognito-gate binary, built with `go
// build` unless --binary names one. The run is bounded in count
// (--requests) and in time (--max-duration); the gateway is stopped, and
// killed if it does not stop, at the end or on an interrupt.
//
// The requests mix distinct valid tokens (cold), repeated valid tokens
// (cached), admin and non-admin tokens on an admin-only route, bad
// signatures, expired tokens, random kids, garbage, and anonymous requests
// to a public and to a protected route, and carry spoofed identity
// headers. The run goes through phases:
//
//  1. keys-unavailable: the gateway starts while the JWKS answers 500, so
//     it holds no keys; requests with a token of the pool must get 503
//     (jwks_unavailable), the designed 5xx window. Then the JWKS recovers
//     and the tool waits for /readyz.
//  2. steady: the first key signs.
//  3. jwks-fault-1: the JWKS answers 500; known kids keep verifying,
//     random kids still get 401.
//  4. rotate: a new key is published (Pool.Rotate); old-key traffic goes on
//     while a probe retries a new-key token until the gateway accepts it.
//  5. new-key: traffic uses new-key tokens.
//  6. jwks-fault-2: the JWKS answers 500 again.
//  7. retire: the old key is removed from the JWKS; a probe retries an
//     old-key token until the gateway, having refreshed, rejects it.
//  8. post-retire: old-key tokens are in the mix and must get 401.
//
// Any answer other than the expected status, an allowed request whose
// upstream check failed, or a transport error is a wrong decision; the
// tool exits 1 when there is one.
package main
